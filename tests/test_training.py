import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
from tinygraph.inference import in_inference
from tinygraph.testing import graphs


class Recorder(tg.Layer):
    """Identity that remembers every batch it trains on (to check how fit slices the data); fit's look at the
    first batch before training, in inference mode, is not training."""

    def __init__(self):
        self.batches = []

    def forward(self, x):
        if not in_inference():
            self.batches.append(x.copy())
        return x

    def backward(self, dy):
        return dy


def regression_data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1


def classification_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def small_net(n_in=3, n_out=1, seed=0):
    return tg.Sequential(tg.Dense(n_in, 8, rng=seed), tg.Tanh(), tg.Dense(8, n_out, rng=seed + 1))


@given(st.integers(1, 40), st.integers(1, 50), st.booleans())
def test_every_sample_once_per_epoch_in_batches_with_the_remainder_last(n_samples, batch_size, shuffle):
    X, y = regression_data(n_samples)
    recorder = Recorder()
    net = tg.Sequential(recorder, tg.Dense(3, 1, rng=0))
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, batch_size=batch_size,
           shuffle=shuffle, seed=1, progress=False)
    sizes = [len(b) for b in recorder.batches]
    per_epoch = [batch_size] * (n_samples // batch_size) + ([n_samples % batch_size] if n_samples % batch_size else [])
    assert sizes == per_epoch * 2
    epochs = np.split(np.concatenate(recorder.batches), 2)
    for seen in epochs:
        assert sorted(map(tuple, seen)) == sorted(map(tuple, X))
    if not shuffle:
        np.testing.assert_array_equal(epochs[0], X)


def test_fit_is_the_hand_written_loop():
    X, y = regression_data(50)
    net, twin = small_net(), small_net()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.05, momentum=0.9), X, y,
                     epochs=3, batch_size=16, shuffle=False, progress=False)
    loss, opt = tg.MSE(), tg.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        total = 0.0
        for start in range(0, 50, 16):
            xb, yb = X[start : start + 16], y[start : start + 16]
            opt.zero_grad()
            total += loss(twin(xb), yb) * len(xb)
            twin.backward(loss.backward())
            opt.step()
        assert history.history["loss"][epoch] == pytest.approx(total / 50, rel=1e-12)
    for a, b in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_the_same_seed_gives_a_bit_identical_run_and_another_seed_does_not():
    X, y = classification_data()

    def run(seed):
        rng = np.random.default_rng(seed)
        net = tg.Sequential(tg.Dense(2, 8, rng=rng), tg.ReLU(), tg.Dense(8, 2, rng=rng))
        history = tg.fit(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1, momentum=0.9), X, y,
                         epochs=4, batch_size=8, seed=seed, progress=False)
        return history.history, net.state_dict()

    (h1, w1), (h2, w2), (h3, _) = run(3), run(3), run(4)
    assert h1 == h2 and h1 != h3
    assert all(np.array_equal(w1[name], w2[name]) for name in w1)


@pytest.mark.parametrize(
    "loss, data, n_out, keys",
    [
        (tg.MSE(), regression_data, 1, ["loss", "val_loss"]),
        (tg.SoftmaxCrossEntropy(), classification_data, 2, ["loss", "accuracy", "val_loss", "val_accuracy"]),
    ],
)
def test_history_has_one_value_per_epoch_and_accuracy_for_classification(loss, data, n_out, keys):
    X, y = data()
    net = small_net(X.shape[1], n_out)
    history = tg.fit(net, loss, tg.SGD(net.parameters(), lr=0.05), X, y, epochs=3, validation_data=(X[:10], y[:10]),
                     progress=False)
    assert list(history.history) == keys and history.epoch == [1, 2, 3]
    assert all(len(values) == 3 for values in history.history.values())
    assert history.history["val_loss"][-1] == pytest.approx(tg.evaluate(net, loss, X[:10], y[:10])["loss"])


def test_binary_cross_entropy_gets_accuracy_too():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 1, rng=0), tg.Sigmoid())
    history = tg.fit(net, tg.BinaryCrossEntropy(), tg.SGD(net.parameters(), lr=0.5), X, y.reshape(-1, 1),
                     epochs=20, progress=False)
    assert history.history["accuracy"][-1] > 0.9


def test_evaluate_and_predict():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 4, rng=0), tg.ReLU(), tg.Dense(4, 2, rng=1))
    pred = net.predict(X)
    results = tg.evaluate(net, tg.SoftmaxCrossEntropy(), X, y, batch_size=7)
    assert results["loss"] == pytest.approx(tg.SoftmaxCrossEntropy()(pred, y), rel=1e-12)
    assert results["accuracy"] == np.mean(pred.argmax(axis=1) == y)
    np.testing.assert_allclose(net.predict(X, batch_size=7), pred, rtol=1e-13)


def test_predict_runs_in_eval_mode_and_restores_each_flag():
    class ModeSpy(Recorder):
        def forward(self, x):
            self.batches.append(self.training)
            return x

    spy, other = ModeSpy(), tg.ReLU()
    net = tg.Sequential(spy, other)
    other.eval()
    net.predict(np.ones((3, 2)))
    assert spy.batches == [False] and spy.training and not other.training
    with pytest.raises(ValueError, match="batch_size"):
        net.predict(np.ones((3, 2)), batch_size=0)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    X, y = regression_data()
    net = small_net()
    losses = iter([5.0, 3.0, 4.0, 4.5, 2.0])  # validation losses the hook reports: best at epoch 2
    weights = {}

    def fake_validation(epoch, logs):
        logs["val_loss"] = next(losses)
        weights[epoch] = net.state_dict()

    stopper = tg.EarlyStopping(monitor="val_loss", patience=2)
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=10,
                     callbacks=[fake_validation, stopper], progress=False)
    assert history.epoch == [1, 2, 3, 4] and stopper.stopped_epoch == 4 and stopper.best_epoch == 2
    assert stopper.best == 3.0
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, weights[2][name])


def test_early_stopping_restores_the_best_weights_when_epochs_run_out_or_training_fails():
    X, y = regression_data()
    net = small_net()
    seen = []

    def record(epoch, logs):
        seen.append((logs["loss"], net.state_dict()))

    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.5), X, y, epochs=4,
           callbacks=[record, tg.EarlyStopping(monitor="loss", patience=10)], progress=False)
    best_loss, best_weights = min(seen, key=lambda item: item[0])
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, best_weights[name])

    def explode(epoch, logs):
        if epoch == 3:
            raise KeyboardInterrupt

    net = small_net()
    stopper = tg.EarlyStopping(monitor="loss", patience=10)
    with pytest.raises(KeyboardInterrupt):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=5, callbacks=[stopper, explode],
               progress=False)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, stopper.best_weights[name])


def test_early_stopping_accuracy_is_maximised_and_a_missing_monitor_is_explained():
    assert tg.EarlyStopping(monitor="val_accuracy").sign == -1.0
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match="'val_loss' is not among.*pass validation_data"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2,
               callbacks=[tg.EarlyStopping()], progress=False)


def test_a_hook_sees_every_epoch_and_can_stop_training():
    X, y = regression_data()
    net = small_net()
    seen = []
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=10, progress=False,
                     callbacks=[lambda epoch, logs: seen.append(epoch) or epoch == 3])
    assert seen == [1, 2, 3] and history.epoch == [1, 2, 3]


def test_a_diverging_loss_stops_with_epoch_and_step_and_keeps_finite_weights():
    X, y = regression_data()
    net = small_net()
    with pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+ of 4"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=1e6), X, y * 1e3, epochs=50, batch_size=16, progress=False)
    assert all(np.isfinite(p.value).all() for p in net.parameters())


@pytest.mark.parametrize("where", ["X", "y"])
def test_nan_in_the_data_is_refused_up_front_naming_the_row(where):
    X, y = regression_data()
    (X if where == "X" else y)[7, 0] = np.nan
    net = small_net()
    before = net.state_dict()
    with pytest.raises(ValueError, match="NaN or Inf, first in row 7"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, progress=False)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epochs=-1), "epochs must be an int >= 0"),
        (dict(epochs=1.5), "epochs must be an int >= 0"),
        (dict(epochs=1, batch_size=0), "batch_size must be an int >= 1"),
        (dict(epochs=1, validation_data=np.ones(3)), "validation_data must be a pair"),
    ],
)
def test_invalid_fit_arguments(kwargs, match):
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match=match):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, progress=False, **kwargs)


def test_mismatched_lengths_are_refused():
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match="X has 50 samples but target has shape"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y[:-1], epochs=1, progress=False)


def test_zero_epochs_train_nothing():
    X, y = regression_data()
    net = small_net()
    before = net.state_dict()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=0, progress=False)
    assert history.history == {} and all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


def test_float32_training_stays_float32_everywhere():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 8, rng=0), tg.ReLU(), tg.Dense(8, 2, rng=1)).astype(np.float32)
    opt = tg.SGD(net.parameters(), lr=0.1, momentum=0.9)
    outputs = []
    tg.fit(net, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=2, progress=False,
           callbacks=[lambda epoch, logs: outputs.append(net.predict(X).dtype)])
    assert outputs == [np.float32, np.float32]
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in net.parameters())
    assert all(state["momentum"].dtype == np.float32 for state in opt.state.values())


def test_a_single_callback_need_not_be_in_a_list():
    X, y = regression_data()
    net = small_net()
    seen = []
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False,
           callbacks=lambda epoch, logs: seen.append(epoch))
    stopper = tg.EarlyStopping(monitor="loss", patience=np.int64(1))
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False, callbacks=stopper)
    assert seen == [1, 2] and stopper.best_epoch is not None


@pytest.mark.parametrize("kwargs", [dict(patience=True), dict(patience=-1), dict(min_delta=float("nan")),
                                    dict(min_delta="0"), dict(mode="up")])
def test_early_stopping_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        tg.EarlyStopping(**kwargs)


def test_fit_refuses_a_model_that_already_holds_nan():
    X, y = regression_data()
    net = small_net()
    net[2].bias.value[0] = np.nan
    with pytest.raises(ValueError, match="parameter '2.bias' holds NaN or Inf"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, progress=False)


def test_fit_does_not_compute_the_gradient_of_the_input():
    class Spy(tg.Dense):
        asked = []

        def backward(self, dy):
            self.asked.append(self.needs_dx)
            return super().backward(dy)

    X, y = regression_data()
    first, second = Spy(3, 2, rng=0), Spy(2, 1, rng=1)
    net = tg.Sequential(first, tg.Tanh(), second)
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, batch_size=25, progress=False)
    assert Spy.asked == [True, False, True, False]  # per step: the second layer's dx is needed, the first's not


def hand_written_fit(net, X, target, epochs, batch_size, lr):
    """What fit(..., shuffle=False) does with MSE and SGD, written out."""
    loss, opt = tg.MSE(), tg.SGD(net.parameters(), lr=lr)
    net.train()  # as fit does: Dropout draws its masks, from its own copy of the generator
    for _ in range(epochs):
        net.train()  # as fit does at every epoch
        for start in range(0, len(X), batch_size):
            opt.zero_grad()
            loss(net(X[start : start + batch_size]), target[start : start + batch_size])
            net.backward(loss.backward())
            opt.step()


@given(graphs())
def test_fit_trains_any_graph_of_layers_as_the_hand_written_loop_does(net_and_x):
    graph, x = net_and_x
    # something to train in every graph, before it and after it (a graph may end in a ReLU dead for all of x)
    net = tg.Sequential(tg.Dense(x.shape[1], x.shape[1], rng=0), graph, tg.Dense(graph.predict(x).shape[-1], 2, rng=1))
    target = np.random.default_rng(0).standard_normal(net.predict(x).shape)  # (predict draws no Dropout mask)
    twin = copy.deepcopy(net)  # Dropout's generator too: both runs draw the same masks
    start = net.state_dict()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), x, target, epochs=3, batch_size=4,
                     shuffle=False, progress=False)
    hand_written_fit(twin, x, target, epochs=3, batch_size=4, lr=0.01)
    assert len(history.history["loss"]) == 3 and all(np.isfinite(history.history["loss"]))
    for name, value in net.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[name], rtol=1e-12, atol=1e-15)
    dead = all(not p.grad.any() for p in twin.parameters())  # e.g. ReLU after a Dense that maps every x below 0
    assert dead or any(not np.array_equal(value, start[name]) for name, value in net.state_dict().items()), "nothing trained"


def test_the_graph_check_catches_a_fit_that_does_not_update():
    class Frozen(tg.SGD):
        def update(self, p, g, state):
            pass  # the broken twin: no update at all

    x = np.random.default_rng(1).standard_normal((8, 3))
    net = tg.Sequential(tg.Dense(3, 3, rng=0), tg.Tanh())
    twin = copy.deepcopy(net)
    target = np.zeros((8, 3))
    tg.fit(net, tg.MSE(), Frozen(net.parameters(), lr=0.01), x, target, epochs=3, batch_size=4, shuffle=False,
           progress=False)
    hand_written_fit(twin, x, target, epochs=3, batch_size=4, lr=0.01)
    assert not np.allclose(net[0].weight.value, twin[0].weight.value, rtol=1e-12, atol=1e-15)


# -- graphs of several inputs ----------------------------------------------------------------------------


def two_input_net(seed=0):
    wide, deep = tg.Input("wide"), tg.Input("deep")
    hidden = tg.Tanh()(tg.Dense(3, 4, rng=seed)(deep))
    return tg.Graph([wide, deep], tg.Add()(tg.Dense(2, 1, rng=seed + 1)(wide), tg.Dense(4, 1, rng=seed + 2)(hidden)))


def test_fit_takes_a_tuple_of_inputs_and_is_the_hand_written_loop():
    rng = np.random.default_rng(0)
    X_wide, X_deep, y = rng.standard_normal((30, 2)), rng.standard_normal((30, 3)), rng.standard_normal((30, 1))
    net, twin = two_input_net(), two_input_net()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.05), (X_wide, X_deep), y, epochs=2, batch_size=8,
                     seed=3, progress=False, validation_data=((X_wide[:5], X_deep[:5]), y[:5]))
    loss, opt, order = tg.MSE(), tg.SGD(twin.parameters(), lr=0.05), np.random.default_rng(3)
    for epoch in range(2):
        shuffled = order.permutation(30)  # fit shuffles every input with one permutation
        total = 0.0
        for start in range(0, 30, 8):
            batch = shuffled[start : start + 8]
            opt.zero_grad()
            total += loss(twin(X_wide[batch], X_deep[batch]), y[batch]) * len(batch)
            twin.backward(loss.backward())
            opt.step()
        assert history.history["loss"][epoch] == pytest.approx(total / 30, rel=1e-12)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[name], err_msg=name)
    assert tg.evaluate(net, tg.MSE(), (X_wide, X_deep), y)["loss"] == pytest.approx(loss(twin(X_wide, X_deep), y))
    assert history.history["val_loss"][-1] == pytest.approx(loss(twin(X_wide[:5], X_deep[:5]), y[:5]), rel=1e-12)


@pytest.mark.parametrize("X, match", [
    (lambda Xw, Xd: Xd, r"the model takes 2 input\(s\), so X must be a tuple of 2 arrays, one per input; got one array"),
    (lambda Xw, Xd: (Xw, Xd, Xd), r"must be a tuple of 2 arrays, one per input; got a tuple of 3"),
    (lambda Xw, Xd: (Xw[:4], Xd), r"fit: X\[0\] has 4 samples but target has shape \(6, 1\)"),
    (lambda Xw, Xd: (Xw, np.where(Xd > 0, np.nan, Xd)), r"fit: X\[1\] contains NaN or Inf, first in row"),
])
def test_fit_refuses_inputs_that_do_not_fit_the_graph(X, match):
    Xw, Xd = np.ones((6, 2)), np.ones((6, 3))
    net = two_input_net()
    with pytest.raises(ValueError, match=match):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.1), X(Xw, Xd), np.ones((6, 1)), epochs=1, progress=False)


def test_fit_refuses_a_model_of_several_outputs_and_a_plain_model_a_tuple():
    x = tg.Input()
    heads = tg.Graph(x, [tg.Dense(2, 1)(x), tg.Dense(2, 1)(x)])
    with pytest.raises(ValueError, match="fit: the model has 2 outputs; fit trains a model of one output"):
        tg.fit(heads, tg.MSE(), tg.SGD(heads.parameters(), lr=0.1), np.ones((4, 2)), np.ones((4, 1)), epochs=1)
    net = small_net()
    with pytest.raises(ValueError, match=r"takes 1 input\(s\), so X must be one array; got a tuple of 2"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.1), (np.ones((4, 3)),) * 2, np.ones((4, 1)), epochs=1)

@pytest.mark.parametrize("change, error, match", [
    (dict(model="model"), TypeError, r"^fit: model must be a tinygraph Layer, got str 'model'"),
    (dict(loss=tg.MSE), TypeError, r"^fit: loss must be a Loss such as tg.MSE\(\), got the class MSE; create one first: MSE\(\)"),
    (dict(optimizer="sgd"), TypeError, r"^fit: optimizer must be an Optimizer such as tg.SGD\(...\), got str 'sgd'"),
    (dict(callbacks=5), TypeError, r"^fit: callbacks must be a Callback, a function f\(epoch, logs\) or a list of them, got int 5"),
    (dict(callbacks=[print, 5]), TypeError, r"^fit: callbacks\[1\] must be a Callback or a function f\(epoch, logs\), got int 5"),
    (dict(callbacks=[tg.EarlyStopping]), TypeError, r"^fit: callbacks\[0\] must be .* got the class EarlyStopping; create one"),
    (dict(seed=-1), ValueError, r"^fit: seed must be an int >= 0 \(a seed\), got -1"),
    (dict(seed="x"), TypeError, r"^fit: seed must be None, an int seed or a np.random.Generator, got str"),
    (dict(target=[[1.0], [2.0, 3.0]] + [[0.0]] * 48), ValueError, r"^fit: target must be a rectangular array, but its rows"),
    (dict(X=[[1.0, 2.0, 3.0], [1.0]] + [[0.0] * 3] * 48), ValueError, r"^fit: X must be a rectangular array, but its rows"),
])
def test_each_wrong_argument_of_fit_is_named_with_what_is_wrong(change, error, match):
    X, y = regression_data()
    net = small_net()
    arguments = dict(model=net, loss=tg.MSE(), optimizer=tg.SGD(net.parameters(), lr=0.01), X=X, target=y) | change
    before = net.state_dict()
    with pytest.raises(error, match=match):
        tg.fit(arguments.pop("model"), arguments.pop("loss"), arguments.pop("optimizer"), arguments.pop("X"),
               arguments.pop("target"), epochs=1, progress=False, **arguments)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


def test_an_optimizer_of_another_models_parameters_is_refused_before_training():
    X, y = regression_data()
    net, other = small_net(), small_net(seed=5)
    with pytest.raises(ValueError, match=r"^fit: the optimizer holds none of the model's parameters, so training would "
                                         r"change nothing .* build it with SGD\(model.parameters\(\), ...\)"):
        tg.fit(net, tg.MSE(), tg.SGD(other.parameters(), lr=0.1), X, y, epochs=1, progress=False)
    frozen = tg.SGD(net[2].parameters(), lr=0.1)  # some of the model's parameters: fine-tuning, allowed
    before = net[0].weight.value.copy()
    tg.fit(net, tg.MSE(), frozen, X, y, epochs=1, progress=False)
    np.testing.assert_array_equal(net[0].weight.value, before)


class Unchecked(tg.Dense):
    """A Dense whose weight gradient is computed where NumPy's traps cannot see an overflow, as inside a
    multi-threaded BLAS call: the result is Inf, and nothing is raised."""

    def backward(self, dy):
        x = self.pop_saved()
        with np.errstate(all="ignore"):
            self.weight.grad += x.T @ dy
        return None


def test_weights_made_non_finite_unseen_by_the_traps_are_caught_and_restored():
    net = tg.Sequential(Unchecked(2, 1, bias=False, rng=0))
    net[0].weight.value[1] = 0.0  # the huge column meets a zero weight: the loss stays finite...
    X = np.array([[1.0, 1e306]] * 4)  # ...but its gradient, 4e306 * (pred - 1e3) summed, is Inf
    before = net.state_dict()
    with pytest.raises(FloatingPointError, match=r"^fit: the model's parameter '0.weight' became NaN or Inf \(found at "
                                                 r"the end of the epoch\) at epoch 1, step 1 of 1"):
        tg.fit(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1e-3), X, np.full((4, 1), 1e3), epochs=1,
               batch_size=4, progress=False)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())

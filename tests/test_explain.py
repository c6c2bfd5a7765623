"""tg.explain: what the page records, what it refuses, and the `tinygraph explain` command (the page as
a file is tested in test_explain_page.py, in a browser in test_explain_browser.py)."""

import copy
import importlib
import io
import os

import numpy as np
import pytest
from hypothesis import given, settings

import tinygraph as tg
from tinygraph.article import blog_variables
from tinygraph.cli import main
from tinygraph.testing import graphs
from explain_pages import article_page, run_of

layout = importlib.import_module("tinygraph.explain.layout")  # `tinygraph.explain` is also the function

ROUNDING = 5e-4  # values are kept to 4 significant digits: a relative error of at most half a unit in the 4th


def losses_before_each_update(n):
    """The loss the article's loop computes before update 1, 2, ..., n (as `tinygraph demo` prints them)."""
    return tg.train_article(n, seed=1)[1]


def assert_entries_follow_training(run, losses, every):
    """Entry k is the state after k * every updates, and the last entry the state after all of them
    (`losses` has one loss per update and one for the trained model): each entry's loss is the one
    computed before the next update."""
    steps = len(losses) - 1
    recorded = sorted(set(range(0, steps + 1, every)) | {steps})
    assert [entry["step"] for entry in run["steps"]] == recorded
    np.testing.assert_allclose([entry["loss"] for entry in run["steps"]], [losses[step] for step in recorded], rtol=1e-12)


@pytest.mark.parametrize("every", [1, 5, 7])
def test_entry_k_is_the_state_after_k_times_every_updates(tmp_path, every):
    article_page(tmp_path / "run.html", steps=50, every=every)
    run = run_of(tmp_path / "run.html")
    assert len(run["steps"]) == 50 // every + 1 + (50 % every > 0) and run["every"] == every
    assert run["steps"][-1]["step"] == 50  # the trained model, whether or not every divides the steps
    assert_entries_follow_training(run, losses_before_each_update(51), every)


def test_the_entry_check_catches_entries_one_update_late(tmp_path):
    article_page(tmp_path / "run.html", steps=10)
    with pytest.raises(AssertionError):  # a recorder that recorded after each update would give these
        assert_entries_follow_training(run_of(tmp_path / "run.html"), losses_before_each_update(12)[1:], 1)


def assert_blog_variables(run, k, every=1):
    """Entry k holds the blog's l1, l2, l1_delta, l2_delta and synapses, computed by its own formulas."""
    net = tg.train_article(k * every, seed=1)[0]
    X, y = tg.datasets.article()
    blog = blog_variables(net, X, y)
    entry = run["steps"][k]
    (dense_0, sigmoid_1), (dense_2, sigmoid_3) = entry["columns"]
    recorded = {
        "l1": sigmoid_1["y"]["samples"], "l2": sigmoid_3["y"]["samples"],
        "l1_delta": -np.array(dense_0["dy"]["samples"]), "l2_delta": -np.array(dense_2["dy"]["samples"]),
        "synapses_0 update": -np.array(entry["params"]["0.weight"]["grad"]),
        "synapses_1 update": -np.array(entry["params"]["2.weight"]["grad"]),
    }
    for name, value in recorded.items():
        np.testing.assert_allclose(value, blog[name], rtol=ROUNDING, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(entry["params"]["0.weight"]["value"], net[0].weight.value, rtol=ROUNDING)
    np.testing.assert_allclose(entry["params"]["2.weight"]["value"], net[2].weight.value, rtol=ROUNDING)
    np.testing.assert_allclose(sigmoid_1["y"]["mean"], blog["l1"].mean(axis=0), rtol=ROUNDING)


@pytest.mark.parametrize("k", [0, 1, 7, 10])
def test_the_article_page_records_the_blogs_variables(tmp_path, k):
    article_page(tmp_path / "run.html", steps=20, every=2)
    assert_blog_variables(run_of(tmp_path / "run.html"), k, every=2)


def test_the_blog_check_catches_a_wrong_sigmoid_backward(tmp_path):
    import twins

    X, y = tg.datasets.article()
    net = tg.article_network(1)
    net = net.with_layers([net[0], twins.WrongFactorSigmoid(), net[2], twins.WrongFactorSigmoid()])
    tg.explain(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0), X, y, steps=2, path=tmp_path / "twin.html")
    with pytest.raises(AssertionError):
        assert_blog_variables(run_of(tmp_path / "twin.html"), 1)


def test_the_blogs_names_label_the_article_network_only(tmp_path):
    article_page(tmp_path / "article.html", steps=1)
    blog = run_of(tmp_path / "article.html")["blog"]
    assert blog["columns"] == ["l0", "l1", "l2"] and blog["deltas"] == [None, "l1_delta", "l2_delta"]
    assert blog["weights"] == [None, "synapses_0", "synapses_1"]
    assert "l2_delta = (y - l2) * l2 * (1 - l2)" in blog["formulas"]
    X, y = tg.datasets.article()
    for net, loss in [
        (tg.Sequential(tg.Dense(3, 4, rng=0), tg.Sigmoid(), tg.Dense(4, 1, rng=0), tg.Sigmoid()), tg.SumSquaredError()),
        (tg.article_network(1), tg.MSE()),  # another loss: the deltas are no longer the blog's
        (tg.Sequential(tg.Dense(3, 4, bias=False, rng=0), tg.Tanh(), tg.Dense(4, 1, bias=False, rng=0), tg.Sigmoid()),
         tg.SumSquaredError()),
    ]:
        tg.explain(net, loss, tg.SGD(net.parameters(), lr=1.0), X, y, steps=1, path=tmp_path / "other.html")
        assert run_of(tmp_path / "other.html")["blog"] is None


def test_the_model_is_trained_in_place_as_the_loop_trains_it(tmp_path):
    net = article_page(tmp_path / "run.html", steps=20, every=3)
    trained, _ = tg.train_article(20, seed=1)
    for (name, p), q in zip(net.named_parameters(), trained.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-12, err_msg=name)
    assert net.training


def test_a_column_is_a_weighted_sum_and_its_activation(tmp_path):
    X, y = tg.datasets.moons(50, seed=0)
    net = tg.Sequential(tg.Dense(2, 5, rng=0), tg.ReLU(), tg.Dropout(0.1, rng=0), tg.Dense(5, 3, rng=1), tg.Softmax())
    tg.explain(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.1), X, np.eye(3)[y], steps=2, path=tmp_path / "run.html")
    columns = run_of(tmp_path / "run.html")["columns"]
    assert [c["paths"] for c in columns] == [[], ["0", "1", "2"], ["3", "4"]]
    assert [c["width"] for c in columns] == [2, 5, 3]
    assert [c.get("weight") for c in columns] == [None, "0.weight", "3.weight"]
    assert [c.get("bias") for c in columns] == [None, "0.bias", "3.bias"]


def test_wide_and_deep_models_are_summarised_not_refused(tmp_path):
    X, y = tg.datasets.moons(60, seed=0)
    wide = tg.Sequential(tg.Dense(2, 500, rng=0), tg.ReLU(), tg.Dense(500, 2, rng=1))
    tg.explain(wide, tg.SoftmaxCrossEntropy(), tg.SGD(wide.parameters(), lr=0.1), X, y, steps=10, path=tmp_path / "wide.html")
    run = run_of(tmp_path / "wide.html")
    assert run["columns"][1]["width"] == 500 and run["columns"][1]["units"] == list(range(8)) + list(range(492, 500))
    assert np.shape(run["steps"][-1]["params"]["0.weight"]["value"]) == (2, 16)
    assert np.shape(run["steps"][-1]["params"]["2.weight"]["value"]) == (16, 2)
    assert os.path.getsize(tmp_path / "wide.html") < 1_500_000

    layers = [layer for _ in range(40) for layer in (tg.Dense(4, 4, rng=0), tg.Tanh())]
    deep = tg.Sequential(tg.Dense(2, 4, rng=0), *layers, tg.Dense(4, 2, rng=1))
    tg.explain(deep, tg.SoftmaxCrossEntropy(), tg.SGD(deep.parameters(), lr=0.1), X, y, steps=10, path=tmp_path / "deep.html")
    run = run_of(tmp_path / "deep.html")
    gaps = [column["gap"] for column in run["columns"]]
    assert len(run["columns"]) == layout.MAX_COLUMNS + 1 and gaps.count(0) == layout.MAX_COLUMNS
    assert sum(gaps) == 43 - layout.MAX_COLUMNS  # the input and 42 columns: those not drawn are counted
    after_gap = run["columns"][gaps.index(sum(gaps)) + 1]
    assert "weight" not in after_gap and after_gap["bias"]  # no lines from a column that is not drawn
    assert len(run["parameters"]) == 84 and os.path.getsize(tmp_path / "deep.html") < 1_500_000


def test_a_diverging_run_stops_with_the_steps_before_and_finite_weights(tmp_path):
    X = np.linspace(-1, 1, 20).reshape(-1, 2) * 100
    net = tg.Sequential(tg.Dense(2, 8, rng=0), tg.ReLU(), tg.Dense(8, 1, rng=1))
    tg.explain(net, tg.MSE(), tg.SGD(net.parameters(), lr=10.0), X, X[:, :1] ** 3, steps=100, path=tmp_path / "run.html")
    run = run_of(tmp_path / "run.html")
    assert run["stopped"].startswith("training stopped at step ") and 1 <= len(run["steps"]) < 101
    assert all(np.isfinite(entry["loss"]) for entry in run["steps"])
    assert all(np.isfinite(p.value).all() for p in net.parameters())


@pytest.mark.parametrize("bad, error, message", [
    (dict(model="net"), TypeError, "explain: model must be a tinygraph Layer, got str 'net'"),
    (dict(loss=tg.MSE), TypeError, "explain: loss must be a tinygraph Loss, got the class MSE"),
    (dict(optimizer=None), TypeError, "explain: optimizer must be a tinygraph Optimizer, got NoneType None"),
    (dict(steps=-1), ValueError, "explain: steps must be an int >= 0, got -1"),
    (dict(every=0), ValueError, "explain: every must be an int >= 1, got 0"),
    (dict(every=2.0), ValueError, "explain: every must be an int >= 1, got 2.0"),
    (dict(path=3), TypeError, r"explain: path must be a file name \(a str or a pathlib.Path\), got int 3"),
    (dict(path=b"run.html"), TypeError, "explain: path must be a file name .*, got bytes b'run.html'"),
    (dict(path="missing/run.html"), FileNotFoundError, "explain: cannot write missing/run.html: the directory .* does not exist"),
    (dict(path="."), IsADirectoryError, r"explain: cannot write \.: it is a directory; give the page a file name"),
    (dict(X=np.ones(4)), ValueError, r"explain: X must have a batch axis, \(n_samples, ...\), got shape \(4,\)"),
    (dict(target=np.ones((3, 1))), ValueError, "explain: X has 4 samples but target has shape"),
    (dict(X=np.full((4, 3), np.nan)), ValueError, "explain: X contains NaN or Inf, first in row 0"),
])
def test_bad_arguments_are_refused_before_anything_changes(tmp_path, monkeypatch, bad, error, message):
    monkeypatch.chdir(tmp_path)
    X, y = tg.datasets.article()
    net = tg.article_network(1)
    before = copy.deepcopy(net.state_dict())
    arguments = dict(model=net, loss=tg.SumSquaredError(), optimizer=tg.SGD(net.parameters(), lr=1.0), X=X, target=y)
    arguments.update(bad)
    keywords = {name: arguments.pop(name) for name in ("steps", "every", "path") if name in arguments}
    with pytest.raises(error, match=message):
        tg.explain(*arguments.values(), **keywords)
    assert os.listdir(tmp_path) == []
    assert all(np.array_equal(before[name], value) for name, value in net.state_dict().items())


def test_a_model_holding_nan_is_refused(tmp_path):
    net = tg.article_network(1)
    net[2].weight.value[0, 0] = np.nan
    X, y = tg.datasets.article()
    with pytest.raises(ValueError, match="explain: the model's parameter '2.weight' holds NaN or Inf"):
        tg.explain(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0), X, y, path=tmp_path / "run.html")
    assert not (tmp_path / "run.html").exists()


def test_the_command_writes_the_demo_page_with_its_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["explain", "demo"], out=out) == 0
    run = run_of(tmp_path / "explain.html")
    assert [entry["step"] for entry in run["steps"]] == list(range(0, 501, 5)) and run["blog"]["columns"][1] == "l1"
    assert_entries_follow_training(run, losses_before_each_update(501), 5)
    assert out.getvalue().splitlines() == [  # one line was 156 columns: now each fits in 100
        f"model: {tg.article_network(1)!r}", "500 steps, recorded every 5", "wrote explain.html: open it in a browser"]
    assert os.path.getsize(tmp_path / "explain.html") < 1_000_000


@pytest.mark.parametrize("example, hidden", [("xor", [4]), ("moons", [8, 8])])
def test_the_command_trains_a_tanh_mlp_on_two_features(tmp_path, example, hidden):
    assert main(["explain", example, "--steps", "6", "--every", "3", "--out", str(tmp_path / "p.html")], out=io.StringIO()) == 0
    run = run_of(tmp_path / "p.html")
    assert [c["width"] for c in run["columns"]] == [2, *hidden, 2] and run["plane"]["kind"] == "score"
    assert [entry["step"] for entry in run["steps"]] == [0, 3, 6] and run["n_samples"] == 400


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_fewer_steps_than_the_default_spacing_are_each_recorded(tmp_path, steps):
    out = io.StringIO()
    assert main(["explain", "demo", "--steps", str(steps), "--out", str(tmp_path / "p.html")], out=out) == 0
    assert [entry["step"] for entry in run_of(tmp_path / "p.html")["steps"]] == list(range(steps + 1))
    assert f"{steps} steps, recorded every 1" in out.getvalue()


def test_a_spacing_wider_than_the_run_records_the_start_and_the_trained_model(tmp_path):
    assert main(["explain", "demo", "--steps", "2", "--every", "5", "--out", str(tmp_path / "p.html")], out=io.StringIO()) == 0
    assert [entry["step"] for entry in run_of(tmp_path / "p.html")["steps"]] == [0, 2]


def test_the_command_says_what_is_wrong_in_one_line(tmp_path, capsys):
    assert main(["explain", "demo", "--out", str(tmp_path / "missing" / "p.html")]) == 1
    assert capsys.readouterr().err == (
        f"tinygraph: error: explain: cannot write {tmp_path / 'missing' / 'p.html'}: the directory "
        f"{tmp_path / 'missing'} does not exist\n")
    for bad in (["--every", "0"], ["--steps", "x"], ["--out"]):
        with pytest.raises(SystemExit) as info:
            main(["explain", "demo", *bad])
        assert info.value.code == 2 and "usage: tinygraph explain" in capsys.readouterr().err


@given(graphs())
@settings(max_examples=20)
def test_any_graph_of_layers_gets_a_page_whose_drawing_fits_its_record(tmp_path_factory, net_and_x):
    graph, x = net_and_x
    net = tg.Sequential(tg.Dense(x.shape[1], x.shape[1], rng=0), graph).eval()  # Dropout off; one weight at least
    target = np.random.default_rng(0).standard_normal(net(x).shape)
    path = tmp_path_factory.mktemp("graph") / "page.html"
    tg.explain(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), x, target, steps=2, path=path)
    run = run_of(path)
    assert len(run["steps"]) == 3 and run["columns"][0]["width"] == x.shape[1]
    for entry in run["steps"]:
        assert len(entry["columns"]) == len(run["columns"]) - 1
        for column, layers in zip(run["columns"][1:], entry["columns"]):
            assert len(layers) == len(column["paths"])
            for record in layers:
                assert np.shape(record["y"]["samples"]) == (len(run["samples"]), len(column["units"]))
        for column, before in zip(run["columns"][1:], run["columns"]):
            if column.get("weight"):
                assert np.shape(entry["params"][column["weight"]]["value"]) == (len(before["units"]), len(column["units"]))


def test_a_float32_model_and_a_single_layer_model(tmp_path):
    X, y = tg.datasets.moons(30, seed=0)
    net = tg.Dense(2, 2, rng=0).astype(np.float32)
    tg.explain(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1), X, y, steps=3, path=tmp_path / "p.html")
    run = run_of(tmp_path / "p.html")
    assert [c["paths"] for c in run["columns"]] == [[], ["net"]] and run["columns"][1]["weight"] == "weight"
    assert net.weight.value.dtype == np.float32 and run["plane"]["kind"] == "score"


def test_a_loss_that_gives_an_array_is_refused(tmp_path):
    X, y = tg.datasets.article()
    net = tg.article_network(1)
    with pytest.raises(ValueError, match=r"explain: the loss MSE\(reduction='none'\) has reduction='none'"):
        tg.explain(net, tg.MSE(reduction="none"), tg.SGD(net.parameters(), lr=1.0), X, y, path=tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()

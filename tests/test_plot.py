import re
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygraph import datasets, plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FULL_HISTORY = {
    "loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.5], "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.8]
}


def scores(x):
    """(m, 3) class scores: class 1 left of x0 = 0.5, class 0 right of it, class 2 never."""
    return np.column_stack([x[:, 0] - 0.5, 0.5 - x[:, 0], np.full(len(x), -9.0)])


def probability(x):
    """(m, 1) probability of class 1, above 0.5 where x1 > 0.25."""
    return 1 / (1 + np.exp(-(x[:, 1:] - 0.25)))


PREDICTORS = pytest.mark.parametrize("predict", [scores, probability], ids=["scores_m_by_K", "probability_m_by_1"])


@pytest.fixture
def moons():
    return datasets.moons(60, seed=0)


def hide(monkeypatch, package):
    """Make `import package` and its submodules fail as if `package` were not installed."""
    for name in [name for name in sys.modules if name.split(".")[0] == package] + [package]:
        monkeypatch.setitem(sys.modules, name, None)


def png_panels(path):
    """Check that `path` is a PNG and count the 4.5 x 4 inch panels side by side from its width and height."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return round(width / height * 4 / 4.5)


@settings(max_examples=10)
@given(keys=st.sets(st.sampled_from(["val_loss", "accuracy", "val_accuracy"])), n_epochs=st.integers(1, 30))
def test_plot_history_draws_a_second_panel_only_for_accuracy(tmp_path_factory, keys, n_epochs):
    path = tmp_path_factory.mktemp("history") / "history.png"
    history = {key: list(np.linspace(1, 0, n_epochs)) for key in {"loss", *keys}}
    plot.plot_history(history, path, title="run")
    assert png_panels(path) == (2 if keys & {"accuracy", "val_accuracy"} else 1)


def test_plot_history_takes_a_history_object_and_iterations(tmp_path):
    path = tmp_path / "iterations.png"
    plot.plot_history(SimpleNamespace(history=FULL_HISTORY), path, xlabel="iteration")
    assert png_panels(path) == 2


@pytest.mark.parametrize("history", [{}, {"accuracy": [0.5]}, {"loss": []}, {"loss": np.array([])}])
def test_plot_history_needs_a_loss(tmp_path, history):
    with pytest.raises(ValueError, match="history needs a non-empty 'loss' list"):
        plot.plot_history(history, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@PREDICTORS
def test_plot_decision_boundary_writes_a_png(tmp_path, moons, predict):
    path = tmp_path / "boundary.png"
    plot.plot_decision_boundary(predict, *moons, path, title="moons", resolution=50)
    assert png_panels(path) == 1


@PREDICTORS
def test_plot_run_puts_the_boundary_beside_the_curves(tmp_path, moons, predict):
    path = tmp_path / "run.png"
    plot.plot_run(FULL_HISTORY, path, predict=predict, X=moons[0], y=moons[1], title="run")
    assert png_panels(path) == 3
    plot.plot_run({"loss": [1.0, 0.5]}, path, predict, *moons)
    assert png_panels(path) == 2
    plot.plot_run({"loss": [1.0, 0.5]}, path)
    assert png_panels(path) == 1


def test_the_grid_takes_the_argmax_of_scores_and_thresholds_probabilities(moons):
    X, y = moons
    xx, yy, classes, *_ = plot.decision_grid("test", scores, X, y, resolution=40)
    np.testing.assert_array_equal(classes, xx < 0.5)
    xx, yy, classes, *_ = plot.decision_grid("test", probability, X, y, resolution=40)
    np.testing.assert_array_equal(classes, yy > 0.25)


@given(X=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=20).map(np.array))
def test_the_grid_covers_the_data_with_a_margin(X):
    xx, yy, classes, _, n_classes = plot.decision_grid("test", scores, X, np.zeros(len(X), int), resolution=7)
    assert xx.shape == yy.shape == classes.shape == (7, 7) and n_classes == 3
    assert (xx.min() < X[:, 0].min()) and (xx.max() > X[:, 0].max())
    assert (yy.min() < X[:, 1].min()) and (yy.max() > X[:, 1].max())
    far = X + 5000.0  # test points far from the training points: the grid covers them too
    xx, yy, *_ = plot.decision_grid("test", scores, X, np.zeros(len(X), int), resolution=7, test=(far, np.zeros(len(X))))
    assert xx.max() > far[:, 0].max() and yy.max() > far[:, 1].max()


@pytest.mark.parametrize("shape", [(10, 3), (10,), (10, 1), (2, 5, 2), (0, 2)])
@pytest.mark.parametrize("function", ["plot_decision_boundary", "plot_run"])
def test_inputs_that_are_not_points_in_the_plane_are_refused(tmp_path, shape, function):
    X = np.zeros(shape)
    draw = {
        "plot_decision_boundary": lambda: plot.plot_decision_boundary(scores, X, np.zeros(len(X)), tmp_path / "x.png"),
        "plot_run": lambda: plot.plot_run({"loss": [1.0]}, tmp_path / "x.png", scores, X, np.zeros(len(X))),
    }[function]
    with pytest.raises(ValueError, match=rf"^{function}: X must have shape \(n, 2\).*got {re.escape(str(shape))}$"):
        draw()
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("resolution", [0, 1, 2.5])
def test_a_grid_needs_two_points_per_axis(tmp_path, moons, resolution):
    with pytest.raises(ValueError, match=rf"resolution must be an int >= 2, got {resolution!r}$"):
        plot.plot_decision_boundary(scores, *moons, tmp_path / "x.png", resolution=resolution)


def test_labels_must_match_the_points(tmp_path, moons):
    with pytest.raises(ValueError, match="X has 60 samples but y has 59"):
        plot.plot_decision_boundary(scores, moons[0], moons[1][:-1], tmp_path / "x.png")


@pytest.mark.parametrize("predict", [lambda x: x[:, 0], lambda x: x[:5], lambda x: np.zeros((len(x), 0))])
def test_predictions_of_the_wrong_shape_are_refused(tmp_path, moons, predict):
    with pytest.raises(ValueError, match=r"predict must return shape \(\d+, K\) or \(\d+, 1\)"):
        plot.plot_decision_boundary(predict, *moons, tmp_path / "x.png", resolution=10)


def test_plot_run_needs_all_of_predict_x_and_y(tmp_path, moons):
    with pytest.raises(ValueError, match="pass predict, X and y together"):
        plot.plot_run({"loss": [1.0]}, tmp_path / "x.png", predict=scores, X=moons[0])


@pytest.mark.parametrize(
    "draw",
    [
        lambda path: plot.plot_history({"loss": [1.0]}, path),
        lambda path: plot.plot_decision_boundary(scores, np.zeros((3, 2)), np.zeros(3), path),
        lambda path: plot.plot_run({"loss": [1.0]}, path),
    ],
    ids=["plot_history", "plot_decision_boundary", "plot_run"],
)
def test_without_matplotlib_the_error_says_what_to_install(tmp_path, monkeypatch, draw):
    hide(monkeypatch, "matplotlib")
    with pytest.raises(ModuleNotFoundError, match=r"^plotting needs matplotlib: pip install 'tinygraph\[plot\]'$") as info:
        draw(tmp_path / "x.png")
    assert isinstance(info.value.__cause__, ModuleNotFoundError)  # chained, so the real cause stays visible
    assert not (tmp_path / "x.png").exists()


def test_matplotlib_is_imported_only_to_draw_and_never_pyplot():
    script = (
        "import io, sys, tinygraph.plot as plot\n"
        "assert 'matplotlib' not in sys.modules\n"
        "plot.plot_history({'loss': [1.0]}, io.BytesIO())\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], check=True, cwd=Path(__file__).parents[1])


# -- graphs of layers ------------------------------------------------------------------------------------


def test_plot_graph_draws_a_row_per_level_and_a_column_per_node_of_the_widest_row(tmp_path):
    import tinygraph as tg
    from graph_cases import siamese

    plot.plot_graph(siamese(), tmp_path / "graph.png", title="siamese")
    data = (tmp_path / "graph.png").read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    # inputs a, b; the encoder twice; multiply; concat; dense; sigmoid: 6 rows, at most 2 boxes in one
    assert struct.unpack(">II", data[16:24]) == (460, 650)
    x = tg.Input()
    plot.plot_graph(tg.Graph(x, tg.Tanh()(x)), tmp_path / "small.png")
    assert struct.unpack(">II", (tmp_path / "small.png").read_bytes()[16:24]) == (300, 250)
    with pytest.raises(TypeError, match="plot_graph: expected a tinygraph Graph, got Sequential"):
        plot.plot_graph(tg.Sequential(), tmp_path / "x.png")


def test_plot_graph_without_matplotlib_says_what_to_install(tmp_path, monkeypatch):
    import tinygraph as tg

    x = tg.Input()
    hide(monkeypatch, "matplotlib")
    with pytest.raises(ModuleNotFoundError, match=r"plotting needs matplotlib"):
        plot.plot_graph(tg.Graph(x, tg.Tanh()(x)), tmp_path / "x.png")

def test_plot_images_draws_a_grid_of_feature_maps_and_refuses_a_wrong_shape(tmp_path):
    pytest.importorskip("matplotlib")
    import tinygraph as tg
    from tinygraph.plot import plot_images

    maps = tg.Conv2D(1, 5, 3, padding=1, rng=0)(np.random.default_rng(0).standard_normal((1, 1, 8, 8)))[0]
    plot_images(maps, tmp_path / "maps.png", titles=[f"map {k}" for k in range(5)], columns=3)
    assert (tmp_path / "maps.png").read_bytes()[1:4] == b"PNG"
    with pytest.raises(ValueError, match=r"plot_images: images must have shape \(k, H, W\) with k >= 1, got \(8, 8\)"):
        plot_images(np.zeros((8, 8)), tmp_path / "bad.png")
    with pytest.raises(ValueError, match="plot_images: 5 images but 2 titles"):
        plot_images(maps, tmp_path / "bad.png", titles=["a", "b"])


# -- the newcomer's frictions (issue 14): an honest scale, a boundary that says what it shows --------------


def curves_axes(draw, values):
    figure, (ax,) = plot.new_figure(1, None)
    draw(ax, "loss", {"loss": values}, "iteration")
    return ax


def bottom_is_zero(draw):
    """The demo's 50 losses, 0.5065 to 0.4980: a 1.7% drop that an axis from 0.498 draws as a collapse."""
    return all(curves_axes(draw, values).get_ylim()[0] == 0.0
               for values in ([0.5065, 0.503, 0.4981, 0.4980], [0.9], [2.0, 1.0, 0.0]))


def test_curves_start_at_zero_so_a_small_change_looks_small():
    assert bottom_is_zero(plot.draw_curves)


def test_the_zero_check_sees_matplotlib_s_own_scale():
    def autoscaled(ax, ylabel, curves, xlabel):  # the broken twin: the axis as matplotlib picks it
        for values in curves.values():
            ax.plot(np.arange(1, len(values) + 1), values)

    assert not bottom_is_zero(autoscaled)


def legend_of_boundary(moons, test):
    X, y = moons
    figure, (ax,) = plot.new_figure(1, None)
    plot.draw_boundary(ax, *plot.decision_grid("test", scores, X[:40], y[:40], resolution=20, test=test))
    legend = ax.get_legend()
    return [text.get_text() for text in legend.get_texts()] if legend else []


def test_the_boundary_legend_names_the_classes_and_the_training_and_test_points(moons):
    X, y = moons
    assert legend_of_boundary(moons, (X[40:50], y[40:50])) == ["training (40)", "test (10)", "class 0", "class 1", "class 2"]
    assert legend_of_boundary(moons, None) == ["data (40)", "class 0", "class 1", "class 2"]


def test_the_legend_check_sees_a_boundary_without_a_legend(moons, monkeypatch):
    original = plot.draw_boundary

    def without_legend(ax, *args):  # the broken twin: the picture of version 1
        original(ax, *args)
        ax.get_legend().remove()

    monkeypatch.setattr(plot, "draw_boundary", without_legend)
    assert legend_of_boundary(moons, None) == []


def test_plot_run_refuses_a_test_set_that_is_not_a_pair(tmp_path, moons):
    with pytest.raises(ValueError, match=r"plot_run: test must be a pair \(X_test, y_test\), got"):
        plot.plot_run({"loss": [1.0]}, tmp_path / "x.png", scores, *moons, test=moons[0])
    with pytest.raises(ValueError, match=r"plot_run: X_test has 3 samples but y_test has 2"):
        plot.plot_run({"loss": [1.0]}, tmp_path / "x.png", scores, *moons, test=(np.zeros((3, 2)), np.zeros(2)))

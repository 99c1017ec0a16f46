"""Tests for optviz.plots, read from the figure's JSON as the browser (and AppTest) gets it."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from optviz import plots, trace
from optviz.engine.evaluate import evaluate, grid
from optviz.optimizers import OPTIMIZERS
from optviz.plots import FRAMES, GRID, PALETTE, PATH_POINTS, THEME
from optviz.race.training import RunResult


def decode(value):
    """A figure-JSON array as numpy: plotly sends numpy arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"])
        shape = value.get("shape")  # "140, 140" for a 2D array
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    return np.array([np.nan if v is None else v for v in value], dtype=float) if value is not None else None


def spec(fig) -> dict:
    return json.loads(fig.to_json())


def named(spec_, name):
    return [t for t in spec_["data"] if t.get("name") == name]


@pytest.fixture(scope="module")
def runs():
    """Four runs on Rosenbrock: two GD that differ only in α (one diverges), and two Adam."""
    found = [
        trace("rosenbrock", "sgd", steps=300, lr=0.001),
        trace("rosenbrock", "sgd", steps=300, lr=0.01),
        trace("rosenbrock", "adam", steps=300),
        trace("rosenbrock", "adam", steps=300, lr=0.05),
    ]
    assert found[1].diverged_at is not None and all(t.diverged_at is None for t in found[::2])
    return found


@pytest.fixture(scope="module")
def builders(runs):
    """Every trajectory builder, drawn once."""
    return {
        "contour": plots.contour(runs),
        "surface_3d": plots.surface_3d(runs),
        "loss_curves": plots.loss_curves(runs),
        "distance_curves": plots.distance_curves(runs),
        "race_animation": plots.race_animation(runs),
        "ball": plots.ball(runs),
    }


# --- shared rules ------------------------------------------------------------------------------


def test_colours_come_from_the_registry_and_avoid_yellow():
    for index, name in enumerate(OPTIMIZERS):
        assert plots.color(name) == PALETTE[index % len(PALETTE)]
    assert len(set(PALETTE)) == len(PALETTE) >= len(OPTIMIZERS)
    assert "#F0E442" not in PALETTE  # Okabe-Ito's yellow, unreadable on white


def test_symbols_are_the_articles_in_plain_text():
    assert [plots.symbol(n) for n in ("lr", "momentum", "rho", "beta1", "beta2", "epsilon")] == \
        ["α", "β", "ρ", "β₁", "β₂", "ε"]
    assert plots.symbol("initial_accumulator") == "s₀"


def test_number_reads_like_a_person_wrote_it():
    assert [plots.number(v) for v in (0.001, 0.9, 12.0, 1e-7, 0.999, 2.5e-12)] == \
        ["0.001", "0.9", "12", "1e-7", "0.999", "2.5e-12"]


def test_legend_carries_hyper_parameters(runs):
    texts = plots.labels(runs)
    assert texts[2] == "Adam (α=0.001, β₁=0.9, β₂=0.999)"
    assert texts[0] == "GD (α=0.001)"
    assert texts[1] == f"GD (α=0.01), diverged at step {runs[1].diverged_at}"


def test_legend_shows_quiet_settings_only_when_they_matter():
    default, small_eps = trace("bowl", "adam", steps=3), trace("bowl", "adam", steps=3, epsilon=1e-5)
    assert "ε" not in plots.labels([default])[0]
    assert plots.labels([small_eps])[0] == "Adam (α=0.001, β₁=0.9, β₂=0.999, ε=1e-5)"
    keras, torch = trace("bowl", "adagrad", steps=3), trace("bowl", "adagrad", steps=3, convention="torch")
    texts = plots.labels([keras, torch])
    assert texts[0].endswith("Keras") and texts[1].endswith("PyTorch") and "s₀" in texts[0]


def test_legend_tells_apart_runs_from_different_starts():
    texts = plots.labels([trace("bowl", "sgd", steps=3), trace("bowl", "sgd", start=(1, 1), steps=3)])
    assert texts[0] != texts[1] and texts[1].endswith("from (1, 1)")


def test_every_builder_applies_the_theme(builders):
    for name, fig in builders.items():
        template = spec(fig)["layout"]["template"]["layout"]
        assert template["font"]["size"] == THEME.layout.font.size >= 18, name
        assert template["paper_bgcolor"] == "white", name
        assert "$" not in (fig.layout.title.text or ""), name  # no LaTeX in titles: kaleido can't draw it


def test_same_optimizer_same_colour_in_every_figure(runs, builders):
    texts = plots.labels(runs)
    for name, fig in builders.items():
        for run_, text in zip(runs, texts):
            drawn = named(spec(fig), text)
            assert drawn, (name, text)
            assert drawn[0]["line"]["color"] == plots.color(run_.optimizer), (name, text)
    # repeats of an optimizer differ by dash
    lines = {t["name"]: t["line"] for t in spec(builders["loss_curves"])["data"]}
    assert lines[texts[0]]["dash"] != lines[texts[1]]["dash"]


@given(count=st.integers(1, 5000), limit=st.integers(2, 300))
@settings(max_examples=200, deadline=None)
def test_thin_keeps_first_and_last_and_stays_within_its_limit(count, limit):
    idx = plots.thin(count, limit)
    assert idx[0] == 0 and idx[-1] == count - 1
    assert np.all(np.diff(idx) > 0) and len(idx) == min(count, limit)


# --- the map -----------------------------------------------------------------------------------


def test_contour_marks_divergence_exactly_where_a_run_diverged(runs, builders):
    data = spec(builders["contour"])["data"]
    marks = [t for t in data if t.get("name") == "diverged"]
    assert len(marks) == 1
    last = runs[1].path[runs[1].diverged_at - 1]
    assert np.allclose([decode(marks[0]["x"])[0], decode(marks[0]["y"])[0]], last)
    assert marks[0]["text"] == [f"diverged at step {runs[1].diverged_at}"]
    assert len([t for t in data if t.get("name") == "end"]) == 3 + 1  # three runs, plus the legend key
    line = named({"data": data}, plots.labels(runs)[1])[0]
    assert np.allclose([decode(line["x"])[-1], decode(line["y"])[-1]], last)


def test_contour_has_global_and_local_minima_marked_differently():
    fig = spec(plots.contour([trace("multi_minima", "sgd", steps=5)]))
    found = {t["name"]: t["marker"]["symbol"] for t in fig["data"] if "minimum" in t.get("name", "")}
    assert found == {"global minimum": "star", "local minimum": "star-open"}


def test_contour_uses_log_levels_where_the_surface_asks(builders):
    rosenbrock = spec(builders["contour"])["data"][0]
    z = decode(rosenbrock["z"])
    assert rosenbrock["type"] == "contour" and z.dtype == np.float32
    assert z.shape[0] <= 160 and z.shape == (GRID, GRID)
    _, _, values = grid("rosenbrock", GRID)
    assert z.max() == pytest.approx(np.log10(values.max()), abs=0.01)
    assert all(text.startswith("10") for text in rosenbrock["colorbar"]["ticktext"])
    bowl = spec(plots.contour([trace("bowl", "sgd", steps=3)]))["data"][0]
    assert decode(bowl["z"]).max() == pytest.approx(8.0, rel=1e-3)  # J itself: the bowl is not log


def test_long_paths_are_thinned_but_keep_their_ends():
    long = trace("bowl", "sgd", steps=20_000, lr=1e-4)
    line = named(spec(plots.contour([long])), plots.labels([long])[0])[0]
    x, y = decode(line["x"]), decode(line["y"])
    assert len(x) <= PATH_POINTS
    assert (x[0], y[0]) == tuple(long.path[0]) and (x[-1], y[-1]) == tuple(long.path[-1])


def test_3d_cuts_paths_at_the_window(runs, builders):
    diverged = named(spec(builders["surface_3d"]), plots.labels(runs)[1])[0]
    x = decode(diverged["x"])
    assert np.isnan(x).any() and np.nanmax(np.abs(x)) <= 2.0


# --- curves --------------------------------------------------------------------------------------


def test_loss_curves_use_log_excess_where_losses_go_negative():
    camel = trace("six_hump_camel", "adam", steps=400, lr=0.05)
    assert camel.loss.min() < 0
    fig = spec(plots.loss_curves([camel]))
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert fig["layout"]["yaxis"]["title"]["text"] == "J − J_min (log scale)"
    assert np.all(decode(fig["data"][0]["y"]) > 0)
    linear = spec(plots.loss_curves([camel], log=False))
    assert linear["layout"]["yaxis"]["title"]["text"] == "J"
    assert np.allclose(decode(linear["data"][0]["y"]), camel.loss)


def test_loss_axis_is_not_squashed_by_a_blow_up(runs, builders):
    low, high = spec(builders["loss_curves"])["layout"]["yaxis"]["range"]
    assert high <= np.log10(max(t.loss[0] for t in runs) * plots.HEADROOM) + 0.5


def test_distance_curves_measure_to_the_nearest_minimum():
    run_ = trace("himmelblau", "sgd", steps=50, lr=0.01)
    y = decode(spec(plots.distance_curves([run_]))["data"][0]["y"])
    expected = [min(np.hypot(m.x - px, m.y - py) for m in surfaces.get("himmelblau").minima) for px, py in run_.path]
    assert np.allclose(y, np.maximum(expected, np.finfo(float).eps))


def test_progress_puts_the_loss_and_the_distance_side_by_side_with_one_legend(runs):
    fig = spec(plots.progress(runs))
    loss, distance = spec(plots.loss_curves(runs)), spec(plots.distance_curves(runs))
    left = [t for t in fig["data"] if t["xaxis"] == "x"]
    right = [t for t in fig["data"] if t["xaxis"] == "x2"]
    assert [t["name"] for t in left] == [t["name"] for t in right] == [t["name"] for t in loss["data"]]
    assert all(t["showlegend"] for t in left) and not any(t["showlegend"] for t in right)
    assert all(a["legendgroup"] == b["legendgroup"] for a, b in zip(left, right))  # one click hides both
    for panel, single in ((left, loss), (right, distance)):
        for mine, theirs in zip(panel, single["data"]):
            assert np.array_equal(decode(mine["y"]), decode(theirs["y"]), equal_nan=True)
    assert fig["layout"]["yaxis2"]["type"] == "log" and fig["layout"]["xaxis2"]["domain"][0] > 0.5


def test_learning_rates_names_the_runs_and_refuses_mixed_optimizers():
    gds = [trace("bowl", "sgd", steps=10, lr=lr) for lr in (1.2, 0.1)]
    fig = spec(plots.learning_rates(gds, ["very high α", "good α"]))
    assert [t["name"] for t in fig["data"]] == ["very high α: GD (α=1.2)", "good α: GD (α=0.1)"]
    assert fig["layout"]["yaxis"]["type"] == "linear"
    with pytest.raises(ValueError):
        plots.learning_rates([gds[0], trace("bowl", "adam", steps=10)])


# --- the animation -------------------------------------------------------------------------------


def test_animation_has_bounded_frames_and_plays_in_the_browser():
    long = [trace("rosenbrock", "adam", steps=3000, lr=0.02), trace("rosenbrock", "sgd", steps=3000, lr=0.01)]
    fig = spec(plots.race_animation(long))
    frames = fig["frames"]
    assert 2 <= len(frames) <= FRAMES
    assert frames[0]["name"] == "0" and frames[-1]["name"] == "3000"
    assert len(fig["layout"]["sliders"][0]["steps"]) == len(frames)
    assert {b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]} == {"▶ Play", "❚❚ Pause"}
    ball_adam, ball_gd = frames[-1]["data"][1], frames[-1]["data"][3]
    assert np.allclose([decode(ball_adam["x"])[0], decode(ball_adam["y"])[0]], long[0].final)
    assert ball_gd["marker"]["symbol"] == "x"  # diverged: it stops, marked, at its last finite point
    assert np.allclose([decode(ball_gd["x"])[0], decode(ball_gd["y"])[0]], long[1].path[long[1].diverged_at - 1])
    moving = frames[-1]["traces"]
    assert [fig["data"][i]["name"] for i in moving[::2]] == plots.labels(long)


# --- the ball on a curve -------------------------------------------------------------------------


def test_ball_puts_each_step_on_the_curve():
    gd = trace("bowl", "sgd", steps=10, lr=0.1)
    fig = spec(plots.ball([gd]))  # default direction: toward the minimum, so the path stays on the line
    dots = named(fig, "GD (α=0.1)")[0]
    s, j = decode(dots["x"]), decode(dots["y"])
    assert np.allclose(s, np.hypot(*(gd.path - gd.path[0]).T))
    assert np.allclose(j, gd.loss)
    assert not fig["layout"].get("annotations")


def test_ball_says_when_a_path_leaves_the_line():
    run_ = trace("ravine", "sgd", steps=20, lr=0.45)
    fig = spec(plots.ball([run_], direction=(1.0, 0.0)))
    assert "projected" in fig["layout"]["annotations"][0]["text"]
    dots = named(fig, "GD (α=0.45)")[0]
    s = decode(dots["x"])
    assert np.allclose(s, run_.path[:, 0] - run_.path[0, 0])
    assert np.allclose(decode(dots["y"]), evaluate("ravine", run_.path[:, 0], run_.path[0, 1]))


# --- the training race ---------------------------------------------------------------------------


def race_results():
    return {
        "sgd": RunResult(**{"loss": [1.2, 0.9, 0.7], "accuracy": [0.5, 0.6, 0.7], "val_loss": [1.1, 0.95, 0.8],
                "val_accuracy": [0.55, 0.6, 0.65], "epoch_seconds": [2.0, 2.1, 2.0], "diverged_at": None,
                "smoothed": [[0.1, 1.5], [0.5, 1.3], [1.0, 1.2], [2.5, 0.8]]}),
        "adam": RunResult(**{"loss": [0.8], "accuracy": [0.75], "val_loss": [], "val_accuracy": [], "epoch_seconds": [2.2],
                 "diverged_at": 812, "smoothed": []}),
    }


def test_training_race_has_one_legend_entry_per_optimizer_and_takes_partial_lists():
    fig = spec(plots.training_race(race_results(), hyper={"sgd": {"lr": 0.001}}))
    legend = [t["name"] for t in fig["data"] if t.get("showlegend", True)]
    assert legend == ["GD (α=0.001)", "Adam, diverged at step 812"]
    for t in fig["data"]:
        assert t["line"]["color"] == plots.color(t["legendgroup"])
    sgd_val = [t for t in fig["data"] if t["legendgroup"] == "sgd" and t["xaxis"] == "x2"][0]
    assert np.allclose(decode(sgd_val["x"]), [1, 2, 3]) and np.allclose(decode(sgd_val["y"]), [1.1, 0.95, 0.8])
    smoothed = [t for t in fig["data"] if "smoothed" in t["name"] and t["legendgroup"] == "sgd"][0]
    assert np.allclose(decode(smoothed["x"]), [0.1, 0.5, 1.0, 2.5])
    assert fig["layout"]["template"]["layout"]["font"]["size"] == 18


def test_training_race_lays_out_its_panels_as_make_subplots_does():
    from plotly.subplots import make_subplots

    reference = spec(make_subplots(rows=2, cols=2, shared_xaxes=True, horizontal_spacing=0.09, vertical_spacing=0.12,
                                   subplot_titles=["training loss", "validation loss", "training accuracy",
                                                   "validation accuracy"]))["layout"]
    fig = spec(plots.training_race(race_results()))
    layout = fig["layout"]
    axes = sorted(k for k in reference if k.startswith(("xaxis", "yaxis")))
    assert axes == sorted(k for k in layout if k.startswith(("xaxis", "yaxis")))
    ticks = ("tickmode", "tick0", "dtick")  # whole epochs: see the next test
    for key in axes:
        assert {k: v for k, v in layout[key].items() if k not in ("title", *ticks)} == reference[key], key
    assert layout["annotations"] == reference["annotations"]
    assert [layout[k]["title"]["text"] for k in ("xaxis3", "xaxis4", "yaxis", "yaxis3")] == \
        ["epoch", "epoch", "loss", "accuracy"]
    sgd = [t for t in fig["data"] if t["legendgroup"] == "sgd"]
    assert [(t["xaxis"], t["yaxis"]) for t in sgd] == [("x", "y"), ("x2", "y2"), ("x3", "y3"), ("x4", "y4"),
                                                        ("x", "y")]  # the smoothed loss: training loss panel


def test_epoch_axes_tick_whole_epochs_only():
    fig = spec(plots.training_race(race_results()))
    for key in ("xaxis", "xaxis2", "xaxis3", "xaxis4"):
        axis = fig["layout"][key]
        assert (axis["tickmode"], axis["tick0"], axis["dtick"]) == ("linear", 0, 1), key
    assert [plots.epoch_ticks(n)["dtick"] for n in (1, 3, 10, 11, 20, 21, 50)] == [1, 1, 1, 2, 2, 5, 5]
    assert all(float(plots.epoch_ticks(n)["dtick"]).is_integer() for n in range(1, 200))


# --- built as plain specs, without Plotly's validation -------------------------------------------


@pytest.fixture(scope="module")
def every_figure(builders):
    """A figure of every builder: the trajectory ones, and those that take other inputs."""
    gds = [trace("bowl", "sgd", steps=10, lr=lr) for lr in (1.2, 0.1)]
    return {
        **builders,
        "learning_rates": plots.learning_rates(gds, ["very high α", "good α"]),
        "training_race": plots.training_race(race_results(), hyper={"sgd": {"lr": 0.001}}),
        "contour without runs": plots.contour([], "styblinski_tang"),
    }


def test_every_figure_is_what_plotly_validation_makes_of_it(every_figure):
    """The builders skip Plotly's validation (it cost 10-50× the figure): a validated copy of each
    figure, frames included, must come out the same, so that a misspelt property or a bad value
    fails here instead of silently in the browser."""
    for name, fig in every_figure.items():
        validated = go.Figure(fig.to_dict())  # validates data, layout and frames; raises on unknown names
        assert spec(validated) == spec(fig), name


def test_every_figure_sends_the_theme_to_the_browser(every_figure):
    assert plots.THEME_SPEC == THEME.to_plotly_json()
    theme = json.loads(json.dumps(plots.THEME_SPEC))
    for name, fig in every_figure.items():
        assert spec(fig)["layout"]["template"] == theme, name
        assert fig.to_plotly_json()["layout"]["template"] == plots.THEME_SPEC, name  # what kaleido draws


def test_a_figure_cannot_change_the_theme_of_the_next(runs):
    fig = plots.loss_curves(runs)
    fig.layout.template.layout.font.size = 40
    fig.update_layout(template_layout_paper_bgcolor="black")
    changed = spec(fig)["layout"]["template"]["layout"]
    assert changed["font"]["size"] == 40 and changed["paper_bgcolor"] == "black"
    theme = plots.THEME_SPEC["layout"]
    assert theme["font"]["size"] == 18 and theme["paper_bgcolor"] == "white"
    assert spec(plots.loss_curves(runs))["layout"]["template"]["layout"]["font"]["size"] == 18


def test_animation_frames_are_figure_frames(builders):
    fig = builders["race_animation"]
    assert fig.frames and all(isinstance(frame, go.Frame) for frame in fig.frames)
    assert [frame.name for frame in fig.frames] == [step["label"] for step in fig.layout.sliders[0].steps]
    data = [frame.to_plotly_json()["data"] for frame in fig.frames[:2]]
    assert data[0] is not data[1] and data[0][0] is not data[1][0]  # no frame shares its traces with another


# --- showing ---------------------------------------------------------------------------------------


def test_plotly_config_downloads_a_sharp_png_named_after_the_figure(runs):
    fig = plots.contour(runs, title="Fig. 2: Gradient descent — a bowl")
    config = plots.plotly_config(fig)
    assert config["displaylogo"] is False
    image = config["toImageButtonOptions"]
    assert image["format"] == "png" and image["scale"] >= 3
    assert image["filename"] == "fig-2-gradient-descent-a-bowl"

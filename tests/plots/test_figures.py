"""Tests for optviz.plots, read from the figure's JSON as the browser (and AppTest) gets it."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from optviz import Trace, plots, trace
from optviz.engine.evaluate import evaluate, grid
from optviz.optimizers import OPTIMIZERS
from optviz.plots import FRAMES, GRID, PALETTE, PATH_POINTS, THEME
from optviz.engine.evaluate import evaluate as gradient_of
from optviz.engine.tuning import tune
from optviz.plots.steps import STEP_FRAMES
from optviz.plots.surface import surface_picture
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
    for index, name in enumerate(list(OPTIMIZERS)[:len(PALETTE)]):  # the article's eight keep theirs
        assert plots.color(name) == PALETTE[index]
    assert len({plots.color(name) for name in OPTIMIZERS}) == len(OPTIMIZERS)
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


def test_a_diverging_run_is_drawn_until_it_leaves_the_window_and_marked_on_its_edge(runs, builders):
    data = spec(builders["contour"])["data"]
    marks = [t for t in data if t.get("name") == "diverged"]
    assert len(marks) == 1
    gd = runs[1]
    (x0, x1), (y0, y1) = surfaces.get("rosenbrock").domain
    inside = [(x0 <= x <= x1 and y0 <= y <= y1) for x, y in gd.path[:gd.diverged_at]]
    left = inside.index(False)  # the first point outside the window
    before, after = gd.path[left - 1], gd.path[left]
    mark = np.array([decode(marks[0]["x"])[0], decode(marks[0]["y"])[0]])
    assert np.isclose(mark[0], x0) or np.isclose(mark[0], x1) or np.isclose(mark[1], y0) or np.isclose(mark[1], y1)
    assert x0 <= mark[0] <= x1 and y0 <= mark[1] <= y1, "on the window's edge, never outside the plotted range"
    (ax, ay), (bx, by) = after - before, mark - before
    cross = ax * by - ay * bx  # on the segment from the last point inside to the next
    assert abs(cross) <= 1e-9 * np.hypot(ax, ay) * np.hypot(bx, by) + 1e-12
    assert 0 < np.dot(mark - before, after - before) <= np.dot(after - before, after - before)
    assert marks[0]["text"] == [f"diverged at step {gd.diverged_at}"]
    line = named({"data": data}, plots.labels(runs)[1])[0]
    x, y = decode(line["x"]), decode(line["y"])
    assert np.allclose([x[-1], y[-1]], mark) and np.allclose(np.column_stack([x, y])[:-1], gd.path[:left])
    layout = spec(builders["contour"])["layout"]
    assert layout["xaxis"]["range"] == [x0, x1] and layout["yaxis"]["range"] == [y0, y1]


def test_a_run_that_diverges_inside_the_window_is_marked_at_its_last_finite_point():
    path = np.array([[1.0, 1.0], [0.5, -0.5], [-0.2, 0.3], [np.nan, np.nan], [np.nan, np.nan]])
    gd = Trace("bowl", "sgd", "keras", {"lr": 0.1}, path, np.hypot(*path.T) ** 2, diverged_at=3)
    fig = spec(plots.contour([gd]))
    mark = [t for t in fig["data"] if t.get("name") == "diverged"][0]
    last = gd.path[gd.diverged_at - 1]
    assert np.allclose([decode(mark["x"])[0], decode(mark["y"])[0]], last)


def test_contour_has_global_and_local_minima_marked_differently():
    fig = spec(plots.contour([trace("multi_minima", "sgd", steps=5)]))
    found = {t["name"]: t["marker"]["symbol"] for t in fig["data"] if "minimum" in t.get("name", "")}
    assert found == {"global minimum": "star", "local minimum": "star-open"}


def test_the_map_draws_the_surface_as_a_picture_with_log_levels_where_the_surface_asks(builders):
    fig = spec(builders["contour"])
    lines = named(fig, "surface")[0]
    levels = decode(lines["customdata"])
    _, _, values = grid("rosenbrock", GRID)
    top = np.log10(values.max())
    assert lines["type"] == "scatter" and 15 <= len(np.unique(levels[np.isfinite(levels)])) <= 22
    assert np.nanmax(levels) < top and np.nanmin(levels) > np.log10(values[values > 0].min()) - 1
    bar = named(fig, "height")[0]["marker"]
    assert bar["showscale"] and bar["cmax"] == pytest.approx(top, abs=0.01)
    assert all(text.startswith("10") for text in bar["colorbar"]["ticktext"]) and len(bar["colorbar"]["ticktext"]) <= 8
    (image,) = fig["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and image["layer"] == "below"
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (-2.0, 3.0, 4.0, 4.0)
    bowl = spec(plots.contour([trace("bowl", "sgd", steps=3)]))
    assert named(bowl, "height")[0]["marker"]["cmax"] == pytest.approx(8.0, rel=1e-3)  # J itself: not log


def test_level_lines_follow_the_surface():
    picture = surface_picture(surfaces.get("bowl"), None, 120)
    x, y, level = picture.lines_x, picture.lines_y, picture.lines_level
    finite = np.isfinite(x)
    assert np.allclose(x[finite] ** 2 + y[finite] ** 2, level[finite], rtol=0.02, atol=0.02)


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
    assert fig["layout"]["yaxis"]["title"]["text"] == "J − J* (log scale)"
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


def test_progress_stacks_the_loss_over_the_distance_with_one_legend(runs):
    fig = spec(plots.progress(runs))
    loss, distance = spec(plots.loss_curves(runs)), spec(plots.distance_curves(runs))
    top = [t for t in fig["data"] if t["yaxis"] == "y"]
    bottom = [t for t in fig["data"] if t["yaxis"] == "y2"]
    assert [t["name"] for t in top] == [t["name"] for t in bottom] == [t["name"] for t in loss["data"]]
    assert all(t["showlegend"] for t in top) and not any(t["showlegend"] for t in bottom)
    assert all(a["legendgroup"] == b["legendgroup"] for a, b in zip(top, bottom))  # one click hides both
    for panel, single in ((top, loss), (bottom, distance)):
        for mine, theirs in zip(panel, single["data"]):
            assert np.array_equal(decode(mine["y"]), decode(theirs["y"]), equal_nan=True)
    layout = fig["layout"]
    assert layout["yaxis2"]["domain"][1] < layout["yaxis"]["domain"][0], "stacked, not side by side"
    panel = (layout["yaxis"]["domain"][1] - layout["yaxis"]["domain"][0]) * (
        layout["height"] - layout["margin"]["t"] - layout["margin"]["b"])
    assert panel >= 280 and layout["xaxis2"]["matches"] == "x"


def test_log_axes_label_at_most_about_eight_decades(runs):
    wide = [trace("rosenbrock", "sgd", steps=300, lr=0.001), trace("rosenbrock", "adam", steps=3000, lr=0.01)]
    for fig in (spec(plots.progress(wide)), spec(plots.loss_curves(wide))):
        for name in ("yaxis", "yaxis2"):
            axis = fig["layout"].get(name)
            if axis and axis.get("range"):
                low, high = axis["range"]
                assert (high - low) / axis["dtick"] <= plots.curves.LOG_LABELS + 1


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
    assert np.allclose([ball_adam["x"][0], ball_adam["y"][0]], long[0].final, atol=1e-5)
    assert ball_gd["marker"]["symbol"] == "x"  # diverged: it stops, marked, where it left the window
    gd_line = named(spec(plots.contour(long[1:])), plots.labels(long[1:])[0])[0]
    assert np.allclose([ball_gd["x"][0], ball_gd["y"][0]], [decode(gd_line["x"])[-1], decode(gd_line["y"])[-1]],
                       atol=1e-5)
    moving = frames[-1]["traces"]
    assert [fig["data"][i]["name"] for i in moving[::2]] == plots.labels(long)


def test_every_frame_of_the_animation_keeps_the_surface_and_its_colour_bar(builders):
    """Plotly drops a contour trace from a frame drawn without a full redraw: the surface is a
    picture and level lines instead, which no frame touches."""
    fig = spec(builders["race_animation"])
    kept = {i for i, t in enumerate(fig["data"]) if t.get("name") in ("surface", "height")}
    assert len(kept) == 2 and fig["layout"]["images"]
    assert not any(t["type"] == "contour" for t in fig["data"])
    for frame in fig["frames"]:
        assert kept.isdisjoint(frame["traces"]) and "layout" not in frame
    assert named(fig, "height")[0]["marker"]["showscale"]


def test_the_controls_sit_above_the_plot(builders):
    layout = spec(builders["race_animation"])["layout"]
    assert layout["updatemenus"][0]["y"] >= 1.0 and layout["sliders"][0]["y"] >= 1.0
    assert layout["margin"]["t"] >= 100


# --- inside a step --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stepped():
    """GD, Momentum (Keras, m in parameter units), Adam (m in gradient units) and RMSProp (no m)."""
    found = [trace("himmelblau", name, steps=200, lr=lr, record_state=True)
             for name, lr in (("sgd", 0.01), ("momentum", 0.01), ("adam", 0.1), ("rmsprop", 0.01))]
    return found, spec(plots.step_through(found))


def _arrow(drawn):
    return np.array([drawn["x"], drawn["y"]], dtype=float).T if drawn["x"] else None


def test_the_step_through_draws_each_step_to_scale(stepped):
    runs, fig = stepped
    frames = fig["frames"]
    assert [f["name"] for f in frames] == [str(t) for t in range(1, STEP_FRAMES + 1)]
    for t in (1, 7, 150):
        data = frames[t - 1]["data"]
        for k, run_ in enumerate(runs):
            position, gradient, moment, taken = data[4 * k: 4 * k + 4]
            before, after = run_.path[t - 1], run_.path[t]
            _, gx, gy = gradient_of("himmelblau", before[0], before[1], gradient=True)
            assert np.allclose([position["x"][0], position["y"][0]], before, atol=1e-5)
            assert np.allclose(_arrow(taken), [before, after], atol=1e-5)
            lr = run_.hyper["lr"]
            assert np.allclose(_arrow(gradient), [before, before - lr * np.array([gx, gy])], atol=1e-5)
            m = run_.state["m"][t] if "m" in run_.state else None
            if run_.optimizer == "sgd":
                assert np.allclose(_arrow(gradient), _arrow(taken), atol=1e-5), "GD's step is its gradient step"
            if run_.optimizer == "momentum":  # Keras: m_t = βm − αg is the step itself
                assert np.allclose(_arrow(moment), [before, before + m], atol=1e-5)
                assert np.allclose(_arrow(moment), _arrow(taken), atol=1e-5)
            elif run_.optimizer == "adam":
                assert np.allclose(_arrow(moment), [before, before - lr * m], atol=1e-5)
            else:
                assert _arrow(moment) is None


def test_the_step_through_shows_the_steps_numbers_and_steps_one_at_a_time(stepped):
    runs, fig = stepped
    frame = fig["frames"][6]  # step 7
    table = frame["data"][-1]["cells"]["values"]
    assert table[0] == plots.labels(runs)
    adam = runs[2]
    assert table[1][2] == f"({plots.number(adam.path[6][0])}, {plots.number(adam.path[6][1])})"
    step = adam.path[7] - adam.path[6]
    assert table[4][2] == f"({plots.number(step[0])}, {plots.number(step[1])})"
    back, forth = frame["layout"]["updatemenus"][0]["buttons"]
    assert back["args"][0] == ["6"] and forth["args"][0] == ["8"]
    assert back["args"][1]["frame"]["redraw"] and fig["layout"]["sliders"][0]["steps"][0]["args"][1]["frame"]["redraw"]
    assert fig["layout"]["height"] >= 540


# --- tuning --------------------------------------------------------------------------------------


def test_the_tuning_curve_marks_the_chosen_alpha_and_the_ones_never_chosen():
    tuning = tune("bowl", "sgd", [0.01, 0.1, 0.5, 1.5], steps=20)
    fig = spec(plots.tuning_curves([tuning], ["GD"]))
    chosen = named(fig, "chosen")[0]
    assert chosen["x"] == [tuning.lr] and chosen["text"] == [f"α = {plots.number(tuning.lr)}"]
    never = named(fig, "never chosen")[0]
    assert list(decode(never["x"])) == [1.5] and never["text"] == ["ended above its start"]
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"
    assert "mean loss along the path after 20 steps" in fig["layout"]["title"]["text"]


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
    eight = [trace("rosenbrock", name, steps=200, lr=0.001) for name in list(OPTIMIZERS)[:8]]
    return {
        **builders,
        "learning_rates": plots.learning_rates(gds, ["very high α", "good α"]),
        "training_race": plots.training_race(race_results(), hyper={"sgd": {"lr": 0.001}}),
        "contour without runs": plots.contour([], "styblinski_tang"),
        **{f"{name}, eight runs": getattr(plots, name)(eight) for name in ("contour", "surface_3d", "progress")},
        "step_through": plots.step_through([trace("bowl", name, steps=5, lr=0.1, record_state=True)
                                            for name in ("sgd", "momentum")]),
        "tuning_curves": plots.tuning_curves([tune("bowl", "sgd", [0.01, 0.1, 1.5], steps=20)], ["GD"]),
    }


def test_every_figure_is_what_plotly_validation_makes_of_it(every_figure):
    """The builders skip Plotly's validation (it cost 10-50× the figure): a validated copy of each
    figure, frames included, must come out the same, so that a misspelt property or a bad value
    fails here instead of silently in the browser."""
    for name, fig in every_figure.items():
        validated = go.Figure(fig.to_dict())  # validates data, layout and frames; raises on unknown names
        assert spec(validated) == spec(fig), name


def test_titles_read_as_symbols_never_as_raw_latex(every_figure):
    """J − J*, not J_min or $J$: neither the browser nor an exported image renders LaTeX."""
    def texts(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "title":
                    yield value.get("text", "") if isinstance(value, dict) else value
                elif key != "template":
                    yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)

    for name, fig in every_figure.items():
        found = [t for t in texts(spec(fig)) if t]
        assert found, name
        for text in found:
            assert "$" not in text and "_" not in text and "\\" not in text, (name, text)


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
    assert config["displaylogo"] is False and config["scrollZoom"] is False  # the wheel scrolls the page
    image = config["toImageButtonOptions"]
    assert image["format"] == "png" and image["scale"] >= 3
    assert image["filename"] == "fig-2-gradient-descent-a-bowl"

"""Map figures, read from the JSON the browser gets: colours where the runs say, targets that name
and pick each cell, the theory's line, basins and their difference, and the CSV."""

import csv
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest

import surfaces
from optviz import plots, trace
from optviz.engine import maps
from optviz.plots import maps as map_plots
from tests.plots.test_figures import decode, spec


@pytest.fixture(scope="module")
def ravine():
    return maps.stability("ravine", "momentum", x=("lr", 1e-3, 10.0), y=("momentum", 0.0, 0.99), size=(60, 40),
                          steps=300)


@pytest.fixture(scope="module")
def strip():
    return maps.stability("bowl", "sgd", x=("lr", 1e-3, 10.0), size=80, steps=200)


@pytest.fixture(scope="module")
def valleys():
    """GD and Momentum from every start of the two valleys (the article's figures 5 and 7)."""
    return (maps.basins("multi_minima", "sgd", size=(48, 40), steps=200, lr=0.02),
            maps.basins("multi_minima", "momentum", size=(48, 40), steps=200, lr=0.02, momentum=0.9))


@pytest.fixture(scope="module")
def figures(ravine, strip, valleys):
    return {
        "stability": map_plots.stability_map(ravine, picked=(10, 20)),
        "strip": map_plots.stability_map(strip, picked=(0, 5)),
        "basins": map_plots.basin_map(valleys[1], picked=(20, 40)),
        "comparison": map_plots.basin_comparison(*valleys, picked=(20, 40)),
        "difference": map_plots.basin_difference(*valleys),
        "picked runs": map_plots.picked_runs([trace("multi_minima", "momentum", start=(2.2, 0.0), steps=200,
                                                    lr=0.02)], surfaces.get("multi_minima"), "The picked start"),
    }


def _named(figure: dict, name: str) -> dict:
    (found,) = [t for t in figure["data"] if t.get("name") == name]
    return found


def test_every_map_figure_is_what_plotly_validation_makes_of_it(figures):
    for name, fig in figures.items():
        assert spec(go.Figure(fig.to_dict())) == spec(fig), name
        assert spec(fig)["layout"]["template"] == json.loads(json.dumps(plots.THEME_SPEC)), name


def test_the_colours_are_where_the_runs_say(ravine, figures):
    figure = spec(figures["stability"])
    z = decode(_named(figure, "outcome")["z"])
    reached = ravine.outcome == maps.REACHED
    np.testing.assert_array_equal(z[ravine.outcome == maps.DIVERGED], 1.5)
    np.testing.assert_array_equal(z[ravine.outcome == maps.NEITHER], 2.5)
    assert (z[reached] >= 0).all() and (z[reached] < 1).all()
    assert np.argmax(z[reached]) == np.argmax(ravine.arrival[reached]), "the latest arrival is the palest"
    bar = _named(figure, "outcome")["colorbar"]
    assert bar["ticktext"][-2:] == ["diverged", "neither"] and bar["ticktext"][0] == "0"
    x_axis = figure["layout"]["xaxis"]
    assert x_axis["title"]["text"] == "α (learning rate)"
    assert x_axis["ticktext"][:4] == ["10<sup>−3</sup>", "<span style='font-size:13px'>2</span>",
                                      "<span style='font-size:13px'>5</span>", "10<sup>−2</sup>"]
    np.testing.assert_allclose(x_axis["tickvals"][:4], np.log10([1e-3, 2e-3, 5e-3, 1e-2]))
    assert "1" in x_axis["ticktext"] and "10" in x_axis["ticktext"]
    np.testing.assert_allclose(decode(_named(figure, "outcome")["x"]), np.log10(ravine.x))


def test_every_target_sits_on_a_cell_and_names_it(ravine, figures):
    targets = _named(spec(figures["stability"]), "cells")
    x, y, words = decode(targets["x"]), decode(targets["y"]), targets["hovertext"]
    assert len(words) == len(x) <= map_plots.TARGETS ** 2 and targets["mode"] == "text"
    for k in range(0, len(x), 97):
        row, column = map_plots.cell_at(ravine, x[k], y[k])
        assert (np.log10(ravine.x[column]), ravine.y[row]) == (x[k], y[k])  # α moves by decades
        assert words[k] == f"{map_plots.where(ravine, row, column)}<br>{map_plots.describe(ravine, row, column)}"
    assert {w.split("<br>")[1].split(":")[0].split(" ")[0] for w in words} >= {"reached", "diverged"}


def test_a_large_map_sends_at_most_a_grid_of_targets_and_a_bounded_figure():
    m = maps.stability("ravine", "momentum", x=("lr", 1e-3, 10.0), y=("momentum", 0.0, 0.99), size=(300, 300),
                       steps=50)
    fig = map_plots.stability_map(m)
    assert len(_named(spec(fig), "cells")["hovertext"]) == map_plots.TARGETS ** 2
    assert len(fig.to_json()) < 1_000_000  # a float32 heatmap and the targets


def test_the_theory_line_is_drawn_where_theory_applies(ravine, strip):
    line = _named(spec(map_plots.stability_map(ravine)), "theory: α < 2(1 + β)/λ_max, λ_max = 4")
    np.testing.assert_allclose(decode(line["x"]), np.log10(2 * (1 + ravine.y) / 4))
    (strip_line,) = [t for t in spec(map_plots.stability_map(strip))["data"] if t["name"].startswith("theory")]
    assert strip_line["x"][:2] == [0.0, 0.0]  # at α = 1 on an axis of log₁₀ α
    adam = maps.stability("rosenbrock", "adam", x=("lr", 1e-3, 1.0), y=("beta1", 0.0, 0.9), size=4, steps=5)
    assert not [t for t in spec(map_plots.stability_map(adam))["data"] if t.get("name", "").startswith("theory")]


def test_a_strip_has_its_final_loss_above_on_the_same_axis(strip, figures):
    figure = spec(figures["strip"])
    loss = _named(figure, "final loss")
    np.testing.assert_array_equal(decode(loss["x"]), np.log10(strip.x))
    np.testing.assert_array_equal(decode(loss["customdata"]), strip.x)
    assert (loss["xaxis"], loss["yaxis"]) == ("x", "y") and figure["layout"]["xaxis"]["matches"] == "x2"
    assert _named(figure, "outcome")["yaxis"] == "y2"
    top = figure["layout"]["yaxis"]["range"][1]
    assert top < np.log10(strip.start_loss * plots.HEADROOM) + 1, "a blow-up leaves through the top"


def test_basin_colours_say_which_minimum_and_how_late(valleys, figures):
    momentum = valleys[1]
    z = decode(_named(spec(figures["basins"]), "basins")["z"])
    reached = momentum.minimum >= 0
    np.testing.assert_array_equal(np.floor(z[reached]), momentum.minimum[reached])
    assert np.isnan(z[~reached]).all()
    late = z[reached] - momentum.minimum[reached]
    assert late.min() >= 0 and late.max() < 1
    assert late[np.argmax(momentum.arrival[reached])] == pytest.approx(0.999, abs=1e-3)


def test_minima_are_marked_and_numbered_on_basin_maps(figures):
    figure = spec(figures["basins"])
    assert [t["name"] for t in figure["data"] if t.get("name", "").endswith(" minimum")] == \
        ["global minimum", "local minimum"]
    (numbers,) = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    assert numbers["text"] == ["1", "2"]


def test_the_comparison_shares_one_grid_and_the_difference_shows_where_they_part(valleys, figures):
    comparison = spec(figures["comparison"])
    assert [t["xaxis"] for t in comparison["data"] if t.get("name") == "basins"] == ["x", "x2"]
    assert [a["text"] for a in comparison["layout"]["annotations"]] == ["GD", "Momentum"]
    gd, momentum = valleys
    elsewhere = decode(_named(spec(figures["difference"]), "ends elsewhere")["z"])
    differ = (gd.minimum != momentum.minimum) & (momentum.minimum >= 0)
    np.testing.assert_array_equal(~np.isnan(elsewhere), differ)
    assert differ.any() and (~differ).any()
    other = maps.basins("himmelblau", "sgd", size=(48, 40), steps=10, lr=0.01)
    with pytest.raises(ValueError, match="share their surface"):
        map_plots.basin_difference(gd, other)


def test_the_picked_cell_is_outlined(ravine, figures):
    picked = _named(spec(figures["stability"]), "picked")
    assert (picked["x"], picked["y"]) == ([float(np.log10(ravine.x[20]))], [float(ravine.y[10])])
    assert map_plots.cell_at(ravine, picked["x"][0], picked["y"][0]) == (10, 20)


def test_the_csv_has_one_row_per_cell(ravine, valleys):
    rows = list(csv.DictReader(io.StringIO(map_plots.map_csv(ravine))))
    assert len(rows) == ravine.outcome.size and list(rows[0])[:4] == ["optimizer", "lr", "momentum", "outcome"]
    row = rows[5 * 60 + 7]
    assert (float(row["lr"]), float(row["momentum"])) == (ravine.x[7], ravine.y[5])
    assert row["outcome"] == maps.OUTCOMES[ravine.outcome[5, 7]] and int(row["arrival"]) == ravine.arrival[5, 7]
    both = list(csv.DictReader(io.StringIO(map_plots.map_csv(*valleys))))
    assert list(both[0])[:3] == ["optimizer", "start_x", "start_y"] and len(both) == 2 * 48 * 40
    assert [both[0]["optimizer"], both[-1]["optimizer"]] == ["sgd", "momentum"]
    assert int(both[-1]["minimum"]) == valleys[1].minimum[-1, -1]

"""optviz.plots.raster: where and how the moving runs of an animation are drawn (no Chromium needed;
test_export.py holds a drawn frame to Chromium's render of it)."""

import numpy as np
import pytest
from PIL import Image

from optviz.plots import raster
from optviz.plots.raster import Area, Painter, dash_pattern, drawable

#: A full layout as Plotly computes it: 1280 × 720, margins after automargin, a square plot area.
LAYOUT = {"width": 1280, "height": 720, "computed": {"margin": {"l": 80, "r": 314, "t": 70, "b": 151}},
          "xaxis": {"domain": [0.2183972911963883, 0.7816027088036117], "range": [-2, 2], "type": "linear"},
          "yaxis": {"domain": [0, 1], "range": [-1, 3], "type": "linear"}}


def test_the_plot_area_is_plotlys():
    area = Area.of(LAYOUT)
    assert (area.left, area.top, area.width, area.height) == pytest.approx((273.5, 70, 499, 499))
    corners = area.pixels([-2, 2, 0], [3, -1, 1])
    np.testing.assert_allclose(corners, [[273.5, 70], [772.5, 569], [523, 319.5]])
    double = Area.of(LAYOUT, scale=2)
    np.testing.assert_allclose(double.pixels([0], [1]), [[1046, 639]])


def test_log_axes_and_missing_points():
    layout = {**LAYOUT, "yaxis": {"domain": [0, 1], "range": [-2, 2], "type": "log"}}
    points = Area.of(layout).pixels([0, 0, 0, None], [1, 100, -1, 1])
    assert points[0, 1] == pytest.approx(319.5) and points[1, 1] == pytest.approx(70)
    assert np.isnan(points[2]).any() and np.isnan(points[3]).any()
    with pytest.raises(ValueError, match="category"):
        Area.of({**LAYOUT, "xaxis": {**LAYOUT["xaxis"], "type": "category"}})


def test_dashes_follow_plotly_js():
    assert dash_pattern("solid", 3) == []
    assert dash_pattern("dash", 3) == [9, 9] and dash_pattern("dot", 2) == [3, 3]  # a unit of at least 3 px
    assert dash_pattern("longdashdot", 4) == [20, 8, 4, 8]
    assert dash_pattern("5px,10px,2px", 3) == [5, 10, 2, 5, 10, 2]  # SVG repeats an odd list


def test_a_path_running_off_to_infinity_is_cut_at_the_edge():
    """A diverged run's last finite point may be at 1e190: only the part inside is drawn."""
    points = np.array([[10.0, 10.0], [50.0, 10.0], [1e190, 10.0]])
    (piece,) = raster._pieces(points, [], (0, 0, 100, 100))
    np.testing.assert_allclose(piece, [[10, 10], [50, 10], [100, 10]])


def test_dashes_carry_their_phase_across_vertices():
    points = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 10.0]])  # a corner in the middle of a dash
    pieces = raster._pieces(points, [6.0, 4.0], (-50, -50, 50, 50))
    np.testing.assert_allclose(pieces[0], [[0, 0], [4, 0], [4, 2]])  # 6 on, across the corner
    np.testing.assert_allclose(pieces[1], [[4, 6], [4, 10]])  # 4 off, then on again
    assert raster._runs(np.array([[0, 0], [1, 1], [np.nan, 1], [2, 2], [3, 3]]))[1].tolist() == [[2, 2], [3, 3]]


def test_what_cannot_be_drawn_is_named():
    ball = {"type": "scatter", "mode": "markers", "marker": {"symbol": "circle", "color": "#0072B2", "line": {}}}
    assert drawable(ball) is None
    assert "mode" in drawable({**ball, "mode": "markers+text"})
    assert "symbol" in drawable({**ball, "marker": {**ball["marker"], "symbol": "hourglass"}})
    assert "contour" in drawable({"type": "contour"})
    assert "spline" in drawable({"type": "scatter", "mode": "lines", "line": {"shape": "spline", "color": "red"}})


def test_a_marker_is_drawn_centred_where_its_data_is():
    background = Image.new("RGB", (1280, 720), "white")
    painter = Painter(background, Area.of(LAYOUT), scale=1)
    ball = {"type": "scatter", "mode": "markers", "x": [0.0], "y": [1.0], "opacity": 1,
            "marker": {"symbol": "circle", "size": 16, "color": "#0072B2", "opacity": 1,
                       "line": {"color": "white", "width": 2}}}
    frame = np.asarray(painter.paint([ball]), dtype=int)
    blue = np.abs(frame - [0, 114, 178]).max(axis=2) < 8
    ys, xs = np.nonzero(blue)
    assert (xs.mean(), ys.mean()) == pytest.approx((523 - 0.5, 319.5 - 0.5), abs=0.2)  # pixel i spans [i, i + 1)
    assert 2 * 6.5 <= xs.max() - xs.min() + 1 <= 2 * 7.5  # radius 8, less half the 2 px outline
    assert painter.paint([]).tobytes() == background.tobytes()


def test_nothing_is_drawn_outside_the_plot_area_or_over_what_lies_above_it():
    background = Image.new("RGB", (1280, 720), "white")
    keep = np.zeros((720, 1280), dtype=bool)
    keep[300:340, 500:540] = True  # a legend inside the plot area, say
    painter = Painter(background, Area.of(LAYOUT), scale=1, keep=keep)
    line = {"type": "scatter", "mode": "lines", "x": [-3.0, 3.0], "y": [1.0, 1.0], "opacity": 1,
            "line": {"color": "#D55E00", "width": 3, "dash": "solid"}}
    frame = np.asarray(painter.paint([line]), dtype=int)
    row = np.abs(frame[319] - [213, 94, 0]).max(axis=1) < 8
    assert row[275:500].all() and row[540:772].all()
    assert not row[:273].any() and not row[774:].any() and not row[500:540].any()

"""The surface itself: its map from above and its 3D view, with every run drawn on it.

The map shows the surface as a shaded picture with its level lines drawn over it, both computed
here once per surface and window. Plotly's own contour trace would do the same, but it is redrawn
at every animation frame or vanishes (Plotly drops non-animatable traces from a frame drawn
without a full redraw), so a map that moves step by step could not keep its surface.

The map's axes fill the figure at equal scale (only then does each GD step cross the level lines
at right angles, as on the real surface): the surface's window sits in the middle, framed, and a
wide screen shows a margin beside it instead of shrinking the plot.
"""

import base64
import io
from dataclasses import dataclass
from functools import lru_cache

import contourpy
import numpy as np
import plotly.graph_objects as go
from PIL import Image

import surfaces
from optviz.engine.evaluate import grid
from optviz.engine.tuning import window_holding
from optviz.plots.theme import (_SUPERSCRIPTS, PATH_POINTS, drawn_steps, figure_from, finite_steps, labels,
                                marked_line, new_spec, styles, thin)

#: A light, grey scale for the surface, low to high: every palette colour stands out on it.
SURFACE_COLORS = [[0.0, "#ffffff"], [0.5, "#dfe2e7"], [1.0, "#a3abb7"]]
LEVEL_LINE = "#7a8290"
LEVELS = 22  # level lines drawn, evenly spaced in the height shown

GRID = 140  # map grid, points a side
GRID_3D = 80  # the 3D surface needs fewer: it is shaded, not outlined

# ---------------------------------------------------------------------------------------------
# Surfaces: which one, which window, and how its height is shown.


def surface_of(traces, surface):
    """The surface the figure draws: the one given, else the runs' own (they must share one)."""
    names = {t.surface for t in traces}
    if surface is None:
        if len(names) != 1:
            raise ValueError(f"give the surface, or runs on one surface (got {sorted(names) or 'none'})")
        surface = names.pop()
    surface = surfaces.get(surface) if isinstance(surface, str) else surface
    if names - {surface.name}:
        raise ValueError(f"runs on {sorted(names)} cannot be drawn on {surface.name!r}")
    return surface


def lowest(surface) -> float:
    """J at the surface's global minimum."""
    return min(m.value for m in surface.global_minima)


def excess_name(surface) -> str:
    """How the text calls the loss above the minimum: J itself when the minimum is 0, else J − J*."""
    return "J" if lowest(surface) == 0 else "J − J*"


class Height:
    """The height a figure shows for J on a surface: J itself, or log10(J − J* + δ) where the
    surface asks for log levels (its interesting part lies close to the floor).

    δ is the smallest positive J − J* on the grid: the grid resolves nothing lower, and
    anything lower (a path near the minimum) is drawn at that floor.
    """

    def __init__(self, surface, grid_values):
        self.log = surface.log_levels
        self.floor = lowest(surface)
        excess = grid_values - self.floor
        positive = excess[excess > 0]
        self.delta = float(positive.min()) if positive.size else 1.0
        self.title = f"{excess_name(surface)} (log scale)" if self.log else "J"
        self.hover = f"log₁₀({excess_name(surface)})" if self.log else "J"

    def __call__(self, values):
        values = np.asarray(values, dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)  # an overflowed loss is a gap
        if not self.log:
            return values
        return np.log10(np.maximum(values - self.floor, 0.0) + self.delta)

    def colorbar(self, low: float, high: float) -> dict:
        """A slim bar at the right of the plot, ticks in J's own units (decades 10ⁿ for a log height)."""
        bar = dict(x=1.0, xanchor="left", xpad=12, y=0.5, yanchor="middle", len=1.0, thickness=14,
                   outlinewidth=0, title=dict(text=self.title, side="right", font=dict(size=15)),
                   tickfont=dict(size=14))
        if self.log:
            decades = np.arange(np.ceil(low), np.floor(high) + 1)
            step = max(1, int(np.ceil(len(decades) / 8)))  # at most about 8 labels
            bar.update(tickvals=decades[::step].tolist(), ticktext=[_power_of_ten(d) for d in decades[::step]])
        return bar


def _power_of_ten(exponent: float) -> str:
    return "10" + str(int(exponent)).translate(_SUPERSCRIPTS)


@lru_cache(maxsize=64)
def surface_grid(surface, domain, resolution):
    """The surface's heights on a grid, computed once per surface, window and resolution: a rerun
    that moves a slider redraws the runs, not the surface. The arrays are read-only: shared."""
    xs, ys, values = grid(surface, resolution, domain)
    height = Height(surface, values)
    arrays = xs, ys, height(values).astype(np.float32)
    for array in arrays:
        array.flags.writeable = False
    return (*arrays, height)


def window(surface, domain):
    return domain or surface.domain


# ---------------------------------------------------------------------------------------------
# The map: the surface's picture and level lines, paths, markers.


@dataclass(frozen=True)
class Picture:
    """The surface from above: a shaded image (a PNG data URL) of its window, its level lines
    (one polyline per level, NaN between them, with each point's level for the hover), and the
    range of heights the shading spans."""

    image: str
    lines_x: np.ndarray
    lines_y: np.ndarray
    lines_level: np.ndarray
    low: float
    high: float
    height: Height


@lru_cache(maxsize=64)
def surface_picture(surface, domain, resolution) -> Picture:
    """The surface's :class:`Picture`, computed once per surface, window and resolution."""
    xs, ys, heights, height = surface_grid(surface, domain, resolution)
    low, high = float(np.nanmin(heights)), float(np.nanmax(heights))
    shade = (heights - low) / ((high - low) or 1.0)
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in SURFACE_COLORS], dtype=np.float64)
    where = [s for s, _ in SURFACE_COLORS]
    rgb = np.stack([np.interp(shade, where, stops[:, c]) for c in range(3)], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(np.round(rgb[::-1]).astype(np.uint8)).save(buffer, format="PNG")  # rows top down
    image = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    lines = contourpy.contour_generator(xs, ys, np.asarray(heights, dtype=np.float64),
                                        line_type=contourpy.LineType.ChunkCombinedNan)
    pieces = []
    for level in np.linspace(low, high, LEVELS + 2)[1:-1]:
        points = lines.lines(level)[0][0]
        if points is not None:
            pieces.append(np.column_stack([points, np.full(len(points), level)]))
            pieces.append(np.full((1, 3), np.nan))
    combined = np.concatenate(pieces).astype(np.float32) if pieces else np.empty((0, 3), np.float32)
    for column in combined.T:
        column.flags.writeable = False
    return Picture(image, combined[:, 0], combined[:, 1], combined[:, 2], low, high, height)


def surface_layers(picture: Picture, box, scale: bool = True) -> tuple:
    """``(traces, images, shapes)`` that draw the surface's picture into the window ``box``: the
    level lines (a hover tells their height), the colour bar if ``scale``, the shading and a frame."""
    (x0, x1), (y0, y1) = box
    height = picture.height
    traces = [dict(
        type="scatter", x=picture.lines_x, y=picture.lines_y, customdata=picture.lines_level, mode="lines",
        line=dict(color=LEVEL_LINE, width=1), name="surface", showlegend=False,
        hovertemplate=f"{height.hover} = %{{customdata:.3g}}<extra></extra>",
    )]
    if scale:
        traces.append(dict(
            type="scatter", x=[None, None], y=[None, None], mode="markers", name="height", showlegend=False,
            hoverinfo="skip", marker=dict(color=[picture.low, picture.high], cmin=picture.low, cmax=picture.high,
                                          colorscale=SURFACE_COLORS, showscale=True,
                                          colorbar=height.colorbar(picture.low, picture.high)),
        ))
    images = [dict(source=picture.image, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                   sizing="stretch", layer="below")]
    shapes = [dict(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1, layer="below",
                   line=dict(color=LEVEL_LINE, width=1))]
    return traces, images, shapes


def view_box(surface, domain, traces=()) -> tuple:
    """The box a map is fitted to: the surface's window, grown to hold every run's start."""
    return window_holding(window(surface, domain), [t.path[0] for t in traces])


def leaves_at(path, box):
    """The first point of ``path`` outside ``box`` (a non-finite point is outside), or None."""
    (x0, x1), (y0, y1) = box
    x, y = path[:, 0], path[:, 1]
    outside = np.flatnonzero(~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))
    return int(outside[0]) if outside.size else None


def edge_crossing(inside, outside, box) -> np.ndarray:
    """Where the segment from a point inside ``box`` to one outside it (finite, maybe
    astronomically far) crosses the box's edge."""
    delta = np.asarray(outside, dtype=np.float64) - inside
    t = 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        for axis, (low, high) in enumerate(box):
            if delta[axis] > 0:
                t = min(t, (high - inside[axis]) / delta[axis])
            elif delta[axis] < 0:
                t = min(t, (low - inside[axis]) / delta[axis])
        point = inside + t * delta
    return np.clip(point, [box[0][0], box[1][0]], [box[0][1], box[1][1]]) if np.all(np.isfinite(point)) else inside


def drawn_path(trace, box, limit: int = PATH_POINTS):
    """``(steps, x, y)`` of a run as the map draws it: its finite part, thinned; a diverging run
    only until it leaves ``box``, ending on the box's edge where it left (its last step is then
    the first one outside)."""
    steps = drawn_steps(trace, limit)
    path = trace.path
    if trace.diverged_at is None:
        return steps, path[steps, 0], path[steps, 1]
    leaving = leaves_at(path[:finite_steps(trace)], box)
    if leaving is None or leaving == 0:
        return steps, path[steps, 0], path[steps, 1]
    kept = thin(leaving, limit - 1)
    edge = edge_crossing(path[leaving - 1], path[leaving], box)
    return (np.append(kept, leaving), np.append(path[kept, 0], edge[0]), np.append(path[kept, 1], edge[1]))


def minima_traces(surface) -> list:
    """Filled stars for the global minima, open ones for the local: the deepest are solid. Where
    there are dozens (Rastrigin's egg box) they are drawn small, so the paths stay visible."""
    out = []
    for kind, marker in (("global", "star"), ("local", "star-open")):
        found = [m for m in surface.minima if m.kind == kind]
        if found:
            out.append(dict(
                type="scatter", x=[m.x for m in found], y=[m.y for m in found], mode="markers",
                name=f"{kind} minimum",
                marker=dict(symbol=marker, size=20 if len(found) <= 12 else 9, color="#000000",
                            line=dict(width=1.5, color="#000000")),
                hovertemplate=f"{kind} minimum<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            ))
    return out


def marker_key() -> list:
    """Legend entries for the start and end markers, which every run shares."""
    return [
        dict(type="scatter", x=[None], y=[None], mode="markers", name="start",
             marker=dict(symbol="circle-open", size=14, color="#555555", line=dict(width=3))),
        dict(type="scatter", x=[None], y=[None], mode="markers", name="end",
             marker=dict(symbol="circle", size=12, color="#555555", line=dict(width=1.5, color="white"))),
    ]


def _text_side(x, y, box) -> str:
    """Where a marker's label goes so that it stays inside the plot: away from the nearest edge."""
    if box is None:
        return "top center"
    (x0, x1), (y0, y1) = box
    gaps = {"bottom center": y1 - y, "top center": y - y0, "middle left": x1 - x, "middle right": x - x0}
    return min(gaps, key=gaps.get)


def run_markers(trace, x, y, colour, group, box=None) -> list:
    """Start, then end or divergence. A divergence mark sits where the drawn path ends: on the
    edge of ``box`` where the run left it, or at its last finite point inside."""
    last = finite_steps(trace) - 1
    # Plain floats, as validation used to make them: the same JSON, and no numpy scalars in the spec.
    (x0, y0), (x1, y1) = (float(x[0]), float(y[0])), (float(x[-1]), float(y[-1]))
    start = dict(
        type="scatter", x=[x0], y=[y0], mode="markers", legendgroup=group, showlegend=False, name="start",
        marker=dict(symbol="circle-open", size=14, color=colour, line=dict(width=3)),
        hovertemplate="start<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
    )
    if trace.diverged_at is None:
        end = dict(
            type="scatter", x=[x1], y=[y1], mode="markers", legendgroup=group, showlegend=False, name="end",
            marker=dict(symbol="circle", size=12, color=colour, line=dict(width=1.5, color="white")),
            hovertemplate=f"end, step {last}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        )
    else:
        left = box is not None and leaves_at(trace.path[:last + 1], box) not in (None, 0)
        where = "left the window here" if left else f"last finite point, step {last}"
        end = dict(
            type="scatter", x=[x1], y=[y1], mode="markers+text", legendgroup=group, showlegend=False,
            name="diverged", marker=dict(symbol="x", size=18, color=colour, line=dict(width=1, color="white")),
            text=[f"diverged at step {trace.diverged_at}"], textposition=_text_side(x1, y1, box),
            textfont=dict(color=colour, size=16), cliponaxis=False,
            hovertemplate=f"{where}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        )
    return [start, end]


def map_axes(box) -> dict:
    """Axes of a map fitted to ``box`` at equal scale, filling the figure: the longer way of the
    figure shows more of the plane instead of shrinking the plot. (No axis titles: a map's axes
    are x and y, and the room goes to the plot.)"""
    (x0, x1), (y0, y1) = box
    return dict(xaxis=dict(range=[x0, x1], autorange=False, constrain="range", showgrid=False),
                yaxis=dict(range=[y0, y1], autorange=False, constrain="range", scaleanchor="x", scaleratio=1,
                           showgrid=False))


def below_legend(y: float = -0.12) -> dict:
    """A horizontal legend under the plot, where it takes none of the plot's room."""
    return dict(orientation="h", x=0.0, xanchor="left", y=y, yanchor="top")


def map_spec(traces, surface, domain, title, resolution, scale=True) -> tuple[dict, tuple]:
    """An empty map of ``surface``: its picture, axes and legend; and the box it is fitted to."""
    box = view_box(surface, domain, traces)
    layers, images, shapes = surface_layers(surface_picture(surface, domain, resolution), window(surface, domain),
                                            scale)
    spec = new_spec(title, margin=dict(t=56, l=64), images=images, shapes=shapes, legend=below_legend(),
                    **map_axes(box))
    spec["data"] += layers
    return spec, box


def contour(traces, surface=None, *, domain=None, title=None, resolution=GRID) -> go.Figure:
    """The surface from above with every run: its path, start, end or divergence mark, and the
    known minima (global filled, local open). ``domain`` overrides the surface's window."""
    surface = surface_of(traces, surface)
    spec, box = map_spec(traces, surface, domain, title or f"{surface.title}: trajectories", resolution)
    data = spec["data"]
    for trace, text, (line, marker) in zip(traces, labels(traces), styles(traces)):
        steps, x, y = drawn_path(trace, box)
        data.append(dict(
            type="scatter", x=x, y=y, name=text, legendgroup=text, line=line, customdata=steps,
            hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>", **marked_line(steps, marker),
        ))
        data += run_markers(trace, x, y, line["color"], text, box)
    data += minima_traces(surface) + (marker_key() if traces else [])
    return figure_from(spec)


def surface_3d(traces, surface=None, *, domain=None, title=None, resolution=GRID_3D) -> go.Figure:
    """The surface in 3D with each path drawn on it (lifted a little, so it stays visible), cut
    where it leaves the window."""
    surface = surface_of(traces, surface)
    (x0, x1), (y0, y1) = window(surface, domain)
    xs, ys, heights, height = surface_grid(surface, domain, resolution)
    low, high = float(heights.min()), float(heights.max())
    lift = 0.02 * (high - low)
    spec = new_spec(title or f"{surface.title} in 3D", legend=below_legend(-0.02), scene=dict(
        xaxis=dict(title=dict(text="x"), range=[x0, x1]), yaxis=dict(title=dict(text="y"), range=[y0, y1]),
        zaxis=dict(title=dict(text=height.title), range=[low, high + 2 * lift]), aspectmode="manual",
        aspectratio=dict(x=1.2, y=1.2, z=0.7),
    ))
    data = spec["data"]
    data.append(dict(
        type="surface", x=xs.astype(np.float32), y=ys.astype(np.float32), z=heights, colorscale=SURFACE_COLORS,
        showscale=False, opacity=0.92, name="surface",
        contours=dict(z=dict(show=True, color=LEVEL_LINE, width=1)),
        hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{height.hover} = %{{z:.3g}}<extra></extra>",
    ))
    for trace, text, (line, _) in zip(traces, labels(traces), styles(traces)):
        steps = drawn_steps(trace)
        x, y = trace.path[steps, 0], trace.path[steps, 1]
        # WebGL draws nothing at all if one point is astronomically far: cut paths at the window.
        outside = (x < x0) | (x > x1) | (y < y0) | (y > y1)
        x, y, z = (np.where(outside, np.nan, v) for v in (x, y, height(trace.loss[steps]) + lift))
        data.append(dict(
            type="scatter3d", x=x, y=y, z=z, mode="lines", name=text, legendgroup=text,
            line=dict(width=7, color=line["color"], dash=line["dash"] if "px" not in line["dash"] else "solid"),
            customdata=steps,  # (3D lines take named dashes only)
            hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
        ))
        data.append(dict(
            type="scatter3d", x=[float(x[0]), float(x[-1])], y=[float(y[0]), float(y[-1])],
            z=[float(z[0]), float(z[-1])], mode="markers", legendgroup=text, showlegend=False,
            name="start and end",
            marker=dict(size=[7, 6], color=line["color"],
                        symbol=["circle-open", "x" if trace.diverged_at else "circle"]),
        ))
    return figure_from(spec)

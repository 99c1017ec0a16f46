"""The surface itself: its map from above and its 3D view, with every run drawn on it."""

from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

import surfaces
from optviz.engine.evaluate import grid
from optviz.plots.theme import (_SUPERSCRIPTS, drawn_steps, figure_from, finite_steps, labels, mode, new_spec,
                                styles)

#: A light, grey contour scale: every palette colour stands out on it.
SURFACE_COLORS = [[0.0, "#ffffff"], [0.5, "#dfe2e7"], [1.0, "#a3abb7"]]

GRID = 140  # contour grid, points a side
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
    """How the text calls the loss above the minimum: J itself when the minimum is 0."""
    return "J" if lowest(surface) == 0 else "J − J_min"


class Height:
    """The height a figure shows for J on a surface: J itself, or log10(J − J_min + δ) where the
    surface asks for log levels (its interesting part lies close to the floor).

    δ is the smallest positive J − J_min on the grid: the grid resolves nothing lower, and
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

    def colorbar(self, heights) -> dict:
        """A slim bar under the plot, leaving the right side to the legend; ticks in J's own
        units (decades 10ⁿ for a log height)."""
        bar = dict(orientation="h", x=1.0, xanchor="right", y=-0.16, yanchor="top", len=0.45, thickness=12,
                   title=dict(text=self.title, side="top", font=dict(size=16)), tickfont=dict(size=14))
        if self.log:
            decades = np.arange(np.floor(np.nanmin(heights)), np.ceil(np.nanmax(heights)) + 1)
            bar.update(tickvals=decades.tolist(), ticktext=[_power_of_ten(d) for d in decades])
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
# The map: contour, paths, markers.


def contour_trace(xs, ys, heights, height, scale=True) -> dict:
    trace = dict(
        type="contour", x=xs.astype(np.float32), y=ys.astype(np.float32), z=heights,
        colorscale=SURFACE_COLORS, ncontours=22, line=dict(color="#7a8290", width=1),
        showscale=scale, name="surface", showlegend=False,
        hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{height.hover} = %{{z:.3g}}<extra></extra>",
    )
    if scale:
        trace["colorbar"] = height.colorbar(heights)
    return trace


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


def run_markers(trace, x, y, colour, group) -> list:
    """Start, then end or divergence: a divergence mark sits at the last finite point, with its step."""
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
        end = dict(
            type="scatter", x=[x1], y=[y1], mode="markers+text", legendgroup=group, showlegend=False,
            name="diverged", marker=dict(symbol="x", size=18, color=colour, line=dict(width=1, color="white")),
            text=[f"diverged at step {trace.diverged_at}"], textposition="top center",
            textfont=dict(color=colour, size=16),
            hovertemplate=f"last finite point, step {last}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        )
    return [start, end]


def map_axes(x0, x1, y0, y1) -> dict:
    """Axes of a map of the surface: fixed to the window, and at equal scale, because only then
    does each GD step cross the contours at right angles, as it does on the real surface."""
    return dict(xaxis=dict(title=dict(text="x"), range=[x0, x1], autorange=False, constrain="domain"),
                yaxis=dict(title=dict(text="y"), range=[y0, y1], autorange=False, constrain="domain",
                           scaleanchor="x", scaleratio=1))




def contour(traces, surface=None, *, domain=None, title=None, resolution=GRID) -> go.Figure:
    """The surface from above with every run: its path, start, end or divergence mark, and the
    known minima (global filled, local open). ``domain`` overrides the surface's window."""
    surface = surface_of(traces, surface)
    (x0, x1), (y0, y1) = window(surface, domain)
    xs, ys, heights, height = surface_grid(surface, domain, resolution)
    spec = new_spec(title or f"{surface.title}: trajectories", margin=dict(b=150), **map_axes(x0, x1, y0, y1))
    data = spec["data"]
    data.append(contour_trace(xs, ys, heights, height))
    for trace, text, (line, marker) in zip(traces, labels(traces), styles(traces)):
        steps = drawn_steps(trace)
        x, y = trace.path[steps, 0], trace.path[steps, 1]
        data.append(dict(
            type="scatter", x=x, y=y, mode=mode(steps), name=text, legendgroup=text, line=line,
            marker=dict(size=7, **marker), customdata=steps,
            hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
        ))
        data += run_markers(trace, x, y, line["color"], text)
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
    spec = new_spec(title or f"{surface.title} in 3D", scene=dict(
        xaxis=dict(title=dict(text="x"), range=[x0, x1]), yaxis=dict(title=dict(text="y"), range=[y0, y1]),
        zaxis=dict(title=dict(text=height.title), range=[low, high + 2 * lift]), aspectmode="manual",
        aspectratio=dict(x=1.2, y=1.2, z=0.7),
    ))
    data = spec["data"]
    data.append(dict(
        type="surface", x=xs.astype(np.float32), y=ys.astype(np.float32), z=heights, colorscale=SURFACE_COLORS,
        showscale=False, opacity=0.92, name="surface",
        contours=dict(z=dict(show=True, color="#7a8290", width=1)),
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
            line=dict(width=7, **line), customdata=steps,
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



"""Curves: the loss and the distance to a minimum against step, and the ball on a curve."""

import numpy as np
import plotly.graph_objects as go

from optviz.engine.evaluate import evaluate
from optviz.plots.surface import below_legend, excess_name, lowest, marker_key, run_markers, surface_of, window
from optviz.plots.theme import (CURVE_POINTS, drawn_steps, figure_from, finite_steps, labels, marked_line, number,
                                new_spec, styles, thin)

# ---------------------------------------------------------------------------------------------
# Curves against step.


def _positive(values: np.ndarray, scale: float) -> np.ndarray:
    """Values for a log axis: non-finite ones become gaps, and anything below the round-off of
    float64 at ``scale`` is drawn at that floor (0 itself cannot be drawn on a log axis)."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.maximum(values, np.finfo(np.float64).eps * max(1.0, abs(scale)))


#: On a log axis, a run that blows up leaves through the top, this many times above the highest
#: start, instead of squeezing every other run into a flat line at the bottom.
HEADROOM = 1e4


def _lines(traces, texts, values, log, axes=("x", "y"), legend=True) -> tuple:
    """One line per run of ``values(trace)`` against step, and the y range a log axis needs."""
    data, drawn, starts = [], [], []
    for trace, text, (line, marker) in zip(traces, texts, styles(traces)):
        steps = thin(finite_steps(trace), CURVE_POINTS)
        y = values(trace)[steps]
        drawn.append(y)
        starts.append(y[0])
        data.append(dict(
            type="scatter", x=steps, y=y, name=text, legendgroup=text, showlegend=legend,
            line=line, xaxis=axes[0], yaxis=axes[1], hovertemplate="step %{x}<br>%{y:.4g}<extra></extra>",
            **marked_line(steps, marker, along=False),
        ))
    shown = np.concatenate(drawn) if drawn else np.empty(0)
    if not (log and np.isfinite(shown).any()):
        return data, None
    top = min(np.nanmax(shown), np.nanmax(starts) * HEADROOM)
    return data, [float(np.log10(np.nanmin(shown)) - 0.3), float(np.log10(top) + 0.3)]


#: A log axis labels at most about this many decades; a wider one labels every second, third, …
LOG_LABELS = 8


def log_axis(y_range) -> dict:
    """A log axis over ``y_range`` (log10 units) with at most about :data:`LOG_LABELS` labels."""
    decades = y_range[1] - y_range[0]
    return dict(type="log", range=y_range, dtick=max(1, int(np.ceil(decades / LOG_LABELS))))


def _curves(traces, texts, values, y_title, log, title) -> go.Figure:
    """One line per run of ``values(trace)`` against step, on a log or a linear axis."""
    spec = new_spec(title, xaxis=dict(title=dict(text="step")), legend=below_legend(-0.22),
                    yaxis=dict(title=dict(text=y_title), type="log" if log else "linear"))
    spec["data"], y_range = _lines(traces, texts, values, log)
    if y_range:
        spec["layout"]["yaxis"].update(log_axis(y_range))
    return figure_from(spec)


def _loss_values(traces, log):
    """The loss to plot and its axis title: J − J_min on a log axis (J can be negative, and its
    approach to the minimum spans decades), or J itself on a linear one."""
    surface = surface_of(traces, None)
    if not log:
        return (lambda t: np.where(np.isfinite(t.loss), t.loss, np.nan)), "J"
    floor = lowest(surface)
    return (lambda t: _positive(t.loss - floor, floor)), f"{excess_name(surface)} (log scale)"


def loss_curves(traces, *, log=True, title=None) -> go.Figure:
    """The loss of each run against step."""
    values, y_title = _loss_values(traces, log)
    return _curves(traces, labels(traces), values, y_title, log, title or "Loss against step")


def learning_rates(traces, names=None, *, log=False, title=None) -> go.Figure:
    """The article's figure 4: the loss of one optimizer at several α, each run named by how its
    α compares ("very high", "good", …). Linear by default, as the article draws it."""
    if len({t.optimizer for t in traces}) > 1:
        raise ValueError("learning_rates compares one optimizer at several α")
    texts = labels(traces)
    if names:
        texts = [f"{name}: {text}" for name, text in zip(names, texts)]
    values, y_title = _loss_values(traces, log)
    return _curves(traces, texts, values, y_title, log, title or "Loss against step at several learning rates")


def _distance(surface):
    """A run's distance to the nearest known minimum at each step: the minimum it heads for can
    change on the way, so each step is measured to whichever is nearest."""
    minima = np.array([(m.x, m.y) for m in surface.minima])

    def distance(trace):
        gaps = trace.path[:, None, :] - minima[None, :, :]
        return _positive(np.hypot(gaps[..., 0], gaps[..., 1]).min(axis=1), 1.0)

    return distance


DISTANCE_TITLE = "distance to nearest minimum"


def distance_curves(traces, *, title=None) -> go.Figure:
    """Each run's distance to the nearest known minimum against step (log scale)."""
    return _curves(traces, labels(traces), _distance(surface_of(traces, None)), DISTANCE_TITLE, True,
                   title or "Distance to the nearest minimum")


#: The progress chart's layout, in pixels: each panel's height, the gap between them, the room
#: for the title above and for the step axis below, a legend row, and the narrowest chart width
#: the legend's rows are counted for.
PANEL, PANEL_GAP, PANEL_TOP, STEP_AXIS, LEGEND_ROW, NARROWEST = 300, 40, 60, 62, 28, 900


def progress(traces, *, title=None) -> go.Figure:
    """The loss and the distance to the nearest minimum against step, one above the other in one
    chart (one chart redraws faster than two when a slider moves), sharing the step axis and one
    legend: stacked, each panel keeps the figure's whole width on any screen. Its height is set
    in pixels, to give each panel :data:`PANEL` pixels with the legend below them."""
    loss, loss_title = _loss_values(traces, True)
    texts = labels(traces)
    legend = LEGEND_ROW * legend_rows(texts, NARROWEST) + 10
    paper = 2 * PANEL + PANEL_GAP
    spec = new_spec(
        title or "Loss and distance to the nearest minimum",
        height=PANEL_TOP + paper + STEP_AXIS + legend, margin=dict(t=PANEL_TOP, b=STEP_AXIS + legend),
        legend=dict(orientation="h", x=0.0, xanchor="left", yref="container", y=0.0, yanchor="bottom"),
        xaxis=dict(anchor="y", showticklabels=False),
        yaxis=dict(title=dict(text=loss_title), domain=[(PANEL + PANEL_GAP) / paper, 1.0]),
        xaxis2=dict(title=dict(text="step"), anchor="y2", matches="x"),
        yaxis2=dict(title=dict(text=DISTANCE_TITLE), domain=[0.0, PANEL / paper], anchor="x2"),
    )
    for panel, values in ((1, loss), (2, _distance(surface_of(traces, None)))):
        suffix = "" if panel == 1 else "2"
        data, y_range = _lines(traces, texts, values, True, (f"x{suffix}", f"y{suffix}"), legend=panel == 1)
        spec["data"] += data
        axis = spec["layout"][f"yaxis{suffix}"]
        axis.update(log_axis(y_range) if y_range else dict(type="log"))
    return figure_from(spec)


def legend_rows(texts, width: int) -> int:
    """About how many rows a horizontal legend of ``texts`` takes in a chart ``width`` pixels wide."""
    rows, used = 1, 0
    for text in texts:
        entry = 50 + 9 * len(text)  # the line sample and the text, at the theme's legend font
        if used and used + entry > width:
            rows, used = rows + 1, 0
        used += entry
    return rows


# ---------------------------------------------------------------------------------------------
# The ball on a curve: the article's 1D pictures (figures 2, 3, 5, 7).


def _toward_minimum(surface, start) -> np.ndarray:
    """From the start toward the nearest global minimum, the way the ball is meant to roll."""
    target = min(surface.global_minima, key=lambda m: np.hypot(m.x - start[0], m.y - start[1]))
    direction = np.array([target.x, target.y]) - start
    return direction if np.hypot(*direction) > 0 else np.array([1.0, 0.0])


def _segment(start, direction, domain) -> tuple:
    """The stretch of the line start + s·direction inside the window's box, as (s_min, s_max)."""
    low, high = -np.inf, np.inf
    for axis, (lo, hi) in enumerate(domain):
        if direction[axis] == 0:
            continue
        a, b = (lo - start[axis]) / direction[axis], (hi - start[axis]) / direction[axis]
        low, high = max(low, min(a, b)), min(high, max(a, b))
    return low, high


def ball(traces, direction=None, surface=None, *, domain=None, title=None, resolution=400) -> go.Figure:
    """The loss along the line through the first run's start in ``direction`` (default: toward
    the nearest global minimum), with each run's steps as dots on that curve.

    A path that leaves the line is projected onto it, and the figure then says by how much, so a
    2D run is never passed off as a 1D one.
    """
    surface = surface_of(traces, surface)
    origin = traces[0].path[0]
    d = np.asarray(direction if direction is not None else _toward_minimum(surface, origin), dtype=np.float64)
    d = d / np.hypot(*d)
    low, high = _segment(origin, d, window(surface, domain))
    s = np.linspace(low, high, resolution)
    curve = evaluate(surface, origin[0] + s * d[0], origin[1] + s * d[1])
    spec = new_spec(
        title or f"{surface.title}: the loss along a line", legend=below_legend(-0.22),
        xaxis=dict(title=dict(text=f"along the line from ({number(origin[0])}, {number(origin[1])}) "
                                   f"toward ({number(d[0])}, {number(d[1])})"),
                   range=[float(low), float(high)]),
        yaxis=dict(title=dict(text="J")),
    )
    data = spec["data"]
    data.append(dict(type="scatter", x=s, y=curve.astype(np.float32), mode="lines", name="J along the line",
                     line=dict(color="#777777", width=2.5), hoverinfo="skip"))
    off_line = 0.0
    for trace, text, (line, marker) in zip(traces, labels(traces), styles(traces)):
        steps = drawn_steps(trace)
        offsets = trace.path[steps] - origin
        along = offsets @ d
        off_line = max(off_line, float(np.abs(offsets[:, 0] * d[1] - offsets[:, 1] * d[0]).max()))
        on_curve = evaluate(surface, origin[0] + along * d[0], origin[1] + along * d[1])
        data.append(dict(
            type="scatter", x=along, y=on_curve, mode="lines+markers", name=text, legendgroup=text,
            line=dict(width=1.5, **line), marker=dict(size=11, **marker),
            customdata=steps, hovertemplate="step %{customdata}<br>J=%{y:.4g}<extra></extra>",
        ))
        data += run_markers(trace, along, on_curve, line["color"], text)
    data += marker_key()
    if off_line > 1e-9 * (high - low):
        spec["layout"]["annotations"] = [dict(
            text=f"steps projected onto the line; the paths leave it by up to {number(off_line)}",
            xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
            showarrow=False, font=dict(size=15, color="#555555"),
        )]
    return figure_from(spec)



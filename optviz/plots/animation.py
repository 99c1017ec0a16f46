"""The race played in the browser: every run moves step by step over the surface."""

import numpy as np
import plotly.graph_objects as go

from optviz.plots.surface import GRID, contour_trace, surface_grid, map_axes, minima_traces, surface_of, window
from optviz.plots.theme import FRAMES, figure_from, finite_steps, labels, new_spec, styles, thin

# ---------------------------------------------------------------------------------------------
# The race, played in the browser.


def race_animation(traces, surface=None, *, domain=None, title=None, frames=FRAMES,
                   resolution=GRID) -> go.Figure:
    """The runs move together step by step, with play/pause and a step slider. The browser plays
    the frames itself: no server round trip per step. Long runs are shown at ``frames`` evenly
    spaced steps; a diverged run stops at its last finite point, marked with an x."""
    surface = surface_of(traces, surface)
    (x0, x1), (y0, y1) = window(surface, domain)
    xs, ys, heights, height = surface_grid(surface, domain, resolution)
    spec = new_spec(title or f"{surface.title}: the race", **map_axes(x0, x1, y0, y1))
    data = spec["data"]
    data.append(contour_trace(xs, ys, heights, height, scale=False))
    moving = []
    for trace, text, (line, _) in zip(traces, labels(traces), styles(traces)):
        moving += [len(data), len(data) + 1]  # its trail and its ball
        start = trace.path[:1]
        data.append(dict(type="scatter", x=start[:, 0], y=start[:, 1], mode="lines", name=text, legendgroup=text,
                         line=line))
        data.append(dict(type="scatter", x=start[:, 0], y=start[:, 1], mode="markers", legendgroup=text,
                         showlegend=False, name="ball",
                         marker=dict(size=16, color=line["color"], line=dict(width=2, color="white"))))

    data += minima_traces(surface)
    shown = thin(max(len(t.path) for t in traces), frames)
    spec["frames"] = [dict(data=_frame(traces, shown, step), name=str(step), traces=list(moving))
                      for step in shown]
    spec["layout"].update(
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.12, xanchor="left", yanchor="top",
                          showactive=False, buttons=[
                              dict(label="▶ Play", method="animate",
                                   args=[None, dict(frame=dict(duration=60, redraw=False), fromcurrent=True,
                                                    transition=dict(duration=0), mode="immediate")]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                      transition=dict(duration=0), mode="immediate")]),
                          ])],
        sliders=[dict(active=0, x=0.22, len=0.78, y=-0.08, yanchor="top",
                      currentvalue=dict(prefix="step ", xanchor="right", font=dict(size=16)),
                      steps=[dict(label=str(step), method="animate",
                                  args=[[str(step)], dict(frame=dict(duration=0, redraw=False),
                                                          transition=dict(duration=0), mode="immediate")])
                             for step in shown])],
        margin=dict(b=150),
    )
    return figure_from(spec)


def _frame(traces, shown, step) -> list:
    """Each run's trail and ball at ``step`` (clamped to its last finite point)."""
    data = []
    for trace in traces:
        last = finite_steps(trace) - 1
        now = min(int(step), last)
        trail = np.unique(np.minimum(shown[shown <= step], last))
        stopped = trace.diverged_at is not None and step > last
        data.append(dict(type="scatter", x=trace.path[trail, 0], y=trace.path[trail, 1]))
        data.append(dict(type="scatter", x=trace.path[[now], 0], y=trace.path[[now], 1],
                         marker=dict(symbol="x" if stopped else "circle")))
    return data



"""The race played in the browser: every run moves step by step over the surface.

The browser plays the frames itself (Plotly frames): no server round trip per step. Only the
moving runs change from frame to frame; the surface is drawn once and stays (see
:mod:`optviz.plots.surface`). The controls sit above the plot, beside the title, so that the
figure, its Play button and its step slider fit on one screen.
"""

import numpy as np
import plotly.graph_objects as go

from optviz.plots.surface import GRID, drawn_path, map_spec, minima_traces, surface_of
from optviz.plots.theme import FRAMES, figure_from, labels, plain, styles, thin

#: The figure's top margin: its title, then the row of controls.
CONTROLS_MARGIN = 128


def frame_args(name, redraw: bool = False) -> list:
    """Plotly's ``animate`` arguments that show one frame at once (``name`` None: play on)."""
    return [name, dict(frame=dict(duration=0 if name is not None else 60, redraw=redraw), fromcurrent=True,
                       transition=dict(duration=0), mode="immediate")]


def step_slider(names, prefix: str, redraw: bool = False, left: int = 200) -> dict:
    """A slider over the frames, in the row of controls above the plot (``left`` px leaves room
    for the buttons)."""
    return dict(active=0, x=0.0, len=1.0, y=1.0, yanchor="bottom", pad=dict(l=left, t=0, b=8, r=10),
                currentvalue=dict(prefix=prefix, xanchor="right", font=dict(size=16)), font=dict(size=12),
                steps=[dict(label=name, method="animate", args=frame_args([name], redraw)) for name in names])


def buttons(*pairs) -> dict:
    """A row of buttons ``(label, args)`` at the left of the row of controls."""
    return dict(type="buttons", direction="left", x=0.0, xanchor="left", y=1.0, yanchor="bottom",
                pad=dict(t=0, b=14, r=0, l=0), showactive=False, font=dict(size=15),
                buttons=[dict(label=label, method="animate", args=args) for label, args in pairs])


def race_animation(traces, surface=None, *, domain=None, title=None, frames=FRAMES,
                   resolution=GRID) -> go.Figure:
    """The runs move together step by step, with play/pause and a step slider. Long runs are
    shown at ``frames`` evenly spaced steps; a diverging run stops, marked with an x, where it
    leaves the window (or at its last finite point)."""
    surface = surface_of(traces, surface)
    spec, box = map_spec(traces, surface, domain, title or f"{surface.title}: the race", resolution)
    data = spec["data"]
    paths = [drawn_path(trace, box, limit=frames) for trace in traces]
    moving = []
    for text, (line, _), (_, x, y) in zip(labels(traces), styles(traces), paths):
        moving += [len(data), len(data) + 1]  # its trail and its ball
        data.append(dict(type="scatter", x=x[:1], y=y[:1], mode="lines", name=text, legendgroup=text, line=line))
        data.append(dict(type="scatter", x=x[:1], y=y[:1], mode="markers", legendgroup=text, showlegend=False,
                         name="ball", marker=dict(size=16, color=line["color"], line=dict(width=2, color="white"))))
    data += minima_traces(surface)
    shown = [str(step) for step in thin(max(len(t.path) for t in traces), frames)]
    span = max(box[0][1] - box[0][0], box[1][1] - box[1][0])
    spec["frames"] = [dict(data=_frame(traces, paths, int(step), span), name=step, traces=list(moving))
                      for step in shown]
    spec["layout"].update(
        updatemenus=[buttons(("▶ Play", frame_args(None)), ("❚❚ Pause", frame_args([None])))],
        sliders=[step_slider(shown, "step ")],
    )
    controls_above(spec["layout"])
    return figure_from(spec)


def controls_above(layout: dict) -> None:
    """Room above the plot for a row of controls, under the title."""
    layout["margin"]["t"] = CONTROLS_MARGIN
    layout["title"].update(yref="container", y=1.0, yanchor="top", pad=dict(t=14))


def _frame(traces, paths, step, span) -> list:
    """Each run's trail and ball at ``step``: its drawn path up to there (a diverging run's ends
    on the window's edge, where the ball then stays, marked with an x)."""
    data = []
    for trace, (steps, x, y) in zip(traces, paths):
        count = max(1, int(np.searchsorted(steps, step, side="right")))
        stopped = trace.diverged_at is not None and count == len(steps)
        data.append(dict(type="scatter", x=plain(x[:count], span), y=plain(y[:count], span)))
        data.append(dict(type="scatter", x=plain(x[count - 1:count], span), y=plain(y[count - 1:count], span),
                         marker=dict(symbol="x" if stopped else "circle")))
    return data

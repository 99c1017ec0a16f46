"""Inside a step: where each run is at step t, the arrows that make its step, and their numbers.

At step t a run stands at θₜ₋₁, feels the gradient gₜ = ∇J(θₜ₋₁), updates its state and moves
to θₜ. The figure draws, for every run and to the map's own scale:

- ``−α·gₜ``: the step plain gradient descent would take with the run's α, dotted;
- its moment ``mₜ``, dashed, where the optimizer keeps one (Momentum's velocity, Adam's first
  moment), drawn as a step too: −α·mₜ when m is in gradient units, mₜ itself when the rule keeps
  it in parameter units (Keras's Momentum and Nesterov, whose mₜ starts as −α·g₁);
- the step it actually takes, θₜ − θₜ₋₁, solid;

and beneath the map, a table of the same numbers. The step control (◀ ▶ and a slider) is Plotly's:
the browser switches steps by itself, with no server round trip, redrawing the whole figure
(the ◀ ▶ buttons of each frame point to its neighbours, and only a full redraw updates them).
"""

import numpy as np
import plotly.graph_objects as go

from optviz.engine.evaluate import evaluate
from optviz.plots.animation import CONTROLS_MARGIN, buttons, controls_above, frame_args, step_slider
from optviz.plots.surface import GRID, drawn_path, map_spec, minima_traces, surface_of
from optviz.plots.theme import figure_from, labels, number, plain, styles

#: Steps the step-through covers, from the first: each a frame in the browser.
STEP_FRAMES = 150
#: The state slot drawn as the moment arrow, for the optimizers that keep one.
MOMENT = "m"
#: The figure's height above the table, in pixels, at least: title and controls, the map, its axis
#: and key. The figure is laid out for this height; taller, the map grows and the table keeps its rows.
MAP_HEIGHT = 520
ROW, HEADER = 60, 36  # the table's row (up to two lines) and header heights, in pixels
ARROWS = (("gradient", "dot", "−α·∇J: the plain gradient step"),
          ("moment", "dash", "the moment m, as a step"),
          ("step", "solid", "the step taken"))
COLUMNS = ("run", "position θₜ₋₁", "gradient gₜ", "moment mₜ", "step taken θₜ − θₜ₋₁", "J(θₜ₋₁) → J(θₜ)")


def _pair(v) -> str:
    return f"({number(v[0])}, {number(v[1])})" if np.all(np.isfinite(v)) else "—"


class _Steps:
    """One run's steps 1..count: positions, gradients, moments and the arrows that draw them."""

    def __init__(self, trace, count, span):
        self.trace, self.span = trace, span
        path = trace.path
        self.before, self.after = path[:count], path[1:count + 1]
        finite = np.all(np.isfinite(self.before), axis=1)
        self.before_loss, self.after_loss = trace.loss[:count], trace.loss[1:count + 1]
        gradient = np.full_like(self.before, np.nan)
        if finite.any():
            _, gx, gy = evaluate(trace.surface, self.before[finite, 0], self.before[finite, 1], gradient=True)
            gradient[finite] = np.column_stack([gx, gy])
        self.gradient = gradient
        lr = trace.hyper["lr"]
        self.arrows = {"gradient": -lr * gradient, "step": self.after - self.before}
        state = trace.state or {}
        self.moment = state[MOMENT][1:count + 1] if MOMENT in state else None
        if self.moment is not None:
            in_steps = count and np.dot(self.moment[0], gradient[0]) < 0  # m₁ = −α·g₁: parameter units
            self.arrows["moment"] = self.moment if in_steps else -lr * self.moment

    def row(self, t, label) -> list:
        """The table's cells at step t (1-based)."""
        i = t - 1
        if not np.all(np.isfinite(self.after[i])):
            return [label, _pair(self.before[i]), "—", "—", f"diverged at step {self.trace.diverged_at}", "—"]
        moment = _pair(self.moment[i]) if self.moment is not None else "—"
        losses = f"{number(self.before_loss[i])} → {number(self.after_loss[i])}"
        return [label, _pair(self.before[i]), _pair(self.gradient[i]), moment, _pair(self.after[i] - self.before[i]),
                losses]

    def traces(self, t) -> list:
        """The run at step t: its position, then one arrow per kind (empty where it has none)."""
        i = t - 1
        at = self.before[i] if np.all(np.isfinite(self.before[i])) else np.array([np.nan, np.nan])
        drawn = [dict(type="scatter", x=plain(at[:1], self.span), y=plain(at[1:], self.span))]
        for kind, _, _ in ARROWS:
            head = at + self.arrows[kind][i] if kind in self.arrows else np.array([np.nan, np.nan])
            ends = np.array([at, head]) if np.all(np.isfinite(head)) else np.empty((0, 2))
            drawn.append(dict(type="scatter", x=plain(ends[:, 0], self.span), y=plain(ends[:, 1], self.span)))
        return drawn


def step_through(traces, surface=None, *, domain=None, title=None, frames=STEP_FRAMES,
                 resolution=GRID) -> go.Figure:
    """Steps 1 to ``frames`` of every run, one at a time, with ◀ ▶ and a step slider above the
    map and the step's numbers beneath it. Runs traced with ``record_state=True`` show their
    moment; the others show their gradient and their step."""
    surface = surface_of(traces, surface)
    count = min(frames, min(t.steps for t in traces))  # the steps every run takes
    spec, box = map_spec(traces, surface, domain, title or f"{surface.title}: inside a step", resolution)
    texts, looks = labels(traces), styles(traces)
    span = max(box[0][1] - box[0][0], box[1][1] - box[1][0])
    runs = [_Steps(trace, count, span) for trace in traces]
    data = spec["data"]
    for trace, text, (line, _) in zip(traces, texts, looks):
        _, x, y = drawn_path(trace, box)
        data.append(dict(type="scatter", x=x, y=y, mode="lines", name=text, showlegend=False, opacity=0.45,
                         line=dict(color=line["color"], width=2), hoverinfo="skip"))
    data += minima_traces(surface)
    for kind, dash, name in ARROWS:  # the key: which arrow is which
        data.append(dict(type="scatter", x=[None], y=[None], mode="lines", name=name,
                         line=dict(color="#555555", width=3, dash=dash)))
    moving = []
    for text, (line, marker) in zip(texts, looks):
        moving.append(len(data))
        data.append(dict(type="scatter", mode="markers", name=text, showlegend=False,
                         marker=dict(size=15, color=line["color"], symbol=marker["symbol"],
                                     line=dict(width=2, color="white")),
                         hovertemplate=f"{text}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"))
        for kind, dash, name in ARROWS:
            moving.append(len(data))
            data.append(dict(type="scatter", mode="lines+markers", name=name, showlegend=False, hoverinfo="skip",
                             line=dict(color=line["color"], width=4 if kind == "step" else 2.5, dash=dash),
                             marker=dict(symbol=["circle", "arrow"], size=[0, 13], angleref="previous",
                                         color=line["color"])))
    moving.append(len(data))
    table_height = table_pixels(len(traces))
    height = MAP_HEIGHT + table_height
    paper = height - CONTROLS_MARGIN - 8
    colours = [line["color"] for line, _ in looks]
    data.append(dict(type="table", domain=dict(x=[0, 1], y=[0, table_height / paper]),
                     columnwidth=[3, 2, 2, 2, 2.2, 2.2],
                     header=dict(values=list(COLUMNS), height=HEADER, fill=dict(color="#eef0f3"),
                                 align="left", font=dict(size=14)),
                     cells=dict(height=ROW, align="left",
                                font=dict(size=14, color=[colours] + [["#222222"] * len(runs)] * 5))))

    def frame(t) -> list:
        rows = [run.row(t, text) for run, text in zip(runs, texts)]
        return [*(drawn for run in runs for drawn in run.traces(t)),
                dict(type="table", cells=dict(values=[list(column) for column in zip(*rows)]))]

    below = (table_height + 100) / paper  # the table, the key's row and the x axis under the map
    layout = spec["layout"]
    layout["yaxis"]["domain"] = [below, 1.0]
    layout["legend"] = dict(orientation="h", x=0.0, xanchor="left", y=(table_height + 28) / paper,
                            yanchor="bottom", font=dict(size=14))
    for drawn in data:  # the colour bar spans the map, not the table
        if drawn.get("name") == "height":
            drawn["marker"]["colorbar"].update(y=(1 + below) / 2, len=1 - below)
    layout.update(height=height, margin=dict(b=8, l=64))
    controls_above(layout)
    if count:
        names = [str(t) for t in range(1, count + 1)]
        spec["frames"] = [dict(name=name, data=frame(int(name)), traces=moving,
                               layout=dict(updatemenus=[_nav(int(name), count)])) for name in names]
        for index, drawn in zip(moving, frame(1)):  # step 1 shows first; the table keeps its look
            if drawn["type"] == "table":
                data[index]["cells"]["values"] = drawn["cells"]["values"]
            else:
                data[index].update(drawn)
        layout.update(updatemenus=[_nav(1, count)], sliders=[step_slider(names, "step ", redraw=True, left=170)])
    return figure_from(spec)


def table_pixels(runs: int) -> int:
    """The height of the table of numbers under the map, for ``runs`` runs."""
    return HEADER + ROW * runs + 14


def _nav(t, count) -> dict:
    """◀ and ▶ of the frame at step t: one step back and one on (a full redraw updates them)."""
    return buttons(("◀", frame_args([str(max(t - 1, 1))], redraw=True)),
                   ("▶", frame_args([str(min(t + 1, count))], redraw=True)))

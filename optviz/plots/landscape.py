"""The loss landscape of a trained race: the map of a plane through weight space and its 3D view,
each optimizer's path on it, and the loss along straight lines (``optviz.race.landscape``).

The same look as the lab's surfaces (the grey shading, level lines, the palette's colours), with
the plane's own axes. The colour scale stops at the :data:`COLOUR_QUANTILE` of the grid's losses:
a plane's far corners can reach losses many times the start's, which would wash out the valley
the paths run in; the hover tells every point's true loss.
"""

import csv
import io

import numpy as np
import plotly.graph_objects as go

from optviz.optimizers import OPTIMIZERS
from optviz.plots.surface import LEVEL_LINE, SURFACE_COLORS, below_legend
from optviz.plots.theme import SYMBOLS, color, figure_from, new_spec
from optviz.race.landscape import axis_titles

COLOUR_QUANTILE = 0.9
LEVELS = 22
LOSSES = {"train": "training loss", "val": "validation loss"}


def _capped(loss) -> tuple:
    low = float(np.nanmin(loss))
    return low, max(float(np.nanquantile(loss, COLOUR_QUANTILE)), low + 1e-6)


def _title(result, which, view) -> str:
    through = " and ".join(OPTIMIZERS[name].title for name in result.through)
    plane = {"endpoints": f"through the solutions of {through}", "pca": "of the paths' two main directions",
             "random": f"of two random directions around {OPTIMIZERS[result.through[0]].title}'s solution"}
    return f"The {LOSSES[which]} {view} the plane {plane[result.plane]}"


def _hover(name, point, which) -> str:
    return (f"{OPTIMIZERS[name].title}, epoch {point['epoch']:g}<br>(a, b) = ({point['a']:.3g}, {point['b']:.3g})"
            f"<br>its own {LOSSES[which]}: {point[f'{which}_loss']:.4f}<br>the plane's here: "
            f"{point[f'plane_{which}_loss']:.4f}<br>off the plane: {point['residual']:.1%} of its distance")


def landscape_contour(result, which: str = "train") -> go.Figure:
    """The plane from above: shaded loss with level lines, every path through its checkpoints
    (start open, end filled), each point's distance off the plane in its hover."""
    loss = result.loss(which)
    low, high = _capped(loss)
    a_title, b_title = axis_titles(result)
    spec = new_spec(_title(result, which, "on"), margin=dict(t=56, l=64), legend=below_legend(),
                    xaxis=dict(title=dict(text=a_title), showgrid=False, constrain="domain"),
                    yaxis=dict(title=dict(text=b_title), showgrid=False, scaleanchor="x", scaleratio=1,
                               constrain="domain"))
    data = spec["data"]
    data.append(dict(
        type="contour", x=result.axes["a"], y=result.axes["b"], z=loss.tolist(), zmin=low, zmax=high,
        colorscale=SURFACE_COLORS, name=LOSSES[which], showlegend=False,
        contours=dict(start=low, end=high, size=(high - low) / LEVELS, coloring="fill"),
        line=dict(color=LEVEL_LINE, width=1), colorbar=dict(title=dict(text=LOSSES[which]), len=0.8),
        hovertemplate=f"(a, b) = (%{{x:.3g}}, %{{y:.3g}})<br>{LOSSES[which]}: %{{z:.4f}}<extra></extra>",
    ))
    for place, (name, points) in enumerate(result.paths.items()):
        colour, title = color(name), OPTIMIZERS[name].title
        data.append(dict(
            type="scatter", x=[p["a"] for p in points], y=[p["b"] for p in points], mode="lines+markers",
            name=title, legendgroup=name, line=dict(color=colour, width=3),
            marker=dict(size=8, symbol=SYMBOLS[place % len(SYMBOLS)], color=colour),
            hovertext=[_hover(name, p, which) for p in points], hoverinfo="text",
        ))
        first, last = points[0], points[-1]
        data.append(dict(
            type="scatter", x=[first["a"], last["a"]], y=[first["b"], last["b"]], mode="markers", name="start and end",
            legendgroup=name, showlegend=False, hoverinfo="skip",
            marker=dict(symbol=["circle-open", "circle"], size=[16, 13], color=colour,
                        line=dict(width=[3, 1.5], color=[colour, "white"])),
        ))
    return figure_from(spec)


def landscape_3d(result, which: str = "train") -> go.Figure:
    """The plane in 3D, its height the loss (capped as the map's colours are), with each path
    drawn at the plane's loss under its checkpoints, lifted a little so it stays visible."""
    loss = result.loss(which)
    low, high = _capped(loss)
    lift = 0.06 * (high - low)
    a_title, b_title = axis_titles(result)
    spec = new_spec(_title(result, which, "over"), legend=below_legend(-0.02), scene=dict(
        xaxis=dict(title=dict(text="a")), yaxis=dict(title=dict(text="b")),
        zaxis=dict(title=dict(text=LOSSES[which]), range=[low, high + 2 * lift]), aspectmode="manual",
        aspectratio=dict(x=1.2, y=1.2, z=0.7), camera=dict(eye=dict(x=-0.6, y=-1.0, z=2.1)),
    ))  # seen from above the start, looking down the valley the paths run in
    spec["layout"]["annotations"] = [dict(text=f"a: {a_title[3:]}<br>b: {b_title[3:]}", xref="paper", yref="paper",
                                          x=0, y=1, xanchor="left", yanchor="top", showarrow=False, align="left")]
    data = spec["data"]
    data.append(dict(
        type="surface", x=result.axes["a"], y=result.axes["b"], z=np.minimum(loss, high).tolist(),
        colorscale=SURFACE_COLORS, cmin=low, cmax=high, showscale=False, name=LOSSES[which],
        contours=dict(z=dict(show=True, color=LEVEL_LINE, width=1)),
        customdata=loss.tolist(),
        hovertemplate=f"(a, b) = (%{{x:.3g}}, %{{y:.3g}})<br>{LOSSES[which]}: %{{customdata:.4f}}<extra></extra>",
    ))
    for name, points in result.paths.items():
        colour = color(name)
        heights = [min(p[f"plane_{which}_loss"], high) + lift for p in points]
        data.append(dict(
            type="scatter3d", x=[p["a"] for p in points], y=[p["b"] for p in points], z=heights,
            mode="lines+markers", name=OPTIMIZERS[name].title, line=dict(width=7, color=colour),
            marker=dict(size=3, color=colour), hovertext=[_hover(name, p, which) for p in points], hoverinfo="text",
        ))
    return figure_from(spec)


def landscape_lines(result, which: str = "train") -> go.Figure:
    """The loss along straight lines: from the first weights (t = 0) through each optimizer's
    solution (t = 1), and between two solutions (dashed, t = 0 at the first)."""
    lines, t = result.lines, result.lines["t"]
    spec = new_spec(f"The {LOSSES[which]} along straight lines through weight space", legend=below_legend(-0.2),
                    xaxis=dict(title=dict(text="t: 0 at the first weights, 1 at the solution"), zeroline=False),
                    yaxis=dict(title=dict(text=LOSSES[which])))
    data = spec["data"]
    for name, losses in lines["from_start"].items():
        data.append(dict(type="scatter", x=t, y=losses[which], mode="lines", name=OPTIMIZERS[name].title,
                         line=dict(color=color(name), width=3),
                         hovertemplate=f"{OPTIMIZERS[name].title}: t = %{{x:.2f}}, loss %{{y:.4f}}<extra></extra>"))
    between = lines.get("between")
    if between:
        first, second = (OPTIMIZERS[name].title for name in between["optimizers"])
        data.append(dict(type="scatter", x=t, y=between[which], mode="lines", name=f"{first} (t = 0) to {second} "
                         "(t = 1)", line=dict(color="#333333", width=3, dash="dash"),
                         hovertemplate=f"{first} to {second}: t = %{{x:.2f}}, loss %{{y:.4f}}<extra></extra>"))
    for x in (0, 1):
        spec["layout"].setdefault("shapes", []).append(dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0,
                                                            y1=1, line=dict(color=LEVEL_LINE, width=1, dash="dot")))
    return figure_from(spec)


def landscape_csv(result) -> str:
    """The grid (one row per point: a, b, both losses), then the paths' checkpoints, then the lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "optimizer", "epoch", "a", "b", "t", "train_loss", "val_loss", "residual"])
    for row, b in enumerate(result.axes["b"]):
        for column, a in enumerate(result.axes["a"]):
            writer.writerow(["grid", "", "", repr(a), repr(b), "", repr(float(result.train_loss[row, column])),
                             repr(float(result.val_loss[row, column])), ""])
    for name, points in result.paths.items():
        for p in points:
            writer.writerow(["checkpoint", name, p["epoch"], repr(p["a"]), repr(p["b"]), "", repr(p["train_loss"]),
                             repr(p["val_loss"]), repr(p["residual"])])
    lines = dict(result.lines["from_start"])
    if result.lines.get("between"):
        lines["-".join(result.lines["between"]["optimizers"])] = result.lines["between"]
    for name, losses in lines.items():
        for t, train, val in zip(result.lines["t"], losses["train"], losses["val"]):
            writer.writerow(["line", name, "", "", "", repr(t), repr(train), repr(val), ""])
    return out.getvalue()

"""Maps of many runs: where an optimizer converges, diverges or gets trapped (``optviz.engine.maps``).

A stability map colours each cell of a grid of settings by what its run did: reached a minimum
(blue, darker the sooner), diverged (vermillion) or neither (grey); a 1 × N strip adds its final
loss as a curve above. A basin map colours each start by the minimum it reaches (one hue per
minimum, paler the later it arrives, white where it reaches none), with the minima marked and
numbered on top.

The colours are one heatmap, one float32 value per cell, on linear axes: a hyper-parameter that
moves by decades is drawn over log₁₀ of its values and labelled in the values, because a browser
draws a heatmap four times faster on evenly spaced cells. Hovering and clicking go to an invisible
grid of at most :data:`TARGETS` × :data:`TARGETS` points over it, each sitting on a cell and naming
it in words: Streamlit hands a page the clicks on points, not on heatmap cells, and a point per
cell of a 200 × 200 map would take a browser seconds to draw. (The points are text points with no
text: markers would cost ten times more to draw.)
"""

import csv
import io

import numpy as np
import plotly.graph_objects as go

import surfaces
from optviz.engine import maps
from optviz.optimizers import HYPERS, LIBRARIES, OPTIMIZERS
from optviz.plots.curves import HEADROOM, _positive
from optviz.plots.surface import contour, excess_name, lowest, map_axes, minima_traces
from optviz.plots.theme import figure_from, new_spec, number, symbol

#: Reached a minimum: dark when it got there at once, through mid-blue, to pale for the map's latest.
REACHED_COLORS = ("#08306b", "#2f7fbf", "#c6dbef")
DIVERGED_COLOR = "#D55E00"
NEITHER_COLOR = "#c8c8c8"
#: One hue per minimum of a basin map (Paul Tol's bright scheme, without its grey), reused in turn.
BASIN_COLORS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377")
#: How pale a basin's cells get when their runs arrive last: this share of white.
PALEST = 0.8
#: Minima are numbered on the map, and listed in the legend, up to this many.
NUMBERED_MINIMA = 12
#: Hover and click targets a side, at most.
TARGETS = 50
THEORY_LINE = dict(color="#000000", width=3, dash="dash")
PICKED = dict(symbol="square-open", size=18, color="#000000", line=dict(width=3))
SUBTITLE = dict(font=dict(size=15, color="#555555"))
#: Room under the plot for the x axis and a legend of two or three rows.
BOTTOM = 170
#: Contour points a side behind a picked run: it is drawn at each click, small, beside the map.
RUN_GRID = 60


def axis_title(name: str) -> str:
    """The symbol, then the meaning up to its first explanation: α (learning rate)."""
    return f"{symbol(name)} ({HYPERS[name].meaning.split(':')[0]})"


def _title(m, what: str, settings: bool = False) -> dict:
    """The title (Momentum on Ravine: where it converges) and, below it, the steps, the start, the
    convention and (for a map of one setting) the hyper-parameters every cell shares."""
    surface, entry = surfaces.get(m.surface), OPTIMIZERS[m.optimizer]
    details = [f"{m.steps:,} steps"]
    if isinstance(m, maps.StabilityMap):
        details.append(f"from ({number(m.start[0])}, {number(m.start[1])})")
    if settings and m.hyper:
        details.append(", ".join(f"{symbol(k)}={number(v)}" for k, v in m.hyper.items()))
    details.append(f"{LIBRARIES[m.convention]} convention")
    return dict(text=f"{entry.title} on {surface.title}: {what}", subtitle=dict(SUBTITLE, text=", ".join(details)))


def _only(mask, values) -> np.ndarray:
    """``values`` where ``mask``, NaN (drawn as nothing) elsewhere, as float32."""
    return np.where(mask, values, np.nan).astype(np.float32)


def _latest(m) -> int:
    """The latest arrival on the map (at least 1): the palest shade, so that the shading spreads over
    the arrivals there are, however few steps they took."""
    return max(1, int(m.arrival.max()))


def _key(name: str, color: str) -> dict:
    """A legend entry for a colour that a heatmap uses."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=name,
                marker=dict(symbol="square", size=16, color=color, line=dict(width=1, color="#888888")))


def _legend_below() -> dict:
    """The legend at the foot of the figure, under the x axis whatever the figure's height."""
    return dict(orientation="h", x=0.0, xanchor="left", y=0.0, yanchor="bottom", yref="container")


# ---------------------------------------------------------------------------------------------
# What a cell did, in words: the hover text, and the page's description of a picked run.


def describer(m):
    """``(row, column) -> what that cell's run did``, in one line of plain text (the texts that many
    cells share are made once: a map's hover names 2,500 of them)."""
    minima = [f"reached the {minimum.kind} minimum ({number(minimum.x)}, {number(minimum.y)}) at step "
              for minimum in surfaces.get(m.surface).minima]
    outcome, minimum, arrival, diverged, loss = (a.tolist() for a in (m.outcome, m.minimum, m.arrival, m.diverged_at,
                                                                      m.final_loss))

    def said(row: int, column: int) -> str:
        if outcome[row][column] == maps.REACHED:
            return f"{minima[minimum[row][column]]}{arrival[row][column]}"
        if diverged[row][column] >= 0:
            return f"diverged: it overflowed at step {diverged[row][column]}"
        if outcome[row][column] == maps.DIVERGED:
            return f"diverged: its loss ended at {number(loss[row][column])}, above its start's"
        return f"reached no known minimum in {m.steps:,} steps (it ends at J = {number(loss[row][column])})"

    return said


def namer(m):
    """``(row, column) -> the cell's own values``: its settings on a stability map ("α=0.01,
    β=0.9"), its start on a basin map."""
    if isinstance(m, maps.StabilityMap):
        xs = [f"{symbol(m.x_name)}={number(v)}" for v in m.x]
        ys = [""] if m.y_name is None else [f", {symbol(m.y_name)}={number(v)}" for v in m.y]
        return lambda row, column: xs[column] + ys[row]
    xs, ys = [number(v) for v in m.x], [number(v) for v in m.y]
    return lambda row, column: f"start ({xs[column]}, {ys[row]})"


def describe(m, row: int, column: int) -> str:
    """What one cell's run did (see :func:`describer`)."""
    return describer(m)(row, column)


def where(m, row: int, column: int) -> str:
    """One cell's own values (see :func:`namer`)."""
    return namer(m)(row, column)


def _scaled(name: str, values):
    """Where values of a hyper-parameter sit on its axis: their log₁₀ if it moves by decades."""
    return np.log10(values) if HYPERS[name].scale == "log" else np.asarray(values, dtype=np.float64)


def placed(m) -> tuple:
    """The figure's coordinates of a map's columns and of its rows (one row at 0 for a strip)."""
    if not isinstance(m, maps.StabilityMap):
        return m.x, m.y
    return _scaled(m.x_name, m.x), np.zeros(1) if m.y_name is None else _scaled(m.y_name, m.y)


def cell_at(m, x: float, y: float) -> tuple:
    """``(row, column)`` of the map's cell at the figure's coordinates (x, y), as a click reports
    them."""
    xs, ys = placed(m)
    return int(np.argmin(np.abs(ys - y))), int(np.argmin(np.abs(xs - x)))


def _spread(count: int) -> np.ndarray:
    return np.unique(np.linspace(0, count - 1, min(count, TARGETS)).round().astype(np.int64))


def targets(m, words, axes=("x", "y")) -> dict:
    """The invisible points that hover and clicks go to: each on a cell, saying ``words(row,
    column)``. A click selects the point, whose x and y are that cell's (:func:`cell_at` finds it)."""
    rows, columns = np.meshgrid(_spread(m.shape[0]), _spread(m.shape[1]), indexing="ij")
    rows, columns = rows.ravel(), columns.ravel()
    xs, ys = placed(m)
    return dict(type="scatter", x=xs[columns], y=ys[rows], mode="text", text="", name="cells", showlegend=False,
                hovertext=[words(r, c) for r, c in zip(rows.tolist(), columns.tolist())], hoverinfo="text",
                xaxis=axes[0], yaxis=axes[1])


def _picked(m, picked, axes=("x", "y"), legend=True) -> list:
    if picked is None:
        return []
    (row, column), (xs, ys) = picked, placed(m)
    return [dict(type="scatter", x=[float(xs[column])], y=[float(ys[row])], mode="markers", name="picked",
                 marker=PICKED, xaxis=axes[0], yaxis=axes[1], hoverinfo="skip", showlegend=legend)]


# ---------------------------------------------------------------------------------------------
# Stability maps.


def _axis(name: str, values) -> dict:
    """A hyper-parameter's axis, each cell whole; one that moves by decades is labelled 10ⁿ at each
    decade (with 2 and 5 between them when there are few decades), as a log axis would be."""
    low, high = _scaled(name, values[[0, -1]]).tolist()
    half = (high - low) / (len(values) - 1) / 2
    axis = dict(title=dict(text=axis_title(name)), type="linear", range=[low - half, high + half], autorange=False,
                showgrid=False)
    if HYPERS[name].scale == "log":
        between = (2, 5) if high - low <= 6 else ()
        ticks = [(e + np.log10(k), _decade(e) if k == 1 else f"<span style='font-size:13px'>{k}</span>")
                 for e in range(int(np.floor(low)), int(np.ceil(high)) + 1) for k in (1, *between)]
        shown = [(v, text) for v, text in ticks if low - half <= v <= high + half]
        axis.update(tickvals=[v for v, _ in shown], ticktext=[text for _, text in shown])
    return axis


def _decade(exponent: int) -> str:
    """10ⁿ as a log axis labels it: 1 and 10 as numbers, the others as powers."""
    return {0: "1", 1: "10"}.get(exponent, f"10<sup>{str(exponent).replace('-', '−')}</sup>")


def _nice_steps(latest: int) -> list:
    """Up to five round step counts from 0 to ``latest``, for a colour bar's ticks."""
    spacing = 10 ** np.floor(np.log10(max(latest, 1) / 4))
    spacing *= next(m for m in (1, 2, 5, 10) if latest / (m * spacing) <= 5)
    return [int(v) for v in np.arange(0, latest + 1, spacing)]


def outcome_trace(m, axes=("x", "y"), colorbar=None) -> dict:
    """The colours of a stability map as one heatmap: z in [0, 1) for a run that reached a minimum
    (its arrival over the map's latest), 1.5 diverged, 2.5 neither. Its colour bar is the key of
    all three: the arrival steps, then a block for each other outcome."""
    latest = _latest(m)
    z = np.where(m.outcome == maps.REACHED, np.minimum(m.arrival / latest, 0.999),
                 np.where(m.outcome == maps.DIVERGED, 1.5, 2.5))
    scale = [[0.0, REACHED_COLORS[0]], [0.5 / 3, REACHED_COLORS[1]], [0.999 / 3, REACHED_COLORS[2]],
             [1 / 3, DIVERGED_COLOR], [2 / 3, DIVERGED_COLOR], [2 / 3, NEITHER_COLOR], [1.0, NEITHER_COLOR]]
    ticks = _nice_steps(latest)
    bar = dict(thickness=14, len=0.75, x=1.01, xanchor="left", y=0.0, yanchor="bottom", tickfont=dict(size=13),
               title=dict(text="step it reached<br>a minimum", side="top", font=dict(size=14)),
               tickvals=[v / latest for v in ticks] + [1.5, 2.5], ticktext=[str(v) for v in ticks] + [
                   "diverged", "neither"])
    bar.update(colorbar or {})
    xs, ys = placed(m)
    return dict(type="heatmap", x=xs, y=ys, z=z.astype(np.float32), zmin=0, zmax=3, colorscale=scale, colorbar=bar,
                name="outcome", hoverinfo="skip", xaxis=axes[0], yaxis=axes[1])


def theory_traces(m, axes=("x", "y")) -> list:
    """The edge that theory gives, as a dashed line, where it gives one."""
    found = maps.theory(m)
    if found is None:
        return []
    known, lam = found
    xs, ys = maps.edge(m)
    xs = _scaled(m.x_name, xs).tolist()
    if ys is None:  # a strip: a vertical line at each edge
        xs, ys = [v for edge in xs for v in (edge, edge, None)], [v for _ in xs for v in (-0.5, 0.5, None)]
    else:
        ys = _scaled(m.y_name, ys)
    return [dict(type="scatter", x=xs, y=ys, mode="lines", name=f"theory: {known.formula}, λ_max = {number(lam)}",
                 line=THEORY_LINE, hoverinfo="skip", xaxis=axes[0], yaxis=axes[1])]


def _words(m, who: str = ""):
    """The hover text of a map's cells: their values, then what (``who``) did there."""
    name, said = namer(m), describer(m)
    return lambda row, column: f"{name(row, column)}<br>{who}{said(row, column)}"


def stability_map(m, *, picked=None, title=None) -> go.Figure:
    """Where the runs of a stability map converge, diverge or neither, with the edge theory gives
    where it gives one and the picked cell ``(row, column)`` outlined. A 1 × N map is drawn as a
    strip under its final-loss curve (:func:`stability_strip`)."""
    if m.y_name is None:
        return stability_strip(m, picked=picked, title=title)
    spec = new_spec("", margin=dict(t=90, b=130), xaxis=_axis(m.x_name, m.x), yaxis=_axis(m.y_name, m.y),
                    legend=_legend_below())
    spec["layout"]["title"] = dict(text=title) if title else _title(m, "where it converges")
    spec["data"] = [outcome_trace(m), *theory_traces(m), targets(m, _words(m)), *_picked(m, picked)]
    return figure_from(spec)


def stability_strip(m, *, picked=None, title=None) -> go.Figure:
    """A map over one hyper-parameter: the outcome strip below, the final loss above it (J − J_min
    on a log axis, a gap where the run overflowed; a run that blew up leaves through the top), on
    one shared x axis."""
    surface = surfaces.get(m.surface)
    floor = lowest(surface)
    shown = _positive(m.final_loss[0] - floor, floor)
    top = min(np.nanmax(shown), max(m.start_loss - floor, np.nanmin(shown)) * HEADROOM)
    colors = np.array([REACHED_COLORS[1], DIVERGED_COLOR, NEITHER_COLOR])[m.outcome[0]]
    x_axis = _axis(m.x_name, m.x)
    loss = f"final {excess_name(surface)}"
    spec = new_spec(
        "", margin=dict(t=90, b=130),
        xaxis=dict({k: v for k, v in x_axis.items() if k != "title"}, anchor="y", showticklabels=False, matches="x2"),
        yaxis=dict(title=dict(text=f"{loss} (log)"), type="log", domain=[0.32, 1.0],
                   range=[float(np.log10(np.nanmin(shown))) - 0.3, float(np.log10(top)) + 0.3]),
        xaxis2=dict(x_axis, anchor="y2"),
        yaxis2=dict(domain=[0.0, 0.22], range=[-0.5, 0.5], showticklabels=False, ticks="", showgrid=False),
        legend=_legend_below(),
    )
    spec["layout"]["title"] = dict(text=title) if title else _title(m, "where it converges")
    spec["data"] = [
        dict(type="scatter", x=placed(m)[0], y=shown, mode="lines+markers", name="final loss", xaxis="x", yaxis="y",
             line=dict(color="#555555", width=2), marker=dict(size=7, color=colors.tolist()), customdata=m.x,
             hovertemplate=f"{symbol(m.x_name)}=%{{customdata:.4g}}<br>{loss} = %{{y:.4g}}<extra></extra>"),
        outcome_trace(m, ("x2", "y2"), colorbar=dict(len=1.0)), *theory_traces(m, axes=("x2", "y2")),
        targets(m, _words(m), axes=("x2", "y2")), *_picked(m, picked, axes=("x2", "y2")),
    ]
    return figure_from(spec)


# ---------------------------------------------------------------------------------------------
# Basin maps.


def basin_color(index: int) -> str:
    return BASIN_COLORS[index % len(BASIN_COLORS)]


def pale(color: str, share: float) -> str:
    """``color`` mixed with ``share`` of white."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return "rgb({:.0f},{:.0f},{:.0f})".format(*(rgb + (255 - rgb) * share))


def _basin_scale(count: int) -> list:
    """A colour scale of ``count`` bands, band i going from minimum i's colour (arrived at once)
    to its palest shade (arrived last): a cell's z is i plus how late it arrived, in [0, 1)."""
    scale = []
    for i in range(count):
        scale += [[i / count, pale(basin_color(i), 0.0)], [(i + 0.999) / count, pale(basin_color(i), PALEST)]]
    scale[-1][0] = 1.0
    return scale


def basin_trace(b, axes=("x", "y")) -> dict:
    """The starts that reach a minimum, coloured by which and shaded by when; the others are left
    undrawn (white)."""
    count = len(surfaces.get(b.surface).minima)
    late = np.minimum(b.arrival / _latest(b), 0.999)
    return dict(type="heatmap", x=b.x, y=b.y, z=_only(b.minimum >= 0, b.minimum + late),
                colorscale=_basin_scale(count), zmin=0, zmax=count, showscale=False, name="basins",
                hoverinfo="skip", xaxis=axes[0], yaxis=axes[1])


def minima_marks(surface, axes=("x", "y"), legend=True) -> list:
    """The minima's own stars, numbered when there are few enough to read, with one legend entry
    per minimum's colour."""
    data = [dict(t, xaxis=axes[0], yaxis=axes[1], showlegend=legend) for t in minima_traces(surface)]
    if len(surface.minima) > NUMBERED_MINIMA:
        return data
    data.append(dict(type="scatter", x=[m.x for m in surface.minima], y=[m.y for m in surface.minima],
                     mode="markers+text", marker=dict(size=24, opacity=0), text=[
                         str(i + 1) for i in range(len(surface.minima))], textposition="top right",
                     textfont=dict(size=18, color="#000000"), showlegend=False, hoverinfo="skip",
                     xaxis=axes[0], yaxis=axes[1]))
    if legend:
        data += [_key(f"minimum {i + 1} ({number(m.x)}, {number(m.y)}), {m.kind}", basin_color(i))
                 for i, m in enumerate(surface.minima)]
    return data


def _basin_keys(*shown) -> list:
    """Legend entries for what a basin map's shades mean."""
    latest = max(_latest(b) for b in shown)
    return [_key(f"paler: later, up to step {latest:,}", pale(BASIN_COLORS[0], PALEST)),
            _key("no minimum reached", "#ffffff")]


def _basin_axes(b, suffix: str = "", domain=None) -> dict:
    """A basin map's axes: the window of starts at equal scale, each cell whole."""
    half_x, half_y = (b.x[1] - b.x[0]) / 2, (b.y[1] - b.y[0]) / 2
    axes = map_axes(((b.x[0] - half_x, b.x[-1] + half_x), (b.y[0] - half_y, b.y[-1] + half_y)))
    x, y = axes["xaxis"], axes["yaxis"]
    # Maps side by side share the figure's width: each keeps its whole window and gives up room
    x["constrain"] = y["constrain"] = "domain"
    x["title"], y["title"] = dict(text="x"), dict(text="y")
    if suffix:
        x["anchor"], y["anchor"], y["scaleanchor"] = f"y{suffix}", f"x{suffix}", f"x{suffix}"
        y["title"] = None
    if domain:
        x["domain"] = domain
    return {f"xaxis{suffix}": x, f"yaxis{suffix}": y}


def basin_map(b, *, picked=None, title=None) -> go.Figure:
    """From which start the optimizer reaches which minimum, and how soon."""
    surface = surfaces.get(b.surface)
    spec = new_spec("", margin=dict(t=90, b=BOTTOM), legend=_legend_below(), **_basin_axes(b))
    spec["layout"]["title"] = dict(text=title) if title else _title(b, "which minimum from each start", True)
    spec["data"] = ([basin_trace(b), targets(b, _words(b))] + minima_marks(surface) + _picked(b, picked)
                    + _basin_keys(b))
    return figure_from(spec)


def _same_grid(a, b) -> None:
    if a.surface != b.surface or not (np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)):
        raise ValueError("the two basin maps must share their surface and their grid of starts")


def _names(a, b) -> tuple:
    """How the two maps are called: the optimizers, numbered if it is one optimizer twice."""
    first, second = OPTIMIZERS[a.optimizer].title, OPTIMIZERS[b.optimizer].title
    return (first, second) if first != second else (f"{first} (1)", f"{second} (2)")


def _both_titles(a, b, what: str) -> dict:
    surface = surfaces.get(a.surface)
    settings = "; ".join(f"{name}: " + ", ".join(f"{symbol(k)}={number(v)}" for k, v in m.hyper.items())
                         for name, m in zip(_names(a, b), (a, b)))
    return dict(text=f"{surface.title}: {what}",
                subtitle=dict(SUBTITLE, text=f"{a.steps:,} steps; {settings}; {LIBRARIES[a.convention]} convention"))


def basin_comparison(a, b, *, picked=None, title=None) -> go.Figure:
    """Two basin maps of the same grid side by side, in the same colours."""
    _same_grid(a, b)
    surface = surfaces.get(a.surface)
    names = _names(a, b)
    spec = new_spec("", margin=dict(t=110, b=BOTTOM), legend=_legend_below(),
                    **_basin_axes(a, domain=[0.0, 0.47]), **_basin_axes(b, "2", domain=[0.53, 1.0]))
    spec["layout"]["title"] = dict(text=title) if title else _both_titles(a, b, "which minimum from each start")
    spec["layout"]["annotations"] = [
        dict(text=name, xref=f"x{suffix} domain", yref=f"y{suffix} domain", x=0.5, y=1.0, xanchor="center",
             yanchor="bottom", showarrow=False, font=dict(size=18))
        for name, suffix in zip(names, ("", "2"))]
    second = ("x2", "y2")
    spec["data"] = ([basin_trace(a), targets(a, _words(a, f"{names[0]}: "))] + minima_marks(surface)
                    + _picked(a, picked) + [basin_trace(b, second), targets(b, _words(b, f"{names[1]}: "), second)]
                    + minima_marks(surface, second, legend=False) + _picked(b, picked, second, legend=False)
                    + _basin_keys(a, b))
    return figure_from(spec)


def basin_difference(a, b, *, picked=None, title=None) -> go.Figure:
    """The starts from which the two optimizers end in different minima, coloured by where the
    second one goes instead (white where it reaches none), grey where they agree."""
    _same_grid(a, b)
    surface = surfaces.get(a.surface)
    differ = a.minimum != b.minimum
    names = _names(a, b)
    spec = new_spec("", margin=dict(t=110, b=BOTTOM), legend=_legend_below(), **_basin_axes(a))
    spec["layout"]["title"] = dict(text=title) if title else dict(
        text=f"{names[1]} vs {names[0]}: where they differ",
        subtitle=dict(SUBTITLE, text=f"{surface.title}, {a.steps:,} steps from each start"))
    instead = dict(basin_trace(b), z=_only(differ & (b.minimum >= 0), b.minimum + 0.3), name="ends elsewhere")

    name, first, second = namer(a), describer(a), describer(b)

    def words(row, column):
        return f"{name(row, column)}<br>{names[0]}: {first(row, column)}<br>{names[1]}: {second(row, column)}"

    spec["data"] = [
        dict(type="heatmap", x=a.x, y=a.y, z=_only(~differ, 0.0), colorscale=[[0, "#e6e6e6"], [1, "#e6e6e6"]],
             showscale=False, name="same minimum", hoverinfo="skip"),
        instead, targets(a, words), *minima_marks(surface), *_picked(a, picked),
        _key(f"the same minimum ({np.mean(~differ):.0%} of starts)", "#e6e6e6"),
        _key(f"{names[1]} ends in no minimum", "#ffffff"),
    ]
    return figure_from(spec)


# ---------------------------------------------------------------------------------------------
# The picked cell.


def picked_runs(traces, surface, title: str) -> go.Figure:
    """The runs of a picked cell on the surface, laid out to stand beside a map: the legend below,
    and no colour bar (the surface's shading is only a backdrop here)."""
    fig = contour(traces, surface, title=title, resolution=RUN_GRID)
    fig.update_layout(legend=_legend_below(), margin=dict(r=30, b=BOTTOM))
    fig.update_traces(showscale=False, selector=dict(type="contour"))
    return fig


# ---------------------------------------------------------------------------------------------
# The data, as CSV.


def map_csv(*shown) -> str:
    """Every cell of one or more maps of the same grid, one row each: the optimizer, the cell's
    axis values (or its start), outcome, the minimum reached (its index in the surface's minima,
    -1 none), arrival, divergence, final point and loss."""
    first = shown[0]
    names = (first.x_name, first.y_name) if isinstance(first, maps.StabilityMap) else ("start_x", "start_y")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["optimizer", *(n for n in names if n), "outcome", "minimum", "arrival", "diverged_at",
                     "final_x", "final_y", "final_loss"])
    for m in shown:
        rows, columns = m.shape
        for row in range(rows):
            y = [repr(float(m.y[row]))] if names[1] else []
            for column in range(columns):
                writer.writerow([m.optimizer, repr(float(m.x[column])), *y, maps.OUTCOMES[m.outcome[row, column]],
                                 int(m.minimum[row, column]), int(m.arrival[row, column]),
                                 int(m.diverged_at[row, column]), repr(float(m.final[row, column, 0])),
                                 repr(float(m.final[row, column, 1])), repr(float(m.final_loss[row, column]))])
    return out.getvalue()

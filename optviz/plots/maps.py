"""Maps of many runs: where an optimizer converges, diverges or gets trapped (``optviz.engine.maps``).

A stability map colours each cell of a grid of settings by what its run did: reached a minimum
(blue, darker the sooner), diverged (vermillion) or neither (grey); a 1 × N strip adds its final
loss as a curve above. A basin map colours each start by the minimum it reaches (one hue per
minimum, paler the later it arrives, white where it reaches none), with the minima marked and
numbered on top. The hover names each cell's values, and every cell is a click target.

The maps send one float32 value per cell and trace (a 200 × 200 map is a few hundred kB), and
each outcome is a trace of its own, so that its hover text can say in words what happened there.
"""

import csv
import io

import numpy as np
import plotly.graph_objects as go

import surfaces
from optviz.engine import maps
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.plots.curves import HEADROOM, _positive
from optviz.plots.surface import excess_name, lowest, map_axes, minima_traces
from optviz.plots.theme import figure_from, new_spec, number, symbol

#: Reached a minimum: dark when it got there at once, pale when it took every step.
REACHED_COLORS = [[0.0, "#08306b"], [0.5, "#2f7fbf"], [1.0, "#c6dbef"]]
DIVERGED_COLOR = "#D55E00"
NEITHER_COLOR = "#c8c8c8"
#: One hue per minimum of a basin map (Paul Tol's bright scheme, without its grey), reused in turn.
BASIN_COLORS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377")
#: How pale a basin's cells get when their runs arrive at the last step: this share of white.
PALEST = 0.8
#: Minima are numbered on the map, and listed in the legend, up to this many.
NUMBERED_MINIMA = 12
THEORY_LINE = dict(color="#000000", width=3, dash="dash")
PICKED = dict(symbol="square-open", size=18, color="#000000", line=dict(width=3))


def axis_title(name: str) -> str:
    """"α (learning rate)": the symbol, then the meaning up to its first explanation."""
    return f"{symbol(name)} ({HYPERS[name].meaning.split(':')[0]})"


def _axis(name: str, values) -> dict:
    log = HYPERS[name].scale == "log"
    low, high = (np.log10(values[[0, -1]]) if log else values[[0, -1]]).tolist()
    half = (high - low) / (len(values) - 1) / 2 if len(values) > 1 else 0.5
    return dict(title=dict(text=axis_title(name)), type="log" if log else "linear", range=[low - half, high + half],
                autorange=False, showgrid=False)


def _only(mask, values) -> np.ndarray:
    """``values`` where ``mask``, NaN (drawn as nothing) elsewhere, as float32."""
    return np.where(mask, values, np.nan).astype(np.float32)


def _decades(loss) -> np.ndarray:
    """log₁₀ of a loss that may have grown past float32 or even overflowed float64 (then 10^308.3)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.minimum(loss, np.finfo(np.float64).max))


def _latest(m) -> int:
    """The latest arrival on the map (at least 1): the palest shade, so that the shading spreads over
    the arrivals there are, however few steps they took."""
    return max(1, int(m.arrival.max()))


def _flat(color: str) -> list:
    return [[0.0, color], [1.0, color]]


def _key(name: str, color: str, symbol_: str = "square") -> dict:
    """A legend entry for a colour that a heatmap uses."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=name,
                marker=dict(symbol=symbol_, size=16, color=color, line=dict(width=1, color="#888888")))


def _title(m, what: str) -> str:
    return f"{surfaces.get(m.surface).title}: {OPTIMIZERS[m.optimizer].title}, {what} ({m.steps:,} steps)"


# ---------------------------------------------------------------------------------------------
# Stability maps.


def outcome_traces(m, axes=("x", "y"), colorbar=None) -> list:
    """The heatmaps of a stability map: one per outcome, each with its own hover text."""
    x_name, y_name = m.x_name, m.y_name
    names = f"{symbol(x_name)}=%{{x:.4g}}" + ("" if y_name is None else f", {symbol(y_name)}=%{{y:.4g}}")
    y = [0.0] if m.y is None else m.y
    overflowed = m.diverged_at >= 0
    layers = [
        ("reached a minimum", _only(m.outcome == maps.REACHED, m.arrival), REACHED_COLORS,
         "reached a minimum at step %{z:.0f}"),
        ("diverged", _only(overflowed, m.diverged_at), _flat(DIVERGED_COLOR), "diverged: overflowed at step %{z:.0f}"),
        ("diverged", _only((m.outcome == maps.DIVERGED) & ~overflowed, _decades(m.final_loss)), _flat(DIVERGED_COLOR),
         f"diverged: its loss grew to about 10^%{{z:.0f}}, from J = {number(m.start_loss)} at the start"),
        ("neither", _only(m.outcome == maps.NEITHER, m.final_loss), _flat(NEITHER_COLOR),
         f"neither: ended at J = %{{z:.4g}}, near no known minimum"),
    ]
    data = []
    for name, z, colors, what in layers:
        trace = dict(type="heatmap", x=m.x, y=y, z=z, colorscale=colors, name=name, hoverongaps=False,
                     showscale=False, xaxis=axes[0], yaxis=axes[1], hovertemplate=f"{names}<br>{what}<extra></extra>")
        if colors is REACHED_COLORS:
            bar = colorbar or dict(orientation="h", x=1.0, xanchor="right", y=-0.16, yanchor="top", len=0.45)
            trace.update(zmin=0, zmax=_latest(m), showscale=True, colorbar=dict(
                thickness=12, title=dict(text="step it reached a minimum", side="top", font=dict(size=16)),
                tickfont=dict(size=14), **bar))
        data.append(trace)
    return data


def _theory_traces(m, axes=("x", "y")) -> list:
    found, line = maps.theory(m), maps.edge(m)
    if found is None:
        return []
    known, lam = found
    name = f"theory: {known.formula}, λ_max = {number(lam)}"
    xs, ys = line
    if ys is None:  # a strip: a vertical line at each edge
        x = [v for edge in xs for v in (edge, edge, None)]
        ys = [v for _ in xs for v in (-0.5, 0.5, None)]
        return [dict(type="scatter", x=x, y=ys, mode="lines", name=name, line=THEORY_LINE, xaxis=axes[0],
                     yaxis=axes[1], hoverinfo="skip")]
    return [dict(type="scatter", x=xs, y=ys, mode="lines", name=name, line=THEORY_LINE, xaxis=axes[0],
                 yaxis=axes[1], hovertemplate=f"the edge theory gives<br>{known.formula}<extra></extra>")]


def _picked(m, picked, axes=("x", "y")) -> list:
    if picked is None:
        return []
    row, column = picked
    y = 0.0 if m.y is None else float(m.y[row])
    return [dict(type="scatter", x=[float(m.x[column])], y=[y], mode="markers", name="picked run", marker=PICKED,
                 xaxis=axes[0], yaxis=axes[1], hoverinfo="skip")]


def stability_map(m, *, picked=None, title=None) -> go.Figure:
    """Where the runs of a stability map converge, diverge or neither, with the edge theory gives
    where it gives one and the picked cell ``(row, column)`` outlined. A 1 × N map is drawn as a
    strip under its final-loss curve (:func:`stability_strip`)."""
    if m.y_name is None:
        return stability_strip(m, picked=picked, title=title)
    spec = new_spec(title or _title(m, "where it converges"), margin=dict(b=150),
                    xaxis=_axis(m.x_name, m.x), yaxis=_axis(m.y_name, m.y),
                    legend=dict(orientation="h", x=0.0, y=-0.16, yanchor="top", xanchor="left"))
    spec["data"] = (outcome_traces(m) + _theory_traces(m) + _picked(m, picked)
                    + [_key("diverged", DIVERGED_COLOR), _key("neither", NEITHER_COLOR)])
    return figure_from(spec)


def stability_strip(m, *, picked=None, title=None) -> go.Figure:
    """A map over one hyper-parameter: the outcome strip below, the final loss above it (J − J_min
    on a log axis, a gap where the run overflowed; a run that blew up leaves through the top), on
    one shared x axis."""
    floor = lowest(surfaces.get(m.surface))
    shown = _positive(m.final_loss[0] - floor, floor)
    top = min(np.nanmax(shown), max(m.start_loss - floor, np.nanmin(shown)) * HEADROOM)
    colors = np.array([REACHED_COLORS[1][1], DIVERGED_COLOR, NEITHER_COLOR])[m.outcome[0]]
    x_axis = _axis(m.x_name, m.x)
    spec = new_spec(
        title or _title(m, "where it converges"), margin=dict(b=130),
        xaxis=dict(x_axis, title=None, anchor="y", showticklabels=False, matches="x2"),
        yaxis=dict(title=dict(text=f"final {excess_name(surfaces.get(m.surface))} (log)"), type="log",
                   domain=[0.32, 1.0], range=[float(np.log10(np.nanmin(shown))) - 0.3, float(np.log10(top)) + 0.3]),
        xaxis2=dict(x_axis, anchor="y2"),
        yaxis2=dict(domain=[0.0, 0.22], range=[-0.5, 0.5], showticklabels=False, ticks="", showgrid=False),
        legend=_legend_below(),
    )
    names = f"{symbol(m.x_name)}=%{{x:.4g}}"
    bar = dict(orientation="v", x=1.01, xanchor="left", y=0.0, yanchor="bottom", len=0.3)
    spec["data"] = [
        dict(type="scatter", x=m.x, y=shown, mode="lines+markers", name="final loss", xaxis="x", yaxis="y",
             line=dict(color="#555555", width=2), marker=dict(size=7, color=colors.tolist()),
             hovertemplate=f"{names}<br>final {excess_name(surfaces.get(m.surface))} = %{{y:.4g}}<extra></extra>"),
        *outcome_traces(m, axes=("x2", "y2"), colorbar=bar),
        *_theory_traces(m, axes=("x2", "y2")),
        *_picked(m, picked, axes=("x2", "y2")),
        _key("diverged", DIVERGED_COLOR), _key("neither", NEITHER_COLOR),
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
    to its palest shade (arrived at the last step): a cell's z is i + its share of the steps."""
    scale = []
    for i in range(count):
        scale += [[i / count, pale(basin_color(i), 0.0)], [(i + 0.999) / count, pale(basin_color(i), PALEST)]]
    scale[-1][0] = 1.0
    return scale


def basin_traces(b, axes=("x", "y"), label: str = "") -> list:
    """One heatmap of the starts that reach a minimum (hue: which; paleness: how late), and one of
    those that reach none (white)."""
    count = len(surfaces.get(b.surface).minima)
    reached = b.minimum >= 0
    shade = b.arrival / _latest(b)
    who = f"{label}: " if label else ""
    cells = np.stack([b.minimum + 1, b.arrival], axis=-1).astype(np.float32)
    return [
        dict(type="heatmap", x=b.x, y=b.y, z=_only(reached, b.minimum + np.minimum(shade, 0.999)),
             customdata=cells, colorscale=_basin_scale(count), zmin=0, zmax=count, showscale=False,
             hoverongaps=False, name="basins", xaxis=axes[0], yaxis=axes[1],
             hovertemplate=f"start (%{{x:.3g}}, %{{y:.3g}})<br>{who}reaches minimum %{{customdata[0]:.0f}} at step "
                           f"%{{customdata[1]:.0f}}<extra></extra>"),
        dict(type="heatmap", x=b.x, y=b.y, z=_only(~reached, b.final_loss), colorscale=_flat("#ffffff"),
             showscale=False, hoverongaps=False, name="no minimum", xaxis=axes[0], yaxis=axes[1],
             hovertemplate=f"start (%{{x:.3g}}, %{{y:.3g}})<br>{who}reaches no known minimum "
                           f"(ends at J = %{{z:.4g}})<extra></extra>"),
    ]


def minima_marks(surface, axes=("x", "y"), legend=True) -> list:
    """The minima's own stars, numbered when there are few enough to read, with one legend
    entry per minimum's colour."""
    data = [dict(t, xaxis=axes[0], yaxis=axes[1], showlegend=legend) for t in minima_traces(surface)]
    if len(surface.minima) > NUMBERED_MINIMA:
        return data
    data.append(dict(type="scatter", x=[m.x for m in surface.minima], y=[m.y for m in surface.minima],
                     mode="markers+text", marker=dict(size=24, opacity=0), text=[str(i + 1) for i in
                                                                              range(len(surface.minima))],
                     textposition="top right", textfont=dict(size=18, color="#000000"), showlegend=False,
                     hoverinfo="skip", xaxis=axes[0], yaxis=axes[1]))
    if legend:
        data += [_key(f"minimum {i + 1} ({number(m.x)}, {number(m.y)}), {m.kind}", basin_color(i))
                 for i, m in enumerate(surface.minima)]
    return data


def _basin_keys(*shown) -> list:
    """Legend entries for what a basin map's shades mean."""
    latest = max(_latest(b) for b in shown)
    return [_key(f"paler: later, up to step {latest:,}", pale(BASIN_COLORS[0], PALEST)),
            _key("no minimum reached", "#ffffff")]


def _basin_axes(b, suffix="", domain=None) -> dict:
    axes = map_axes(b.x[0], b.x[-1], b.y[0], b.y[-1])
    x, y = axes["xaxis"], axes["yaxis"]
    half_x, half_y = (b.x[1] - b.x[0]) / 2, (b.y[1] - b.y[0]) / 2
    x.update(range=[b.x[0] - half_x, b.x[-1] + half_x], showgrid=False)
    y.update(range=[b.y[0] - half_y, b.y[-1] + half_y], showgrid=False, scaleanchor=f"x{suffix}")
    if suffix:
        x["anchor"], y["anchor"] = f"y{suffix}", f"x{suffix}"
    if domain:
        x["domain"] = domain
    return {f"xaxis{suffix}": x, f"yaxis{suffix}": y}


def _picked_start(b, picked, axes=("x", "y")) -> list:
    if picked is None:
        return []
    x, y = b.start(*picked)
    return [dict(type="scatter", x=[x], y=[y], mode="markers", name="picked start", marker=PICKED,
                 xaxis=axes[0], yaxis=axes[1], hoverinfo="skip", showlegend=axes[0] == "x")]


def _legend_below() -> dict:
    return dict(orientation="h", x=0.0, y=-0.14, yanchor="top", xanchor="left")


def basin_map(b, *, picked=None, title=None) -> go.Figure:
    """From which start the optimizer reaches which minimum, and how soon."""
    surface = surfaces.get(b.surface)
    spec = new_spec(title or _title(b, "which minimum from each start"), margin=dict(b=150),
                    legend=_legend_below(), **_basin_axes(b))
    spec["data"] = basin_traces(b) + minima_marks(surface) + _picked_start(b, picked) + _basin_keys(b)
    return figure_from(spec)


def _same_grid(a, b) -> None:
    if a.surface != b.surface or not (np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)):
        raise ValueError("the two basin maps must share their surface and their grid of starts")


def _label(b) -> str:
    return OPTIMIZERS[b.optimizer].title


def basin_comparison(a, b, *, picked=None, title=None) -> go.Figure:
    """Two basin maps of the same grid side by side, with the same colours."""
    _same_grid(a, b)
    surface = surfaces.get(a.surface)
    names = (_label(a), _label(b)) if a.optimizer != b.optimizer else (f"{_label(a)} (1)", f"{_label(b)} (2)")
    spec = new_spec(title or f"{surface.title}: which minimum from each start ({a.steps:,} steps)",
                    margin=dict(b=150), legend=_legend_below(),
                    **_basin_axes(a, domain=[0.0, 0.47]), **_basin_axes(b, "2", domain=[0.53, 1.0]))
    spec["layout"]["annotations"] = [
        dict(text=name, xref=f"x{suffix} domain", yref=f"y{suffix} domain", x=0.5, y=1.0, xanchor="center",
             yanchor="bottom", showarrow=False, font=dict(size=18))
        for name, suffix in zip(names, ("", "2"))]
    spec["data"] = (basin_traces(a, label=names[0]) + minima_marks(surface) + _picked_start(a, picked)
                    + basin_traces(b, ("x2", "y2"), names[1]) + minima_marks(surface, ("x2", "y2"), legend=False)
                    + _picked_start(b, picked, ("x2", "y2")) + _basin_keys(a, b))
    return figure_from(spec)


def basin_difference(a, b, *, picked=None, title=None) -> go.Figure:
    """The starts from which the two optimizers end in different minima, coloured by where the
    second one goes (white where it reaches none), grey where they agree."""
    _same_grid(a, b)
    surface = surfaces.get(a.surface)
    differ = a.minimum != b.minimum
    count = len(surface.minima)
    names = _label(a), _label(b)
    cells = np.stack([a.minimum + 1, b.minimum + 1], axis=-1).astype(np.float32)
    spec = new_spec(title or f"{surface.title}: where {names[0]} and {names[1]} end in different minima",
                    margin=dict(b=150), legend=_legend_below(), **_basin_axes(a))
    which = f"{names[0]} → minimum %{{customdata[0]:.0f}}<br>{names[1]} → minimum %{{customdata[1]:.0f}}"
    spec["data"] = [
        dict(type="heatmap", x=a.x, y=a.y, z=_only(~differ, 0.0), colorscale=_flat("#e6e6e6"), showscale=False,
             hoverongaps=False, name="same minimum", customdata=cells,
             hovertemplate=f"start (%{{x:.3g}}, %{{y:.3g}})<br>both → minimum %{{customdata[0]:.0f}}"
                           f"<br>(minimum 0: none)<extra></extra>"),
        dict(type="heatmap", x=a.x, y=a.y, z=_only(differ & (b.minimum >= 0), b.minimum + 0.5), customdata=cells,
             colorscale=_basin_scale(count), zmin=0, zmax=count, showscale=False, hoverongaps=False,
             name="different minimum",
             hovertemplate=f"start (%{{x:.3g}}, %{{y:.3g}})<br>{which}<br>(minimum 0: none)<extra></extra>"),
        dict(type="heatmap", x=a.x, y=a.y, z=_only(differ & (b.minimum < 0), 0.0), customdata=cells,
             colorscale=_flat("#ffffff"), showscale=False, hoverongaps=False, name="second reaches none",
             hovertemplate=f"start (%{{x:.3g}}, %{{y:.3g}})<br>{which}<br>(minimum 0: none)<extra></extra>"),
        *minima_marks(surface), *_picked_start(a, picked),
        _key(f"both end in the same minimum ({np.mean(~differ):.0%} of starts)", "#e6e6e6"),
    ]
    return figure_from(spec)


# ---------------------------------------------------------------------------------------------
# The data, as CSV.


def map_csv(m) -> str:
    """Every cell of a map, one row each: its axis values (or its start), outcome, the minimum
    reached (its index in the surface's minima, -1 none), arrival, divergence, final point and loss."""
    stability = isinstance(m, maps.StabilityMap)
    x_name, y_name = (m.x_name, m.y_name) if stability else ("start_x", "start_y")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([x_name, *([y_name] if y_name else []), "outcome", "minimum", "arrival", "diverged_at",
                     "final_x", "final_y", "final_loss"])
    rows, columns = m.shape
    for row in range(rows):
        y = [repr(float(m.y[row]))] if y_name else []
        for column in range(columns):
            writer.writerow([repr(float(m.x[column])), *y, maps.OUTCOMES[m.outcome[row, column]],
                             int(m.minimum[row, column]), int(m.arrival[row, column]),
                             int(m.diverged_at[row, column]), repr(float(m.final[row, column, 0])),
                             repr(float(m.final[row, column, 1])), repr(float(m.final_loss[row, column]))])
    return out.getvalue()

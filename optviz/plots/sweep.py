"""An α sweep of the training race: each optimizer's final validation accuracy against α."""

import math
from types import SimpleNamespace

import plotly.graph_objects as go

from optviz.optimizers import OPTIMIZERS
from optviz.plots.surface import below_legend
from optviz.plots.theme import figure_from, new_spec, number, styles

#: Where a diverged α is marked: near the bottom of the plot, whatever the accuracies' range.
_DIVERGED_HEIGHT = 0.04


def sweep_curves(rows: dict, *, best=None, article_lr=None, title=None) -> go.Figure:
    """One line per optimizer of its mean final validation accuracy over the seeds against α (a
    log axis), the seeds' range as a band around it; an α where a seed diverged is a cross along
    the bottom; each optimizer's best α a large ringed dot; the article's α a dashed line.

    ``rows`` maps each optimizer to its points, one per α (anything with ``lr``, ``accuracies``
    (one per finished seed, -inf where it diverged), ``mean`` and ``diverged``); ``best`` maps it
    to its best point, or None. Points without a finished seed are not drawn yet.
    """
    spec = new_spec(title or "Final validation accuracy against α", legend=below_legend(-0.2),
                    xaxis=dict(title=dict(text="α (log scale)"), type="log", dtick=1),
                    yaxis=dict(title=dict(text="final validation accuracy")),
                    yaxis2=dict(overlaying="y", range=[0, 1], visible=False, fixedrange=True))
    data, shown = spec["data"], []
    for (optimizer, points), (line, marker) in zip(rows.items(), styles([SimpleNamespace(optimizer=o) for o in rows])):
        title_of = OPTIMIZERS[optimizer].title
        trained = [p for p in points if p.accuracies and not p.diverged]
        shown += [value for p in trained for value in p.accuracies]
        spread = [p for p in trained if len(p.accuracies) > 1]
        if spread:
            data.append(dict(type="scatter", x=[p.lr for p in spread] + [p.lr for p in spread[::-1]],
                             y=[max(p.accuracies) for p in spread] + [min(p.accuracies) for p in spread[::-1]],
                             fill="toself", fillcolor=line["color"], opacity=0.18, line=dict(width=0),
                             mode="lines", legendgroup=optimizer, showlegend=False, hoverinfo="skip",
                             name=f"{title_of}, the seeds' range"))
        data.append(dict(type="scatter", x=[p.lr for p in trained], y=[p.mean for p in trained],
                         mode="lines+markers", name=title_of, legendgroup=optimizer, line=line,
                         marker=dict(size=8, **marker),
                         customdata=[[len(p.accuracies), min(p.accuracies), max(p.accuracies)] for p in trained],
                         hovertemplate=f"{title_of}, α = %{{x:.3g}}<br>mean %{{y:.4f}} over %{{customdata[0]}} "
                                       "seeds<br>from %{customdata[1]:.4f} to %{customdata[2]:.4f}<extra></extra>"))
        diverged = [p for p in points if p.diverged]
        if diverged:
            data.append(dict(type="scatter", x=[p.lr for p in diverged], y=[_DIVERGED_HEIGHT] * len(diverged),
                             yaxis="y2", mode="markers", legendgroup=optimizer, showlegend=False,
                             marker=dict(size=11, symbol="x-thin", line=dict(width=2.5, color=line["color"])),
                             text=[f"{p.diverged} of {len(p.accuracies)} seeds" for p in diverged],
                             name=f"{title_of}, diverged",
                             hovertemplate=f"{title_of}, α = %{{x:.3g}}: diverged in %{{text}}<extra></extra>"))
        chosen = (best or {}).get(optimizer)
        if chosen is not None:
            data.append(dict(type="scatter", x=[chosen.lr], y=[chosen.mean], mode="markers+text",
                             name=f"{title_of}: best α", legendgroup=optimizer, showlegend=False,
                             text=[f"α = {number(chosen.lr)}"], textposition="top center",
                             textfont=dict(color=line["color"], size=14),
                             marker=dict(size=18, color=line["color"], line=dict(width=3, color="white")),
                             hovertemplate=f"{title_of}: best α = %{{x:.3g}}, mean %{{y:.4f}}<extra></extra>"))
    if any(p.diverged for points in rows.values() for p in points):
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name="diverged (at least one seed)",
                         marker=dict(size=11, symbol="x-thin", line=dict(width=2.5, color="#555555"))))
    if shown:  # room under the lowest for the crosses of diverged α, over the highest for the labels
        low, high = min(shown), max(shown)
        margin = max(0.02, (high - low) * 0.12)
        spec["layout"]["yaxis"]["range"] = [low - 2 * margin, min(1.0, high + 1.5 * margin) + margin]
    if article_lr is not None:
        spec["layout"]["shapes"] = [dict(type="line", xref="x", yref="paper", x0=article_lr, x1=article_lr, y0=0,
                                         y1=1, line=dict(color="#555555", width=1.5, dash="dash"))]
        spec["layout"]["annotations"] = [dict(xref="x", yref="paper", x=math.log10(article_lr), y=1, yanchor="bottom",
                                              showarrow=False, text=f"the article's α = {number(article_lr)}",
                                              font=dict(size=13, color="#555555"))]
    return figure_from(spec)


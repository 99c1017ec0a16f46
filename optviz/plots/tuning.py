"""The whole curve behind a tuned α: each run's score against α, with the choice marked."""

import numpy as np
import plotly.graph_objects as go

from optviz.engine.tuning import OBJECTIVES
from optviz.plots.curves import log_axis
from optviz.plots.surface import below_legend
from optviz.plots.theme import figure_from, new_spec, number, styles


def tuning_curves(tunings, texts, *, title=None) -> go.Figure:
    """One line per tuning (``texts`` name them) of its score against α, both on log axes. An α
    that may not be chosen is drawn as an open mark, its reason in the hover; the chosen α is a
    large ringed dot, labelled with its value."""
    first = tunings[0]
    starts = len(first.starts)
    y_title = "step" if first.objective == "steps" else OBJECTIVES[first.objective].replace("loss", "J − J*")
    spec = new_spec(title or f"Tuning α: {OBJECTIVES[first.objective]} after {first.steps} steps"
                             + (f", mean over {starts} starts" if starts > 1 else ""),
                    xaxis=dict(title=dict(text="α (log scale)"), type="log", dtick=1),
                    yaxis=dict(title=dict(text=f"{y_title} (log scale)")), legend=below_legend(-0.24))
    data, shown = spec["data"], []
    for tuning, text, (line, marker) in zip(tunings, texts, styles(tunings)):
        allowed = np.array([not reason for reason in tuning.excluded])
        scores = np.where(np.isfinite(tuning.scores) & (tuning.scores > 0), tuning.scores, np.nan)
        shown.append(scores)
        data.append(dict(type="scatter", x=tuning.grid, y=np.where(allowed, scores, np.nan), mode="lines+markers",
                         name=text, legendgroup=text, line=line, marker=dict(size=7, **marker),
                         hovertemplate="α = %{x:.3g}<br>%{y:.4g}<extra></extra>"))
        data.append(dict(type="scatter", x=tuning.grid[~allowed], y=scores[~allowed], mode="markers",
                         name="never chosen", legendgroup=text, showlegend=False,
                         text=[reason for reason in tuning.excluded if reason],
                         marker=dict(size=9, color=line["color"], symbol=f"{marker['symbol']}-open"),
                         hovertemplate="α = %{x:.3g}: %{text}<br>%{y:.4g}<extra></extra>"))
        if tuning.best is not None:
            data.append(dict(type="scatter", x=[tuning.lr], y=[scores[tuning.best]], mode="markers+text",
                             name="chosen", legendgroup=text, showlegend=False, text=[f"α = {number(tuning.lr)}"],
                             textposition="top center", textfont=dict(color=line["color"], size=15),
                             marker=dict(size=18, color=line["color"], line=dict(width=3, color="white")),
                             hovertemplate="chosen: α = %{x:.3g}<br>%{y:.4g}<extra></extra>"))
    data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name="never chosen: diverged, ended "
                     "above its start or left the window", marker=dict(size=9, color="#555555", symbol="circle-open")))
    values = np.concatenate(shown) if shown else np.empty(0)
    if np.isfinite(values).any():
        low, high = np.log10(np.nanmin(values)), np.log10(np.nanmax(values))
        spec["layout"]["yaxis"].update(log_axis([float(low) - 0.2, float(high) + 0.3]))
    else:
        spec["layout"]["yaxis"]["type"] = "log"
    return figure_from(spec)

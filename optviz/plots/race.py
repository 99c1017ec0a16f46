"""The training race on Fashion-MNIST: four panels of curves against epoch."""

import numpy as np
import plotly.graph_objects as go

from optviz.optimizers import OPTIMIZERS
from optviz.plots.theme import CURVE_POINTS, color, figure_from, run_label, new_spec, thin

# ---------------------------------------------------------------------------------------------
# The training race on Fashion-MNIST.

_RACE_PANELS = (("loss", "training loss"), ("val_loss", "validation loss"),
                ("accuracy", "training accuracy"), ("val_accuracy", "validation accuracy"))
#: The gaps between the race's 2 × 2 panels, as fractions of the plot area.
_RACE_SPACING = (0.09, 0.12)  # horizontal, vertical


def _race_layout() -> dict:
    """The axes and panel titles of the race's 2 × 2 grid, as ``make_subplots(rows=2, cols=2,
    shared_xaxes=True, ...)`` lays them out (tests/test_figures.py holds it to that): panel k is
    row k // 2, column k % 2, on axes x{k+1}/y{k+1} ("x"/"y" for the first); each column's
    upper panel follows its lower one's x range and leaves the tick labels to it."""
    def domains(spacing):
        size = (1.0 - spacing) / 2
        return [(0.0, size), (size + spacing, min(size + spacing + size, 1.0))]

    columns, rows = domains(_RACE_SPACING[0]), domains(_RACE_SPACING[1])[::-1]  # rows top down
    layout, annotations = {}, []
    for panel, (_, name) in enumerate(_RACE_PANELS):
        row, col = divmod(panel, 2)
        suffix = str(panel + 1) if panel else ""
        x_domain, y_domain = columns[col], rows[row]
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", domain=list(x_domain))
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=list(y_domain))
        if row == 0:
            layout[f"xaxis{suffix}"].update(matches=f"x{panel + 3}", showticklabels=False)
        annotations.append(dict(font=dict(size=16), showarrow=False, text=name, x=sum(x_domain) / 2.0,
                                xanchor="center", xref="paper", y=y_domain[1], yanchor="bottom", yref="paper"))
    layout["annotations"] = annotations
    return layout


def epoch_ticks(epochs: int, most: int = 10) -> dict:
    """Ticks at whole epochs only (an epoch axis has no epoch 1.5), every one up to ``most`` epochs
    and every second, fifth, … beyond."""
    step = next(n for n in (1, 2, 5, 10, 20, 50, 100) if epochs <= most * n or n == 100)
    return dict(tickmode="linear", tick0=0, dtick=step)


def training_race(results: dict, *, hyper=None, title=None) -> go.Figure:
    """Training and validation loss and accuracy against epoch, one colour per optimizer, with
    the smoothed within-epoch training loss as a thin line in the training-loss panel.

    ``results`` maps each optimizer to its lists (one entry per finished epoch, so they may be
    partial while the race runs); epoch k's values sit at x = k, the end of that epoch, and the
    smoothed loss at its own position in epochs. ``hyper`` (optimizer → hyper-parameters) puts
    the settings in the legend.

    The figure is a plain spec with the grid's axes written out, not a ``make_subplots`` figure,
    so ``add_trace(..., row=, col=)`` does not work on it: give ``xaxis``/``yaxis`` instead.
    """
    spec = new_spec(title or "The training race on Fashion-MNIST", **_race_layout())
    layout, data = spec["layout"], spec["data"]
    epochs = max((len(result.loss) for result in results.values()), default=0)
    for panel in range(1, 5):
        layout[f"xaxis{panel if panel > 1 else ''}"].update(epoch_ticks(epochs))
    for col in (1, 2):
        layout[f"xaxis{col + 2}"]["title"] = dict(text="epoch")
    layout["yaxis"]["title"] = dict(text="loss")
    layout["yaxis3"]["title"] = dict(text="accuracy")
    for optimizer, result in results.items():
        colour = color(optimizer)
        notes = [f"diverged at step {result.diverged_at}"] if result.diverged_at is not None else []
        text = run_label(optimizer, (hyper or {}).get(optimizer, {}), notes=notes)
        for panel, (metric, _) in enumerate(_RACE_PANELS):
            values = np.asarray(getattr(result, metric), dtype=np.float64)
            suffix = str(panel + 1) if panel else ""
            data.append(dict(
                type="scatter", x=np.arange(1, len(values) + 1), y=values, mode="lines+markers", name=text,
                legendgroup=optimizer, showlegend=panel == 0, line=dict(color=colour),
                marker=dict(size=7, color=colour),
                hovertemplate=f"epoch %{{x}}<br>%{{y:.4g}}<extra>{OPTIMIZERS[optimizer].title}</extra>",
                xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            ))
        smoothed = np.asarray(result.smoothed or np.empty((0, 2)), dtype=np.float64).reshape(-1, 2)
        rows = thin(len(smoothed), CURVE_POINTS)
        data.append(dict(
            type="scatter", x=smoothed[rows, 0], y=smoothed[rows, 1], mode="lines", legendgroup=optimizer,
            showlegend=False, name=f"{OPTIMIZERS[optimizer].title}, smoothed within epochs", opacity=0.55,
            line=dict(color=colour, width=1.5), hoverinfo="skip", xaxis="x", yaxis="y",
        ))
    return figure_from(spec)



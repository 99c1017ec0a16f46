"""Plotly figures: data in, ``go.Figure`` out, one look everywhere (see :mod:`optviz.plots.theme`).

The builders, by kind: the surface with its runs (:mod:`~optviz.plots.surface`), curves against
step and the ball on a curve (:mod:`~optviz.plots.curves`), the race played step by step
(:mod:`~optviz.plots.animation`), the arrows inside each step (:mod:`~optviz.plots.steps`), the
curve behind a tuned α (:mod:`~optviz.plots.tuning`), the training race (:mod:`~optviz.plots.race`)
and its α sweeps (:mod:`~optviz.plots.sweep`); files to take away in :mod:`~optviz.plots.export`.
"""

from optviz.plots.animation import race_animation
from optviz.plots.curves import (DISTANCE_TITLE, HEADROOM, ball, distance_curves, learning_rates, loss_curves,
                                 progress)
from optviz.plots.race import epoch_ticks, training_race
from optviz.plots.steps import step_through
from optviz.plots.sweep import sweep_curves
from optviz.plots.surface import GRID, GRID_3D, contour, lowest, surface_3d
from optviz.plots.theme import (CURVE_POINTS, FRAMES, IMAGE_SCALE, PALETTE, PATH_POINTS,
                                SLIDE, THEME, THEME_SPEC, color, figure_name, finite_steps, labels, latex_text,
                                number, plotly_config, run_label, symbol, thin)
from optviz.plots.tuning import tuning_curves

__all__ = [
    "CURVE_POINTS", "DISTANCE_TITLE", "FRAMES", "GRID", "GRID_3D", "HEADROOM", "IMAGE_SCALE",
    "PALETTE", "PATH_POINTS", "SLIDE", "THEME", "THEME_SPEC", "ball", "color", "contour", "epoch_ticks",
    "distance_curves", "figure_name", "finite_steps", "labels", "latex_text", "learning_rates", "loss_curves",
    "lowest", "number", "plotly_config", "progress", "race_animation", "run_label", "step_through", "surface_3d",
    "sweep_curves", "symbol", "thin", "training_race", "tuning_curves",
]

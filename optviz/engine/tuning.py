"""Tuning α: the learning rate of a grid that suits an optimizer best, by a stated measure.

A fair race gives each optimizer its own best α, but "best" needs a measure and a budget, and
the choice is only trusted if the whole curve behind it is seen. :func:`tune` runs every α of a
grid from one or several starts (one batch) and scores each α by one of the :data:`OBJECTIVES`:

- ``"mean"``: the mean of J − J* along the whole path, start included, so it rewards getting
  low early and staying there (the default);
- ``"final"``: J − J* at the last step;
- ``"steps"``: the step from which the run stays within :data:`~optviz.engine.trajectory.REACHED`
  of a known minimum (one that never gets there scores infinity).

Over several starts an α scores the mean over the starts. Some α are never chosen, whatever
their score: one whose run diverges, ends above its start, or leaves the surface's window (widened
to hold the starts) from any of the starts. A teacher who tunes wants paths that stay on the map.
"""

from dataclasses import dataclass

import numpy as np

import surfaces
from optviz.engine.trajectory import REACHED, arrival, trace_batch

OBJECTIVES = {
    "mean": "mean loss along the path",
    "final": "final loss",
    "steps": f"steps to stay within {REACHED:g} of a minimum",
}
DEFAULT_OBJECTIVE = "mean"
#: Why an α is never chosen, for a figure to say.
DIVERGED, CLIMBED, LEFT = "diverged", "ended above its start", "left the window"


@dataclass(frozen=True)
class Tuning:
    """One optimizer's α grid scored by ``objective`` after ``steps`` steps from ``starts``.

    ``scores[i]`` is the score of ``grid[i]`` (lower is better; inf where it cannot be scored),
    ``excluded[i]`` why it may not be chosen ("" if it may). ``best`` is the index of the chosen
    α, None if no α may be chosen.
    """

    surface: str
    optimizer: str
    convention: str
    hyper: dict
    objective: str
    steps: int
    starts: np.ndarray
    grid: np.ndarray
    scores: np.ndarray
    excluded: tuple

    @property
    def best(self) -> int | None:
        allowed = np.array([not reason for reason in self.excluded]) & np.isfinite(self.scores)
        if not allowed.any():
            return None
        return int(np.argmin(np.where(allowed, self.scores, np.inf)))

    @property
    def lr(self) -> float | None:
        return None if self.best is None else float(self.grid[self.best])

    @property
    def score(self) -> float | None:
        return None if self.best is None else float(self.scores[self.best])


def tune(surface, optimizer, grid, starts=None, steps=200, convention="keras", objective=DEFAULT_OBJECTIVE,
         **hyper) -> Tuning:
    """Score every α of ``grid`` for ``optimizer`` (its other hyper-parameters as given), from
    ``starts`` (K, 2) or the surface's own start, in one batch of len(grid) × K runs.

    >>> t = tune("bowl", "sgd", [0.01, 0.1, 1.5], steps=50)
    >>> t.lr, t.excluded[2]
    (0.1, 'ended above its start')
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}")
    if "lr" in hyper:
        raise ValueError("tune sets lr itself, from the grid; give the other hyper-parameters only")
    chosen = surfaces.get(surface)
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or len(grid) == 0:
        raise ValueError("grid must be a non-empty 1-D list of learning rates")
    starts = np.array([chosen.start] if starts is None else starts, dtype=np.float64).reshape(-1, 2)
    count = len(starts)
    batch = trace_batch(surface, optimizer, starts=np.tile(starts, (len(grid), 1)), steps=steps,
                        convention=convention, lr=np.repeat(grid, count), **hyper)
    floor = min(m.value for m in chosen.global_minima)
    excess = (batch.losses - floor).reshape(len(grid), count, -1)
    paths = batch.paths.reshape(len(grid), count, -1, 2)
    box = window_holding(chosen.domain, starts)

    scores, excluded = np.empty(len(grid)), []
    for i in range(len(grid)):
        excluded.append(_excluded(batch.diverged_at[i * count:(i + 1) * count], excess[i], paths[i], box))
        per_start = [_score(objective, excess[i, k], paths[i, k], chosen) for k in range(count)]
        scores[i] = np.mean(per_start)
    settings = {k: v for k, v in batch.hyper.items() if k != "lr"}
    return Tuning(chosen.name, optimizer, convention, settings, objective, steps, starts, grid, scores,
                  tuple(excluded))


def _score(objective, excess, path, surface) -> float:
    if not np.all(np.isfinite(excess)):
        return np.inf
    if objective == "mean":
        return float(np.mean(excess))
    if objective == "final":
        return float(excess[-1])
    _, step = arrival(path, surface)
    return np.inf if step is None else float(step)


def _excluded(diverged_at, excess, paths, box) -> str:
    """Why an α may not be chosen ("" if it may), from its runs from every start."""
    if np.any(diverged_at >= 0):
        return DIVERGED
    if np.any(excess[:, -1] > excess[:, 0]):
        return CLIMBED
    (x0, x1), (y0, y1) = box
    x, y = paths[..., 0], paths[..., 1]
    if np.any((x < x0) | (x > x1) | (y < y0) | (y > y1)):
        return LEFT
    return ""


def window_holding(domain, points) -> tuple:
    """The window ``domain`` ((x0, x1), (y0, y1)), widened to hold every point of ``points`` (K, 2)."""
    (x0, x1), (y0, y1) = domain
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points):
        x0, x1 = min(x0, points[:, 0].min()), max(x1, points[:, 0].max())
        y0, y1 = min(y0, points[:, 1].min()), max(y1, points[:, 1].max())
    return (float(x0), float(x1)), (float(y0), float(y1))


def starts_around(start, surface, count: int = 9) -> tuple:
    """``count`` starts for tuning over several: ``start`` itself, then ``count − 1`` evenly
    around it on a circle a tenth of the window's width across, each kept inside the window."""
    (x0, x1), (y0, y1) = surface.domain
    radius = 0.1 * (x1 - x0)
    angles = 2 * np.pi * np.arange(count - 1) / max(count - 1, 1)
    around = [(min(max(start[0] + radius * np.cos(a), x0), x1), min(max(start[1] + radius * np.sin(a), y0), y1))
              for a in angles]
    return tuple((float(x), float(y)) for x, y in [tuple(start), *around])

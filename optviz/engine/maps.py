"""Maps: where an optimizer converges, diverges or gets trapped, for a whole grid of runs at once.

A *stability map* runs one optimizer from one start with each cell of a grid over one or two of its
hyper-parameters (α × β₁, say); a *basin map* runs it with one setting from each cell of a grid of
starts, and colours each start by the minimum it reaches. Either is one batch of the engine
(:func:`~optviz.engine.trajectory.trace_batch`, final points only; cut into pieces on a large map,
to report progress), so a 200 × 200 map costs what 40,000 runs cost in the compiled loop, and then
the runs that reached a minimum are run again, recorded, to find when they got there.

Every optimizer of the registry and any of its hyper-parameters can be an axis: the axis's range is
checked against the parameter's own (``optviz.optimizers.HYPERS``), and a parameter that moves by
decades there (``scale="log"``) is spaced logarithmically here.

>>> m = stability("bowl", "sgd", x=("lr", 0.01, 2.0), size=5, steps=100)
>>> m.x.round(3).tolist(), m.outcome.tolist()
([0.01, 0.038, 0.141, 0.532, 2.0], [[2, 0, 0, 0, 1]])
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import surfaces
from optviz.engine.evaluate import evaluate
from optviz.engine.trajectory import MAX_WORK, _check_steps, trace_batch
from optviz.optimizers import HYPERS, check_convention, get, resolve

#: What a cell's run did: came within the tolerance of a known minimum (by its last step); overflowed,
#: or ended with a higher loss than it started with; or neither (still travelling, or stuck).
REACHED, DIVERGED, NEITHER = 0, 1, 2
OUTCOMES = ("reached a minimum", "diverged", "neither")
#: A map has at most this many cells (500 × 500), whatever a page or a link asks for.
MAX_CELLS = 250_000
#: "Reached a minimum": within this share of the surface window's width of it.
TOLERANCE = 0.01
#: Runs are cut into pieces of about this many run-steps, so that a large map reports progress.
PIECE_WORK = 50_000_000
#: Runs whose arrival is looked for are recorded in pieces of about this many positions (8 MB).
PIECE_POSITIONS = 500_000
#: The arrival of a run is first looked for in its first steps, then in this many times more.
FIRST_HORIZON, HORIZON_GROWTH = 16, 4


def tolerance(surface) -> float:
    """How close to a known minimum counts as having reached it: 1% of the width of the surface's
    window, so the same on every surface as it looks on screen."""
    (x0, x1), _ = surfaces.get(surface).domain if isinstance(surface, str) else surface.domain
    return TOLERANCE * (x1 - x0)


@dataclass(frozen=True, eq=False)
class Runs:
    """What every cell of a map did. Each array is (rows, columns), one row per ``y`` value:

    ``final`` (rows, columns, 2) the last point (NaN if it overflowed), ``final_loss`` J there,
    ``diverged_at`` the step at which it overflowed (-1 never), ``minimum`` the index in the
    surface's ``minima`` of the one it ended within ``tolerance`` of (-1 none), ``arrival`` the
    first step it came that close to that minimum (-1 if it ended near none), and ``outcome`` one
    of :data:`REACHED`, :data:`DIVERGED`, :data:`NEITHER`.
    """

    surface: str
    optimizer: str
    convention: str
    hyper: dict  # the hyper-parameters every cell shares: all but the axes
    steps: int
    tolerance: float
    x: np.ndarray
    y: np.ndarray | None
    final: np.ndarray
    final_loss: np.ndarray
    diverged_at: np.ndarray
    minimum: np.ndarray
    arrival: np.ndarray
    outcome: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.outcome.shape

    def share(self, outcome: int) -> float:
        """The share of cells with this outcome."""
        return float(np.mean(self.outcome == outcome))


@dataclass(frozen=True, eq=False)
class StabilityMap(Runs):
    """A grid over one or two hyper-parameters, every run from one ``start``: ``x`` holds the
    values of ``x_name``, ``y`` those of ``y_name`` (None for a 1 × N strip, whose arrays have
    one row)."""

    x_name: str
    y_name: str | None
    start: tuple

    @property
    def start_loss(self) -> float:
        return float(evaluate(self.surface, *self.start))

    def settings(self, row: int, column: int) -> dict:
        """Every hyper-parameter of one cell's run, as ``trace`` takes them."""
        cell = {**self.hyper, self.x_name: float(self.x[column])}
        if self.y_name is not None:
            cell[self.y_name] = float(self.y[row])
        return cell

    def cell(self, x: float, y: float | None = None) -> tuple:
        """``(row, column)`` of the cell nearest to the values ``x`` (and ``y``)."""
        column = _nearest(self.x, x, HYPERS[self.x_name].scale == "log")
        row = 0 if self.y_name is None else _nearest(self.y, y, HYPERS[self.y_name].scale == "log")
        return row, column


@dataclass(frozen=True, eq=False)
class BasinMap(Runs):
    """A grid of starts over a window (``x`` and ``y`` the start coordinates), every run with the
    same hyper-parameters."""

    def start(self, row: int, column: int) -> tuple:
        return float(self.x[column]), float(self.y[row])

    def cell(self, x: float, y: float) -> tuple:
        """``(row, column)`` of the start nearest to (x, y)."""
        return _nearest(self.y, y, False), _nearest(self.x, x, False)


def stability(surface, optimizer, x, y=None, size=(200, 200), steps=500, convention="keras", start=None,
              progress=None, **hyper) -> StabilityMap:
    """Run ``optimizer`` on ``surface`` from ``start`` (default: the surface's own) with every cell's
    hyper-parameters of a grid over ``x`` and ``y``, each ``(name, low, high)``.

    ``size`` is the number of cells along x and along y (one number for both); without ``y`` the
    map is a 1 × N strip of ``size`` (or ``size[0]``) cells. Every other hyper-parameter takes its
    value from ``hyper``, or the convention's default. ``progress(fraction, text)``, if given, is
    called as the work goes.
    """
    chosen = surfaces.get(surface)
    check_convention(convention, optimizer)
    axes = [_axis(optimizer, convention, "x", x)] + ([] if y is None else [_axis(optimizer, convention, "y", y)])
    names = [name for name, _, _ in axes]
    if len(set(names)) < len(names):
        raise ValueError(f"the two axes must be different hyper-parameters, got {names[0]} twice")
    for name in names:
        if name in hyper:
            raise ValueError(f"{name} is an axis of the map; give its range, not a value")
    columns, rows = _size(size, strip=y is None)
    xs = _spaced(axes[0], columns)
    ys = None if y is None else _spaced(axes[1], rows)
    start = tuple(map(float, chosen.start if start is None else start))
    grid = {names[0]: np.tile(xs, rows)}
    if ys is not None:
        grid[names[1]] = np.repeat(ys, columns)
    starts = np.tile(np.array(start, dtype=np.float64), (rows * columns, 1))
    runs = _run(chosen, optimizer, starts, steps, convention, {**hyper, **grid}, progress)
    return StabilityMap(chosen.name, optimizer, convention, runs.pop("hyper"), steps, tolerance(chosen), xs, ys,
                        **_shaped(runs, rows, columns), x_name=names[0], y_name=None if y is None else names[1],
                        start=start)


def basins(surface, optimizer, size=(200, 200), steps=500, window=None, convention="keras", progress=None,
           **hyper) -> BasinMap:
    """Run ``optimizer`` on ``surface`` from every start of a grid over ``window`` (default: the
    surface's own), ``size`` starts along x and along y, all with the same hyper-parameters
    (``hyper``, or the convention's defaults), and note which known minimum each reaches."""
    chosen = surfaces.get(surface)
    check_convention(convention, optimizer)
    columns, rows = _size(size, strip=False)
    (x0, x1), (y0, y1) = _window(chosen if window is None else window)
    xs, ys = np.linspace(x0, x1, columns), np.linspace(y0, y1, rows)
    starts = np.stack([np.tile(xs, rows), np.repeat(ys, columns)], axis=1)
    runs = _run(chosen, optimizer, starts, steps, convention, hyper, progress)
    return BasinMap(chosen.name, optimizer, convention, runs.pop("hyper"), steps, tolerance(chosen), xs, ys,
                    **_shaped(runs, rows, columns))


# ---------------------------------------------------------------------------------------------
# Axes and grids.


def _axis(optimizer: str, convention: str, which: str, spec) -> tuple:
    """``(name, low, high)`` of an axis, checked: a known hyper-parameter this optimizer takes in
    this convention, over a range inside the parameter's own."""
    try:
        name, low, high = spec
    except (TypeError, ValueError):
        raise ValueError(f"the {which} axis must be (name, low, high), got {spec!r}") from None
    if name not in HYPERS:
        raise ValueError(f"unknown hyper-parameter {name!r} for the {which} axis; known: {', '.join(HYPERS)}")
    takes = get(optimizer).defaults(convention)
    if name not in takes:
        raise ValueError(f"{optimizer} takes no hyper-parameter {name} in the {convention} convention, so it "
                         f"cannot be an axis; it takes: {', '.join(takes)}")
    allowed = HYPERS[name]
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"the {which} axis's range must be numbers, got {value!r}")
    low, high = float(low), float(high)
    if not (allowed.contains(low) and allowed.contains(high)):
        raise ValueError(f"the {which} axis's range [{low:g}, {high:g}] leaves {name}'s allowed range "
                         f"{allowed.describe()}")
    if not low < high:
        raise ValueError(f"the {which} axis's range must go from low to high, got [{low:g}, {high:g}]")
    if allowed.scale == "log" and low <= 0:
        raise ValueError(f"{name} moves by decades, so its axis must start above 0, not at {low:g}")
    return name, low, high


def _spaced(axis: tuple, count: int) -> np.ndarray:
    name, low, high = axis
    values = np.geomspace(low, high, count) if HYPERS[name].scale == "log" else np.linspace(low, high, count)
    values[[0, -1]] = low, high  # exactly the range asked for, without the round-off of geomspace
    return values


def _size(size, strip: bool) -> tuple:
    """``(columns, rows)`` of a map."""
    sides = (size, size) if np.ndim(size) == 0 else tuple(size)
    if not 1 <= len(sides) <= 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                           for n in sides):
        raise ValueError(f"size must be a whole number of cells or two (along x, along y), got {size!r}")
    columns, rows = int(sides[0]), 1 if strip else int(sides[-1])
    if columns < 2 or rows < (1 if strip else 2):
        raise ValueError(f"a map needs at least 2 cells along each axis, got {columns} × {rows}")
    if columns * rows > MAX_CELLS:
        raise ValueError(f"{columns:,} × {rows:,} = {columns * rows:,} cells asked for; a map has at most "
                         f"{MAX_CELLS:,}")
    return columns, rows


def _window(window) -> tuple:
    """A window ((x0, x1), (y0, y1)), checked: a surface's own, or finite with x0 < x1, y0 < y1."""
    if isinstance(window, surfaces.Surface):
        return window.domain
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in window)
    except (TypeError, ValueError):
        raise ValueError(f"window must be ((x_min, x_max), (y_min, y_max)), got {window!r}") from None
    if not (np.isfinite([x0, x1, y0, y1]).all() and x0 < x1 and y0 < y1):
        raise ValueError(f"window must be finite, each range from low to high, got {window!r}")
    return (x0, x1), (y0, y1)


def _nearest(values: np.ndarray, value: float, log: bool) -> int:
    if log:
        values, value = np.log(values), np.log(value)
    return int(np.argmin(np.abs(values - value)))


# ---------------------------------------------------------------------------------------------
# Running the cells.


def _run(surface, optimizer, starts, steps, convention, hyper, progress) -> dict:
    """Every run's end, the minimum it reached and when: flat arrays, one entry per run, and the
    hyper-parameters every run shares (``hyper`` holds those, and a (runs,) array for each axis)."""
    count, steps = len(starts), _check_steps(steps)
    if count * steps > MAX_WORK:
        raise ValueError(f"{count:,} cells × {steps:,} steps is more than the {MAX_WORK:,} run-steps a map may take")
    per_run = {k for k, v in hyper.items() if np.ndim(v) > 0}
    shared = {k: v for k, v in resolve(optimizer, convention, **hyper).items() if k not in per_run}
    final, final_loss, diverged = np.empty((count, 2)), np.empty(count), np.empty(count, dtype=np.int64)
    for lo, hi in _pieces(count, PIECE_WORK // max(1, steps)):
        piece = {k: (v[lo:hi] if k in per_run else v) for k, v in hyper.items()}
        batch = trace_batch(surface.name, optimizer, starts[lo:hi], steps, convention, record=False, **piece)
        final[lo:hi], final_loss[lo:hi], diverged[lo:hi] = batch.final, batch.final_loss, batch.diverged_at
        if progress:
            progress(hi / count, f"Running {count:,} runs of {steps:,} steps")
    minimum = _reached(surface, final)
    arrival = _arrivals(surface, optimizer, starts, steps, convention, hyper, per_run, minimum, progress)
    start_loss = evaluate(surface, starts[:, 0], starts[:, 1])
    outcome = np.full(count, NEITHER)
    outcome[final_loss > start_loss] = DIVERGED
    outcome[minimum >= 0] = REACHED
    outcome[diverged >= 0] = DIVERGED
    return dict(hyper=shared, final=final, final_loss=final_loss, diverged_at=diverged, minimum=minimum,
                arrival=arrival, outcome=outcome)


def _pieces(count: int, size: int):
    """``(lo, hi)`` slices of 0..count-1, each of about ``size`` (a whole number of the kernel's
    blocks of 64, so no thread is left with a sliver)."""
    size = max(64, size // 64 * 64)
    return [(lo, min(count, lo + size)) for lo in range(0, count, size)]


def _reached(surface, final: np.ndarray) -> np.ndarray:
    """The index of the known minimum each final point is within the tolerance of (the nearest
    one, as ``Trace.arrival`` picks it), -1 for none."""
    minima = np.array([(m.x, m.y) for m in surface.minima])
    distance = np.hypot(final[:, 0, None] - minima[:, 0], final[:, 1, None] - minima[:, 1])
    nearest = np.argmin(np.where(np.isnan(distance), np.inf, distance), axis=1)
    close = distance[np.arange(len(final)), nearest] <= tolerance(surface)
    return np.where(close, nearest, -1)


def _arrivals(surface, optimizer, starts, steps, convention, hyper, per_run, minimum, progress) -> np.ndarray:
    """The first step each run that ends near a minimum came within the tolerance of it, -1 for the
    others.

    The batch keeps only final points, so the runs that arrived are run again with their paths
    recorded, a piece at a time (memory stays bounded), and each path is searched for its first
    step that close (the lab's ``Trace.arrival`` waits until a run stays that close: a map asks
    how soon an optimizer gets there). Most runs arrive early, and recording is
    what costs: each is first run for a short horizon only, and those not there yet again for a
    horizon :data:`HORIZON_GROWTH` times longer, until the whole run (its first steps are the same
    whatever the horizon).
    """
    arrival = np.full(len(starts), -1)
    arrived = np.flatnonzero(minimum >= 0)
    minima = np.array([(m.x, m.y) for m in surface.minima])
    limit = tolerance(surface)
    # A few runs are searched whole at once: horizons pay for their extra passes on many runs only.
    few = len(arrived) * (steps + 1) <= PIECE_POSITIONS
    pending, searched, horizon = arrived, 0, steps if few else min(steps, FIRST_HORIZON)
    while pending.size:
        late = []
        for lo, hi in _pieces(len(pending), PIECE_POSITIONS // (horizon + 1)):
            runs = pending[lo:hi]
            piece = {k: (v[runs] if k in per_run else v) for k, v in hyper.items()}
            batch = trace_batch(surface.name, optimizer, starts[runs], horizon, convention, record=True, **piece)
            path = np.moveaxis(batch.paths, 0, 2)  # (horizon + 1, 2, runs): the kernel's layout, rows contiguous
            first = _first_within(path[searched:], minima[minimum[runs]].T, limit)  # not there before
            arrival[runs] = np.where(first >= 0, searched + first, -1)
            late.append(runs[first < 0])
            if progress:
                progress(np.mean(arrival[arrived] >= 0), f"Finding when {len(arrived):,} runs reached a minimum")
        pending = np.concatenate(late)
        if horizon == steps:  # every run ends within the tolerance, so none is still pending
            break
        searched, horizon = horizon + 1, min(steps, horizon * HORIZON_GROWTH)
    return arrival


def _first_within(path: np.ndarray, target: np.ndarray, limit: float) -> np.ndarray:
    """For each run, a column of ``path`` (steps + 1, 2, runs), the first step at which
    ``np.hypot(x − x*, y − y*) <= limit`` for its ``target`` (2, runs), or -1.

    hypot costs ten times what a squared distance does, so the squared distance finds the first
    step that might be that close (its round-off allowed for), and hypot checks that step; only a
    run whose first candidate lies within round-off of the limit, and fails, is searched further."""
    squared = path[:, 0] - target[0]
    squared *= squared
    dy = path[:, 1] - target[1]
    squared += dy * dy
    with np.errstate(invalid="ignore"):
        maybe = squared <= limit * limit * (1 + 1e-9)
    first = np.where(maybe.any(axis=0), np.argmax(maybe, axis=0), -1)
    runs = np.flatnonzero(first >= 0)
    steps = first[runs]
    close = np.hypot(path[steps, 0, runs] - target[0, runs], path[steps, 1, runs] - target[1, runs]) <= limit
    for k, t in zip(runs[~close], steps[~close]):
        near = np.hypot(path[t:, 0, k] - target[0, k], path[t:, 1, k] - target[1, k]) <= limit
        first[k] = t + np.argmax(near) if near.any() else -1
    return first


def _shaped(runs: dict, rows: int, columns: int) -> dict:
    return {k: v.reshape(rows, columns, *v.shape[1:]) for k, v in runs.items()}


# ---------------------------------------------------------------------------------------------
# Where theory puts the edge.


def hessian(surface, point) -> np.ndarray:
    """The 2 × 2 Hessian of J at ``point``, by central differences of its analytic gradient (exact,
    up to round-off, on a quadratic surface, whose gradient is linear)."""
    chosen = surfaces.get(surface) if isinstance(surface, str) else surface
    (x0, x1), (y0, y1) = chosen.domain
    h = 1e-4 * max(x1 - x0, y1 - y0)
    x, y = point
    xs, ys = np.array([x + h, x - h, x, x]), np.array([y, y, y + h, y - h])
    _, gx, gy = evaluate(chosen, xs, ys, gradient=True)
    columns = np.array([[gx[0] - gx[1], gx[2] - gx[3]], [gy[0] - gy[1], gy[2] - gy[3]]]) / (2 * h)
    return (columns + columns.T) / 2


def curvature(surface) -> float | None:
    """λ_max, the largest eigenvalue of the Hessian, if the surface is a quadratic (its Hessian is
    the same all over its window, as on the bowl and the ravine); else None."""
    chosen = surfaces.get(surface) if isinstance(surface, str) else surface
    (x0, x1), (y0, y1) = chosen.domain
    points = [((x0 + x1) / 2, (y0 + y1) / 2), *((x0 + (x1 - x0) * a, y0 + (y1 - y0) * b)
                                               for a, b in ((0.1, 0.2), (0.9, 0.3), (0.2, 0.8), (0.7, 0.9)))]
    first, *others = (hessian(chosen, p) for p in points)
    scale = np.abs(first).max()
    if scale == 0 or any(not np.allclose(h, first, rtol=1e-6, atol=1e-9 * scale) for h in others):
        return None
    return float(np.linalg.eigvalsh(first)[-1])


@dataclass(frozen=True)
class Theory:
    """The largest stable α that linear stability theory gives for an optimizer on a quadratic
    surface: ``limit(settings, λ_max)`` (numpy arrays in the settings give an array), as a formula
    in plain text and where it comes from."""

    formula: str
    reads: tuple  # the hyper-parameters the formula reads; the others must be 0 for it to hold
    source: str
    limit: Callable


#: The optimizers whose stability edge on a quadratic is known (see :func:`theory`).
THEORIES = {
    "sgd": Theory("α < 2/λ_max", ("lr",),
                  "gradient descent on a quadratic multiplies each eigen-direction by 1 − αλ at every step",
                  lambda h, lam: 2.0 / lam),
    "momentum": Theory("α < 2(1 + β)/λ_max", ("lr", "momentum"),
                       "heavy-ball momentum on a quadratic: both roots of z² − (1 + β − αλ)z + β inside the "
                       "unit circle (Polyak, 1964)",
                       lambda h, lam: 2.0 * (1.0 + h["momentum"]) / lam),
}


def theory(m: StabilityMap) -> tuple | None:
    """``(theory, λ_max)`` where theory gives the map's stability edge: a quadratic surface, an
    optimizer with a known limit, and every hyper-parameter the limit does not read at 0; else None.

    On J = ½ θᵀHθ each eigen-direction of H, with eigenvalue λ, moves on its own:

    * gradient descent multiplies it by 1 − αλ at every step, so it converges iff |1 − αλ| < 1,
      that is α < 2/λ_max;
    * heavy-ball momentum follows θ_{t+1} = θ_t − α∇J(θ_t) + β(θ_t − θ_{t−1}) in every convention
      of the registry. Keras keeps m in parameter units (m ← βm − αg, θ ← θ + m), PyTorch and
      optax in gradient units (m ← βm + g, θ ← θ − αm); with a constant α both give that recurrence
      and the same first step θ₁ = θ₀ − αg₀ (tests/engine/test_maps.py checks the edge in each).
      Its characteristic equation z² − (1 + β − αλ)z + β = 0 has both roots inside the unit circle
      iff 0 ≤ β < 1 and 0 < αλ < 2(1 + β): α < 2(1 + β)/λ_max.
    """
    known = THEORIES.get(m.optimizer)
    lam = curvature(m.surface)
    if known is None or lam is None or lam <= 0:
        return None
    axes = {m.x_name, m.y_name} - {None}
    if any(name not in known.reads and (name in axes or m.hyper[name] != 0) for name in (*m.hyper, *axes)):
        return None
    return known, lam


def edge(m: StabilityMap) -> tuple | None:
    """The stability edge that theory gives, in the map's axes: ``(xs, ys)`` of a line, with ``ys``
    None for a strip (a vertical line at each of ``xs``); None where no theory applies.

    With α on an axis, the edge is α_max at each value of the other axis. With α fixed, it is where
    α_max, moving along x, crosses α (found on a fine grid along x, row by row)."""
    found = theory(m)
    if found is None:
        return None
    known, lam = found
    if m.x_name == "lr":
        limits = np.array([known.limit(m.settings(row, 0), lam) for row in range(m.shape[0])])
        return limits, m.y
    if m.y_name == "lr":
        return m.x, np.array([known.limit(m.settings(0, column), lam) for column in range(m.shape[1])])
    fine = _spaced((m.x_name, m.x[0], m.x[-1]), 2001)
    xs, ys = [], []
    for row in range(m.shape[0]):
        gap = np.broadcast_to(known.limit({**m.settings(row, 0), m.x_name: fine}, lam), fine.shape) - m.hyper["lr"]
        for i in np.flatnonzero(np.sign(gap[1:]) != np.sign(gap[:-1])):
            xs.append(fine[i] + (fine[i + 1] - fine[i]) * gap[i] / (gap[i] - gap[i + 1]))
            ys.append(None if m.y is None else m.y[row])
    return np.array(xs), None if m.y is None else np.array(ys)

"""Trajectories: what an optimizer does on a surface, step by step.

:func:`trace` follows one start point; :func:`trace_batch` follows many at once (a grid of
starts, or one run per learning rate), each with its own hyper-parameters if wanted. Both check
every input and refuse work beyond the documented limits, because a web page passes them on.

Divergence is reported, never hidden: ``diverged_at`` is the first step whose position is not
finite (it overflowed), as Keras would see its variables turn to inf/nan; the path and the loss
are NaN from there on. The loss can overflow a step earlier, at a finite position: it is then
inf in ``loss``, and the position after it is the first non-finite one.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

import surfaces
from optviz.engine import kernels
from optviz.engine.evaluate import evaluate
from optviz.optimizers import HYPERS, check_convention, check_value, get, resolve

#: Limits on the work one call may ask for: a slider or a URL can never ask for more.
MAX_STEPS = 100_000
MAX_RUNS = 1_000_000
#: Runs × steps in one call: a bound on the computing, whose time depends on the surface. At this
#: limit, on 2 idle cores (``python -m benchmarks.limits``): 4 s for Adam on Rosenbrock, 7 s for
#: Nadam, 40 s for Nadam on Rastrigin, 60-100 s on Ackley (whose exp and cos cost most).
MAX_WORK = 2_000_000_000
#: Bytes one call may keep in memory: per run and step, 24 for the position and the loss, and 32
#: for the state with ``record_state`` (two slots of x and y), all float64.
MAX_RECORDED = 600_000_000
MAX_COORDINATE = 1e6  # a start point further out than this is refused
#: How close to a known minimum a run must stay to have reached it: one threshold for the lab,
#: the article's figures and tuning, so that they all report the same step for the same run.
REACHED = 0.01


@dataclass(frozen=True)
class Trace:
    """One run. ``path[i]`` is the position after step i (``path[0]`` the start) and
    ``loss[i]`` the loss there; ``state`` maps each state slot of the optimizer (m, s, …) to its
    value after each step, shape (steps + 1, 2), if it was asked for."""

    surface: str
    optimizer: str
    convention: str
    hyper: dict
    path: np.ndarray
    loss: np.ndarray
    diverged_at: int | None
    state: dict | None = None

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]

    def nearest_minimum(self):
        """``(minimum, distance)`` of the known minimum nearest to the final point."""
        return surfaces.get(self.surface).nearest(*self.final)

    def arrival(self, tolerance: float = REACHED):
        """``(minimum, step)``: the known minimum the run ends within ``tolerance`` of, and the
        step from which it stays that close; ``(None, None)`` if it ends near none. A run that
        swings through a minimum and out again has not reached it yet: momentum does that."""
        return arrival(self.path, surfaces.get(self.surface), tolerance)


def arrival(path, surface, tolerance: float = REACHED):
    """:meth:`Trace.arrival` of any path (K paths of a batch, one at a time) on ``surface``."""
    minimum, distance = surface.nearest(*path[-1])
    if not distance <= tolerance:
        return None, None
    gaps = np.hypot(path[:, 0] - minimum.x, path[:, 1] - minimum.y)
    outside = np.flatnonzero(~(gaps <= tolerance))
    return minimum, int(outside[-1] + 1) if outside.size else 0


@dataclass(frozen=True)
class Batch:
    """K runs. ``paths`` (K, steps + 1, 2) and ``losses`` (K, steps + 1) if recorded, else None;
    ``final`` (K, 2), ``final_loss`` (K,) and ``diverged_at`` (K,), -1 for a run that did not
    diverge, always; ``states`` maps each state slot to its (K, steps + 1, 2) values if asked for.
    ``hyper`` maps each hyper-parameter to its scalar or its (K,) array."""

    surface: str
    optimizer: str
    convention: str
    hyper: dict
    starts: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    diverged_at: np.ndarray
    paths: np.ndarray | None = None
    losses: np.ndarray | None = None
    states: dict | None = None


def trace(surface, optimizer, start=None, steps=200, convention=None, record_state=False, **hyper) -> Trace:
    """Follow ``optimizer`` on ``surface`` from ``start`` (default: the surface's own start).

    ``convention`` is the library whose update and defaults the run follows ("keras", "torch" or
    "optax", those the optimizer has; default Keras's, else the optimizer's first). Hyper-parameters
    not given take the convention's defaults (``optviz.OPTIMIZERS[name].defaults(convention)``).

    >>> t = trace("rosenbrock", "adam", start=(-1.2, 1.0), steps=300, lr=0.001)
    >>> t.path.shape, t.loss.shape
    ((301, 2), (301,))
    """
    chosen, convention, convention_code, hyper, steps = _prepare(surface, optimizer, convention, steps, hyper)
    if not all(isinstance(value, float) for value in hyper.values()):
        raise ValueError("trace takes one value per hyper-parameter; use trace_batch for one per run")
    starts = _check_starts(chosen, None if start is None else [start], {})[1]
    run = _run(chosen, optimizer, convention_code, hyper, starts, steps, True, record_state)
    diverged = int(run.diverged[0])
    return Trace(chosen.name, optimizer, convention, hyper, run.paths[0], run.losses[0],
                 None if diverged < 0 else diverged,
                 {name: values[0] for name, values in run.states.items()} if record_state else None)


def trace_batch(surface, optimizer, starts=None, steps=200, convention=None, record=True, record_state=False,
                **hyper) -> Batch:
    """Follow K runs at once: ``starts`` (K, 2), and any hyper-parameter a scalar or a (K,) array.

    With ``record=False`` only the final points and losses are kept, which is faster and lets far
    more runs fit in memory (a map of final losses over a grid of α and β, say).
    """
    chosen, convention, convention_code, hyper, steps = _prepare(surface, optimizer, convention, steps, hyper)
    count, starts = _check_starts(chosen, starts, hyper)
    if count > MAX_RUNS:
        raise ValueError(f"{count:,} runs asked for; at most {MAX_RUNS:,} are allowed")
    if count * steps > MAX_WORK:
        raise ValueError(f"{count:,} runs × {steps:,} steps is more than the {MAX_WORK:,} run-steps allowed")
    slots = len(get(optimizer).slots)
    recorded = 8 * count * (steps + 1) * (3 * record + 2 * slots * record_state)  # float64s, as allocated below
    if recorded > MAX_RECORDED:
        raise ValueError(
            f"recording {count:,} runs × {steps + 1:,} positions{' and states' if record_state else ''} takes "
            f"{recorded / 1e6:,.0f} MB, more than the {MAX_RECORDED / 1e6:,.0f} MB allowed; record fewer runs or "
            "steps, or pass record=False to keep only the final points"
        )
    run = _run(chosen, optimizer, convention_code, hyper, starts, steps, record, record_state)
    return Batch(chosen.name, optimizer, convention, hyper, starts, run.final, run.final_loss, run.diverged,
                 run.paths, run.losses, run.states if record_state else None)


def _prepare(surface, optimizer, convention, steps, hyper) -> tuple:
    """The checked inputs every run needs: the surface, the convention and its index, the full
    hyper-parameters (scalars as floats, per-run ones as given) and the number of steps."""
    chosen = surfaces.get(surface)
    if convention is None:
        convention = get(optimizer).convention_for("keras")
    convention_code = check_convention(convention, optimizer)
    return chosen, convention, convention_code, resolve(optimizer, convention, **hyper), _check_steps(steps)


@dataclass(frozen=True)
class _Outputs:
    final: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    paths: np.ndarray | None
    losses: np.ndarray | None
    states: dict


def _run(surface, optimizer, convention_code, hyper, starts, steps, record, record_state) -> _Outputs:
    """The runs of ``starts`` (K, 2) through the optimizer's kernel, on as many threads as pay."""
    count = len(starts)
    slots = get(optimizer).slots
    rows = steps + 1 if record else 0
    path, loss = np.empty((rows, 2, count)), np.empty((rows, count))
    state = np.empty((steps + 1 if record_state else 0, len(slots), 2, count))
    points = np.ascontiguousarray(starts.T)
    final_loss, diverged = np.empty(count), np.empty(count, dtype=np.int64)
    table, shared = _hyper_table(optimizer, hyper, count)
    descend = kernels.descend(optimizer)
    args = (kernels.surface_code(surface.name), convention_code, table, shared, points)
    outputs = (steps, path, loss, state, final_loss, diverged)
    _in_parallel(count, lambda lo, hi: descend(*args, lo, hi, *outputs))

    paths, losses = (path.transpose(2, 0, 1), loss.T) if record else (None, None)
    final = points.T.copy()
    if diverged.max() >= 0:
        for k in np.flatnonzero(diverged >= 0):
            final[k] = final_loss[k] = np.nan
            if record:
                paths[k, diverged[k]:] = losses[k, diverged[k]:] = np.nan
    states = {name: state[:, i].transpose(2, 0, 1) for i, name in enumerate(slots)}
    return _Outputs(final, final_loss, diverged, paths, losses, states)


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number, got {steps!r}")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps={steps} is outside the allowed range [0, {MAX_STEPS:,}]")
    return int(steps)


def _check_starts(surface, starts, hyper):
    """The runs' start points as a (K, 2) array; K also comes from any per-run hyper-parameter."""
    lengths = {name: len(np.atleast_1d(v)) for name, v in hyper.items() if not isinstance(v, float)}
    if starts is not None:
        starts = np.array(starts, dtype=np.float64) if _real(starts) else None
        if starts is None or starts.ndim != 2 or starts.shape[1] != 2 or len(starts) == 0:
            raise ValueError("starts must be a non-empty list of (x, y) points of real numbers, shape (K, 2)")
        if not np.all(np.isfinite(starts)) or np.abs(starts).max() > MAX_COORDINATE:
            raise ValueError(f"start points must be finite, with coordinates within ±{MAX_COORDINATE:g}")
        lengths["starts"] = len(starts)
    if len(set(lengths.values())) > 1:
        raise ValueError(f"per-run arrays must have one length, got {lengths}")
    if 0 in lengths.values():
        raise ValueError(f"per-run arrays must hold one value per run, at least one; got {lengths}")
    count = next(iter(lengths.values()), 1)
    if starts is None:
        starts = np.array([surface.start] * count, dtype=np.float64)
    return count, starts


def _real(value) -> bool:
    """Whether ``value`` is an array of real numbers: not of booleans, strings, complex numbers or
    other objects (which NumPy would convert, truncating a complex start, say, with only a warning)."""
    try:
        return np.asarray(value).dtype.kind in "iuf"
    except ValueError:  # ragged
        return False


def _hyper_table(optimizer: str, hyper: dict, count: int) -> tuple:
    """``(table, shared)``: the (H, K) table of every run's hyper-parameters, in the order the
    optimizer's rule reads them (one its convention lacks is 0: the rule does not read it there),
    and whether every run has the same ones.

    Scalars were checked by ``resolve``; each distinct value of a per-run array is checked here.
    """
    names = get(optimizer).hyper
    per_run = {name: value for name, value in hyper.items() if not isinstance(value, float)}
    if not per_run:
        column = np.array([hyper.get(name, 0.0) for name in names])[:, None]
        return (column if count == 1 else column.repeat(count, axis=1)), True
    table = np.zeros((len(names), count))
    for name, value in hyper.items():
        row = table[names.index(name)]
        if name not in per_run:
            row[:] = value
            continue
        if np.ndim(value) != 1 or not _real(value):
            raise ValueError(f"{name} must be a number or a 1-D array of numbers, one per run")
        row[:] = value
        inside = HYPERS[name].contains_all(row)
        if not inside.all():
            check_value(name, float(row[np.argmin(inside)]))  # raises, naming the allowed range
    return table, False


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="optviz-trace")


@cache
def _threads() -> int:
    """Threads for a large batch: ``OPTVIZ_THREADS``, or one per core."""
    return max(1, int(os.environ.get("OPTVIZ_THREADS", 0)) or os.cpu_count() or 1)


def _in_parallel(count: int, work) -> None:
    """Split runs 0..count-1 into one slice of whole blocks per thread (the kernel drops the GIL)."""
    blocks = -(-count // kernels.BLOCK)
    threads = min(_threads(), blocks)
    if threads == 1:
        work(0, count)
        return
    cuts = [min(count, kernels.BLOCK * (blocks * i // threads)) for i in range(threads + 1)]
    for future in [_pool().submit(work, lo, hi) for lo, hi in zip(cuts, cuts[1:])]:
        future.result()


def inspect_step(run: Trace, t: int) -> tuple:
    """``(quantities, agrees)`` for step t of a run traced with ``record_state=True``.

    ``quantities`` names every value of the step, in the order the update computes them: the
    position and gradient, the state before, what the readable reference rule computes from them
    (m̂, ŝ, α_t, …, the step) and the new position. The reference is replayed on the run's own
    positions, and ``agrees`` says whether it lands where the compiled kernel did, with the
    same state: the teaching version and the fast one checked against each other, step by step.
    """
    if not isinstance(run, Trace):
        raise TypeError(f"inspect_step takes a Trace (from optviz.trace), got {type(run).__name__}")
    if run.state is None:
        raise ValueError("inspecting a step needs the state of every step: trace the run with record_state=True")
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise ValueError(f"the step must be a whole number, got {t!r}")
    if not 1 <= t <= run.steps or (run.diverged_at is not None and t >= run.diverged_at):
        raise ValueError(f"step {t} is not a finite step of this run (1 to {run.steps}, before any divergence)")
    optimizer = get(run.optimizer)
    _, gx, gy = evaluate(run.surface, run.path[:t, 0], run.path[:t, 1], gradient=True)
    state = {}
    for k in range(1, t + 1):
        gradient = np.array([gx[k - 1], gy[k - 1]])
        after, state, details = optimizer.reference(run.path[k - 1], gradient, state, k, run.hyper, run.convention)
    quantities = {r"\theta_{t-1}": run.path[t - 1], "g_t": gradient,
                  **{f"{name}_{{t-1}}": run.state[name][t - 1] for name in optimizer.slots},
                  **details, "step": run.path[t - 1] - after, r"\theta_t": after}
    agrees = np.allclose(after, run.path[t], rtol=1e-9, atol=1e-12) and all(
        np.allclose(state[name], run.state[name][t], rtol=1e-9, atol=1e-12) for name in optimizer.slots)
    return quantities, bool(agrees)

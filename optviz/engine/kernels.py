"""The compiled loops: every optimizer step and every surface gradient of optviz runs here.

Two shapes of work share the optimizer rules of ``optviz.optimizers``:

* :func:`descend` moves points on a surface for all their steps: one run with its position,
  state and schedule in registers, or a batch in blocks of :data:`BLOCK` points. Within a block
  the time loop is outside and the points inside, so each step is a few short loops over the block
  (gradients, schedule, updates) that compile to SIMD code. Batches run on several threads (the
  kernels release the GIL).
* :func:`start` and :func:`apply` set up and make one step on a flat parameter vector: a network's
  weights, in float32 (a copy of the rule whose arithmetic stays float32) or float64.

Every kernel is made for one optimizer when it is first asked for, and compiled (or loaded from
the on-disk cache) when first called, so a start-up pays only for the optimizers it uses. A
descent kernel dispatches on the surface at run time: the compiled code grows with optimizers
plus surfaces, never with their product. (Handing each kernel a separately compiled surface as a
first-class function would shrink its compile, but numba then spends some 60 µs unboxing the
function at every call, as much as a whole 1,000-step run.) The kernels size themselves from the
registry entry (its hyper-parameters, state slots and schedule), so a new optimizer needs no
change here.
"""

import sys
from functools import cache

import numpy as np

from optviz.engine import jit
from optviz.engine.jit import choose, generated, inner, kernel, named, single_precision, switch
from optviz.optimizers import OPTIMIZERS, code, get
from surfaces import SURFACES

# The on-disk cache is keyed by the source of this module and of every function compiled in.
jit.use_cache([
    sys.modules[__name__],
    *(f for o in OPTIMIZERS.values() for f in (o.rule, o.initial, o.advance)),
    *(f for s in SURFACES.values() for f in (s.f, s.grad)),
])

#: Points per block: a block's positions and state stay in L1 for the whole run.
BLOCK = 64

# initial(i, …), advance(i, …) and rule(i, …) call optimizer i's functions. Each kernel below is
# made for one optimizer, with i a constant of its closure, so it compiles that optimizer's
# functions only, as direct calls. (Capturing the functions themselves would be simpler, but a
# compiled function in a closure has a new identity in every process, which defeats the cache.)
_ENTRIES = list(OPTIMIZERS.values())
initial = choose(lambda i: _ENTRIES[i].initial)
advance = choose(lambda i: _ENTRIES[i].advance)
rule = choose(lambda i: _ENTRIES[i].rule)
rule_float32 = choose(lambda i: single_precision(_ENTRIES[i].rule))


# Tuples in and out of arrays, by width: an optimizer's state, schedule and hyper-parameters are
# tuples of the widths its entry declares, and each kernel below knows those widths as constants.
# column(w, a, k) is (a[0, k], …, a[w-1, k]), cell(w, a, d, k) is (a[0, d, k], …) and entries(w, a)
# is (a[0], …); set_column(w, a, k, values) and the others write a tuple back.
_SHAPES = {"column": ("a, k", "{j}, k"), "cell": ("a, d, k", "{j}, d, k"), "entries": ("a", "{j}")}


def _getter(shape: str, width: int):
    args, index = _SHAPES[shape]
    items = "".join(f"a[{index.format(j=j)}], " for j in range(width))
    return generated(f"{shape}_{width}", [f"def {shape}_{width}({args}):", f"    return ({items})"])


def _setter(shape: str, width: int):
    args, index = _SHAPES[shape]
    body = [f"    a[{index.format(j=j)}] = values[{j}]" for j in range(width)] or ["    pass"]
    return generated(f"set_{shape}_{width}", [f"def set_{shape}_{width}({args}, values):", *body])


column, cell, entries = (choose(lambda width, shape=shape: _getter(shape, width)) for shape in _SHAPES)
set_column, set_cell, set_entries = (choose(lambda width, shape=shape: _setter(shape, width)) for shape in _SHAPES)


# ---------------------------------------------------------------------------------------------
# Surfaces.


def surface_code(name: str) -> int:
    """The surface's index in the kernels' dispatch."""
    return list(SURFACES).index(name)


def _surface_branches(surface):
    f, grad = inner(surface.f), inner(surface.grad)

    @inner
    @named(surface.name)
    def evaluate(pos, value, gradient, with_value):
        if with_value:
            for k in range(value.size):
                value[k] = f(pos[0, k], pos[1, k])
        for k in range(value.size):
            gradient[0, k], gradient[1, k] = grad(pos[0, k], pos[1, k])

    @inner
    @named(surface.name)
    def value_at(x, y):
        return f(x, y)

    @inner
    @named(surface.name)
    def gradient_at(x, y):
        return grad(x, y)

    return evaluate, value_at, gradient_at


_BRANCHES = [_surface_branches(s) for s in SURFACES.values()]
#: evaluate(surface, pos (2, n), value (n,), gradient (2, n), with_value): ∇J at n points, and J
#: if asked (a step needs only the gradient, and J costs a third as much again).
evaluate = switch("evaluate", [branches[0] for branches in _BRANCHES])
#: value_at(surface, x, y) and gradient_at(surface, x, y): J and ∇J at one point, in registers
#: (the one-run path: a step's chain of dependent operations goes through no memory).
value_at = switch("value_at", [branches[1] for branches in _BRANCHES])
gradient_at = switch("gradient_at", [branches[2] for branches in _BRANCHES])


@kernel
def evaluate_points(surface, pos, value, gradient):
    """J and ∇J at the points ``pos`` (2, n), into ``value`` (n,) and ``gradient`` (2, n)."""
    evaluate(surface, pos, value, gradient, True)


def evaluation_ready() -> bool:
    """Whether :func:`evaluate_points` is compiled, in this process or in the on-disk cache."""
    return bool(evaluate_points.signatures) or jit.on_disk("evaluate_points")


# ---------------------------------------------------------------------------------------------
# Optimizers on surfaces.

@cache
def descend(name: str):
    """The descent kernel of optimizer ``name``:

    ``descend(surface, convention, table, shared, points, lo, hi, steps, path, loss, state,
    final_loss, diverged)`` moves points lo..hi-1 of a batch of K for ``steps`` steps on a surface
    (its :func:`surface_code`). ``points`` (2, K) holds the
    starts and receives the final points; ``table`` (H, K) holds each run's hyper-parameters, in
    the order of the entry's ``hyper``; ``shared`` says that every run has the same ones.
    ``path`` (steps+1, 2, K), ``loss`` (steps+1, K) and ``state`` (steps+1, slots, 2, K) are filled
    if they have rows; ``final_loss`` (K,) always. ``diverged`` (K,) receives the first step whose
    position is not finite, or -1.
    """
    i, entry = code(name), get(name)
    Hyper, hypers, slots_, clocks = entry.Hyper, len(entry.hyper), len(entry.slots), len(entry.clock)

    @kernel(nogil=True)
    @named(name)
    def descend(surface, convention, table, shared, points, lo, hi, steps, path, loss, state, final_loss, diverged):
        keep_path, keep_loss, keep_state = path.shape[0] > 0, loss.shape[0] > 0, state.shape[0] > 0
        if hi - lo == 1:
            # One run (the lab's): its position, state and schedule stay in registers, so each step
            # costs its chain of dependent operations and little more.
            k = lo
            h = Hyper(*column(hypers, table, k))
            x, y = points[0, k], points[1, k]
            s, c = initial(i, h)
            sx, sy = s, s
            value, overflowed = 0.0, -1
            for t in range(steps + 1):
                if keep_path:
                    path[t, 0, k], path[t, 1, k] = x, y
                if keep_state:
                    set_cell(slots_, state[t], 0, k, sx)
                    set_cell(slots_, state[t], 1, k, sy)
                if keep_loss or t == steps:
                    value = value_at(surface, x, y)
                    if keep_loss:
                        loss[t, k] = value
                if t == steps:
                    break
                gx, gy = gradient_at(surface, x, y)
                c = advance(i, h, c)
                x, sx = rule(i, x, gx, sx, h, c, convention)
                y, sy = rule(i, y, gy, sy, h, c, convention)
                if overflowed < 0 and not (np.isfinite(x) and np.isfinite(y)):
                    overflowed = t + 1
            points[0, k], points[1, k] = x, y
            final_loss[k], diverged[k] = value, overflowed
            return
        for block in range(lo, hi, BLOCK):
            first, n = block, min(BLOCK, hi - block)
            # Block-local copies, indexed from 0: an index like first + k might be negative as far as
            # numba knows, and its wrap-around check turns contiguous loads into gathers.
            pos, hyper = points[:, first:first + n].copy(), table[:, first:first + n].copy()
            value, gradient, overflowed = np.empty(n), np.empty((2, n)), np.full(n, -1)
            slots, clock = np.empty((slots_, 2, n)), np.empty((clocks, n))
            for k in range(n):
                s, c = initial(i, Hyper(*column(hypers, hyper, k)))
                set_cell(slots_, slots, 0, k, s)
                set_cell(slots_, slots, 1, k, s)
                set_column(clocks, clock, k, c)
            for t in range(steps + 1):
                if keep_path:
                    for k in range(n):
                        path[t, 0, first + k] = pos[0, k]
                        path[t, 1, first + k] = pos[1, k]
                if keep_state:
                    for j in range(slots_):
                        for k in range(n):
                            state[t, j, 0, first + k] = slots[j, 0, k]
                            state[t, j, 1, first + k] = slots[j, 1, k]
                evaluate(surface, pos, value, gradient, keep_loss or t == steps)
                if keep_loss:
                    for k in range(n):
                        loss[t, first + k] = value[k]
                if t == steps:
                    break
                # Separate loops, each writing few arrays, so that each compiles to SIMD code. The
                # update is written out twice: when all runs share their hyper-parameters, their
                # schedule (α_t, …) is computed once a step, not once a run (a run-or-0 column index
                # in one loop was neither hoisted nor vectorized by LLVM).
                if shared:
                    h = Hyper(*column(hypers, hyper, 0))
                    c = advance(i, h, column(clocks, clock, 0))
                    set_column(clocks, clock, 0, c)
                    for d in range(2):
                        for k in range(n):
                            pos[d, k], s = rule(i, pos[d, k], gradient[d, k], cell(slots_, slots, d, k), h, c,
                                                convention)
                            set_cell(slots_, slots, d, k, s)
                else:
                    for k in range(n):
                        c = advance(i, Hyper(*column(hypers, hyper, k)), column(clocks, clock, k))
                        set_column(clocks, clock, k, c)
                    for d in range(2):
                        for k in range(n):
                            pos[d, k], s = rule(i, pos[d, k], gradient[d, k], cell(slots_, slots, d, k),
                                                Hyper(*column(hypers, hyper, k)), column(clocks, clock, k), convention)
                            set_cell(slots_, slots, d, k, s)
                for k in range(n):
                    if overflowed[k] < 0 and not (np.isfinite(pos[0, k]) and np.isfinite(pos[1, k])):
                        overflowed[k] = t + 1
            for k in range(n):
                diverged[first + k] = overflowed[k]
                final_loss[first + k] = value[k]
                points[0, first + k] = pos[0, k]
                points[1, first + k] = pos[1, k]

    return descend


def ready(name: str) -> bool:
    """Whether optimizer ``name``'s descent kernel is compiled, in this process or on disk (a
    first use that must compile takes a few seconds, and a page says so)."""
    return bool(descend(name).signatures) or jit.on_disk(f"descend_{name}")


# ---------------------------------------------------------------------------------------------
# Optimizers on a network's flat weights.


@cache
def start(name: str):
    """``start(hyper, slots, clock)``: fill ``slots`` (slots, n) and ``clock`` (schedule,) with
    optimizer ``name``'s starting state; ``hyper`` is the tuple of its hyper-parameters."""
    i, entry = code(name), get(name)
    Hyper, slots_, clocks = entry.Hyper, len(entry.slots), len(entry.clock)

    @kernel
    @named(name)
    def start(hyper, slots, clock):
        s, c = initial(i, Hyper(*hyper))
        for j in range(slots.shape[1]):
            set_column(slots_, slots, j, s)
        set_entries(clocks, clock, c)

    return start


@cache
def apply(name: str, single: bool = True):
    """``apply(convention, hyper, theta, g, slots, clock)``: one step θ ← rule(θ, g) of optimizer
    ``name`` on a flat vector, updating its ``slots`` (slots, n) and ``clock`` (schedule,).

    ``single``: θ, g, the slots and the clock are float32 and so is every operation (the copy of
    the rule from ``jit.single_precision``), with ``hyper`` a tuple of float32; else all float64.
    """
    i, entry = code(name), get(name)
    Hyper, slots_, clocks = entry.Hyper, len(entry.slots), len(entry.clock)
    step = rule_float32 if single else rule

    @kernel(nogil=True)
    @named(f"{name}_{'float32' if single else 'float64'}")
    def apply(convention, hyper, theta, g, slots, clock):
        h = Hyper(*hyper)
        set_entries(clocks, clock, advance(i, h, entries(clocks, clock)))
        c = entries(clocks, clock)  # as stored: in the weights' precision
        for j in range(theta.size):
            theta[j], s = step(i, theta[j], g[j], column(slots_, slots, j), h, c, convention)
            set_column(slots_, slots, j, s)

    return apply

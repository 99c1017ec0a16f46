"""The compiled loops: every optimizer step and every surface gradient of optviz runs here.

Two shapes of work share the optimizer rules of ``optviz.optimizers``:

* ``DESCEND[i]`` moves points on a surface for all their steps with optimizer i, in blocks of
  ``BLOCK`` points. Within a block the time loop is outside and the points inside, so each step
  is a few short loops over the block (gradients, schedule, updates) that compile to SIMD code,
  and a single point pays little per step. Batches run on several threads (the kernels release
  the GIL).
* ``START[i]`` and ``APPLY[i]`` set up and make one step on a flat parameter vector: a network's
  weights.

There is one kernel per optimizer, compiled (and cached on disk) the first time it is used,
and each dispatches on the surface at run time: the compiled code grows with optimizers plus
surfaces, never with their product. The kernels are made from the registries, so a new entry
in either needs no change here.
"""

import sys

import numpy as np

from optviz.engine import jit
from optviz.engine.jit import choose, inner, kernel, named, switch
from optviz.optimizers import OPTIMIZERS, Hyper
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
initial = choose([o.initial for o in OPTIMIZERS.values()])
advance = choose([o.advance for o in OPTIMIZERS.values()])
rule = choose([o.rule for o in OPTIMIZERS.values()])


@inner
def _hyper(table, k):
    """Run k's hyper-parameters from an (8, K) table."""
    return Hyper(table[0, k], table[1, k], table[2, k], table[3, k], table[4, k], table[5, k], table[6, k], table[7, k])


def surface_code(name: str) -> int:
    """The surface's index in the kernels' dispatch."""
    return list(SURFACES).index(name)


def _surface_branch(surface):
    f, grad = inner(surface.f), inner(surface.grad)

    @inner
    @named(surface.name)
    def evaluate(pos, value, gradient):
        for k in range(value.size):
            value[k] = f(pos[0, k], pos[1, k])
            gradient[0, k], gradient[1, k] = grad(pos[0, k], pos[1, k])

    return evaluate


#: evaluate(surface, pos (2, n), value (n,), gradient (2, n)): J and ∇J at n points.
evaluate = switch("evaluate", [_surface_branch(s) for s in SURFACES.values()])


@kernel
def evaluate_points(surface, pos, value, gradient):
    """J and ∇J at the points ``pos`` (2, n), into ``value`` (n,) and ``gradient`` (2, n)."""
    evaluate(surface, pos, value, gradient)


def _descend_kernel(i, name):
    @kernel(nogil=True)
    @named(name)
    def descend(surface, torch, table, shared, points, lo, hi, steps, path, loss, state, final_loss, diverged):
        """Move points lo..hi-1 of a batch of K for ``steps`` steps on a surface.

        ``points`` (2, K) holds the starts and receives the final points; ``table`` (8, K) holds
        each run's hyper-parameters (see ``optviz.optimizers.HYPER_NAMES``). ``path``
        (steps+1, 2, K), ``loss`` (steps+1, K) and ``state`` (steps+1, 2 slots, 2 coordinates, K)
        are filled if they have rows; ``final_loss`` (K,) always. ``diverged`` (K,) receives the
        first step whose position is not finite, or -1.
        """
        keep_path, keep_loss, keep_state = path.shape[0] > 0, loss.shape[0] > 0, state.shape[0] > 0
        for block in range(lo, hi, BLOCK):
            first, n = block, min(BLOCK, hi - block)
            # Block-local copies, indexed from 0: an index like first + k might be negative as far as
            # numba knows, and its wrap-around check turns contiguous loads into gathers.
            pos, hyper = points[:, first:first + n].copy(), table[:, first:first + n].copy()
            value, gradient, overflowed = np.empty(n), np.empty((2, n)), np.full(n, -1)
            slots, clock = np.empty((2, 2, n)), np.empty((4, n))
            for k in range(n):
                s0, s1, c = initial(i, _hyper(hyper, k))
                slots[0, :, k] = s0
                slots[1, :, k] = s1
                clock[0, k], clock[1, k], clock[2, k], clock[3, k] = c
            for t in range(steps + 1):
                if keep_path:
                    for k in range(n):
                        path[t, 0, first + k] = pos[0, k]
                        path[t, 1, first + k] = pos[1, k]
                if keep_state:
                    for k in range(n):
                        state[t, 0, 0, first + k], state[t, 0, 1, first + k] = slots[0, 0, k], slots[0, 1, k]
                        state[t, 1, 0, first + k], state[t, 1, 1, first + k] = slots[1, 0, k], slots[1, 1, k]
                evaluate(surface, pos, value, gradient)
                if keep_loss:
                    for k in range(n):
                        loss[t, first + k] = value[k]
                if t == steps:
                    break
                # Separate loops, each writing few arrays, so that each compiles to SIMD code. The
                # update is written out twice: when all runs share their hyper-parameters, their
                # schedule's scalars (α_t, …) are computed once a step, not once a run (a run-or-0
                # column index in one loop was neither hoisted nor vectorized by LLVM).
                if shared:
                    h = _hyper(hyper, 0)
                    c = advance(i, h, (clock[0, 0], clock[1, 0], clock[2, 0], clock[3, 0]))
                    clock[0, 0], clock[1, 0], clock[2, 0], clock[3, 0] = c
                    for k in range(n):
                        for d in range(2):
                            step, slots[0, d, k], slots[1, d, k] = rule(i, gradient[d, k], slots[0, d, k],
                                                                        slots[1, d, k], h, c, torch)
                            pos[d, k] -= step
                else:
                    for k in range(n):
                        c = advance(i, _hyper(hyper, k), (clock[0, k], clock[1, k], clock[2, k], clock[3, k]))
                        clock[0, k], clock[1, k], clock[2, k], clock[3, k] = c
                    for k in range(n):
                        h, c = _hyper(hyper, k), (clock[0, k], clock[1, k], clock[2, k], clock[3, k])
                        for d in range(2):
                            step, slots[0, d, k], slots[1, d, k] = rule(i, gradient[d, k], slots[0, d, k],
                                                                        slots[1, d, k], h, c, torch)
                            pos[d, k] -= step
                for k in range(n):
                    if overflowed[k] < 0 and not (np.isfinite(pos[0, k]) and np.isfinite(pos[1, k])):
                        overflowed[k] = t + 1
            for k in range(n):
                diverged[first + k] = overflowed[k]
                final_loss[first + k] = value[k]
                points[0, first + k] = pos[0, k]
                points[1, first + k] = pos[1, k]

    return descend


def _start_kernel(i, name):
    @kernel
    @named(name)
    def start(hyper, slots, clock):
        """Fill ``slots`` (2, n) and ``clock`` (4,) with the optimizer's starting state."""
        s0, s1, c = initial(i, Hyper(*hyper))
        slots[0, :] = s0
        slots[1, :] = s1
        clock[0], clock[1], clock[2], clock[3] = c

    return start


def _apply_kernel(i, name):
    @kernel(nogil=True)
    @named(name)
    def apply(torch, hyper, theta, g, slots, clock):
        """One step θ ← θ − step(g) on a flat vector, updating its ``slots`` (2, n) and ``clock`` (4,).

        ``hyper`` is the tuple of the eight hyper-parameters in canonical order.
        """
        h = Hyper(*hyper)
        c = advance(i, h, (clock[0], clock[1], clock[2], clock[3]))
        clock[0], clock[1], clock[2], clock[3] = c
        for j in range(theta.size):
            delta, slots[0, j], slots[1, j] = rule(i, g[j], slots[0, j], slots[1, j], h, c, torch)
            theta[j] -= delta

    return apply


#: One kernel of each kind per optimizer, in registry order.
DESCEND = tuple(_descend_kernel(i, name) for i, name in enumerate(OPTIMIZERS))
START = tuple(_start_kernel(i, name) for i, name in enumerate(OPTIMIZERS))
APPLY = tuple(_apply_kernel(i, name) for i, name in enumerate(OPTIMIZERS))

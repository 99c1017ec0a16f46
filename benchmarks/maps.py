"""How fast a stability map is, against a NumPy loop doing the same work in the same run.

    python -m benchmarks.maps [--quick]

The map: Adam (Keras convention) on Rosenbrock from its usual start, over α (log-spaced, 1e-5 to
10) × β₁ (0 to 0.999), 200 × 200 cells × 500 steps, every cell with its own α and β₁. The work, in
both: every cell's final point and loss, the step at which it overflowed, whether it ended within
the tolerance of the minimum, and the first step it came that close.

* optviz: ``optviz.maps.stability``, all of it (the compiled batch, then the runs that arrived
  recorded again to find when); the batch alone is timed too.
* NumPy: one loop over the steps on arrays of all the cells, checking at each step which cells
  overflowed and which came within the tolerance.

Each is timed a few times and the best and the median printed: the machine may be shared, and the
ratio of the two, measured side by side, is the result to read. The goals are the project's: the
map in at most 0.25 s, at least 5 times faster than NumPy.
"""

import argparse
import os
import statistics
import time

import numpy as np

import optviz
from optviz.engine import maps

SURFACE, OPTIMIZER = "rosenbrock", "adam"
LR, BETA1 = ("lr", 1e-5, 10.0), ("beta1", 0.0, 0.999)
GOAL_SECONDS, GOAL_RATIO = 0.25, 5.0


def _times(run, repeat: int) -> list:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return times


def numpy_map(lr: np.ndarray, beta1: np.ndarray, steps: int, start, minimum, tolerance: float) -> dict:
    """The same cells with NumPy arrays, Adam as Keras writes it (β₂ 0.999, ε 1e-7)."""
    beta2, eps = 0.999, 1e-7
    x, y = np.full(lr.shape, start[0]), np.full(lr.shape, start[1])
    mx, my, sx, sy = (np.zeros_like(x) for _ in range(4))
    diverged, arrival = np.full(lr.shape, -1), np.full(lr.shape, -1)
    beta1_t, beta2_t = np.ones_like(x), 1.0
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            gx = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x)
            gy = 200.0 * (y - x * x)
            beta1_t *= beta1
            beta2_t *= beta2
            alpha = lr * np.sqrt(1.0 - beta2_t) / (1.0 - beta1_t)
            for g, m, s, theta in ((gx, mx, sx, x), (gy, my, sy, y)):
                m *= beta1
                m += (1.0 - beta1) * g
                s *= beta2
                s += (1.0 - beta2) * (g * g)
                theta -= alpha * m / (np.sqrt(s) + eps)
            diverged[(diverged < 0) & ~(np.isfinite(x) & np.isfinite(y))] = t
            arrival[(arrival < 0) & ((x - minimum[0]) ** 2 + (y - minimum[1]) ** 2 <= tolerance ** 2)] = t
        loss = (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2
    reached = np.hypot(x - minimum[0], y - minimum[1]) <= tolerance
    return dict(final=np.stack([x, y], axis=-1), final_loss=loss, diverged_at=diverged,
                arrival=np.where(reached, arrival, -1))


def main(quick: bool = False) -> None:
    size, steps, repeat = ((50, 50), 100, 3) if quick else ((200, 200), 500, 5)
    surface = optviz.SURFACES[SURFACE]
    minimum, tolerance = (surface.minima[0].x, surface.minima[0].y), maps.tolerance(surface)
    run = lambda: maps.stability(SURFACE, OPTIMIZER, x=LR, y=BETA1, size=size, steps=steps)  # noqa: E731
    m = run()  # compiles on a first start, and warms the caches
    lr, beta1 = np.meshgrid(m.x, m.y)
    baseline = lambda: numpy_map(lr, beta1, steps, surface.start, minimum, tolerance)  # noqa: E731
    starts = np.tile(surface.start, (lr.size, 1))
    batch = lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts, steps, record=False,  # noqa: E731
                                       lr=lr.ravel(), beta1=beta1.ravel())
    ours, theirs, batches = [], [], []
    for _ in range(repeat):  # alternated, so that all three see the same load
        ours += _times(run, 1)
        theirs += _times(baseline, 1)
        batches += _times(batch, 1)
    same = baseline()
    gap = max(float(np.nanmax(np.abs(m.final - same["final"]))),
              float(np.nanmax(np.abs(m.final_loss - same["final_loss"]) / np.maximum(1.0, np.abs(same["final_loss"])))))
    exact = np.array_equal(m.diverged_at, same["diverged_at"]) and np.array_equal(m.arrival, same["arrival"])
    cells, best, median = size[0] * size[1], min(ours), statistics.median(ours)
    their_best, their_median = min(theirs), statistics.median(theirs)
    ratio = their_best / best
    print(f"Stability map: {OPTIMIZER} on {SURFACE}, {size[0]} × {size[1]} cells (α, β₁ each its own) × {steps} steps"
          f" = {cells * steps:,} run-steps; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  optviz.maps.stability: best {best * 1000:7.1f} ms, median {median * 1000:7.1f} ms"
          f"  ({best / (cells * steps) * 1e9:.2f} ns a run-step; {m.share(maps.REACHED):.1%} of the cells "
          f"reached the minimum, {m.share(maps.DIVERGED):.1%} diverged)")
    print(f"    of which the engine's batch of final points: best {min(batches) * 1000:.1f} ms; the rest finds when "
          f"the runs that reached the minimum got there")
    print(f"  NumPy vectorized loop: best {their_best * 1000:7.1f} ms, median {their_median * 1000:7.1f} ms")
    print(f"  optviz is {ratio:.1f}× faster (best against best; {their_median / median:.1f}× median "
          f"against median). Same results: divergence and arrival steps {'identical' if exact else 'DIFFERENT'}, "
          f"final points and losses within {gap:.1e}.")
    if not quick:
        print(f"  Goals: ≤ {GOAL_SECONDS * 1000:.0f} ms ({'met' if best <= GOAL_SECONDS else 'NOT met'}), "
              f"≥ {GOAL_RATIO:.0f}× NumPy ({'met' if ratio >= GOAL_RATIO else 'NOT met'}).")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 50 × 50 map of 100 steps, as a smoke test")
    main(quick=parser.parse_args().quick)

"""How long the largest batch the engine accepts takes: ``python -m benchmarks.limits``.

``trace_batch`` refuses more than ``MAX_WORK`` run-steps in one call. This runs exactly that much
work (``MAX_RUNS_AT_LIMIT`` runs × ``MAX_STEPS`` steps, final points only) for the cheapest and
the dearest surfaces, each with the optimizer that costs most per step, and prints the wall
time with the machine's load average before and after: a figure from a busy machine is an upper
bound. ``--quick`` runs a hundredth of the work and scales it up.
"""

import os
import sys
import time

import numpy as np

import surfaces
from optviz.engine.trajectory import MAX_STEPS, MAX_WORK, trace_batch
from optviz.engine.trajectory import _threads

CASES = (("rosenbrock", "adam"), ("rosenbrock", "nadam"), ("rastrigin", "nadam"), ("ackley", "nadam"))


def _load() -> str:
    return "/".join(f"{load:.2f}" for load in os.getloadavg())


def main(quick: bool = False) -> None:
    fraction = 100 if quick else 1
    steps = MAX_STEPS // fraction
    runs = MAX_WORK // MAX_STEPS
    print(f"{os.cpu_count()} cores, {_threads()} threads; load average (1/5/15 min) {_load()}")
    print(f"{runs:,} runs × {steps:,} steps, final points only ({runs * steps:,} run-steps; MAX_WORK is "
          f"{MAX_WORK:,})" + (", scaled ×100" if quick else ""))
    for surface, optimizer in CASES:
        starts = np.tile(surfaces.get(surface).start, (runs, 1))
        trace_batch(surface, optimizer, starts[:1], steps=1, record=False)  # compiled before the clock starts
        began = time.perf_counter()
        trace_batch(surface, optimizer, starts, steps=steps, record=False)
        seconds = (time.perf_counter() - began) * fraction
        print(f"{surface:12} {optimizer:6} {seconds:6.1f} s  ({seconds / MAX_WORK * 1e9:.2f} ns a run-step)",
              flush=True)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""How far each optimizer's path strays from its libraries', printed as a table.

The tests say pass or fail at the record's tolerance; this says by how much, for the cases the tests
run (the library defaults with the case's α, and every hyper-parameter set away from its default),
150 steps each:

    python tests/optimizers/deviations.py [optimizer ...]

For each optimizer and convention: the largest relative deviation max |θ − θ_lib| / |θ_lib| over every
coordinate of every step (coordinates with |θ_lib| < 1e-12 are left out, where the tests' absolute
tolerance holds instead), and the largest absolute one.
"""

import sys
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[2])]

from libraries import path as library_path  # noqa: E402
from optim_db import RECORDS  # noqa: E402

import optviz  # noqa: E402
from optviz.optimizers import OPTIMIZERS  # noqa: E402

STEPS = 150


def deviations(name: str, convention: str) -> tuple:
    """(largest relative, largest absolute) deviation from the library over the tests' runs."""
    record = RECORDS[name]
    runs = [(surface, start, {"lr": lr}) for surface, start, lr in record.cases]
    if record.varied.get(convention):
        surface, start, _ = record.cases[0]
        runs.append((surface, start, record.varied[convention]))
    relative = absolute = 0.0
    for surface, start, hyper in runs:
        expected = library_path(convention, record.library(convention), hyper, surface, start, STEPS)
        got = optviz.trace(surface, name, start=start, steps=STEPS, convention=convention, **hyper).path
        gap = np.abs(got - expected)
        relative = max(relative, float(np.max(gap / np.where(np.abs(expected) < 1e-12, np.inf, np.abs(expected)))))
        absolute = max(absolute, float(np.max(gap)))
    return relative, absolute


def main(names) -> None:
    print(f"{'optimizer':<10} {'convention':<10} {'max relative':>13} {'max absolute':>13}")
    for name in names or OPTIMIZERS:
        for convention in OPTIMIZERS[name].conventions:
            relative, absolute = deviations(name, convention)
            print(f"{name:<10} {convention:<10} {relative:>13.2e} {absolute:>13.2e}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

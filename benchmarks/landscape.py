"""How fast a loss landscape is drawn, measured against a plain PyTorch loop.

``python -m benchmarks.landscape`` evaluates the article's network (784-300-100-10) on a 51 × 51
grid over a plane through weight space, on 2,000 images, twice in the same run:

* optviz: ``PlaneLoss``, which computes the first layer of the whole plane with three products
  of the images (X·W₀, X·D₁, X·D₂) and runs the rest of the network a batch of points at a time;
* PyTorch: the way research code does it, for every grid point the weights set to W₀ + a·D₁ +
  b·D₂ (``vector_to_parameters``) and the forward pass and mean cross-entropy run under
  ``no_grad``.

Both on one thread (optviz's landscape runs on one core, the server keeps the other), on random
images of Fashion-MNIST's shape (the speed does not depend on the pixels), and the two losses are
compared at every point. The rounds alternate (optviz, PyTorch, optviz, …) so that load from other
processes hits both alike; the best round of each is the one compared. Goals: the grid in at most
:data:`GOAL_SECONDS`, and at least :data:`GOAL_RATIO` times faster than PyTorch.
"""

import argparse
import time

import numpy as np

from optviz.race.landscape import PlaneLoss
from optviz.race.mlp import CLASSES, HIDDEN, INPUTS, MLP
from optviz.race.training import one_blas_thread

GOAL_SECONDS, GOAL_RATIO = 15.0, 3.0


def problem(grid, images, seed=0):
    """A trained-looking plane: Glorot weights, two random directions of a tenth of their scale,
    the grid's points (grid², 2) on [-1, 1]², random images and labels."""
    rng = np.random.default_rng(seed)
    origin = MLP(HIDDEN, seed=seed).params.copy()
    directions = rng.standard_normal((2, origin.size)).astype(np.float32) * 0.1 * np.abs(origin).mean()
    axis = np.linspace(-1.0, 1.0, grid)
    points = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    x = rng.random((images, INPUTS), dtype=np.float32)
    labels = rng.integers(0, CLASSES, images)
    return origin, directions, points, x, labels


def optviz_grid(origin, directions, points, x, labels) -> np.ndarray:
    return PlaneLoss(origin, directions, HIDDEN, x, labels).at(points)


def torch_grid(origin, directions, points, x, labels) -> np.ndarray:
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(INPUTS, HIDDEN[0]), nn.ReLU(), nn.Linear(*HIDDEN), nn.ReLU(),
                          nn.Linear(HIDDEN[1], CLASSES))
    start = torch.from_numpy(_as_torch_order(origin))
    d1, d2 = (torch.from_numpy(_as_torch_order(direction)) for direction in directions)
    images, targets = torch.from_numpy(x), torch.from_numpy(labels)
    losses = np.empty(len(points))
    with torch.no_grad():
        for k, (a, b) in enumerate(points):
            nn.utils.vector_to_parameters(start + float(a) * d1 + float(b) * d2, model.parameters())
            losses[k] = nn.functional.cross_entropy(model(images), targets).item()
    return losses


def _as_torch_order(params) -> np.ndarray:
    """optviz's flat vector (each layer's W as inputs × outputs, then b) in torch's parameter order
    (each Linear's weight as outputs × inputs, then bias)."""
    parts = []
    for layer in MLP.of(params, HIDDEN).layers[::2]:
        parts += [layer.W.T.ravel(), layer.b.ravel()]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def main(grid=51, images=2000, rounds=2) -> dict:
    import torch

    one_blas_thread()
    torch.set_num_threads(1)
    setting = problem(grid, images)
    print(f"a {grid} × {grid} grid ({grid * grid:,} points) of the {INPUTS}-{'-'.join(map(str, HIDDEN))}-{CLASSES} "
          f"network on {images:,} images, one thread each; {rounds} alternating rounds, the best of each shown")
    optviz_grid(*problem(5, 50))  # compile the kernels outside the timing
    seconds = {"optviz": [], "torch": []}
    results = {}
    for _ in range(rounds):
        for name, run in (("optviz", optviz_grid), ("torch", torch_grid)):
            began = time.perf_counter()
            results[name] = run(*setting)
            seconds[name].append(time.perf_counter() - began)
    agree = float(np.max(np.abs(results["optviz"] - results["torch"]) / np.abs(results["torch"])))
    best = {name: min(times) for name, times in seconds.items()}
    ratio = best["torch"] / best["optviz"]
    for name, times in seconds.items():
        print(f"  {name:<7} best {best[name]:6.2f} s   rounds {', '.join(f'{t:.2f}' for t in times)} s")
    print(f"  optviz is {ratio:.1f}× faster than the PyTorch loop (goal ≥ {GOAL_RATIO:g}×: "
          f"{'met' if ratio >= GOAL_RATIO else 'missed'}); the grid in {best['optviz']:.2f} s "
          f"(goal ≤ {GOAL_SECONDS:g} s: {'met' if best['optviz'] <= GOAL_SECONDS else 'missed'})")
    print(f"  the two grids agree to {agree:.1e} (largest relative difference of a point's loss)")
    return {"seconds": best, "ratio": ratio, "agree": agree}


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--grid", type=int, default=51)
    arguments.add_argument("--images", type=int, default=2000)
    arguments.add_argument("--rounds", type=int, default=2)
    options = arguments.parse_args()
    main(options.grid, options.images, options.rounds)

"""``python -m optviz bench``: how fast the trajectory kernels are, against baselines in the same run.

The work is the same everywhere: Adam (Keras convention, α = 0.001) on Rosenbrock. Baselines are
a plain NumPy loop and, when it is installed, torch.optim with autograd. Each figure is the best
of a few repetitions, because this is meant to run on shared, noisy machines; the ratios are
the result to read. The goals are the ones the project set itself (see the README).
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import optviz
from optviz.engine import kernels
from optviz.optimizers import resolve

SURFACE, OPTIMIZER, LR = "rosenbrock", "adam", 1e-3
START = (-1.2, 1.0)


def _best(run, repeat: int) -> float:
    """The shortest of ``repeat`` wall times of ``run()``, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def _kernel_single(steps: int):
    """One trajectory through the kernel alone, path and losses recorded (no Python checks)."""
    table = np.array(list(resolve(OPTIMIZER, lr=LR).values()), dtype=np.float64)[:, None].copy()
    descend = kernels.descend(OPTIMIZER)
    path, loss = np.empty((steps + 1, 2, 1)), np.empty((steps + 1, 1))
    state, final_loss, diverged = np.empty((0, 2, 2, 1)), np.empty(1), np.full(1, -1)

    surface = kernels.surface_code(SURFACE)

    def run():
        points = np.array(START, dtype=np.float64)[:, None].copy()
        descend(surface, 0, table, True, points, 0, 1, steps, path, loss, state, final_loss, diverged)

    return run


def _numpy_adam(points: np.ndarray, steps: int) -> np.ndarray:
    """Adam on Rosenbrock for K points at once with NumPy arrays: the vectorized baseline."""
    x, y = points[:, 0].copy(), points[:, 1].copy()
    mx, my, sx, sy = (np.zeros_like(x) for _ in range(4))
    beta1, beta2, eps = 0.9, 0.999, 1e-7
    for t in range(1, steps + 1):
        gx = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x)
        gy = 200.0 * (y - x * x)
        alpha = LR * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        for g, m, s, theta in ((gx, mx, sx, x), (gy, my, sy, y)):
            m *= beta1
            m += (1.0 - beta1) * g
            s *= beta2
            s += (1.0 - beta2) * g * g
            theta -= alpha * m / (np.sqrt(s) + eps)
    return np.stack([x, y], axis=1)


def _torch_adam(points: np.ndarray, steps: int) -> np.ndarray:
    """torch.optim.Adam with autograd on the same K points (K = 1 for a single trajectory)."""
    import torch

    torch.set_num_threads(1)
    theta = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=LR, eps=1e-7)
    for _ in range(steps):
        optimizer.zero_grad()
        x, y = theta[:, 0], theta[:, 1]
        ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
        optimizer.step()
    return theta.detach().numpy()


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _startup(cache: str) -> tuple[float, float]:
    """Wall and CPU seconds of a new process importing optviz and making the app's first calls."""
    script = (
        "import optviz; from optviz.engine.evaluate import grid\n"
        "grid('rosenbrock', 120)\n"
        "for name in optviz.OPTIMIZERS: optviz.trace('rosenbrock', name, steps=200)\n"
        "optviz.trace_batch('rosenbrock', 'adam', starts=[[0.0, 0.0]] * 100, steps=100)\n"
    )
    env = {**os.environ, "OPTVIZ_CACHE_DIR": cache}
    env.pop("NUMBA_CACHE_DIR", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).resolve().parents[1])
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _row(name: str, value: str, goal: str = "", met: bool | None = None) -> None:
    mark = "" if met is None else ("  met" if met else "  MISSED")
    print(f"  {name:<52} {value:>18}   {goal}{mark}")


def main(quick: bool = False) -> None:
    steps, count = (300, 2000) if quick else (1000, 10_000)
    repeat = 3 if quick else 5
    torch = _torch_available()
    print(f"optviz bench: {OPTIMIZER} (α={LR}) on {SURFACE}, {os.cpu_count()} cores, "
          f"{'torch ' + __import__('torch').__version__ if torch else 'torch not installed'}")
    optviz.trace(SURFACE, OPTIMIZER, steps=2)  # load or compile the kernel before timing

    print(f"\nOne trajectory, {steps} steps, path recorded (ns per step)")
    kernel = _best(_kernel_single(steps), repeat * 10) / steps * 1e9
    api = _best(lambda: optviz.trace(SURFACE, OPTIMIZER, start=START, steps=steps, lr=LR), repeat * 10) / steps * 1e9
    numpy_single = _best(lambda: _numpy_adam(np.array([START]), steps), repeat) / steps * 1e9
    _row("optviz kernel", f"{kernel:.1f} ns", "goal ≤ 60 ns", kernel <= 60)
    _row("optviz.trace (with its input checks)", f"{api:.1f} ns")
    _row("NumPy loop, one point", f"{numpy_single:.0f} ns  ({numpy_single / kernel:.0f}×)")
    if torch:
        torch_single = _best(lambda: _torch_adam(np.array([START]), steps), 2) / steps * 1e9
        ratio = torch_single / kernel
        _row("torch.optim.Adam + autograd, one point", f"{torch_single:.0f} ns  ({ratio:.0f}×)", "goal ≥ 3000×",
             ratio >= 3000)

    print(f"\nA batch of {count:,} starts × {steps} steps (ns per trajectory-step)")
    starts = np.random.default_rng(0).uniform(-2, 2, (count, 2))
    work = count * steps
    final = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts=starts, steps=steps, lr=LR, record=False),
                  repeat) / work * 1e9
    recorded = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts=starts, steps=steps, lr=LR),
                     max(1, repeat // 2)) / work * 1e9
    numpy_batch = _best(lambda: _numpy_adam(starts, steps), max(1, repeat // 2)) / work * 1e9
    _row("optviz.trace_batch, final points only", f"{final:.2f} ns", "goal ≤ 4 ns", final <= 4)
    _row("optviz.trace_batch, every path and loss recorded", f"{recorded:.2f} ns")
    ratio = numpy_batch / final
    _row("NumPy vectorized loop, final points", f"{numpy_batch:.2f} ns  ({ratio:.1f}×)", "goal ≥ 5×", ratio >= 5)
    if torch:
        torch_batch = _best(lambda: _torch_adam(starts, steps // 10), 1) / (work // 10) * 1e9
        _row("torch.optim.Adam + autograd, one (K, 2) tensor", f"{torch_batch:.2f} ns  ({torch_batch / final:.0f}×)")

    side, grid_steps = (100, 200) if quick else (200, 500)
    lrs, betas = np.meshgrid(np.geomspace(1e-4, 1.0, side), np.linspace(0.0, 0.99, side))
    grid = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, steps=grid_steps, lr=lrs.ravel(), beta1=betas.ravel(),
                                            record=False), repeat)
    print(f"\nA {side}×{side} grid of (α, β1) runs × {grid_steps} steps")
    _row("optviz.trace_batch", f"{grid:.3f} s", "goal ≤ 0.25 s" if not quick else "", None if quick else grid <= 0.25)

    print("\nStart-up of a new process: import, one surface grid, the 8 optimizers traced, one batch")
    with tempfile.TemporaryDirectory() as cache:
        cold_wall, cold_cpu = _startup(cache)
        warm_wall, warm_cpu = _startup(cache)
    _row("empty kernel cache (compiles the 8 optimizers)", f"{cold_wall:.1f} s wall, {cold_cpu:.1f} s CPU")
    _row("warm kernel cache", f"{warm_wall:.2f} s wall, {warm_cpu:.2f} s CPU", "goal < 1 s CPU", warm_cpu < 1.0)

"""``python -m optviz bench``: how fast the trajectory kernels are, against baselines in the same run.

The work is the same everywhere: Adam (Keras convention, α = 0.001) on Rosenbrock; a single run
is also timed for every optimizer of the registry. Baselines are what a user would write instead:
a plain NumPy loop and, when they are installed, JAX + optax (jit-compiled, vmapped) and
torch.optim with autograd. Each figure is the best of a few repetitions, because this is meant to
run on shared, noisy machines; the ratios are the result to read. The goals are the ones the
project set itself (see the README).
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


def _jax_adam(starts: np.ndarray, steps: int, lr, path: bool = False):
    """JAX + optax on the same runs: Adam's update from optax, the gradient from jax.grad, the
    steps in a jit-compiled ``lax.scan``, the runs side by side with ``vmap``; ``lr`` one value or
    one per run. Returns a function that runs them (compiled on its first call) and waits for them."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    def loss(p):
        return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] * p[0]) ** 2

    adam = optax.scale_by_adam(eps=1e-7)

    def one(start, alpha):
        def step(carry, _):
            params, state = carry
            updates, state = adam.update(jax.grad(loss)(params), state, params)
            params = params - alpha * updates
            return (params, state), (params if path else None)

        (final, _), positions = jax.lax.scan(step, (start, adam.init(start)), None, length=steps)
        return positions if path else final

    lrs = jnp.broadcast_to(jnp.asarray(lr, dtype=jnp.float64), (len(starts),))
    run = jax.jit(jax.vmap(one))
    points = jnp.asarray(starts, dtype=jnp.float64)
    return lambda: run(points, lrs).block_until_ready()


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _startup(cache: str) -> tuple[float, float]:
    """Wall and CPU seconds of a new process importing optviz and making the lab's first calls."""
    script = (
        "import optviz; from optviz.engine.evaluate import grid\n"
        "grid('rosenbrock', 120)\n"
        "for name in ('sgd', 'momentum', 'rmsprop', 'adam'): optviz.trace('rosenbrock', name, steps=300)\n"
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
    print(f"  {name:<56} {value:>20}   {goal}{mark}")


def main(quick: bool = False) -> None:
    steps, count = (300, 2000) if quick else (1000, 10_000)
    repeat = 3 if quick else 5
    torch, jax = _available("torch"), _available("jax") and _available("optax")
    print(f"optviz bench: {OPTIMIZER} (α={LR}) on {SURFACE}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; {'torch ' + __import__('torch').__version__ if torch else 'no torch'}, "
          f"{'jax ' + __import__('jax').__version__ + ' + optax' if jax else 'no jax/optax'}")
    for name in optviz.OPTIMIZERS:  # load or compile every kernel before timing
        optviz.trace(SURFACE, name, steps=2, convention=optviz.OPTIMIZERS[name].convention_for("keras"))

    print(f"\nOne trajectory, {steps} steps, path recorded: the whole call (µs), input checks included")
    single = {name: _best(lambda: optviz.trace(SURFACE, name, start=START, steps=steps,
                                               convention=entry.convention_for("keras")), repeat * 20) * 1e6
              for name, entry in optviz.OPTIMIZERS.items()}
    slowest = max(single, key=single.get)
    adam = single[OPTIMIZER]
    _row(f"optviz.trace, {OPTIMIZER}", f"{adam:.1f} µs", "goal ≤ 60 µs" if not quick else "",
         None if quick else adam <= 60)
    _row(f"optviz.trace, the slowest of {len(single)} ({slowest})", f"{single[slowest]:.1f} µs",
         "goal ≤ 60 µs" if not quick else "", None if quick else single[slowest] <= 60)
    kernel = _best(_kernel_single(steps), repeat * 20) * 1e6
    _row(f"  of which the kernel ({OPTIMIZER})", f"{kernel:.1f} µs")
    numpy_single = _best(lambda: _numpy_adam(np.array([START]), steps), repeat) * 1e6
    _row("NumPy loop, one point", f"{numpy_single:.0f} µs  ({numpy_single / adam:.0f}×)")
    if jax:
        jax_single = _jax_adam(np.array([START]), steps, LR, path=True)
        jax_single()
        jax_time = _best(jax_single, repeat * 20) * 1e6
        _row("JAX + optax, jit(lax.scan), positions kept", f"{jax_time:.1f} µs  ({jax_time / adam:.1f}×)",
             "aim ≥ 3×", jax_time / adam >= 3)
    if torch:
        torch_single = _best(lambda: _torch_adam(np.array([START]), steps), 2) * 1e6
        ratio = torch_single / adam
        _row("torch.optim.Adam + autograd, one point", f"{torch_single:.0f} µs  ({ratio:.0f}×)")

    print(f"\nA batch of {count:,} runs × {steps} steps, final points only (ns per run-step)")
    rng = np.random.default_rng(0)
    starts = rng.uniform(-2, 2, (count, 2))
    lrs = np.geomspace(1e-4, 1e-2, count)
    work = count * steps
    shared = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts=starts, steps=steps, lr=LR, record=False),
                   repeat) / work * 1e9
    own = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts=starts, steps=steps, lr=lrs, record=False),
                repeat) / work * 1e9
    recorded = _best(lambda: optviz.trace_batch(SURFACE, OPTIMIZER, starts=starts, steps=steps, lr=LR),
                     max(1, repeat // 2)) / work * 1e9
    numpy_batch = _best(lambda: _numpy_adam(starts, steps), max(1, repeat // 2)) / work * 1e9
    _row("optviz.trace_batch, one α for all", f"{shared:.2f} ns")
    _row("optviz.trace_batch, an α per run (the maps' case)", f"{own:.2f} ns", "goal ≤ 2.5 ns" if not quick else "",
         None if quick else own <= 2.5)
    _row("optviz.trace_batch, every path and loss recorded", f"{recorded:.2f} ns")
    ratio = numpy_batch / shared
    _row("NumPy vectorized loop, one α", f"{numpy_batch:.2f} ns  ({ratio:.1f}×)", "goal ≥ 5×", ratio >= 5)
    if jax:
        for label, lr, ours in (("one α", LR, shared), ("an α per run", lrs, own)):
            jax_batch = _jax_adam(starts, steps, lr)
            jax_batch()
            theirs = _best(jax_batch, max(1, repeat // 2)) / work * 1e9
            _row(f"JAX + optax, jit(vmap(lax.scan)), {label}", f"{theirs:.2f} ns  ({theirs / ours:.1f}×)", "aim ≥ 3×",
                 theirs / ours >= 3)
    if torch:
        torch_batch = _best(lambda: _torch_adam(starts, steps // 10), 1) / (work // 10) * 1e9
        _row("torch.optim.Adam + autograd, one (K, 2) tensor", f"{torch_batch:.2f} ns  ({torch_batch / shared:.0f}×)")

    print("\nStart-up of a new process: import, one surface grid, the lab's first four optimizers, one batch")
    with tempfile.TemporaryDirectory() as cache:
        cold_wall, cold_cpu = _startup(cache)
        warm_wall, warm_cpu = _startup(cache)
    _row("empty kernel cache (compiles the four)", f"{cold_wall:.1f} s wall, {cold_cpu:.1f} s CPU")
    _row("warm kernel cache", f"{warm_wall:.2f} s wall, {warm_cpu:.2f} s CPU", "goal < 1 s CPU", warm_cpu < 1.0)

"""The real libraries, driven step by step on a surface in float64, for the comparison tests.

Each driver takes a record's factory and returns the path the library's optimizer takes from a
start point, the gradient given by the surface's analytic formula (so that only the update rule
is compared). A library that is not installed makes its tests skip (they are not requirements of
optviz: ``pip install -r requirements-compare.txt``).
"""

import importlib.util
import os

import numpy as np
import pytest

import surfaces

MODULES = {"keras": ("keras", "torch"), "torch": ("torch",), "optax": ("optax", "jax")}


def available(convention: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in MODULES[convention])


def path(convention: str, factory, hyper: dict, surface: str, start, steps: int) -> np.ndarray:
    """The (steps + 1, 2) path of the library's optimizer, or a skip if the library is missing."""
    if not available(convention):
        pytest.skip(f"{' and '.join(MODULES[convention])} not installed (pip install -r requirements-compare.txt)")
    return {"keras": _keras, "torch": _torch, "optax": _optax}[convention](factory, hyper, surfaces.get(surface).grad,
                                                                         start, steps)


def _torch(factory, hyper, grad, start, steps):
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's scalar state (step, μ product) follows it
    try:
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        optimizer = factory(torch, [theta], hyper)
        points = [theta.detach().numpy().copy()]
        for _ in range(steps):
            optimizer.zero_grad()
            theta.grad = torch.tensor(grad(*theta.detach().numpy()), dtype=torch.float64)
            optimizer.step()
            points.append(theta.detach().numpy().copy())
    finally:
        torch.set_default_dtype(previous)
    return np.array(points)


def _keras(factory, hyper, grad, start, steps):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    import torch

    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on {keras.backend.backend()}; these tests drive it with torch tensors")
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")  # so the learning rate is not rounded to float32
    try:
        variable = keras.Variable(np.array(start), dtype="float64")
        optimizer = factory(keras, hyper)
        points = [np.array(start)]
        for _ in range(steps):
            g = torch.tensor(grad(*np.asarray(variable.numpy())), dtype=torch.float64)
            optimizer.apply_gradients([(g, variable)])
            points.append(np.asarray(variable.numpy()).copy())
    finally:
        keras.config.set_floatx(previous)
    return np.array(points)


def _optax(factory, hyper, grad, start, steps):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    transform = factory(optax, hyper)
    params = jnp.asarray(start, dtype=jnp.float64)
    state = transform.init(params)
    points = [np.asarray(params)]
    for _ in range(steps):
        g = jnp.asarray(grad(*np.asarray(params)), dtype=jnp.float64)
        updates, state = transform.update(g, state, params)
        params = optax.apply_updates(params, updates)
        points.append(np.asarray(params))
    return np.array(points)

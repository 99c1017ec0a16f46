"""The update rules: compiled kernels against the readable references, real Keras and torch.optim.

The readable references (``Optimizer.reference``) are written from the semantics of Keras 3 and
torch.optim with powers instead of running products; the kernels must agree with them to
rounding. Where Keras or torch are importable, the kernels are also run against them.
"""

import importlib.util
import os

import numpy as np
import pytest

import optviz
import surfaces
from optviz.optimizers import OPTIMIZERS, RANGES, get, resolve

NAMES = list(OPTIMIZERS)


def reference_trace(surface_name, optimizer_name, start, steps, convention="keras", **given):
    """The path from the plain-Python references, one step at a time."""
    surface = surfaces.get(surface_name)
    optimizer = get(optimizer_name)
    hyper = resolve(optimizer_name, convention, **given)
    theta, state = np.array(start, dtype=np.float64), {}
    path = [theta]
    for t in range(1, steps + 1):
        g = np.array(surface.grad(*theta))
        theta, state, _ = optimizer.reference(theta, g, state, t, hyper, convention == "torch")
        path.append(theta)
    return np.array(path)


# Real Keras 3.15.1, float64, Rosenbrock from (-1.2, 1), η = 0.001 (../shared/optimizer-semantics.md).
KERAS_VECTORS = {
    "sgd": ((-0.9843999999999999, 1.088), (-0.7589977574248105, 0.5841573147440575)),
    "momentum": ((-0.9843999999999999, 1.088), (0.8908107503268673, 0.793076748655088)),
    "nesterov": ((-0.79036, 1.1672), (0.8695100146787423, 0.7554823818666478)),
    "adagrad": ((-1.199000001075653, 1.0009999935434446), (-1.1685320274256683, 1.0315854469121586)),
    "rmsprop": ((-1.1968377223398656, 1.0031622776599642), (-0.9968204953971583, 1.0020203556499612)),
    "adam": ((-1.1990000000146672, 1.000999999964065), (-1.0645130044394426, 1.1325075357957477)),
    "adamax": ((-1.1990000000004637, 1.0009999999988637), (-1.0741982703946258, 1.1275192248205168)),
    "nadam": ((-1.1989372121971842, 1.001062787802101), (-1.0654184451495516, 1.1322337987619686)),
}


@pytest.mark.parametrize("name", NAMES)
def test_keras_test_vectors(name):
    t = optviz.trace("rosenbrock", name, start=(-1.2, 1.0), steps=300, lr=0.001)
    first, last = KERAS_VECTORS[name]
    np.testing.assert_allclose(t.path[1], first, rtol=0, atol=1e-14)
    np.testing.assert_allclose(t.path[300], last, rtol=0, atol=1e-12)


@pytest.mark.parametrize("convention", ["keras", "torch"])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "surface, start, lr",
    [("rosenbrock", (-1.2, 1.0), 0.001), ("beale", (1.0, 1.5), 0.001), ("booth", (-8.0, -6.0), 0.01)],
)
def test_kernel_matches_the_readable_reference(name, convention, surface, start, lr):
    t = optviz.trace(surface, name, start=start, steps=200, convention=convention, lr=lr)
    expected = reference_trace(surface, name, start, 200, convention, lr=lr)
    np.testing.assert_allclose(t.path, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_recorded_state_matches_the_reference(name):
    optimizer = get(name)
    t = optviz.trace("himmelblau", name, start=(0.5, -0.5), steps=20, record_state=True, lr=0.01)
    hyper = resolve(name, "keras", lr=0.01)
    theta, state = np.array([0.5, -0.5]), {}
    for step in range(1, 21):
        theta, state, details = optimizer.reference(theta, np.array(surfaces.get("himmelblau").grad(*theta)), state,
                                                    step, hyper, False)
        for slot in optimizer.slots:
            np.testing.assert_allclose(t.state[slot][step], state[slot], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t.path[step - 1] - t.path[step], details["step"], rtol=1e-9, atol=1e-15)
    assert set(t.state) == set(optimizer.slots)


def test_momentum_and_nesterov_without_momentum_are_gradient_descent():
    gd = optviz.trace("rosenbrock", "sgd", steps=300, lr=0.002)
    for name in ("momentum", "nesterov"):
        for convention in ("keras", "torch"):
            t = optviz.trace("rosenbrock", name, steps=300, convention=convention, lr=0.002, momentum=0.0)
            np.testing.assert_array_equal(t.path, gd.path)


def test_torch_adagrad_with_a_shifted_accumulator_is_keras_adagrad():
    keras = optviz.trace("beale", "adagrad", start=(1.0, 1.5), steps=300, lr=0.05)
    torch = optviz.trace("beale", "adagrad", start=(1.0, 1.5), steps=300, convention="torch", lr=0.05,
                         initial_accumulator=0.1 + 1e-7, epsilon=0.0)
    np.testing.assert_allclose(torch.path, keras.path, rtol=0, atol=1e-15)


def test_torch_nadam_with_keras_schedule_is_keras_nadam():
    keras = optviz.trace("rosenbrock", "nadam", steps=300, lr=0.001)
    torch = optviz.trace("rosenbrock", "nadam", steps=300, convention="torch", lr=0.001, epsilon=1e-7,
                         momentum_decay=1.0)
    np.testing.assert_array_equal(torch.path, keras.path)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_reaches_the_bottom_of_the_bowl(name):
    # RMSProp has no bias correction and keeps taking steps of about α near the minimum.
    lr = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.005}.get(name, 0.05)
    t = optviz.trace("bowl", name, steps=2000, lr=lr)
    assert t.diverged_at is None
    assert np.hypot(*t.final) < 1e-2, t.final


def test_gradient_descent_with_a_huge_step_diverges_where_the_float_overflows():
    lr, start = 10.0, (-1.6, 1.2)
    t = optviz.trace("bowl", "sgd", start=start, steps=400, lr=lr)
    x, expected = start[0], None
    for step in range(1, 401):  # x_t = (1 - 2 lr) x_{t-1}, in the same floating point
        x = x - lr * (2.0 * x)
        if not np.isfinite(x):
            expected = step
            break
    assert expected is not None and t.diverged_at == expected
    assert np.isnan(t.path[expected:]).all() and np.isnan(t.loss[expected:]).all()
    assert np.isfinite(t.path[: expected]).all()


def test_defaults_follow_the_convention():
    assert resolve("adagrad") == {"lr": 0.001, "initial_accumulator": 0.1, "epsilon": 1e-7}
    assert resolve("adagrad", "torch") == {"lr": 0.01, "initial_accumulator": 0.0, "epsilon": 1e-10}
    assert resolve("nadam")["momentum_decay"] == 1.0 and resolve("nadam", "torch")["momentum_decay"] == 0.004
    assert resolve("rmsprop", "torch")["rho"] == 0.99


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_complete(name):
    optimizer = get(name)
    assert set(optimizer.defaults) == {"keras", "torch"}
    assert set(optimizer.defaults["keras"]) == set(optimizer.defaults["torch"])
    assert all(RANGES[h].contains(v) for d in optimizer.defaults.values() for h, v in d.items())
    assert optimizer.latex["keras"] and optimizer.latex["torch"] and optimizer.differences
    assert len(optimizer.slots) <= 2


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: optviz.trace("bowl", "adamm"), "unknown optimizer 'adamm'; choose one of: sgd, momentum"),
        (lambda: optviz.trace("bowl", "adam", convention="jax"), "unknown convention 'jax'"),
        (lambda: optviz.trace("bowl", "adam", lr=float("nan")), r"lr=nan is outside its allowed range \(0, 1000\]"),
        (lambda: optviz.trace("bowl", "adam", lr=-0.1), "lr=-0.1 is outside"),
        (lambda: optviz.trace("bowl", "adam", beta1=1.0), r"beta1=1.0 is outside its allowed range \[0, 1\)"),
        (lambda: optviz.trace("bowl", "adam", lr="fast"), "lr must be a number"),
        (lambda: optviz.trace("bowl", "sgd", momentum=0.9), "sgd takes no hyper-parameter momentum; it takes: lr"),
        (lambda: optviz.trace("bowl", "adam", steps=10**9), r"steps=1000000000 is outside the allowed range"),
        (lambda: optviz.trace("bowl", "adam", steps=-1), "outside the allowed range"),
        (lambda: optviz.trace("bowl", "adam", steps=2.5), "steps must be a whole number"),
        (lambda: optviz.trace("bowl", "adam", steps=True), "steps must be a whole number"),
        (lambda: optviz.trace("bowl", "adam", start=(0.0, float("inf"))), "start points must be finite"),
        (lambda: optviz.trace("bowl", "adam", start=(0.0, 1e9)), "start points must be finite"),
        (lambda: optviz.trace("bowl", "adam", start=(1.0,)), r"shape \(K, 2\)"),
        (lambda: optviz.trace("bowl", "adam", lr=[0.1, 0.2]), "use trace_batch"),
    ],
)
def test_bad_input_is_refused_with_what_is_allowed(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _importable(name):
    return importlib.util.find_spec(name) is not None


@pytest.mark.skipif(not _importable("torch"), reason="torch is not installed (it is not a runtime requirement)")
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("surface, start, lr", [("rosenbrock", (-1.2, 1.0), 0.001), ("booth", (-8.0, -6.0), 0.01)])
def test_torch_convention_matches_torch_optim(name, surface, start, lr):
    import torch

    hyper = resolve(name, "torch", lr=lr)
    build = {
        "sgd": lambda p: torch.optim.SGD(p, lr=lr),
        "momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=hyper.get("momentum")),
        "nesterov": lambda p: torch.optim.SGD(p, lr=lr, momentum=hyper.get("momentum"), nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=lr),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=lr),
        "adam": lambda p: torch.optim.Adam(p, lr=lr),
        "adamax": lambda p: torch.optim.Adamax(p, lr=lr),
        "nadam": lambda p: torch.optim.NAdam(p, lr=lr),
    }[name]
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's scalar state (step, μ product) follows it
    try:
        theta = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        optimizer = build([theta])
        f = surfaces.get(surface).f
        path = [theta.detach().numpy().copy()]
        for _ in range(100):
            optimizer.zero_grad()
            theta.grad = torch.tensor(surfaces.get(surface).grad(*theta.detach().numpy()), dtype=torch.float64)
            optimizer.step()
            path.append(theta.detach().numpy().copy())
    finally:
        torch.set_default_dtype(previous)
    t = optviz.trace(surface, name, start=start, steps=100, convention="torch", lr=lr)
    np.testing.assert_allclose(t.path, np.array(path), rtol=1e-9, atol=1e-12)
    assert np.isfinite(f(*t.final))


@pytest.fixture(scope="module")
def keras():
    if not (_importable("keras") and _importable("torch")):
        pytest.skip("keras with its torch backend is not installed (not a runtime requirement)")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    if keras.backend.backend() != "torch":
        pytest.skip(f"keras runs on {keras.backend.backend()}; these tests drive it with torch tensors")
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")  # so the learning rate is not rounded to float32
    yield keras
    keras.config.set_floatx(previous)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("surface, start, lr", [("rosenbrock", (-1.2, 1.0), 0.001), ("booth", (-8.0, -6.0), 0.01)])
def test_keras_convention_matches_real_keras(keras, name, surface, start, lr):
    import torch

    hyper = resolve(name, "keras", lr=lr)
    build = {
        "sgd": lambda: keras.optimizers.SGD(learning_rate=lr),
        "momentum": lambda: keras.optimizers.SGD(learning_rate=lr, momentum=hyper.get("momentum")),
        "nesterov": lambda: keras.optimizers.SGD(learning_rate=lr, momentum=hyper.get("momentum"), nesterov=True),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=lr),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=lr),
        "adam": lambda: keras.optimizers.Adam(learning_rate=lr),
        "adamax": lambda: keras.optimizers.Adamax(learning_rate=lr),
        "nadam": lambda: keras.optimizers.Nadam(learning_rate=lr),
    }[name]
    variable = keras.Variable(np.array(start), dtype="float64")
    optimizer = build()
    grad = surfaces.get(surface).grad
    path = [np.array(start)]
    for _ in range(100):
        g = torch.tensor(grad(*np.asarray(variable.numpy())), dtype=torch.float64)
        optimizer.apply_gradients([(g, variable)])
        path.append(np.asarray(variable.numpy()).copy())
    t = optviz.trace(surface, name, start=start, steps=100, lr=lr)
    np.testing.assert_allclose(t.path, np.array(path), rtol=1e-9, atol=1e-12)

"""The update rules, driven by the registry and the optimizer database (optim_db.py).

Every registry entry is checked the same way: its compiled kernel against its readable reference
(to rounding), against each of its libraries step by step in float64 (Keras 3, torch.optim or
pytorch-optimizer, optax, when installed), against golden values, and on the bowl. The kernels'
float32 copy (the network's) is checked against the float64 one.
"""

import numpy as np
import pytest
from libraries import path as library_path
from optim_db import RECORDS

import optviz
import surfaces
from optviz.engine import kernels
from optviz.optimizers import HYPERS, OPTIMIZERS, get, resolve

NAMES = list(OPTIMIZERS)
#: Every (optimizer, convention) the registry has.
PAIRS = [(name, convention) for name in NAMES for convention in OPTIMIZERS[name].conventions]


def reference_trace(surface_name, optimizer_name, start, steps, convention="keras", **given):
    """The path from the plain-Python reference, one step at a time."""
    surface = surfaces.get(surface_name)
    optimizer = get(optimizer_name)
    hyper = resolve(optimizer_name, convention, **given)
    theta, state = np.array(start, dtype=np.float64), {}
    path = [theta]
    for t in range(1, steps + 1):
        g = np.array(surface.grad(*theta))
        theta, state, _ = optimizer.reference(theta, g, state, t, hyper, convention)
        path.append(theta)
    return np.array(path)


def test_every_optimizer_has_a_record_and_every_convention_a_library():
    assert set(RECORDS) == set(OPTIMIZERS)
    for name, convention in PAIRS:
        assert RECORDS[name].library(convention) is not None, f"{name} has no {convention} factory in optim_db"


@pytest.mark.parametrize("name", NAMES)
def test_registry_entry_is_complete(name):
    optimizer = get(name)
    assert optimizer.title and optimizer.year and optimizer.conventions
    for convention, spec in optimizer.conventions.items():
        assert spec.latex and spec.call, (name, convention)
        for key, value in spec.defaults.items():
            assert HYPERS[key].contains(value), (name, convention, key, value)
    assert optimizer.differences or len(optimizer.conventions) == 1
    h = optimizer.Hyper(*(resolve(name, optimizer.convention_for("keras")).get(k, 0.0) for k in optimizer.hyper))
    slots, clock = optimizer.initial.py_func(h)
    assert len(slots) == len(optimizer.slots) and len(clock) == len(optimizer.clock)
    assert len(optimizer.advance.py_func(h, clock)) == len(optimizer.clock)


@pytest.mark.parametrize("name, convention", PAIRS)
def test_kernel_matches_the_readable_reference(name, convention):
    for surface, start, lr in RECORDS[name].cases:
        t = optviz.trace(surface, name, start=start, steps=200, convention=convention, lr=lr)
        expected = reference_trace(surface, name, start, 200, convention, lr=lr)
        np.testing.assert_allclose(t.path, expected, rtol=1e-12, atol=1e-12, err_msg=f"{surface} from {start}")


@pytest.mark.parametrize("name, convention", PAIRS)
def test_recorded_state_matches_the_reference(name, convention):
    optimizer = get(name)
    t = optviz.trace("himmelblau", name, start=(0.5, -0.5), steps=20, convention=convention, record_state=True,
                     lr=0.01)
    hyper = resolve(name, convention, lr=0.01)
    theta, state = np.array([0.5, -0.5]), {}
    for step in range(1, 21):
        g = np.array(surfaces.get("himmelblau").grad(*theta))
        theta, state, _ = optimizer.reference(theta, g, state, step, hyper, convention)
        for slot in optimizer.slots:
            np.testing.assert_allclose(t.state[slot][step], state[slot], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(t.path[step], theta, rtol=1e-12, atol=1e-15)
    assert set(t.state) == set(optimizer.slots)


@pytest.mark.parametrize("name, convention", PAIRS)
def test_follows_its_library_with_the_library_defaults(name, convention):
    """Only α is given: every other default must be the library's own."""
    record = RECORDS[name]
    for surface, start, lr in record.cases:
        expected = library_path(convention, record.library(convention), {"lr": lr}, surface, start, 150)
        t = optviz.trace(surface, name, start=start, steps=150, convention=convention, lr=lr)
        np.testing.assert_allclose(t.path, expected, rtol=record.rtol, atol=1e-12, err_msg=f"{surface} from {start}")


@pytest.mark.parametrize("name, convention", [(n, c) for n, c in PAIRS if RECORDS[n].varied.get(c)])
def test_follows_its_library_with_every_hyper_parameter_set(name, convention):
    record = RECORDS[name]
    hyper = record.varied[convention]
    surface, start, _ = record.cases[0]
    expected = library_path(convention, record.library(convention), hyper, surface, start, 150)
    t = optviz.trace(surface, name, start=start, steps=150, convention=convention, **hyper)
    np.testing.assert_allclose(t.path, expected, rtol=record.rtol, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NAMES if RECORDS[n].golden])
def test_golden_values(name):
    for convention, values in RECORDS[name].golden.items():
        for (surface, start, lr, step), point in values.items():
            t = optviz.trace(surface, name, start=start, steps=step, convention=convention, lr=lr)
            np.testing.assert_allclose(t.path[step], point, rtol=0, atol=1e-12 if step > 1 else 1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_reaches_the_bottom_of_the_bowl(name):
    t = optviz.trace("bowl", name, steps=2000, convention=get(name).convention_for("keras"), lr=RECORDS[name].bowl_lr)
    assert t.diverged_at is None
    assert np.hypot(*t.final) < 1e-2, t.final


@pytest.mark.parametrize("name, convention", PAIRS)
def test_the_float32_rule_follows_the_float64_rule(name, convention):
    """The network's step: the same rule with float32 arithmetic, to float32 rounding."""
    optimizer = get(name)
    hyper = resolve(name, convention)
    code = ["keras", "torch", "optax"].index(convention)
    rng = np.random.default_rng(0)
    theta0, grads = rng.normal(size=1000), rng.normal(size=(20, 1000))
    runs = {}
    for single, dtype in ((True, np.float32), (False, np.float64)):
        row = tuple(dtype(hyper.get(k, 0.0)) for k in optimizer.hyper)
        theta = theta0.astype(dtype)
        slots, clock = np.empty((len(optimizer.slots), theta.size), dtype), np.empty(len(optimizer.clock), dtype)
        kernels.start(name)(row, slots, clock)
        for g in grads:
            kernels.apply(name, single)(code, row, theta, (g * (1 + theta * theta)).astype(dtype), slots, clock)
        runs[single] = theta
    assert runs[True].dtype == np.float32
    np.testing.assert_allclose(runs[True], runs[False], rtol=2e-4, atol=2e-4 * np.abs(theta0 - runs[False]).max())


def test_momentum_and_nesterov_without_momentum_are_gradient_descent():
    gd = optviz.trace("rosenbrock", "sgd", steps=300, lr=0.002)
    for name in ("momentum", "nesterov"):
        for convention in OPTIMIZERS[name].conventions:
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


def test_optax_adagrad_leaves_a_coordinate_with_no_sum_in_place():
    """With s₀ = 0 and ε = 0, a coordinate whose gradient has always been 0 has nothing to divide
    by: optax does not move it (Keras and PyTorch divide 0 by 0)."""
    hyper, start = {"lr": 0.1, "initial_accumulator": 0.0, "epsilon": 0.0}, (0.0, 1.0)
    expected = library_path("optax", RECORDS["adagrad"].optax, hyper, "bowl", start, 20)
    assert np.isfinite(expected).all() and (expected[:, 0] == 0.0).all()
    t = optviz.trace("bowl", "adagrad", start=start, steps=20, convention="optax", **hyper)
    np.testing.assert_allclose(t.path, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(reference_trace("bowl", "adagrad", start, 20, "optax", **hyper), expected, rtol=1e-12)

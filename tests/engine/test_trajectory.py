"""trace and trace_batch: shapes, batches against single runs, divergence, and the limits."""

import numpy as np
import pytest

import optviz
from optviz.engine import kernels, trajectory


def test_trace_shapes_and_default_start():
    t = optviz.trace("rosenbrock", "adam", steps=300, lr=0.001)
    assert t.path.shape == (301, 2) and t.loss.shape == (301,) and t.path.dtype == np.float64
    assert tuple(t.path[0]) == (-1.2, 1.0) and t.steps == 300 and t.diverged_at is None
    assert t.state is None and t.hyper == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}
    assert t.loss[0] == pytest.approx(24.2)


def test_zero_steps_is_the_start():
    t = optviz.trace("bowl", "sgd", start=(1.0, 2.0), steps=0)
    assert t.path.tolist() == [[1.0, 2.0]] and t.loss.tolist() == [5.0]


@pytest.mark.parametrize("name", list(optviz.OPTIMIZERS))
def test_a_batch_is_its_runs_side_by_side(name):
    rng = np.random.default_rng(0)
    count = 2 * kernels.BLOCK + 5  # several blocks, a partial one, and more than one thread
    starts = rng.uniform(-2, 2, (count, 2))
    lrs = np.geomspace(1e-4, 1e-1, count)
    b = optviz.trace_batch("himmelblau", name, starts=starts, steps=60, lr=lrs)
    assert b.paths.shape == (count, 61, 2) and b.losses.shape == (count, 61) and b.diverged_at.shape == (count,)
    for k in (0, 63, 64, count - 1):
        t = optviz.trace("himmelblau", name, start=starts[k], steps=60, lr=lrs[k])
        np.testing.assert_array_equal(b.paths[k], t.path)
        np.testing.assert_array_equal(b.losses[k], t.loss)
    np.testing.assert_array_equal(b.final, b.paths[:, -1])
    np.testing.assert_array_equal(b.final_loss, b.losses[:, -1])


def test_a_batch_without_recording_ends_in_the_same_places():
    starts = np.random.default_rng(1).uniform(-4, 4, (300, 2))
    full = optviz.trace_batch("beale", "momentum", starts=starts, steps=100, lr=0.01)
    final = optviz.trace_batch("beale", "momentum", starts=starts, steps=100, lr=0.01, record=False)
    assert final.paths is None and final.losses is None
    np.testing.assert_array_equal(final.final, full.final)
    np.testing.assert_array_equal(final.diverged_at, full.diverged_at)
    assert (full.diverged_at > 0).any() and (full.diverged_at < 0).any(), "the test needs both kinds of run"


def test_per_run_hyper_parameters_broadcast_against_a_scalar_start():
    b = optviz.trace_batch("bowl", "momentum", steps=10, lr=[0.01, 0.1], momentum=np.array([0.0, 0.9]))
    assert b.starts.shape == (2, 2) and (b.starts == optviz.SURFACES["bowl"].start).all()
    t = optviz.trace("bowl", "momentum", steps=10, lr=0.1, momentum=0.9)
    np.testing.assert_array_equal(b.paths[1], t.path)


def test_divergence_is_reported_at_the_step_where_keras_overflows():
    """Real Keras overflows on Beale from (1, 1.5), lr 0.01: Momentum at step 11, Nesterov at 10."""
    for name, step in (("momentum", 11), ("nesterov", 10)):
        t = optviz.trace("beale", name, start=(1.0, 1.5), steps=30, lr=0.01)
        assert t.diverged_at == step
        assert np.isfinite(t.path[:step]).all()
        assert np.isnan(t.path[step:]).all() and np.isnan(t.loss[step:]).all()
    momentum = optviz.trace("beale", "momentum", start=(1.0, 1.5), steps=30, lr=0.01)
    assert momentum.loss[10] == np.inf, "the loss overflows one step before the position"


def test_arrival_reports_the_minimum_and_the_step_from_which_the_run_stays_that_close():
    t = optviz.trace("bowl", "sgd", start=(1.0, 0.0), steps=50, lr=0.25)  # halves x each step
    minimum, step = t.arrival(0.01)
    assert (minimum.x, minimum.y) == (0.0, 0.0) and step == 7  # 2^-7 < 0.01 < 2^-6
    assert optviz.trace("bowl", "sgd", start=(1.0, 0.0), steps=2, lr=0.25).arrival(0.01) == (None, None)
    swinging = optviz.trace("bowl", "momentum", start=(1.0, 0.0), steps=200, lr=0.2, momentum=0.9)
    gaps = np.hypot(*swinging.path.T)
    _, settled = swinging.arrival()
    first = int(np.argmax(gaps <= trajectory.REACHED))
    assert settled > first, "momentum swings through the minimum before it stays"
    assert np.all(gaps[settled:] <= trajectory.REACHED) and gaps[settled - 1] > trajectory.REACHED


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"starts": [[0.0, 0.0]] * 3, "lr": [0.1, 0.2]}, "per-run arrays must have one length"),
        ({"starts": [[0.0, 0.0, 0.0]]}, r"shape \(K, 2\)"),
        ({"starts": []}, "non-empty"),
        ({"starts": [["a", "b"]]}, r"shape \(K, 2\)"),
        ({"lr": [0.1, -0.1]}, r"lr=-0.1 is outside its allowed range"),
        ({"lr": [[0.1, 0.2]]}, "1-D array"),
        ({"lr": [0.1, float("nan")]}, "lr=nan is outside"),
        ({"steps": 100_000, "lr": np.full(100_000, 0.1), "record": False}, "run-steps allowed"),
        ({"steps": 1000, "lr": np.full(30_000, 0.1)}, "record=False"),
    ],
)
def test_batch_inputs_and_limits_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optviz.trace_batch("bowl", "sgd", **kwargs)


def test_limits_are_documented_numbers():
    assert trajectory.MAX_STEPS == 100_000 and trajectory.MAX_RUNS == 1_000_000
    with pytest.raises(ValueError, match="at most 1,000,000"):
        optviz.trace_batch("bowl", "sgd", steps=1, lr=np.full(1_000_001, 0.1), record=False)


@pytest.mark.parametrize("name", list(optviz.OPTIMIZERS))
def test_inspecting_a_step_replays_the_readable_rule_onto_the_kernels_path(name):
    run = optviz.trace("himmelblau", name, steps=30, lr=0.01, record_state=True)
    quantities, agrees = trajectory.inspect_step(run, 12)
    assert agrees
    np.testing.assert_allclose(quantities[r"\theta_{t-1}"] - quantities["step"], quantities[r"\theta_t"])
    np.testing.assert_allclose(quantities[r"\theta_t"], run.path[12], rtol=1e-9, atol=1e-12)
    x, y = run.path[11]
    gradient = optviz.SURFACES["himmelblau"].grad(x, y)
    np.testing.assert_allclose(quantities["g_t"], gradient, rtol=1e-12)
    for slot in optviz.OPTIMIZERS[name].slots:
        np.testing.assert_array_equal(quantities[f"{slot}_{{t-1}}"], run.state[slot][11])


def test_inspecting_a_diverged_or_missing_step_is_refused():
    run = optviz.trace("beale", "momentum", start=(1.0, 1.5), steps=20, lr=0.01, record_state=True)
    for step in (0, run.diverged_at, 21):
        with pytest.raises(ValueError, match="not a finite step"):
            trajectory.inspect_step(run, step)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": []}, "at least one"),
        ({"lr": np.array([]), "momentum": np.array([])}, "at least one"),
        ({"starts": [[1 + 2j, 0.5]]}, "real numbers"),
        ({"starts": np.array([[1.0, 2.0]], dtype=complex)}, "real numbers"),
        ({"starts": [[True, False]]}, "real numbers"),
        ({"starts": [["1", "2"]]}, "real numbers"),
        ({"lr": True}, "lr must be a number, got True"),
        ({"lr": "0.1"}, "lr must be a number, got '0.1'"),
        ({"lr": b"0.1"}, "lr must be a number"),
        ({"lr": np.bool_(True)}, "lr must be a number"),
        ({"lr": 0.1 + 0j}, "lr must be a number"),
        ({"lr": ["0.1", "0.2"]}, "lr must be a number or a 1-D array"),
        ({"lr": [True, False]}, "lr must be a number or a 1-D array"),
        ({"lr": np.array([0.1, 0.2], dtype=complex)}, "lr must be a number or a 1-D array"),
        ({"lr": 10**400}, "outside its allowed range"),
        ({"steps": True}, "steps must be a whole number"),
    ],
)
def test_booleans_strings_complex_numbers_and_empty_arrays_are_refused(kwargs, message):
    """The same rule for every number the engine takes: True is not 1, "0.1" is not 0.1, and a
    complex start is refused rather than truncated to its real part."""
    with pytest.raises(ValueError, match=message):
        optviz.trace_batch("bowl", "momentum", **kwargs)


def test_numpy_scalars_and_integers_are_numbers():
    t = optviz.trace("bowl", "momentum", start=(np.float32(1.0), 2), steps=3, lr=np.float64(0.1), momentum=np.int64(0))
    assert t.hyper["lr"] == 0.1 and t.hyper["momentum"] == 0.0 and t.path[0].tolist() == [1.0, 2.0]


def test_recording_counts_the_state_in_the_memory_limit(monkeypatch):
    """MAX_RECORDED is in bytes, and the largest recording it allows keeps no more than that: 24
    bytes a run-step for the position and the loss, 16 for each state slot (Adam has two)."""
    monkeypatch.setattr(trajectory, "MAX_RECORDED", 6_000_000)
    steps = 999  # 1,000 positions a run
    for record, record_state, per_step in ((True, False, 24), (False, True, 32), (True, True, 56)):
        most = trajectory.MAX_RECORDED // (per_step * (steps + 1))
        lrs = np.full(most, 0.1)
        b = optviz.trace_batch("bowl", "adam", steps=steps, record=record, record_state=record_state, lr=lrs)
        kept = [b.paths, b.losses, *(b.states or {}).values()]
        assert sum(array.nbytes for array in kept if array is not None) <= trajectory.MAX_RECORDED
        with pytest.raises(ValueError, match="MB allowed"):
            optviz.trace_batch("bowl", "adam", steps=steps, record=record, record_state=record_state,
                               lr=np.full(most + 1, 0.1))


def test_the_state_of_the_largest_recording_that_positions_alone_allow_is_refused():
    """200 runs × 100,001 positions fit in 600 MB, but not with their state beside them (1.1 GB)."""
    with pytest.raises(ValueError, match=r"1,120 MB, more than the 600 MB allowed"):
        optviz.trace_batch("bowl", "adam", steps=100_000, record_state=True, lr=np.full(200, 0.1))


def test_inspecting_a_run_without_state_or_a_fractional_step_is_a_clear_error():
    bare = optviz.trace("bowl", "adam", steps=10)
    with pytest.raises(ValueError, match="record_state=True"):
        trajectory.inspect_step(bare, 3)
    run = optviz.trace("bowl", "adam", steps=10, record_state=True)
    for step in (1.5, 2.0, "3", True, None):
        with pytest.raises(ValueError, match="whole number"):
            trajectory.inspect_step(run, step)
    assert trajectory.inspect_step(run, np.int64(3))[1]

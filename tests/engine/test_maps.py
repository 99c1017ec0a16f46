"""Stability and basin maps: every cell is the run ``trace`` makes, the edge theory gives, the
basins, the article's figure 7 against every start, and bad axes refused."""

import numpy as np
import pytest

import optviz
import surfaces
from optviz.engine import maps
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.presets import PRESETS


def _axis(name: str) -> tuple:
    """An axis over the lab's range of a hyper-parameter (above 0 on a log scale)."""
    spec = HYPERS[name]
    low, high = spec.lab
    if spec.scale == "log" and low <= 0:
        low = min(s for s in spec.stops if s > 0)
    return name, low, high


def _same_as_trace(m, cells, start=None):
    """Each sampled cell of map ``m`` ends where ``trace`` ends, with the same loss, divergence,
    minimum (``Trace.arrival``'s, with the map's tolerance) and arrival: the first step it came that
    close (the lab's ``Trace.arrival`` counts from the step after which it stays: later, for a run
    that swings through the minimum and out again)."""
    for row, column in cells:
        if isinstance(m, maps.StabilityMap):
            run = optviz.trace(m.surface, m.optimizer, start=m.start, steps=m.steps, convention=m.convention,
                               **m.settings(row, column))
        else:
            run = optviz.trace(m.surface, m.optimizer, start=m.start(row, column), steps=m.steps,
                               convention=m.convention, **m.hyper)
        np.testing.assert_array_equal(m.final[row, column], run.final if run.diverged_at is None else [np.nan] * 2)
        np.testing.assert_array_equal(m.final_loss[row, column], run.loss[-1])
        assert m.diverged_at[row, column] == (-1 if run.diverged_at is None else run.diverged_at)
        minimum, _ = run.arrival(m.tolerance) if run.diverged_at is None else (None, None)
        expected = -1 if minimum is None else surfaces.get(m.surface).minima.index(minimum)
        step = None if minimum is None else \
            int(np.argmax(np.hypot(*(run.path - (minimum.x, minimum.y)).T) <= m.tolerance))
        assert (m.minimum[row, column], m.arrival[row, column]) == (expected, -1 if step is None else step)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_stability_map_cell_is_the_run_trace_makes(name):
    """Every optimizer, over its first two hyper-parameters (or a strip over its only one)."""
    entry = OPTIMIZERS[name]
    convention = next(iter(entry.conventions))
    takes = list(entry.defaults(convention))
    axes = dict(x=_axis(takes[0]), y=_axis(takes[1]) if len(takes) > 1 else None)
    m = maps.stability("himmelblau", name, **axes, size=(9, 7), steps=120, convention=convention, start=(0.5, -0.5))
    assert m.outcome.shape == m.arrival.shape == m.final_loss.shape == ((7, 9) if axes["y"] else (1, 9))
    rows = m.shape[0]
    _same_as_trace(m, [(0, 0), (rows - 1, 8), (rows // 2, 4), (rows - 1, 0), (0, 8)])


def test_a_basin_map_cell_is_the_run_trace_makes():
    b = maps.basins("himmelblau", "adam", size=(30, 20), steps=300, lr=0.05, convention="torch")
    assert b.x.shape == (30,) and b.y.shape == (20,) and b.minimum.shape == (20, 30)
    assert (b.x[0], b.x[-1], b.y[0], b.y[-1]) == (-5.0, 5.0, -5.0, 5.0)
    _same_as_trace(b, [(0, 0), (19, 29), (10, 15), (3, 27), (17, 4)])
    assert (b.minimum >= 0).mean() > 0.5, "the test needs runs that arrive"


def test_a_log_scaled_hyper_parameter_is_spaced_by_decades():
    m = maps.stability("bowl", "momentum", x=("lr", 1e-3, 10.0), y=("momentum", 0.0, 0.9), size=(5, 4), steps=5)
    np.testing.assert_allclose(m.x, [1e-3, 1e-2, 1e-1, 1.0, 10.0])
    np.testing.assert_allclose(m.y, [0.0, 0.3, 0.6, 0.9])
    assert m.settings(2, 3) == {"lr": 1.0, "momentum": 0.6}
    assert m.cell(0.9, 0.55) == (2, 3)


def test_outcomes_reached_diverged_or_neither():
    """GD on the bowl multiplies θ by 1 − 2α each step: too small an α is still travelling, α < 1
    arrives, α > 1 grows (first only in loss, then to overflow)."""
    m = maps.stability("bowl", "sgd", x=("lr", 1e-4, 20.0), size=60, steps=250)
    x = m.x
    assert (m.outcome[0, x < 1e-3] == maps.NEITHER).all()
    assert (m.outcome[0, (x > 0.1) & (x < 0.9)] == maps.REACHED).all()
    assert (m.outcome[0, x > 1.05] == maps.DIVERGED).all()
    grew = (m.outcome[0] == maps.DIVERGED) & (m.diverged_at[0] < 0)
    assert grew.any() and (m.diverged_at[0] >= 0).any(), "both kinds of divergence"
    assert (m.final_loss[0, grew] > m.start_loss).all()
    assert ((m.arrival[0] >= 0) == (m.outcome[0] == maps.REACHED)).all()
    assert m.share(maps.REACHED) + m.share(maps.DIVERGED) + m.share(maps.NEITHER) == pytest.approx(1.0)


def test_the_tolerance_is_a_share_of_the_window():
    assert maps.tolerance("ravine") == pytest.approx(0.2) and maps.tolerance("bowl") == pytest.approx(0.04)


# --- theory --------------------------------------------------------------------------------------


def test_curvature_comes_from_the_hessian_of_quadratic_surfaces_only():
    assert maps.curvature("bowl") == pytest.approx(2.0) and maps.curvature("ravine") == pytest.approx(4.0)
    assert maps.curvature("booth") == pytest.approx(18.0)
    for name in ("rosenbrock", "himmelblau", "saddle", "multi_minima"):
        assert maps.curvature(name) is None, name
    np.testing.assert_allclose(maps.hessian("ravine", (1.0, -2.0)), [[0.1, 0.0], [0.0, 4.0]], atol=1e-9)


def _first_diverged(m, row: int) -> int:
    hits = np.flatnonzero(m.outcome[row] == maps.DIVERGED)
    return int(hits[0]) if hits.size else m.shape[1]


@pytest.mark.parametrize("convention", list(OPTIMIZERS["momentum"].conventions))
def test_the_ravine_momentum_map_diverges_where_theory_says_on_every_row(convention):
    """Heavy-ball momentum diverges for α > 2(1 + β)/λ_max: on every row of a 200 × 200 map the
    first diverged cell lies within two cells of that line, and every cell past it diverges."""
    m = maps.stability("ravine", "momentum", x=("lr", 1e-3, 10.0), y=("momentum", 0.0, 0.99), size=(200, 200),
                       steps=500, convention=convention)
    known, lam = maps.theory(m)
    assert known.formula == "α < 2(1 + β)/λ_max" and lam == pytest.approx(4.0)
    limits, ys = maps.edge(m)
    np.testing.assert_allclose(limits, 2 * (1 + m.y) / 4.0)
    np.testing.assert_array_equal(ys, m.y)
    for row in range(200):
        edge = int(np.searchsorted(m.x, limits[row]))  # the first cell with α beyond the limit
        assert abs(_first_diverged(m, row) - edge) <= 2, f"row {row} (β = {m.y[row]:.3f})"
        assert (m.outcome[row, edge + 2:] == maps.DIVERGED).all(), f"row {row}"


def test_the_gradient_descent_strip_diverges_at_two_over_lambda():
    for surface, lam in (("bowl", 2.0), ("ravine", 4.0)):
        m = maps.stability(surface, "sgd", x=("lr", 1e-2, 10.0), size=200, steps=300)
        (limit,), ys = maps.edge(m)
        assert ys is None and limit == pytest.approx(2 / lam)
        assert abs(_first_diverged(m, 0) - int(np.searchsorted(m.x, limit))) <= 2


def test_with_alpha_fixed_the_edge_is_where_beta_makes_it_stable():
    """α = 0.7 on the ravine: stable iff β > αλ/2 − 1 = 0.4."""
    m = maps.stability("ravine", "momentum", x=("momentum", 0.0, 0.99), size=100, steps=500, lr=0.7)
    (edge,), _ = maps.edge(m)
    assert edge == pytest.approx(0.4, abs=1e-3)
    assert (m.outcome[0, m.x < 0.38] == maps.DIVERGED).all() and (m.outcome[0, m.x > 0.42] != maps.DIVERGED).all()


def test_no_theory_where_none_applies():
    assert maps.theory(maps.stability("rosenbrock", "momentum", x=("lr", 1e-3, 1.0), size=4, steps=3)) is None
    assert maps.theory(maps.stability("ravine", "adam", x=("lr", 1e-3, 1.0), size=4, steps=3)) is None
    assert maps.edge(maps.stability("ravine", "adam", x=("lr", 1e-3, 1.0), size=4, steps=3)) is None


# --- basins ---------------------------------------------------------------------------------------


def test_himmelblau_has_four_basins_each_holding_its_own_minimum():
    b = maps.basins("himmelblau", "sgd", size=(200, 200), steps=500, lr=0.01)
    minima = surfaces.get("himmelblau").minima
    assert set(np.unique(b.minimum)) == {0, 1, 2, 3}
    for index, minimum in enumerate(minima):
        assert b.minimum[b.cell(minimum.x, minimum.y)] == index
        assert (b.minimum == index).mean() > 0.15  # a real basin, not a sliver


def test_figure_7_holds_from_its_start_and_fails_from_other_starts_of_the_same_map():
    """The article: Momentum rolls on into the global minimum. From the figure's start it does;
    from many starts of the same map it stops in the local minimum, as GD does."""
    preset = PRESETS["fig7"]
    claimed = preset.runs[0]
    assert claimed.optimizer == "momentum" and preset.verdict()
    b = maps.basins(preset.surface, claimed.optimizer, size=(200, 200), steps=preset.steps,
                    convention=preset.convention, **claimed.hyper)
    minima = surfaces.get(preset.surface).minima
    kinds = np.array([m.kind for m in minima])
    assert kinds[b.minimum[b.cell(*preset.start)]] == "global"
    local = b.minimum == list(kinds).index("local")
    assert local.mean() > 0.2, "from many starts Momentum ends in the local minimum"
    right_valley = b.x > minima[list(kinds).index("local")].x
    assert local[:, right_valley].any(), "even from starts beside the figure's own"


# --- progress and bad input ------------------------------------------------------------------------


def test_progress_is_reported_up_to_the_end(monkeypatch):
    monkeypatch.setattr(maps, "PIECE_WORK", 64 * 20)  # pieces of 64 runs
    monkeypatch.setattr(maps, "PIECE_POSITIONS", 64 * 21)
    seen = {}
    maps.stability("bowl", "sgd", x=("lr", 0.01, 0.5), size=300, steps=20,
                   progress=lambda fraction, text: seen.setdefault(text, []).append(fraction))
    assert len(seen) == 2, "running the cells, then finding when they arrived"
    for fractions in seen.values():
        assert len(fractions) > 1 and fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=("alpha", 0.1, 1.0)), "unknown hyper-parameter 'alpha' for the x axis"),
    (dict(x=("lr", 0.1, 1.0), y=("beta1", 0.0, 0.9)), "momentum takes no hyper-parameter beta1"),
    (dict(x=("lr", 0.1, 1.0), y=("momentum", 0.0, 1.5)), r"leaves momentum's allowed range \[0, 1\]"),
    (dict(x=("lr", -1.0, 1.0)), r"leaves lr's allowed range \(0, 1000\]"),
    (dict(x=("lr", 1.0, 0.1)), "from low to high"),
    (dict(x=("lr", 0.1, 1.0), y=("lr", 0.1, 1.0)), "different hyper-parameters"),
    (dict(x=("lr", 0.1, 1.0), lr=0.5), "lr is an axis"),
    (dict(x=("lr", 0.1, 1.0), size=(600, 600), y=("momentum", 0.0, 0.9)), "at most 250,000"),
    (dict(x=("lr", 0.1, 1.0), size=(1, 5), y=("momentum", 0.0, 0.9)), "at least 2 cells"),
    (dict(x=("lr", 0.1, 1.0), size="big"), "size must be"),
    (dict(x="lr"), r"must be \(name, low, high\)"),
    (dict(x=("lr", "a", 1.0)), "must be numbers"),
    (dict(x=("lr", 0.1, 1.0), steps=100_000, size=(500, 100), y=("momentum", 0.0, 0.9)), "run-steps"),
    (dict(x=("lr", 0.1, 1.0), convention="jax"), "unknown convention"),
])
def test_bad_axes_and_sizes_are_refused_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        maps.stability("bowl", "momentum", **{"steps": 10, **kwargs})


def test_a_log_axis_cannot_start_at_zero():
    with pytest.raises(ValueError, match="must start above 0"):
        maps.stability("bowl", "adam", x=("epsilon", 0.0, 1.0), size=3, steps=1)


def test_bad_basin_windows_are_refused():
    for window in (((1.0, -1.0), (0.0, 1.0)), "everywhere", ((0.0, float("inf")), (0.0, 1.0))):
        with pytest.raises(ValueError, match="window"):
            maps.basins("bowl", "sgd", size=4, steps=1, window=window)

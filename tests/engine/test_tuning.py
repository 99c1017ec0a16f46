"""Tuning α: each objective scores what it says, some α are never chosen, and the choice is the best of the rest."""

import numpy as np
import pytest

import optviz
import surfaces
from optviz.engine.trajectory import REACHED
from optviz.engine.tuning import CLIMBED, DIVERGED, LEFT, OBJECTIVES, starts_around, tune, window_holding
from optviz.scenario import LR_GRID

GRID = [0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.2]


def _runs(surface, optimizer, grid, steps, start=None):
    return [optviz.trace(surface, optimizer, start=start, steps=steps, lr=lr) for lr in grid]


def test_final_loss_is_j_minus_its_minimum_at_the_last_step():
    tuning = tune("six_hump_camel", "sgd", GRID[:5], steps=100, objective="final")
    floor = min(m.value for m in surfaces.get("six_hump_camel").global_minima)
    for lr, score, run_ in zip(tuning.grid, tuning.scores, _runs("six_hump_camel", "sgd", GRID[:5], 100)):
        expected = run_.loss[-1] - floor if run_.diverged_at is None else np.inf  # a diverged run: no score
        assert score == pytest.approx(expected, rel=1e-12, abs=1e-15), lr


def test_mean_loss_averages_j_minus_its_minimum_along_the_whole_path():
    tuning = tune("rosenbrock", "adam", GRID[:4], steps=200, objective="mean")
    for score, run_ in zip(tuning.scores, _runs("rosenbrock", "adam", GRID[:4], 200)):
        assert score == pytest.approx(np.mean(run_.loss), rel=1e-12)


def test_steps_is_the_step_from_which_the_run_stays_near_a_minimum():
    tuning = tune("bowl", "momentum", GRID[:5], steps=150, objective="steps")
    for score, run_ in zip(tuning.scores, _runs("bowl", "momentum", GRID[:5], 150)):
        _, step = run_.arrival()
        assert score == (np.inf if step is None else step)
        if step is not None:
            assert np.hypot(*run_.path[step:].T).max() <= REACHED
    assert tuning.best == int(np.argmin(tuning.scores))


def test_an_alpha_that_diverges_climbs_or_leaves_the_window_is_never_chosen():
    tuning = tune("bowl", "sgd", [0.1, 0.9, 1.05, 1.5], steps=12, objective="final")
    # 0.9 swings across the minimum but lands close; 1.05 ends above its start; 1.5 too (and far out)
    assert tuning.excluded[:3] == ("", "", CLIMBED)
    assert tune("bowl", "sgd", [0.1, 40.0], steps=200).excluded == ("", DIVERGED)
    # Momentum at α = 0.9 overshoots the ravine's window, then settles lower than it started
    leaving = tune("ravine", "momentum", [0.1, 0.9], steps=60, objective="final")
    run_ = optviz.trace("ravine", "momentum", steps=60, lr=0.9)
    assert run_.diverged_at is None and run_.loss[-1] < run_.loss[0] and np.abs(run_.path[:, 1]).max() > 4
    assert leaving.excluded == ("", LEFT)


def test_a_path_that_leaves_the_window_loses_even_with_the_lowest_score():
    """On Rosenbrock from its start, α large enough to fly off the map may end lowest: it is not chosen."""
    for optimizer in ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamax", "nadam", "adagrad"):
        tuning = tune("rosenbrock", optimizer, LR_GRID, steps=300)  # the default objective
        assert tuning.objective == "mean" and tuning.best is not None
        chosen = optviz.trace("rosenbrock", optimizer, steps=300, lr=tuning.lr)
        (x0, x1), (y0, y1) = surfaces.get("rosenbrock").domain
        assert chosen.diverged_at is None
        assert np.all((chosen.path[:, 0] >= x0) & (chosen.path[:, 0] <= x1)), optimizer
        assert np.all((chosen.path[:, 1] >= y0) & (chosen.path[:, 1] <= y1)), optimizer
        assert chosen.loss[-1] <= chosen.loss[0]


def test_several_starts_score_the_mean_over_the_starts():
    starts = [(-1.2, 1.0), (0.5, 2.0), (-1.5, -0.5)]
    tuning = tune("rosenbrock", "adam", GRID[:4], starts=starts, steps=100, objective="final")
    assert tuning.starts.shape == (3, 2)
    for lr, score in zip(tuning.grid, tuning.scores):
        finals = [optviz.trace("rosenbrock", "adam", start=s, steps=100, lr=lr).loss[-1] for s in starts]
        assert score == pytest.approx(np.mean(finals), rel=1e-12)


def test_the_other_hyper_parameters_are_kept_and_bad_requests_are_refused():
    tuning = tune("bowl", "momentum", GRID[:3], steps=10, momentum=0.5, convention="torch")
    assert tuning.hyper["momentum"] == 0.5 and "lr" not in tuning.hyper
    with pytest.raises(ValueError, match="objective"):
        tune("bowl", "sgd", GRID, objective="fastest")
    with pytest.raises(ValueError, match="sets lr itself"):
        tune("bowl", "sgd", GRID, lr=0.1)
    with pytest.raises(ValueError, match="non-empty"):
        tune("bowl", "sgd", [])
    assert set(OBJECTIVES) == {"mean", "final", "steps"}


def test_no_choice_when_no_alpha_may_be_chosen():
    tuning = tune("rosenbrock", "sgd", [0.5, 1.0], steps=50)
    assert tuning.best is None and tuning.lr is None and all(tuning.excluded)


def test_starts_around_a_point_stay_in_the_window():
    bowl = surfaces.get("bowl")
    starts = starts_around((1.9, 0.0), bowl, 9)
    assert len(starts) == 9 and starts[0] == (1.9, 0.0)
    assert all(-2 <= x <= 2 and -2 <= y <= 2 for x, y in starts)
    assert starts_around((0.5, 0.5), bowl, 1) == ((0.5, 0.5),)
    assert window_holding(((-1, 1), (-1, 1)), [(3, 0), (0, -2)]) == ((-1.0, 3.0), (-2.0, 1.0))

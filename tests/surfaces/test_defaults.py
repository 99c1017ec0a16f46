"""Each surface's recommended hyper-parameters and opening runs: its lesson shows at them, with room to spare.

As tests/test_presets.py holds the article's figures to their captions, these hold each surface's
``lesson`` sentence to the runs the lab opens with (``Surface.runs``) and check that no recommended
default (``Surface.defaults``) diverges or leaves the window. Every run goes from the surface's own
start for the lab's default number of steps, in the Keras convention; every lesson must still
hold with each run's α 10% lower or higher, in every combination.
"""

import itertools
import math

import numpy as np
import pytest

import surfaces
from optviz import trace, trace_batch
from optviz.optimizers import OPTIMIZERS, resolve
from optviz.presets import crossings
from optviz.scenario import Scenario

ARTICLE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam")
STEPS = Scenario().steps
NAMES = list(surfaces.SURFACES)


def near(surface) -> float:
    """How close counts as at a minimum: 1% of the window's width."""
    (x0, x1), _ = surfaces.get(surface).domain
    return 0.01 * (x1 - x0)


def runs(name, scales=None) -> list:
    surface = surfaces.get(name)
    scales = scales or [1.0] * len(surface.runs)
    return [trace(name, optimizer, steps=STEPS, **{**hyper, "lr": hyper["lr"] * scale})
            for (optimizer, hyper), scale in zip(surface.runs, scales)]


def settles(run, kind=None):
    """The minimum the run settles at (within ``near``), or None; of ``kind`` if given."""
    minimum, _ = run.arrival(near(run.surface))
    return minimum if minimum is not None and kind in (None, minimum.kind) else None


def settle_step(run) -> float:
    _, step = run.arrival(near(run.surface))
    return math.inf if step is None else step


def escape(run, height=0.5) -> float:
    """The first step at which the run is ``height`` away from the saddle along its unstable direction."""
    hits = np.flatnonzero(np.abs(run.path[:, 1]) >= height)
    return hits[0] if hits.size else math.inf


def swings(run) -> int:
    """Swings across the ravine's floor (y = 0) that reach 0.1 from it: visible at its scale."""
    return crossings(run.path[:, 1], 0.1)


def gradient_norm(run) -> float:
    return math.hypot(*surfaces.get(run.surface).grad(*run.final))


# --- what each lesson sentence claims, on the surface's opening runs ----------------------------------


def bowl(slow, quick, large):
    overshoots = crossings(large.path[:, 0], 1e-3)
    return (all(settles(r) for r in (slow, quick, large)) and settle_step(quick) < settle_step(slow)
            and overshoots >= 5), f"α={large.hyper['lr']:.3g} jumps past the minimum {overshoots} times"


def ravine(gd, adagrad, rmsprop):
    return (swings(gd) >= 5 and swings(adagrad) <= 2 and swings(rmsprop) <= 2
            and settle_step(adagrad) < settle_step(gd) / 2 and all(map(settles, (gd, adagrad, rmsprop)))), \
        f"swings {swings(gd)}, {swings(adagrad)}, {swings(rmsprop)}; at the minimum from step " \
        f"{settle_step(gd)} (GD), {settle_step(adagrad)} (AdaGrad)"


def saddle(gd, momentum, adam):
    closest = np.hypot(gd.path[:, 0], gd.path[:, 1]).min()
    return (closest < 0.1 and escape(gd) > max(escape(momentum), escape(adam))
            and all(settles(r, "global") for r in (gd, momentum, adam))), \
        f"GD comes within {closest:.3f} of the saddle and leaves it at step {escape(gd)}; " \
        f"Momentum at {escape(momentum)}, Adam at {escape(adam)}"


def multi_minima(gd, momentum):
    return bool(settles(gd, "local") and settles(momentum, "global")), \
        f"GD at {gd.final}, Momentum at {momentum.final}"


def plateau(gd, rmsprop, adam):
    start = math.hypot(*gd.path[0])
    moved = start - math.hypot(*gd.final)
    return (moved < 0.05 * start and bool(settles(rmsprop)) and bool(settles(adam))), \
        f"GD comes {moved:.3g} closer in {STEPS} steps; RMSProp at {rmsprop.final}, Adam at {adam.final}"


def rosenbrock(gd, momentum, rmsprop, adam):
    def gap(run):
        return math.hypot(run.final[0] - 1, run.final[1] - 1)

    into_valley = gd.loss[STEPS // 10] < 0.25 * gd.loss[0]
    return (into_valley and gap(gd) > 1 and gap(momentum) < gap(gd) / 2 and gap(adam) < gap(gd) / 2), \
        f"GD's loss {gd.loss[0]:.3g} → {gd.loss[STEPS // 10]:.3g} in {STEPS // 10} steps; ends {gap(gd):.3g} from " \
        f"the minimum, Momentum {gap(momentum):.3g}, Adam {gap(adam):.3g}"


def beale(gd, momentum, adam):
    blows_up = trace("beale", "momentum", steps=STEPS, lr=0.01).diverged_at is not None
    return (blows_up and all(settles(r) for r in (gd, momentum, adam))), \
        f"momentum at α=0.01 {'diverges' if blows_up else 'does not diverge'}"


def himmelblau(gd, momentum, adam):
    ends = [settles(r) for r in (gd, momentum, adam)]
    return (all(ends) and len(set(ends)) >= 2), f"they end at {ends}"


def booth(gd, adagrad, adam):
    on_ravine = runs("ravine")[:2]
    gain_here, gain_ravine = (settle_step(g) / settle_step(a) for g, a in ((gd, adagrad), on_ravine))
    return (all(settles(r) for r in (gd, adagrad, adam)) and gain_here < 1.5 and gain_ravine > 2), \
        f"AdaGrad reaches the minimum {gain_here:.2f}× as fast as GD here, {gain_ravine:.2f}× in the ravine"


def rastrigin(gd, adam, adagrad):
    dimple, _ = surfaces.get("rastrigin").nearest(*gd.path[0])
    trapped = [settles(r) == dimple for r in (gd, adam)]
    out = settles(adagrad)
    return (all(trapped) and out is not None and out.value < dimple.value), \
        f"the start's dimple J={dimple.value:.3g}; AdaGrad with a large step ends at J={adagrad.loss[-1]:.3g}"


def ackley(*runs_):
    """Each run stops in a ripple (∇J = 0, J well above the centre's 0), no nearer the centre than it began."""
    ripples = [(math.hypot(*r.path[0]), math.hypot(*r.final), r.loss[-1], gradient_norm(r)) for r in runs_]
    return all(end >= start and value > 2 and slope < 1e-3 for start, end, value, slope in ripples), \
        f"(distance from the centre at the start and at the end, J, |∇J|): {ripples}"


def six_hump_camel(gd, momentum):
    return bool(settles(gd, "local") and settles(momentum, "global")), f"GD at {gd.final}, Momentum at {momentum.final}"


def styblinski_tang(gd, momentum, adam):
    corner, _ = surfaces.get("styblinski_tang").nearest(*gd.path[0])
    deeper = settles(momentum)
    return (settles(gd) == corner and settles(adam) == corner and deeper is not None
            and deeper.value < corner.value), f"the start's corner J={corner.value:.3g}; Momentum ends at {deeper}"


def goldstein_price(gd, rmsprop, adam):
    lr = gd.hyper["lr"]
    overshoots = trace("goldstein_price", "sgd", steps=STEPS, lr=5 * lr).diverged_at is not None
    copes = [settles(trace("goldstein_price", "rmsprop", steps=STEPS, lr=rmsprop.hyper["lr"] * f), "global")
             for f in (1 / 3, 3)]
    return (overshoots and all(copes) and all(settles(r, "global") for r in (gd, rmsprop, adam))), \
        f"GD at 5 × α={lr:.3g} {'diverges' if overshoots else 'does not diverge'}; RMSProp at a third and three " \
        f"times its α ends at {copes}"


LESSONS = {check.__name__: check for check in (bowl, ravine, saddle, multi_minima, plateau, rosenbrock, beale,
                                                himmelblau, booth, rastrigin, ackley, six_hump_camel,
                                                styblinski_tang, goldstein_price)}


def test_every_surface_has_its_lesson_checked():
    assert set(LESSONS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_lesson_shows_at_the_opening_runs(name):
    holds, evidence = LESSONS[name](*runs(name))
    assert holds, evidence


@pytest.mark.parametrize("name", NAMES)
def test_the_lesson_holds_with_each_alpha_ten_percent_off(name):
    for scales in itertools.product((0.9, 1.1), repeat=len(surfaces.get(name).runs)):
        holds, evidence = LESSONS[name](*runs(name, scales))
        assert holds, f"α × {scales}: {evidence}"


@pytest.mark.parametrize("name", NAMES)
def test_defaults_cover_the_articles_optimizers_and_the_runs_use_them(name):
    surface = surfaces.get(name)
    assert set(ARTICLE) <= set(surface.defaults) <= set(OPTIMIZERS)
    for optimizer, hyper in surface.defaults.items():
        resolve(optimizer, "keras", **hyper)  # known names, values in range
        resolve(optimizer, "torch", **hyper)
    assert surface.runs and all(optimizer in surface.defaults for optimizer, _ in surface.runs)
    alone = [o for o, _ in surface.runs if [p for p, _ in surface.runs].count(o) == 1]
    for optimizer, hyper in surface.runs:  # an optimizer added to the lab starts as the lab opens with it
        if optimizer in alone:
            assert hyper == surface.defaults[optimizer], optimizer


@pytest.mark.parametrize("name", NAMES)
def test_no_default_diverges_or_leaves_the_window(name):
    surface = surfaces.get(name)
    (x0, x1), (y0, y1) = surface.domain
    scales = np.array([0.9, 1.0, 1.1])
    for optimizer, hyper in [*surface.defaults.items(), *surface.runs]:
        batch = trace_batch(name, optimizer, starts=np.tile(surface.start, (3, 1)), steps=STEPS,
                            **{**hyper, "lr": hyper["lr"] * scales})
        xs, ys = batch.paths[..., 0], batch.paths[..., 1]
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        assert (batch.diverged_at < 0).all() and inside.all(), f"{optimizer} at α={hyper['lr']} × {scales}"


def test_the_caveats_are_real():
    """What the lessons warn of happens: a default is not the last word."""
    assert trace("bowl", "sgd", steps=20, lr=1.1).loss[-1] > trace("bowl", "sgd", steps=20, lr=1.1).loss[0]
    assert trace("beale", "sgd", steps=STEPS, lr=0.05).diverged_at is not None
    assert settles(trace("multi_minima", "momentum", steps=STEPS, lr=0.005), "local")

"""The article's figures as named claims, each checked on the engine's own output.

A :class:`Preset` is what a figure of the article asserts (its caption), the surface, start and
runs that show it, and a ``check`` that says whether the claim holds on the trajectories optviz
computes, with the numbers as evidence. Every setting was picked by running the engine (Keras
convention), away from any knife edge: each claim still holds with every run's α 10% lower or
higher (tests/test_presets.py). Where the article oversimplifies, the caption says so, and the
counter-example is tested too. Nothing here draws a trajectory the engine did not compute.
"""

from dataclasses import dataclass

import numpy as np

import surfaces
from optviz import plots
from optviz.plots import number
from optviz.optimizers import OPTIMIZERS
from optviz.engine.trajectory import REACHED, trace
from optviz.scenario import run

#: What a preset can show; each is the builder of the same name in ``optviz.plots``.
VIEWS = ("contour", "surface_3d", "loss_curves", "distance_curves", "race_animation", "ball", "learning_rates")


@dataclass(frozen=True)
class Verdict:
    """Whether a claim holds, and the numbers that say so; true or false like a bool."""

    holds: bool
    evidence: str

    def __bool__(self) -> bool:
        return self.holds


@dataclass(frozen=True)
class Preset:
    """One figure of the article: its claim, the settings that show it, and the check."""

    key: str
    number: int
    title: str
    caption: str
    surface: str
    start: tuple
    steps: int
    runs: tuple
    views: tuple
    check: object  # (traces, in the order of runs) -> Verdict
    convention: str = "keras"
    direction: tuple | None = None  # of the line the ball view follows
    domain: tuple | None = None  # the window drawn, if not the surface's own

    def traces(self, lr_scale=1.0) -> list:
        """The runs on the engine; ``lr_scale`` (one number, or one per run) scales their α."""
        scales = np.broadcast_to(np.asarray(lr_scale, dtype=np.float64), (len(self.runs),))
        return [
            trace(self.surface, r.optimizer, start=self.start, steps=self.steps, convention=self.convention,
                  **{**r.hyper, "lr": r.hyper["lr"] * float(scale)})
            for r, scale in zip(self.runs, scales)
        ]

    def verdict(self, lr_scale=1.0) -> Verdict:
        return self.check(self.traces(lr_scale))

    def figure(self, view: str, traces=None):
        """One of the preset's views, drawn from ``traces`` (default: computed now)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; choose one of: {', '.join(VIEWS)}")
        traces = traces if traces is not None else self.traces()
        title = f"Fig. {self.number}: {self.title}"
        if view == "ball":
            return plots.ball(traces, self.direction, domain=self.domain, title=title)
        if view == "learning_rates":
            return plots.learning_rates(traces, [r.name for r in self.runs], title=title)
        if view in ("contour", "surface_3d", "race_animation"):
            return getattr(plots, view)(traces, domain=self.domain, title=title)
        return getattr(plots, view)(traces, title=title)


# ---------------------------------------------------------------------------------------------
# Measuring a run.


def crossings(values, floor: float) -> int:
    """How often ``values`` changes sign between two steps that are both at least ``floor``
    from zero: the visible swings across a valley floor, not round-off around it."""
    values = np.asarray(values)
    big = np.abs(values) >= floor
    return int(np.sum((values[1:] * values[:-1] < 0) & big[1:] & big[:-1]))


def _name(run_trace) -> str:
    return f"{OPTIMIZERS[run_trace.optimizer].title} (α={number(run_trace.hyper['lr'])})"


def _ends_in(run_trace, kind: str) -> Verdict:
    minimum, step = run_trace.arrival()
    if minimum is None:
        where = f"({number(run_trace.final[0])}, {number(run_trace.final[1])})"
        return Verdict(False, f"{_name(run_trace)} ends at {where}, near no known minimum")
    return Verdict(minimum.kind == kind, f"{_name(run_trace)} stays within {number(REACHED)} of the {minimum.kind} "
                                         f"minimum ({number(minimum.x)}, {number(minimum.y)}) from step {step}")


def _all(*verdicts) -> Verdict:
    return Verdict(all(verdicts), "; ".join(v.evidence for v in verdicts))


# ---------------------------------------------------------------------------------------------
# The claims.


def _descends(traces) -> Verdict:
    (gd,) = traces
    falling = bool(np.all(np.diff(gd.loss) < 0))
    arrived = _ends_in(gd, "global")
    return Verdict(falling and arrived.holds,
                   f"the loss {'falls' if falling else 'does not fall'} at every step; {arrived.evidence}")


def _overshoots(traces) -> Verdict:
    (gd,) = traces
    if gd.diverged_at is not None:
        return Verdict(True, f"{_name(gd)} diverges at step {gd.diverged_at}")
    minimum, _ = surfaces.get(gd.surface).nearest(*gd.path[0])
    offsets = gd.path - (minimum.x, minimum.y)
    radius = np.hypot(offsets[:, 0], offsets[:, 1])
    crosses = bool(np.all(np.sum(offsets[1:] * offsets[:-1], axis=1) < 0))
    grows = bool(np.all(np.diff(radius) > 0))
    return Verdict(crosses and grows,
                   f"{_name(gd)} {'jumps past' if crosses else 'does not always jump past'} the minimum at every "
                   f"step; its distance to it goes from {number(radius[0])} to {number(radius[-1])} in {gd.steps} steps"
                   f"{'' if grows else ', not growing at every step'}")


def _learning_rates(traces) -> Verdict:
    """Very high, high, low and good α, in that order (the article's figure 4)."""
    very_high, high, low, good = traces
    floor = plots.lowest(surfaces.get(good.surface))
    start = good.loss[0] - floor
    target = 1e-3 * start

    def excess(t):
        return np.where(np.isfinite(t.loss), t.loss - floor, np.inf)

    def reached(t):
        hits = np.flatnonzero(excess(t) <= target)
        return int(hits[0]) if hits.size else None

    blows_up = very_high.diverged_at is not None or excess(very_high)[-1] > start
    stalls = 100 * target < excess(high)[-1] < start
    steady = bool(np.all(np.diff(low.loss) < 0))  # and slow: "fastest" below puts good ahead of it
    fastest = reached(good) is not None and all(reached(t) is None or reached(t) > reached(good)
                                                for t in (very_high, high, low))
    return Verdict(bool(blows_up and stalls and steady and fastest), (
        f"very high {_name(very_high)} ends at J − J* = {number(excess(very_high)[-1])} from {number(start)}; "
        f"high {_name(high)} stalls at {number(excess(high)[-1])}; "
        f"low {_name(low)} {'falls at every step' if steady else 'does not fall at every step'} to {number(excess(low)[-1])}; "
        f"good {_name(good)} is the first to reach {number(target)}, at step {reached(good)}"
    ))


def _gd_local(traces) -> Verdict:
    return _ends_in(traces[0], "local")


def _momentum_global(traces) -> Verdict:
    momentum, gd = traces
    return _all(_ends_in(momentum, "global"), _ends_in(gd, "local"))


def _nesterov_sooner(traces) -> Verdict:
    momentum, nesterov = traces
    (_, slow), (_, fast) = momentum.arrival(), nesterov.arrival()
    holds = slow is not None and fast is not None and fast < slow
    return Verdict(holds, f"within {number(REACHED)} of the minimum for good: "
                          f"NAG from step {fast}, Momentum from step {slow}")


# The ravine's steep direction is y: that is where a constant α makes GD swing across the floor.
_SWING = 1e-2  # a swing smaller than this is invisible at the ravine's scale


def _zigzags(traces) -> Verdict:
    (gd,) = traces
    swings = crossings(gd.path[:, 1], _SWING)
    _, step = gd.arrival()
    slow = step is None or step >= 100
    return Verdict(swings >= 8 and slow, (
        f"{_name(gd)} crosses the floor {swings} times and "
        + (f"comes within {number(REACHED)} of the minimum for good at step {step}" if step is not None
           else f"is not within {number(REACHED)} of the minimum after {gd.steps} steps")
    ))


def _adagrad_calmer(traces) -> Verdict:
    adagrad, gd = traces
    swings = crossings(adagrad.path[:, 1], _SWING), crossings(gd.path[:, 1], _SWING)
    (_, fast), (_, slow) = adagrad.arrival(), gd.arrival()
    sooner = fast is not None and (slow is None or fast < slow)
    return Verdict(swings[0] < swings[1] and sooner, (
        f"{_name(adagrad)} crosses the floor {swings[0]} times and stays within {number(REACHED)} of the minimum "
        f"from step {fast}; {_name(gd)} crosses it {swings[1]} times, and stays from step {slow}"
    ))


# ---------------------------------------------------------------------------------------------
# The presets.

_DOWNHILL = (0.8, -0.6)  # on the bowl, from the start toward the minimum
_LEFTWARD = (-1.0, 0.0)  # across both valleys of multi_minima

PRESETS = {p.key: p for p in (
    Preset(
        key="fig2", number=2, title="Gradient descent rolls down a convex bowl",
        caption="With α = 0.1, GD lowers the loss at every step and comes to rest at the bowl's one minimum.",
        surface="bowl", start=(-1.6, 1.2), steps=40, runs=(run("sgd", lr=0.1),),
        views=("ball", "contour", "loss_curves"), check=_descends, direction=_DOWNHILL,
    ),
    Preset(
        key="fig3", number=3, title="Too large a learning rate: each step overshoots further",
        caption="With α = 1.2 (the bowl's limit is 1), every GD step jumps past the minimum and lands further "
                "from it than the last, so the ball climbs out of the bowl.",
        surface="bowl", start=(-0.6, 0.45), steps=6, runs=(run("sgd", lr=1.2),),
        views=("ball", "contour"), check=_overshoots, direction=_DOWNHILL, domain=((-5.0, 5.0), (-5.0, 5.0)),
    ),
    Preset(
        key="fig4", number=4, title="One optimizer, four learning rates",
        caption="GD from (0.8, 0.6) on the plateau: a very high α throws the ball out onto the plateau, where "
                "the loss ends higher than it began; a high α stalls above the minimum, bouncing across it; a "
                "low α lowers the loss at every step, but slowly; a good α gets there first.",
        surface="plateau", start=(0.8, 0.6), steps=50,
        runs=(run("sgd", "very high α", lr=7.0), run("sgd", "high α", lr=2.6),
              run("sgd", "low α", lr=0.05), run("sgd", "good α", lr=1.0)),
        views=("learning_rates", "ball"), check=_learning_rates, direction=(-0.8, -0.6),
        domain=((-7.0, 7.0), (-7.0, 7.0)),
    ),
    Preset(
        key="fig5", number=5, title="Gradient descent stops in a local minimum",
        caption="From (2.2, 0), GD with α = 0.02 settles in the nearer, local minimum and never reaches the "
                "deeper valley on the left.",
        surface="multi_minima", start=(2.2, 0.0), steps=200, runs=(run("sgd", lr=0.02),),
        views=("ball", "contour", "loss_curves"), check=_gd_local, direction=_LEFTWARD,
    ),
    Preset(
        key="fig7", number=7, title="Momentum rolls on into the global minimum",
        caption="From the same start and α, Momentum (β = 0.9) carries the ball over the ridge into the global "
                "minimum, where GD stopped in the local one; not always, though: with α = 0.005 or 0.05 "
                "Momentum stops in the local minimum too.",
        surface="multi_minima", start=(2.2, 0.0), steps=200,
        runs=(run("momentum", lr=0.02, momentum=0.9), run("sgd", lr=0.02)),
        views=("ball", "contour", "race_animation"), check=_momentum_global, direction=_LEFTWARD,
    ),
    Preset(
        key="fig9", number=9, title="Nesterov settles sooner than Momentum",
        caption="On Booth's tilted bowl, with the same α = 0.03 and β = 0.9, NAG stays within 0.01 of the "
                "minimum after about half the steps Momentum needs, because its look-ahead brakes before each "
                "overshoot; not everywhere, though: on Rosenbrock at α = 0.001 it is no faster.",
        surface="booth", start=(-4.0, -8.0), steps=300,
        runs=(run("momentum", lr=0.03, momentum=0.9), run("nesterov", lr=0.03, momentum=0.9)),
        views=("contour", "distance_curves", "race_animation"), check=_nesterov_sooner,
    ),
    Preset(
        key="fig11", number=11, title="Gradient descent zig-zags across a ravine",
        caption="With a constant α = 0.45, GD swings back and forth across the ravine's steep walls while it "
                "creeps along its floor, taking more than 100 steps to come within 0.01 of the minimum.",
        surface="ravine", start=(-9.0, 2.5), steps=200, runs=(run("sgd", lr=0.45),),
        views=("contour", "loss_curves"), check=_zigzags,
    ),
    Preset(
        key="fig12", number=12, title="AdaGrad heads straight down the ravine",
        caption="AdaGrad (α = 2) divides each coordinate's step by its own gradient history, so it goes down "
                "the ravine without swinging across it and comes within 0.01 of the minimum in about a third "
                "of the steps GD needs at α = 0.45, which is close to GD's best constant α here.",
        surface="ravine", start=(-9.0, 2.5), steps=200,
        runs=(run("adagrad", lr=2.0), run("sgd", lr=0.45)),
        views=("contour", "distance_curves"), check=_adagrad_calmer,
    ),
)}


def get(key: str) -> Preset:
    """The preset called ``key`` ("fig2", …); a ValueError lists the known keys."""
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown preset {key!r}; choose one of: {', '.join(PRESETS)}") from None

"""A lab scenario: everything that decides what the surface lab shows, and its URL form.

A scenario is an immutable value: the app builds one from its widgets, the figures are drawn from it,
and its query string is the shareable link. Reading a link is forgiving but strict about what it
lets through: an unknown or malformed parameter is ignored with a notice, a value outside its
range is clamped with a notice, and nothing in a URL can ask for more work than the lab allows.

The lab races a list of runs, and one optimizer may run several times with different settings (an
"α sweep"). A link names the runs' optimizers in order and, per optimizer, each hyper-parameter
that differs from what the optimizer would take on that surface, one value for all its runs or
one per run::

    ?surface=plateau&opt=sgd,sgd,sgd,sgd&sgd.lr=7,2.6,0.05,1&steps=50&start=0.8,0.6

What a run "would take" is its setting in the surface's own runs when the link lists the same
optimizers, else the surface's recommendation for the optimizer (``Surface.defaults``), else the
convention's default.
"""

import math
from dataclasses import dataclass

import numpy as np

import surfaces
from optviz.optimizers import CONVENTIONS, HYPERS, OPTIMIZERS, resolve

#: What the lab allows, tighter than the engine's own limits because every slider move reruns it;
#: the sliders use the same ranges.
MAX_STEPS = 5000
MAX_RUNS = 12
#: Each hyper-parameter's range in the lab, from the one table that describes it.
LIMITS = {name: hyper.lab for name, hyper in HYPERS.items()}
#: α sliders move on this log grid: 1, 1.5, 2, 3, 5, 7 per decade.
LR_GRID = HYPERS["lr"].stops
VIEWS = ("contour", "surface", "animation", "steps")
#: What a link's ``present`` may say to mean yes.
YES = ("1", "true", "yes")
#: The lab's runs on a surface that lists none of its own (``Surface.runs``).
USUAL_RUNS = (("sgd", {"lr": 0.001}), ("momentum", {"lr": 0.001}), ("rmsprop", {"lr": 0.01}), ("adam", {"lr": 0.05}))
#: Clicks on the map pick a start on a grid of about this many points a side, at round numbers.
START_GRID = 40


@dataclass(frozen=True)
class Run:
    """One optimizer with its hyper-parameters, as ``(name, value)`` pairs so that it stays
    hashable (a cache key); ``name`` says what the run stands for, if anything ("good α")."""

    optimizer: str
    settings: tuple
    name: str = ""

    @property
    def hyper(self) -> dict:
        return dict(self.settings)


def run(optimizer: str, name: str = "", **hyper) -> Run:
    """``run("momentum", lr=0.02, momentum=0.9)``."""
    return Run(optimizer, tuple(hyper.items()), name)


def follows(optimizer: str, convention: str) -> str:
    """The convention a run of ``optimizer`` follows when the lab's is ``convention``: that one if
    the optimizer's libraries have it, else its first (and the lab says so)."""
    return OPTIMIZERS[optimizer].convention_for(convention)


def settings_in(optimizer: str, convention: str, **given) -> dict:
    """The optimizer's full hyper-parameters in the convention it follows, from ``given``: those
    that convention does not take (a setting carried over from another) are left out."""
    convention = follows(optimizer, convention)
    taken = OPTIMIZERS[optimizer].defaults(convention)
    return resolve(optimizer, convention, **{k: v for k, v in given.items() if k in taken})


def recommended(surface: str, optimizer: str, convention: str = "keras") -> dict:
    """An optimizer's settings when it joins the lab on ``surface``: the surface's recommendation
    for it where it has one, the convention's defaults for the rest."""
    return settings_in(optimizer, convention, **surfaces.get(surface).defaults.get(optimizer, {}))


def default_runs(surface: str, convention: str = "keras") -> tuple:
    """The runs the lab opens with on ``surface``: its own list (``Surface.runs``) or the usual one."""
    listed = surfaces.get(surface).runs or USUAL_RUNS
    return tuple(Run(optimizer, tuple({**recommended(surface, optimizer, convention), **given}.items()))
                 for optimizer, given in listed)


@dataclass(frozen=True)
class Scenario:
    surface: str = "rosenbrock"
    #: the runs, each with all its hyper-parameters; None: the surface's default runs
    runs: tuple | None = None
    same_lr: bool = False
    lr: float = 0.001  # the shared α when same_lr
    steps: int = 300
    start: tuple | None = None  # None: the surface's own start
    convention: str = "keras"
    view: str = "contour"
    present: bool = False

    def __post_init__(self):
        runs = default_runs(self.surface, self.convention) if self.runs is None else self.runs
        full = tuple(Run(r.optimizer, tuple(settings_in(r.optimizer, self.convention, **r.hyper).items()), r.name)
                     for r in runs)
        object.__setattr__(self, "runs", full)

    @property
    def optimizers(self) -> tuple:
        """The runs' optimizers, in order, each once."""
        return tuple(dict.fromkeys(r.optimizer for r in self.runs))

    def settings(self, index: int) -> dict:
        """The hyper-parameters run ``index`` runs with: its own, or with the shared α."""
        own = self.runs[index].hyper
        return {**own, "lr": self.lr} if self.same_lr else own

    @property
    def start_point(self) -> tuple:
        return self.start if self.start is not None else surfaces.get(self.surface).start


def start_window(surface) -> tuple:
    """Where a start may lie: the surface's drawn window, widened by its own width on every side."""
    (x0, x1), (y0, y1) = surface.domain
    return (2 * x0 - x1, 2 * x1 - x0), (2 * y0 - y1, 2 * y1 - y0)


def start_grid(surface) -> tuple:
    """``(xs, ys)``: the points a click on the map may pick as a start, at round numbers (a step
    of 1, 2 or 5 times a power of ten), so that a picked start reads well in a link."""
    def axis(low, high):
        rough = (high - low) / START_GRID
        power = 10.0 ** math.floor(math.log10(rough))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
        decimals = max(0, -math.floor(math.log10(step)))
        return np.round(np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step, decimals)

    (x0, x1), (y0, y1) = surface.domain
    return axis(x0, x1), axis(y0, y1)


def snapped(value: float, grid) -> float:
    """The point of ``grid`` nearest to ``value``: a click reports it with float noise."""
    return float(grid[int(np.argmin(np.abs(np.asarray(grid) - value)))])


def presenting(value) -> bool:
    """Whether a link's ``present`` parameter turns presentation mode on."""
    return value in YES


def to_query(scenario: Scenario) -> dict:
    """The scenario as query parameters (strings), leaving out what its reader would assume: the
    surface's own runs, and each setting as the run would take it (from the surface's own runs
    when the link lists the same optimizers, else as a new run on the surface takes it)."""
    usual = Scenario(surface=scenario.surface, convention=scenario.convention).runs
    query = {}
    if scenario.surface != Scenario.surface:
        query["surface"] = scenario.surface
    if [r.optimizer for r in scenario.runs] == [r.optimizer for r in usual]:
        bases = [r.hyper for r in usual]
    else:
        query["opt"] = ",".join(r.optimizer for r in scenario.runs)
        bases = [recommended(scenario.surface, r.optimizer, scenario.convention) for r in scenario.runs]
    for optimizer in scenario.optimizers:
        mine = [i for i, r in enumerate(scenario.runs) if r.optimizer == optimizer]
        for name in scenario.runs[mine[0]].hyper:
            values = [scenario.runs[i].hyper[name] for i in mine]
            if any(value != bases[i][name] for value, i in zip(values, mine)):
                query[f"{optimizer}.{name}"] = ",".join(map(_number, values[:1] if len(set(values)) == 1 else values))
    for name in ("steps", "convention", "view"):
        if getattr(scenario, name) != getattr(Scenario, name):
            query[name] = str(getattr(scenario, name))
    if scenario.start is not None:
        query["start"] = f"{_number(scenario.start[0])},{_number(scenario.start[1])}"
    if scenario.same_lr:
        query["lr"] = _number(scenario.lr)
    if scenario.present:
        query["present"] = "1"
    return query


def _number(x: float) -> str:
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


def from_query(query: dict) -> tuple[Scenario, list[str]]:
    """The scenario a link describes, and a notice for everything in it that was not used as is."""
    notices = []
    values = {}
    query = {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(query).items()}

    for name, allowed in (("surface", surfaces.SURFACES), ("convention", CONVENTIONS), ("view", VIEWS)):
        if name in query:
            value = query.pop(name)
            if value in allowed:
                values[name] = value
            else:
                notices.append(f"Unknown {name} {value!r} ignored; the {name}s are: {', '.join(allowed)}.")
    surface = values.get("surface", Scenario.surface)
    convention = values.get("convention", Scenario.convention)

    if "steps" in query:
        values["steps"] = _clamped_int(query.pop("steps"), "steps", 1, MAX_STEPS, notices, Scenario.steps)
    if "present" in query:
        raw = query.pop("present")
        values["present"] = presenting(raw)
        if not values["present"] and raw not in ("0", "false", "no"):
            notices.append(f"present={raw!r} is neither yes nor no; the controls are shown.")
    if "lr" in query:
        lr = _clamped_float(query.pop("lr"), "lr", *LIMITS["lr"], notices)
        if lr is not None:
            values["same_lr"], values["lr"] = True, lr
    if "start" in query:
        values["start"] = _start(query.pop("start"), surfaces.get(surface), notices)

    usual = default_runs(surface, convention)
    names = _optimizers(query.pop("opt"), notices) if "opt" in query else None
    if names is None or names == [r.optimizer for r in usual]:
        names, settings = [r.optimizer for r in usual], [dict(r.hyper) for r in usual]
    else:
        settings = [recommended(surface, name, convention) for name in names]
    for key in [k for k in query if "." in k]:
        optimizer, name = key.split(".", 1)
        raw = query.pop(key)
        mine = [i for i, o in enumerate(names) if o == optimizer]
        if not mine or name not in settings[mine[0]]:
            notices.append(f"Parameter {key!r} ignored: no optimizer in the race takes it.")
            continue
        parts = raw.split(",")
        if len(parts) not in (1, len(mine)):
            notices.append(f"{key} gives {len(parts)} values for {len(mine)} runs of {optimizer}; ignored.")
            continue
        for index, part in zip(mine, parts * len(mine) if len(parts) == 1 else parts):
            value = _clamped_float(part, key, *LIMITS[name], notices)
            if value is not None:
                settings[index][name] = value
    for key in query:
        notices.append(f"Unknown parameter {key!r} ignored.")

    runs = tuple(Run(name, tuple(hyper.items())) for name, hyper in zip(names, settings))
    return Scenario(**values, runs=runs), notices


def _optimizers(raw: str, notices: list) -> list | None:
    """The optimizers a link's ``opt`` names, in order; None (the default runs) if it names none
    the lab knows."""
    names = [n for n in raw.split(",") if n]
    unknown = [n for n in names if n not in OPTIMIZERS]
    known = [n for n in names if n in OPTIMIZERS]
    if unknown:
        notices.append(f"Unknown optimizer {', '.join(map(repr, unknown))} ignored; the optimizers are: "
                       f"{', '.join(OPTIMIZERS)}.")
    if not known:
        notices.append("The link names no optimizer the lab knows; the surface's usual runs are shown.")
        return None
    if len(known) > MAX_RUNS:
        notices.append(f"The link asks for {len(known)} runs; the lab races at most {MAX_RUNS}, the first "
                       f"{MAX_RUNS} are shown.")
    return known[:MAX_RUNS]


def _clamped_float(raw, name, low, high, notices):
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        notices.append(f"{name}={raw!r} is not a number; ignored.")
        return None
    clamped = min(max(value, low), high)
    if clamped != value:
        notices.append(f"{name}={raw} is outside [{low:g}, {high:g}]; {clamped:g} was used.")
    return clamped


def _clamped_int(raw, name, low, high, notices, default):
    try:
        number = float(raw)
        value = int(number)
    except (ValueError, OverflowError):
        notices.append(f"{name}={raw!r} is not a whole number; {default} was used.")
        return default
    if value != number:
        notices.append(f"{name}={raw} is not a whole number; {value} was used.")
    clamped = min(max(value, low), high)
    if clamped != value:
        notices.append(f"{name}={raw} is outside [{low}, {high}]; {clamped} was used.")
    return clamped


def _start(raw, surface, notices):
    try:
        x, y = (float(part) for part in raw.split(","))
    except ValueError:
        notices.append(f"start={raw!r} is not two numbers 'x,y'; the surface's own start was used.")
        return None
    if not (math.isfinite(x) and math.isfinite(y)):
        notices.append(f"start={raw!r} is not finite; the surface's own start was used.")
        return None
    (x0, x1), (y0, y1) = start_window(surface)
    clamped = (min(max(x, x0), x1), min(max(y, y0), y1))
    if clamped != (x, y):
        notices.append(f"start={raw} lies far outside the surface's window; ({clamped[0]:g}, {clamped[1]:g}) was used.")
    return clamped

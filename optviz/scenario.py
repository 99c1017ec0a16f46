"""A lab scenario: everything that decides what the surface lab shows, and its URL form.

A scenario is an immutable value: the app builds one from its widgets, the figures are drawn from it,
and its query string is the shareable link. Reading a link is forgiving but strict about what it
lets through: an unknown or malformed parameter is ignored with a notice, a value outside its
range is clamped with a notice, and nothing in a URL can ask for more work than the lab allows.
"""

import math
from dataclasses import dataclass, field, replace

import surfaces
from optviz.optimizers import CONVENTIONS, OPTIMIZERS, resolve

#: What the lab allows, tighter than the engine's own limits because every slider move reruns it;
#: the sliders use the same ranges.
MAX_STEPS = 5000
LIMITS = {
    "lr": (1e-5, 10.0),
    "momentum": (0.0, 0.999),
    "rho": (0.0, 0.999),
    "beta1": (0.0, 0.999),
    "beta2": (0.0, 0.9999),
    "epsilon": (0.0, 1.0),
    "initial_accumulator": (0.0, 10.0),
    "momentum_decay": (0.0, 10.0),
}
#: α sliders move on this log grid: 1, 1.5, 2, 3, 5, 7 per decade.
LR_GRID = tuple(float(f"{m * 10.0 ** e:.3g}") for e in range(-5, 2) for m in (1, 1.5, 2, 3, 5, 7)
                if LIMITS["lr"][0] <= m * 10.0 ** e <= LIMITS["lr"][1])
VIEWS = ("contour", "surface", "animation")
#: What a link's ``present`` may say to mean yes.
YES = ("1", "true", "yes")


@dataclass(frozen=True)
class Scenario:
    surface: str = "rosenbrock"
    optimizers: tuple = ("sgd", "momentum", "rmsprop", "adam")
    #: optimizer -> {hyper-parameter: value}, only where it differs from the convention's default
    hyper: dict = field(default_factory=lambda: {"sgd": {"lr": 0.001}, "momentum": {"lr": 0.001},
                                                 "rmsprop": {"lr": 0.01}, "adam": {"lr": 0.05}})
    same_lr: bool = False
    lr: float = 0.001  # the shared α when same_lr
    steps: int = 300
    start: tuple | None = None  # None: the surface's own start
    convention: str = "keras"
    view: str = "contour"
    present: bool = False

    def settings(self, optimizer: str) -> dict:
        """The full hyper-parameters of one optimizer's run (defaults, overrides, shared α)."""
        own = self.own_settings(optimizer)
        return {**own, "lr": self.lr} if self.same_lr else own

    def own_settings(self, optimizer: str) -> dict:
        """The optimizer's own hyper-parameters, kept while a shared α overrides its own."""
        return resolve(optimizer, self.convention, **self.hyper.get(optimizer, {}))

    @property
    def start_point(self) -> tuple:
        return self.start if self.start is not None else surfaces.get(self.surface).start

    def with_settings(self, optimizer: str, **values) -> "Scenario":
        """A copy with some of one optimizer's hyper-parameters changed (defaults are not stored)."""
        defaults = OPTIMIZERS[optimizer].defaults(self.convention)
        merged = {**self.hyper.get(optimizer, {}), **values}
        kept = {k: v for k, v in merged.items() if v != defaults.get(k)}
        hyper = {**self.hyper, optimizer: kept}
        return replace(self, hyper={k: v for k, v in hyper.items() if v})


def start_window(surface) -> tuple:
    """Where a start may lie: the surface's drawn window, widened by its own width on every side."""
    (x0, x1), (y0, y1) = surface.domain
    return (2 * x0 - x1, 2 * x1 - x0), (2 * y0 - y1, 2 * y1 - y0)


def presenting(value) -> bool:
    """Whether a link's ``present`` parameter turns presentation mode on."""
    return value in YES


def to_query(scenario: Scenario) -> dict:
    """The scenario as query parameters (strings), leaving out what equals the default scenario."""
    default = Scenario()
    usual = replace(default, convention=scenario.convention)  # what the link's reader starts from
    query = {}
    if scenario.surface != default.surface:
        query["surface"] = scenario.surface
    if scenario.optimizers != default.optimizers:
        query["opt"] = ",".join(scenario.optimizers)
    for optimizer in scenario.optimizers:
        mine, base = scenario.own_settings(optimizer), usual.own_settings(optimizer)
        query.update({f"{optimizer}.{name}": _number(v) for name, v in mine.items() if v != base[name]})
    for name in ("steps", "convention", "view"):
        if getattr(scenario, name) != getattr(default, name):
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

    if "opt" in query:
        names = [n for n in query.pop("opt").split(",") if n]
        unknown = [n for n in names if n not in OPTIMIZERS]
        if unknown:
            notices.append(f"Unknown optimizer {', '.join(map(repr, unknown))} ignored; the optimizers are: "
                           f"{', '.join(OPTIMIZERS)}.")
        values["optimizers"] = tuple(dict.fromkeys(n for n in names if n in OPTIMIZERS))
    optimizers = values.get("optimizers", Scenario.optimizers)

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

    hyper = {o: dict(v) for o, v in Scenario().hyper.items() if o in optimizers}  # the link changes these
    for key in [k for k in query if "." in k]:
        optimizer, name = key.split(".", 1)
        raw = query.pop(key)
        if optimizer not in optimizers or name not in OPTIMIZERS[optimizer].hyper:
            notices.append(f"Parameter {key!r} ignored: no optimizer in the race takes it.")
            continue
        value = _clamped_float(raw, key, *LIMITS[name], notices)
        if value is not None:
            hyper.setdefault(optimizer, {})[name] = value
    for key in query:
        notices.append(f"Unknown parameter {key!r} ignored.")

    scenario = Scenario(**values, hyper={})
    for optimizer, settings in hyper.items():  # stored as differences from the convention's defaults
        scenario = scenario.with_settings(optimizer, **settings)
    return scenario, notices


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

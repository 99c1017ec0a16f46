"""What every optimizer shares: the hyper-parameters, their ranges, and the shape of a rule.

An optimizer is three small numba functions over one parameter coordinate, in the spirit of
optax's ``init``/``update`` pairs, with all state explicit so that the same code can move a
batch of 2D points or the flat weight vector of a network:

``initial(h) -> (s0, s1, c)``
    the starting value of the two per-coordinate state slots (most start at zero) and of the
    scalar schedule ``c`` (most start at :data:`CLOCK_START`).
``advance(h, c) -> c``
    the step's scalar schedule, once per step and per run: running products such as β1^t,
    kept as products so that a batch with a different β per run pays one multiply, not a pow.
``rule(g, s0, s1, h, c, torch) -> (step, s0, s1)``
    the update of one coordinate: θ ← θ − step.

``h`` is a :data:`Hyper` tuple and ``c`` a 4-tuple whose meaning each optimizer documents.
``torch`` selects the PyTorch convention where it differs from Keras's.

Beside them stands the readable version, written from the update equations in plain Python with
powers instead of running products, which the tests hold the kernels to and the step inspector
uses to show intermediate values:

``reference(theta, g, state, t, h, torch) -> (theta, state, details)``
    one step t = 1, 2, … on arrays; ``state`` is a dict of named slots that starts empty (each
    reference knows its own starting values); ``h`` a dict of hyper-parameters; ``details`` the
    named intermediate quantities (m̂, ŝ, α_t, …) and the ``step`` taken.
"""

from collections import namedtuple
from dataclasses import dataclass, field
from math import isfinite

from optviz.engine.jit import inner

#: Every hyper-parameter any optimizer takes, in a fixed order (the rows of a batch's table).
HYPER_NAMES = ("lr", "momentum", "rho", "beta1", "beta2", "epsilon", "initial_accumulator", "momentum_decay")
Hyper = namedtuple("Hyper", HYPER_NAMES)

#: The usual start of the scalar schedule: every entry a running product (β^0 = 1, Π_0 = 1).
CLOCK_START = (1.0, 1.0, 1.0, 1.0)

CONVENTIONS = ("keras", "torch")


@dataclass(frozen=True)
class Range:
    """The values a hyper-parameter may take: ``low <= x <= high`` (``low < x`` if ``open_low``)."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False
    log: bool = False  # sliders move on a log scale
    symbol: str = ""  # in the article's notation
    meaning: str = ""

    def contains(self, x: float) -> bool:
        above = x > self.low if self.open_low else x >= self.low
        below = x < self.high if self.open_high else x <= self.high
        return isfinite(x) and above and below

    def describe(self) -> str:
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"


RANGES = {
    "lr": Range(0.0, 1000.0, open_low=True, log=True, symbol=r"\alpha", meaning="learning rate"),
    "momentum": Range(0.0, 1.0, symbol=r"\beta", meaning="momentum (friction is 1 − β)"),
    "rho": Range(0.0, 1.0, symbol=r"\rho", meaning="decay of the squared-gradient average"),
    "beta1": Range(0.0, 1.0, open_high=True, symbol=r"\beta_1", meaning="decay of the first moment"),
    "beta2": Range(0.0, 1.0, open_high=True, symbol=r"\beta_2", meaning="decay of the second moment"),
    "epsilon": Range(0.0, 1.0, log=True, symbol=r"\varepsilon", meaning="keeps the denominator away from 0"),
    "initial_accumulator": Range(0.0, 1000.0, symbol="s_0", meaning="starting value of the accumulator"),
    "momentum_decay": Range(0.0, 100.0, symbol=r"\psi", meaning="speed of Nadam's momentum warm-up"),
}
assert tuple(RANGES) == HYPER_NAMES


@inner
def zero_state(h):
    return 0.0, 0.0, CLOCK_START


@inner
def no_clock(h, c):
    return c


@dataclass(frozen=True)
class Optimizer:
    """One registry entry: everything the engine, the app and the tests need about an optimizer."""

    name: str
    title: str
    rule: object  # the numba functions described in the module docstring
    reference: object  # the readable plain-Python step described in the module docstring
    defaults: dict  # convention -> {hyper-parameter: default}; its keys are the ones it takes
    slots: tuple = ()  # names of the per-coordinate state, in the article's notation
    latex: dict = field(default_factory=dict)  # convention -> list of LaTeX lines
    differences: str = ""  # how the Keras and PyTorch conventions differ, for the equation panel
    year: str = ""
    initial: object = zero_state
    advance: object = no_clock

    @property
    def hyper(self) -> tuple:
        """The hyper-parameters it takes, in the canonical order."""
        return tuple(n for n in HYPER_NAMES if n in self.defaults["keras"])

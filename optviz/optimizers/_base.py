"""What an optimizer is: its update rule over one coordinate, its state, and its registry entry.

An optimizer is three small numba functions, in the spirit of optax's ``init``/``update`` pairs,
with all state explicit, so that the same code moves a batch of 2D points and the flat weight
vector of a network:

``initial(h) -> (slots, clock)``
    the starting value of each per-coordinate state slot (a tuple, one value per name in
    ``slots``) and of the per-run schedule (a tuple, one value per name in ``clock``). Without
    one, every slot starts at zero and there is no clock.
``advance(h, c) -> c``
    the schedule of the next step, once per step and per run: running products such as β1^t (kept
    as products, so that a batch with a different β per run pays one multiply, not a pow), a step
    counter, and any scalar every coordinate of the step shares (Adam's α_t), computed once a step
    instead of once a coordinate.
``rule(theta, g, s, h, c, convention) -> (theta, s)``
    one step of one coordinate: its new value and its new state slots.

``h`` is the optimizer's own named tuple of hyper-parameters (``h.lr``, ``h.beta1``, in the order
of ``hyper``), ``c`` the schedule tuple after ``advance``, ``convention`` one of :data:`KERAS`,
:data:`TORCH`, :data:`OPTAX` (compare with them: ``if convention == TORCH``). A rule that needs the
first step to differ (an initial value taken from θ, a step skipped) reads a step counter from
its clock. Rules are written for float64 and also run, unchanged, on float32 weights (the engine
compiles a float32 copy in which every float literal is float32), so they must not call helpers
that hold float literals of their own.

Beside them stands the readable version, written from the library's update equations in plain
Python with powers instead of running products, which the tests hold the kernels to and the step
inspector uses to show intermediate values:

``reference(theta, g, state, t, h, convention) -> (theta, state, details)``
    one step t = 1, 2, … on arrays; ``state`` a dict of named slots that starts empty (each
    reference knows its own starting values); ``h`` a dict of hyper-parameters; ``convention`` the
    name ("keras", "torch", "optax"); ``details`` the named intermediate quantities (m̂, ŝ, α_t, …)
    in LaTeX, with the state after the step under the slot names, for the inspector.
"""

from collections import namedtuple
from dataclasses import dataclass, field

from optviz.engine.jit import generated, inner
from optviz.optimizers import _hyper

#: The libraries whose conventions optviz follows, in the order the lab lists them; a rule sees
#: the index (``KERAS``, ``TORCH``, ``OPTAX``).
CONVENTIONS = ("keras", "torch", "optax")
KERAS, TORCH, OPTAX = range(len(CONVENTIONS))
#: How the pages name them.
LIBRARIES = {"keras": "Keras", "torch": "PyTorch", "optax": "optax"}


def _named_tuple(name: str, fields: tuple) -> type:
    """A named tuple class that lives in this module under ``name``: the compiled kernels keep it
    in their closures, and numba's on-disk cache recognises a closure only by what pickle writes
    of it, which for a class is its module and name (a class pickle cannot find is written whole,
    differently in every process, and the cache would never hit)."""
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    globals()[name] = cls
    return cls


@inner
def no_clock(h, c):
    return c


@dataclass(frozen=True)
class Convention:
    """How one library does an optimizer: its defaults, the call that runs it there, and its update
    in the article's notation."""

    defaults: dict  # hyper-parameter -> default, for those of the optimizer's that this library has
    call: str  # the library call it follows, e.g. "torch.optim.Adam(amsgrad=True)"
    latex: tuple  # the update, one LaTeX line each


@dataclass(frozen=True)
class Optimizer:
    """One registry entry: everything the engine, the app and the tests need about an optimizer."""

    name: str
    title: str
    year: str  # who and when, as the literature cites it
    hyper: tuple  # the hyper-parameters it takes, in the order its rule reads them (h.lr, …)
    conventions: dict  # convention name -> Convention, for the libraries that have it, in CONVENTIONS order
    rule: object  # the numba functions described in the module docstring
    reference: object  # the readable plain-Python step described in the module docstring
    slots: tuple = ()  # names of the per-coordinate state, in the article's notation
    clock: tuple = ()  # names of the per-run schedule scalars
    initial: object = None  # default: every slot starts at 0, and there is no clock
    advance: object = no_clock
    differences: str = ""  # how the conventions differ, for the equation panel
    article: int = 0  # its place among the article's eight optimizers (1-8), 0 for the others
    Hyper: type = field(init=False, repr=False, compare=False)  # the named tuple its rule reads as h

    def __post_init__(self):
        for name in self.hyper:
            _hyper.get(name)  # every hyper-parameter is described in the one table
        for convention, spec in self.conventions.items():
            if convention not in CONVENTIONS:
                raise ValueError(f"{self.name}: unknown convention {convention!r}")
            if [name for name in self.hyper if name in spec.defaults] != list(spec.defaults):
                raise ValueError(f"{self.name}'s {convention} defaults must be some of {self.hyper}, in that order")
        object.__setattr__(self, "Hyper", _named_tuple(f"Hyper_{self.name}", self.hyper))
        if self.initial is None:
            if self.clock:
                raise ValueError(f"{self.name} has a clock: its initial() must give the clock's start")
            zeros = "".join("0.0, " for _ in self.slots)
            object.__setattr__(self, "initial", generated(f"zero_state_{self.name}",
                                                          [f"def zero_state_{self.name}(h):", f"    return ({zeros}), ()"]))

    def convention_for(self, convention: str) -> str:
        """The convention a run asked to follow ``convention`` follows: that one if this optimizer's
        libraries have it, else the first one they have."""
        return convention if convention in self.conventions else next(iter(self.conventions))

    def defaults(self, convention: str) -> dict:
        """The library defaults of ``convention`` (or of the one it falls back to): the
        hyper-parameters a run in that convention takes. A library may lack some (optax's Nadam has
        no momentum schedule); the rule then does not read them."""
        return dict(self.conventions[self.convention_for(convention)].defaults)

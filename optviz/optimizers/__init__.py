"""The optimizer registry: every module in this package is an optimizer, found by looking.

A module here whose name does not start with ``_`` defines one optimizer as its ``OPTIMIZER``
entry (see ``_base``); dropping one in makes it appear in the engine, the lab, the maps, the
training race and the registry-driven tests, with nothing else to edit. The article's eight come
first, in the article's order, then the others by name: that order is the kernels' dispatch and
the palette's.
"""

import importlib
import math
import pkgutil

import numpy as np

from optviz.optimizers._base import CONVENTIONS, KERAS, LIBRARIES, OPTAX, TORCH, Convention, Optimizer
from optviz.optimizers._hyper import HYPERS, HyperParameter


def _discover() -> dict:
    found = []
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            entry = importlib.import_module(f"{__name__}.{module.name}").OPTIMIZER
            if entry.name != module.name:
                raise ValueError(f"the optimizer in module {module.name!r} is called {entry.name!r}: name them alike")
            found.append(entry)
    others = len(found) + 1  # (list.sort empties the list while it sorts: measure it before)
    found.sort(key=lambda entry: (entry.article or others, entry.name))
    return {entry.name: entry for entry in found}


OPTIMIZERS = _discover()
#: The article's eight, in its order: the training race's default.
ARTICLE = tuple(name for name, entry in OPTIMIZERS.items() if entry.article)

__all__ = [
    "ARTICLE", "CONVENTIONS", "HYPERS", "KERAS", "LIBRARIES", "OPTAX", "OPTIMIZERS", "TORCH", "Convention",
    "HyperParameter", "Optimizer", "check_convention", "check_value", "code", "get", "resolve",
]


def get(name: str) -> Optimizer:
    """The registry entry for ``name``; a ValueError lists the known names."""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None


def code(name: str) -> int:
    """The optimizer's index in the kernels' dispatch."""
    get(name)
    return list(OPTIMIZERS).index(name)


def check_convention(convention: str, optimizer: str | None = None) -> int:
    """The index a rule sees for ``convention`` (:data:`KERAS`, :data:`TORCH`, :data:`OPTAX`); a
    ValueError names the allowed ones, all of them or, given an optimizer, those it has."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of: {', '.join(CONVENTIONS)}")
    if optimizer is not None and convention not in get(optimizer).conventions:
        raise ValueError(f"{optimizer} has no {convention} convention (its libraries do not have it); "
                         f"it has: {', '.join(get(optimizer).conventions)}")
    return CONVENTIONS.index(convention)


def check_value(name: str, value: float) -> float:
    """A hyper-parameter value as a float, or a ValueError naming its allowed range.

    Booleans, strings and complex numbers are not numbers here, although ``float()`` takes them,
    as nowhere in optviz is a count or a value: ``lr=True`` or ``lr="0.1"`` is a mistake to name.
    """
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.iscomplexobj(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an integer beyond any float
        x = math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    allowed = HYPERS[name]
    if not allowed.contains(x):
        raise ValueError(f"{name}={x!r} is outside its allowed range {allowed.describe()}")
    return x


def resolve(name: str, convention: str | None = None, **given) -> dict:
    """The full hyper-parameters of a run: the convention's defaults (Keras's by default, else the
    optimizer's first convention), overridden by ``given``.

    Scalars are checked here; arrays (one value per run of a batch) are checked by the caller,
    which knows their shape. A name the optimizer does not take is an error, not ignored.
    """
    optimizer = get(name)
    convention = optimizer.convention_for("keras") if convention is None else convention
    check_convention(convention, name)
    hyper = {key: float(value) for key, value in optimizer.defaults(convention).items()}
    unknown = set(given) - set(hyper)
    if unknown:
        where = "" if set(hyper) == set(optimizer.hyper) else f" in the {convention} convention"
        raise ValueError(f"{name} takes no hyper-parameter {', '.join(sorted(unknown))}{where}; "
                         f"it takes: {', '.join(hyper)}")
    for key, value in given.items():
        hyper[key] = check_value(key, value) if _scalar(value) else value
    return hyper


def _scalar(value) -> bool:
    """One value for every run, as opposed to an array of one per run (a string is a bad value,
    not a list of letters)."""
    return isinstance(value, (int, float, np.number, str)) or np.ndim(value) == 0

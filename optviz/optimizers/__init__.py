"""The optimizer registry: one entry per optimizer, each in its own module.

Adding an optimizer is a module with its rule and its ``OPTIMIZER`` entry, listed here; the
kernels, the surface lab, the training race and the tests pick it up from this registry.
"""

import math

import numpy as np

from optviz.optimizers import adagrad, adam, adamax, momentum, nadam, nesterov, rmsprop, sgd
from optviz.optimizers._base import CONVENTIONS, HYPER_NAMES, RANGES, Hyper, Optimizer, Range

OPTIMIZERS = {
    module.OPTIMIZER.name: module.OPTIMIZER
    for module in (sgd, momentum, nesterov, adagrad, rmsprop, adam, adamax, nadam)
}

__all__ = [
    "CONVENTIONS", "HYPER_NAMES", "OPTIMIZERS", "RANGES", "Hyper", "Optimizer", "Range",
    "check_convention", "check_value", "code", "full_row", "get", "resolve",
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


def check_convention(convention: str) -> bool:
    """True for PyTorch's convention, False for Keras's; a ValueError names the allowed ones."""
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of: {', '.join(CONVENTIONS)}")
    return convention == "torch"


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
    allowed = RANGES[name]
    if not allowed.contains(x):
        raise ValueError(f"{name}={x!r} is outside its allowed range {allowed.describe()}")
    return x


def resolve(name: str, convention: str = "keras", **given) -> dict:
    """The full hyper-parameters of a run: the convention's defaults, overridden by ``given``.

    Scalars are checked here; arrays (one value per run of a batch) are checked by the caller,
    which knows their shape. A name the optimizer does not take is an error, not ignored.
    """
    optimizer = get(name)
    check_convention(convention)
    defaults = optimizer.defaults[convention]
    unknown = set(given) - set(defaults)
    if unknown:
        raise ValueError(
            f"{name} takes no hyper-parameter {', '.join(sorted(unknown))}; it takes: {', '.join(optimizer.hyper)}"
        )
    hyper = dict(defaults)
    for key, value in given.items():
        hyper[key] = value if np.ndim(value) > 0 else check_value(key, value)
    return hyper


def full_row(hyper: dict) -> tuple:
    """All eight hyper-parameters in canonical order; the ones an optimizer ignores are 0."""
    return tuple(hyper.get(name, 0.0) for name in HYPER_NAMES)


"""The 2D test surfaces: the teaching surfaces of the article's figures, then the standard ones.

Each is a :class:`Surface` with its value and analytic gradient as plain functions of (x, y),
its window, its minima and its lesson: pure math, which the engine (``optviz.engine``) compiles
into its kernels. Nothing here imports the engine.
"""

from surfaces import standard, teaching
from surfaces._base import Minimum, Surface

SURFACES = {s.name: s for s in (*teaching.SURFACES, *standard.SURFACES)}

__all__ = ["SURFACES", "Minimum", "Surface", "get"]


def get(name: str) -> Surface:
    """The surface called ``name``; a ValueError lists the known names."""
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}") from None

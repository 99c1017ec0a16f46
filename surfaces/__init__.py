"""The 2D test surfaces: the teaching surfaces of the article's figures, then the standard ones.

Each is a :class:`Surface` with its value and analytic gradient as numba functions, which the
engine's kernels (``optviz.kernels``) compile in; the order of ``SURFACES`` is the order in which
they dispatch on them.
"""

import numpy as np

from surfaces import standard, teaching
from surfaces._base import Minimum, Surface

SURFACES = {s.name: s for s in (*teaching.SURFACES, *standard.SURFACES)}

__all__ = ["SURFACES", "Minimum", "Surface", "code", "evaluate", "get", "grid"]


def get(name: str) -> Surface:
    """The surface called ``name``; a ValueError lists the known names."""
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}") from None


def code(surface: Surface) -> int:
    """The surface's index in the kernels' dispatch."""
    return list(SURFACES).index(surface.name)


def evaluate(surface: Surface | str, x, y, *, gradient: bool = False):
    """J(x, y) for arrays of points (broadcast together), in one compiled pass; with
    ``gradient``, ``(J, ∂J/∂x, ∂J/∂y)``."""
    surface = get(surface) if isinstance(surface, str) else surface
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    pos = np.stack([np.ravel(x), np.ravel(y)])
    from optviz.kernels import evaluate_points  # the kernels import this registry

    value, slopes = np.empty(pos.shape[1]), np.empty_like(pos)
    evaluate_points(code(surface), pos, value, slopes)
    if not gradient:
        return value.reshape(x.shape)
    return value.reshape(x.shape), slopes[0].reshape(x.shape), slopes[1].reshape(x.shape)


def grid(surface: Surface | str, n: int = 200, domain=None):
    """``(xs, ys, Z)`` on an n × n grid over the surface's domain, with ``Z[i, j] = J(xs[j], ys[i])``."""
    surface = get(surface) if isinstance(surface, str) else surface
    (x0, x1), (y0, y1) = domain or surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    return xs, ys, evaluate(surface, xs[None, :], ys[:, None])

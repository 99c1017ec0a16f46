"""J and ∇J of a surface on arrays of points, in one compiled pass of the engine's kernels.

The surfaces are plain functions of two floats (``surfaces``); this is where they are run on
whole grids and paths, compiled, so that the figures, the step inspector and the tests see the
very numbers the optimizers' kernels see.
"""

import numpy as np

import surfaces
from surfaces import Surface


def evaluate(surface: Surface | str, x, y, *, gradient: bool = False):
    """J(x, y) for arrays of points (broadcast together); with ``gradient``, ``(J, ∂J/∂x, ∂J/∂y)``.

    >>> evaluate("bowl", [1.0, 2.0], 3.0).tolist()
    [10.0, 13.0]
    """
    from optviz.engine.kernels import evaluate_points, surface_code  # numba, on first use only

    surface = surfaces.get(surface) if isinstance(surface, str) else surface
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    pos = np.stack([np.ravel(x), np.ravel(y)])
    value, slopes = np.empty(pos.shape[1]), np.empty_like(pos)
    evaluate_points(surface_code(surface.name), pos, value, slopes)
    if not gradient:
        return value.reshape(x.shape)
    return value.reshape(x.shape), slopes[0].reshape(x.shape), slopes[1].reshape(x.shape)


def grid(surface: Surface | str, n: int = 200, domain=None):
    """``(xs, ys, Z)`` on an n × n grid over the surface's domain, with ``Z[i, j] = J(xs[j], ys[i])``."""
    surface = surfaces.get(surface) if isinstance(surface, str) else surface
    (x0, x1), (y0, y1) = domain or surface.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    return xs, ys, evaluate(surface, xs[None, :], ys[:, None])

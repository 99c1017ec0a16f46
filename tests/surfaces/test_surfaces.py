"""The surfaces: analytic gradients, listed minima, and evaluation on grids."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from optviz.engine.evaluate import evaluate, grid

NAMES = list(surfaces.SURFACES)


def _grad(surface, x, y):
    gx, gy = surface.grad(x, y)
    return np.array([gx, gy])


def _central_difference(surface, x, y, h):
    f = surface.f
    return np.array([(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)])


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_gradient_matches_central_differences(name, u, v):
    surface = surfaces.get(name)
    (x0, x1), (y0, y1) = surface.domain
    x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
    if name == "ackley" and math.hypot(x, y) < 1e-3:
        return  # the kink at the minimum, where the gradient is defined as 0
    h = 1e-6 * max(1.0, abs(x), abs(y))
    numeric = _central_difference(surface, x, y, h)
    analytic = _grad(surface, x, y)
    scale = max(1.0, np.abs(analytic).max(), abs(surface.f(x, y)))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("name", NAMES)
def test_every_listed_minimum_is_a_stationary_minimum_with_its_value(name):
    surface = surfaces.get(name)
    assert surface.global_minima, "every surface lists its global minimum"
    lowest = min(m.value for m in surface.minima)
    for m in surface.minima:
        assert surface.f(m.x, m.y) == pytest.approx(m.value, rel=1e-9, abs=1e-9)
        assert np.abs(_grad(surface, m.x, m.y)).max() < 1e-6
        assert m.kind in ("global", "local")
        assert (m.kind == "global") == (m.value == pytest.approx(lowest, abs=1e-9))
        if name == "ackley":
            continue  # a kink, not a smooth minimum: checked by its value only
        h = 1e-5
        hessian = np.column_stack([
            (_grad(surface, m.x + h, m.y) - _grad(surface, m.x - h, m.y)) / (2 * h),
            (_grad(surface, m.x, m.y + h) - _grad(surface, m.x, m.y - h)) / (2 * h),
        ])
        assert np.all(np.linalg.eigvalsh((hessian + hessian.T) / 2) > 0), f"{m} is not a minimum"


@pytest.mark.parametrize("name", NAMES)
def test_domain_holds_the_start_and_the_global_minima(name):
    surface = surfaces.get(name)
    (x0, x1), (y0, y1) = surface.domain
    for x, y in [surface.start, *((m.x, m.y) for m in surface.global_minima)]:
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert surface.lesson.endswith(".") and surface.latex.startswith("J(x, y) =")


def test_grid_evaluates_the_surface_in_one_compiled_pass():
    surface = surfaces.get("rosenbrock")
    xs, ys, z = grid(surface, 50)
    assert z.shape == (50, 50)
    assert z[7, 11] == surface.f(xs[11], ys[7])
    assert evaluate("bowl", [1.0, 2.0], 3.0).tolist() == [10.0, 13.0]


def test_nearest_minimum():
    surface = surfaces.get("himmelblau")
    minimum, distance = surface.nearest(2.9, 2.1)
    assert (minimum.x, minimum.y) == (3.0, 2.0)
    assert distance == pytest.approx(math.hypot(0.1, 0.1))


def test_unknown_surface_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown surface 'bowel'.*rosenbrock"):
        surfaces.get("bowel")

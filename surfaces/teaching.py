"""Surfaces built to make one point each, for the article's figures."""

import numpy as np

from surfaces._base import Minimum, Surface, alphas


def bowl_f(x, y):
    return x * x + y * y


def bowl_grad(x, y):
    return 2.0 * x, 2.0 * y


BOWL = Surface(
    name="bowl",
    title="Convex bowl",
    latex=r"J(x, y) = x^2 + y^2",
    f=bowl_f,
    grad=bowl_grad,
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(Minimum(0.0, 0.0, 0.0, "global"),),
    start=(-1.6, 1.2),
    lesson="On a convex bowl every way down leads to the one minimum; α only sets how fast, until it is so large that each step overshoots further than the last (α > 1 here).",
    defaults=alphas(sgd=0.1, momentum=0.05, nesterov=0.05, adagrad=0.5, rmsprop=0.015, adam=0.1, adamax=0.1,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.02}), ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.9})),  # slow, quick, overshooting
)


def ravine_f(x, y):
    return 0.05 * x * x + 2.0 * y * y


def ravine_grad(x, y):
    return 0.1 * x, 4.0 * y


RAVINE = Surface(
    name="ravine",
    title="Ravine",
    latex=r"J(x, y) = 0.05\,x^2 + 2\,y^2",
    f=ravine_f,
    grad=ravine_grad,
    domain=((-10.0, 10.0), (-4.0, 4.0)),
    minima=(Minimum(0.0, 0.0, 0.0, "global"),),
    start=(-9.0, 2.5),
    lesson="In a long narrow valley one α cannot suit both directions: GD zig-zags across the steep walls while it creeps along the floor; AdaGrad and RMSProp scale each coordinate by its own gradient history and head straight for the minimum.",
    defaults=alphas(sgd=0.45, momentum=0.05, nesterov=0.05, adagrad=2.0, rmsprop=0.1, adam=0.2, adamax=0.3,
                    nadam=0.2),
    runs=(("sgd", {"lr": 0.45}), ("adagrad", {"lr": 2.0}), ("rmsprop", {"lr": 0.1})),
)


def saddle_f(x, y):
    return x * x - y * y + 0.25 * y**4


def saddle_grad(x, y):
    return 2.0 * x, -2.0 * y + y**3


_ROOT2 = float(np.sqrt(2.0))

SADDLE = Surface(
    name="saddle",
    title="Saddle point",
    latex=r"J(x, y) = x^2 - y^2 + \tfrac14 y^4",
    f=saddle_f,
    grad=saddle_grad,
    domain=((-2.0, 2.0), (-2.2, 2.2)),
    minima=(Minimum(0.0, _ROOT2, -1.0, "global"), Minimum(0.0, -_ROOT2, -1.0, "global")),
    start=(-1.8, 0.001),
    lesson="At a saddle the gradient vanishes without a minimum: GD slides in along the stable direction and lingers there, while momentum and the adaptive methods push off along the unstable one sooner.",
    defaults=alphas(sgd=0.05, momentum=0.02, nesterov=0.02, adagrad=0.3, rmsprop=0.01, adam=0.05, adamax=0.1,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.05}), ("momentum", {"lr": 0.02}), ("adam", {"lr": 0.05})),
)


def multi_minima_f(x, y):
    return x**4 - 4.0 * x * x + x + 2.0 * y * y


def multi_minima_grad(x, y):
    return 4.0 * x**3 - 8.0 * x + 1.0, 4.0 * y


def _double_well_roots():
    """The stationary points of x⁴ − 4x² + x along y = 0 (a cubic), sorted: global min, max, local min."""
    return sorted(float(r.real) for r in np.roots([4.0, 0.0, -8.0, 1.0]))


def _double_well(x):
    return x**4 - 4.0 * x * x + x


_LEFT, _BARRIER, _RIGHT = _double_well_roots()

MULTI_MINIMA = Surface(
    name="multi_minima",
    title="Two valleys",
    latex=r"J(x, y) = x^4 - 4x^2 + x + 2y^2",
    f=multi_minima_f,
    grad=multi_minima_grad,
    domain=((-2.4, 2.4), (-2.0, 2.0)),
    minima=(Minimum(_LEFT, 0.0, _double_well(_LEFT), "global"), Minimum(_RIGHT, 0.0, _double_well(_RIGHT), "local")),
    start=(2.2, 0.0),
    lesson="A valley is not always the deepest one: GD stops in the first minimum it reaches, while momentum can carry the ball over the ridge into the deeper valley.",
    defaults=alphas(sgd=0.02, momentum=0.02, nesterov=0.01, adagrad=0.3, rmsprop=0.03, adam=0.05, adamax=0.05,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.02}), ("momentum", {"lr": 0.02})),
)


def plateau_f(x, y):
    return 1.0 - np.exp(-0.5 * (x * x + y * y))


def plateau_grad(x, y):
    e = np.exp(-0.5 * (x * x + y * y))
    return x * e, y * e


PLATEAU = Surface(
    name="plateau",
    title="Plateau",
    latex=r"J(x, y) = 1 - e^{-(x^2 + y^2)/2}",
    f=plateau_f,
    grad=plateau_grad,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(Minimum(0.0, 0.0, 0.0, "global"),),
    start=(3.6, 2.4),
    lesson="On a plateau the gradient almost vanishes, so GD barely moves however long it runs; methods that divide by the gradient's own size (RMSProp, Adam) keep taking steps of about α and cross it.",
    defaults=alphas(sgd=1.0, momentum=1.0, nesterov=0.7, adagrad=2.0, rmsprop=0.03, adam=0.1, adamax=0.1, nadam=0.1),
    runs=(("sgd", {"lr": 1.0}), ("rmsprop", {"lr": 0.03}), ("adam", {"lr": 0.1})),
)

SURFACES = (BOWL, RAVINE, SADDLE, MULTI_MINIMA, PLATEAU)

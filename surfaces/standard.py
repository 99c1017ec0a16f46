"""The standard optimization test functions, with their textbook formulas and usual windows."""

import itertools
import math

import numpy as np

from surfaces._base import Minimum, Surface, alphas

TAU = 2.0 * math.pi


def rosenbrock_f(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(x, y):
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


ROSENBROCK = Surface(
    name="rosenbrock",
    title="Rosenbrock",
    latex=r"J(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
    f=rosenbrock_f,
    grad=rosenbrock_grad,
    domain=((-2.0, 2.0), (-1.0, 3.0)),
    minima=(Minimum(1.0, 1.0, 0.0, "global"),),
    start=(-1.2, 1.0),
    lesson="Finding the curved valley is easy, following its nearly flat floor to the minimum is hard: a test of patience that momentum and Adam pass better than GD.",
    log_levels=True,
    defaults=alphas(sgd=0.001, momentum=0.001, nesterov=0.001, adagrad=1.0, rmsprop=0.01, adam=0.2, adamax=0.5,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.001}), ("momentum", {"lr": 0.001}), ("rmsprop", {"lr": 0.01}), ("adam", {"lr": 0.2})),
)


def beale_f(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_grad(x, y):
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y**3
    gx = 2.0 * (a * (y - 1.0) + b * (y * y - 1.0) + c * (y**3 - 1.0))
    gy = 2.0 * x * (a + 2.0 * b * y + 3.0 * c * y * y)
    return gx, gy


BEALE = Surface(
    name="beale",
    title="Beale",
    latex=r"J(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    f=beale_f,
    grad=beale_grad,
    domain=((-4.5, 4.5), (-4.5, 4.5)),
    minima=(Minimum(3.0, 0.5, 0.0, "global"),),
    start=(1.0, 1.5),
    lesson="Flat plains beside walls that rise like y⁶: a step size that is safe on the plain overshoots near the walls, where momentum can blow up altogether.",
    log_levels=True,
    defaults=alphas(sgd=0.03, momentum=0.003, nesterov=0.003, adagrad=2.0, rmsprop=0.03, adam=0.3, adamax=1.0,
                    nadam=0.3),
    runs=(("sgd", {"lr": 0.03}), ("momentum", {"lr": 0.003}), ("adam", {"lr": 0.3})),
)


def himmelblau_f(x, y):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


HIMMELBLAU = Surface(
    name="himmelblau",
    title="Himmelblau",
    latex=r"J(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    f=himmelblau_f,
    grad=himmelblau_grad,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum(3.0, 2.0, 0.0, "global"),
        Minimum(-2.805118086952745, 3.131312518250573, 0.0, "global"),
        Minimum(-3.779310253377747, -3.2831859912861696, 0.0, "global"),
        Minimum(3.5844283403304917, -1.8481265269644036, 0.0, "global"),
    ),
    start=(-0.3, -0.9),
    lesson="Four equally deep minima: which one an optimizer reaches depends on where it starts and on how it moves, not only on where it is going.",
    log_levels=True,
    defaults=alphas(sgd=0.01, momentum=0.005, nesterov=0.005, adagrad=0.5, rmsprop=0.05, adam=0.1, adamax=0.2,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.01}), ("momentum", {"lr": 0.005}), ("adam", {"lr": 0.1})),
)


def booth_f(x, y):
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def booth_grad(x, y):
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return 2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b


BOOTH = Surface(
    name="booth",
    title="Booth",
    latex=r"J(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
    f=booth_f,
    grad=booth_grad,
    domain=((-10.0, 10.0), (-10.0, 10.0)),
    minima=(Minimum(1.0, 3.0, 0.0, "global"),),
    start=(-8.0, -6.0),
    lesson="A tilted, stretched bowl: convex and easy, but its axes are not the coordinate axes, so per-coordinate step sizes help less than on an aligned ravine.",
    log_levels=True,
    defaults=alphas(sgd=0.01, momentum=0.005, nesterov=0.005, adagrad=2.0, rmsprop=0.3, adam=0.3, adamax=0.5,
                    nadam=0.3),
    runs=(("sgd", {"lr": 0.01}), ("adagrad", {"lr": 2.0}), ("adam", {"lr": 0.3})),
)


def rastrigin_f(x, y):
    return 20.0 + x * x - 10.0 * np.cos(TAU * x) + y * y - 10.0 * np.cos(TAU * y)


def rastrigin_grad(x, y):
    return 2.0 * x + 10.0 * TAU * np.sin(TAU * x), 2.0 * y + 10.0 * TAU * np.sin(TAU * y)


def _rastrigin_minima() -> tuple:
    """One local minimum near each integer point, where 2x + 20π sin(2πx) = 0 (Newton's method)."""
    roots = []
    for n in range(-5, 6):
        x = float(n)
        for _ in range(50):
            x -= (2.0 * x + 10.0 * TAU * math.sin(TAU * x)) / (2.0 + 10.0 * TAU * TAU * math.cos(TAU * x))
        roots.append(x)

    def value(u):
        return u * u - 10.0 * math.cos(TAU * u) + 10.0

    grid = sorted(itertools.product(roots, roots), key=lambda p: p[0] ** 2 + p[1] ** 2)
    return tuple(
        Minimum(x, y, value(x) + value(y), "global" if (x, y) == (0.0, 0.0) else "local") for x, y in grid
    )


RASTRIGIN = Surface(
    name="rastrigin",
    title="Rastrigin",
    latex=r"J(x, y) = 20 + \sum_{u \in \{x, y\}} \left(u^2 - 10 \cos 2\pi u\right)",
    f=rastrigin_f,
    grad=rastrigin_grad,
    domain=((-5.12, 5.12), (-5.12, 5.12)),
    minima=_rastrigin_minima(),
    start=(-4.2, 3.3),
    lesson="An egg-box of 121 local minima on a bowl: every gradient method gets trapped in the nearest dimple unless it moves with a large step or a lot of momentum.",
    defaults=alphas(sgd=0.003, momentum=0.001, nesterov=0.001, adagrad=1.2, rmsprop=0.01, adam=0.05, adamax=0.05,
                    nadam=0.05),
    runs=(("sgd", {"lr": 0.003}), ("adam", {"lr": 0.05}), ("adagrad", {"lr": 1.2})),
)


def ackley_f(x, y):
    r = np.sqrt(0.5 * (x * x + y * y))
    return -20.0 * np.exp(-0.2 * r) - np.exp(0.5 * (np.cos(TAU * x) + np.cos(TAU * y))) + math.e + 20.0


def ackley_grad(x, y):
    r = np.sqrt(0.5 * (x * x + y * y))
    radial = 2.0 * np.exp(-0.2 * r) / r if r > 0.0 else 0.0  # d/dx of the first term is radial·x
    wave = np.pi * np.exp(0.5 * (np.cos(TAU * x) + np.cos(TAU * y)))
    return radial * x + wave * np.sin(TAU * x), radial * y + wave * np.sin(TAU * y)


ACKLEY = Surface(
    name="ackley",
    title="Ackley",
    latex=r"J(x, y) = -20\, e^{-0.2 \sqrt{(x^2 + y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
    f=ackley_f,
    grad=ackley_grad,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(Minimum(0.0, 0.0, 0.0, "global"),),
    start=(-3.6, 2.8),
    lesson="A funnel covered in ripples: the overall slope points to the centre, but the local gradient mostly points into the nearest ripple (the centre is a kink, where the gradient is taken as 0).",
    defaults=alphas(sgd=0.02, momentum=0.01, nesterov=0.01, adagrad=0.3, rmsprop=0.01, adam=0.1, adamax=0.1,
                    nadam=0.05),
    runs=(("sgd", {"lr": 0.02}), ("momentum", {"lr": 0.01}), ("adam", {"lr": 0.1})),
)


def six_hump_camel_f(x, y):
    return (4.0 - 2.1 * x * x + x**4 / 3.0) * x * x + x * y + (4.0 * y * y - 4.0) * y * y


def six_hump_camel_grad(x, y):
    return 8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3


SIX_HUMP_CAMEL = Surface(
    name="six_hump_camel",
    title="Six-hump camel",
    latex=r"J(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2",
    f=six_hump_camel_f,
    grad=six_hump_camel_grad,
    domain=((-2.2, 2.2), (-1.2, 1.2)),
    minima=(
        Minimum(0.08984201310031806, -0.7126564030207396, -1.0316284534898774, "global"),
        Minimum(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774, "global"),
        Minimum(1.703606714969981, -0.7960835686726251, -0.21546382438371764, "local"),
        Minimum(-1.703606714969981, 0.7960835686726251, -0.21546382438371764, "local"),
        Minimum(1.6071047529201972, 0.5686514548841314, 2.1042503103112584, "local"),
        Minimum(-1.6071047529201972, -0.5686514548841314, 2.1042503103112584, "local"),
    ),
    start=(-1.9, -0.2),
    lesson="Six minima, two of them global: a small landscape where the start point and the momentum decide which valley wins.",
    defaults=alphas(sgd=0.02, momentum=0.02, nesterov=0.01, adagrad=0.15, rmsprop=0.015, adam=0.1, adamax=0.1,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.02}), ("momentum", {"lr": 0.02})),
)


def styblinski_tang_f(x, y):
    return 0.5 * (x**4 - 16.0 * x * x + 5.0 * x + y**4 - 16.0 * y * y + 5.0 * y)


def styblinski_tang_grad(x, y):
    return 2.0 * x**3 - 16.0 * x + 2.5, 2.0 * y**3 - 16.0 * y + 2.5


_ST_LOW, _ST_HIGH = -2.903534027771177, 2.746802770990837

STYBLINSKI_TANG = Surface(
    name="styblinski_tang",
    title="Styblinski–Tang",
    latex=r"J(x, y) = \tfrac12 \sum_{u \in \{x, y\}} \left(u^4 - 16u^2 + 5u\right)",
    f=styblinski_tang_f,
    grad=styblinski_tang_grad,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum(_ST_LOW, _ST_LOW, -78.33233140754282, "global"),
        Minimum(_ST_HIGH, _ST_LOW, -64.19561235905536, "local"),
        Minimum(_ST_LOW, _ST_HIGH, -64.19561235905536, "local"),
        Minimum(_ST_HIGH, _ST_HIGH, -50.05889331056788, "local"),
    ),
    start=(4.5, 4.2),
    lesson="Four valleys of different depths in the corners: from the shallowest corner, only a method with enough momentum climbs out towards the deepest.",
    defaults=alphas(sgd=0.01, momentum=0.015, nesterov=0.005, adagrad=0.5, rmsprop=0.05, adam=0.1, adamax=0.1,
                    nadam=0.1),
    runs=(("sgd", {"lr": 0.01}), ("momentum", {"lr": 0.015}), ("adam", {"lr": 0.1})),
)


def goldstein_price_f(x, y):
    u = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    w = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    return (1.0 + u * u * p) * (30.0 + w * w * q)


def goldstein_price_grad(x, y):
    u = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    w = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    a = 1.0 + u * u * p
    b = 30.0 + w * w * q
    da = 2.0 * u * p + u * u * (6.0 * x + 6.0 * y - 14.0)  # the same for x and y
    db_dx = 4.0 * w * q + w * w * (24.0 * x - 36.0 * y - 32.0)
    db_dy = -6.0 * w * q + w * w * (54.0 * y - 36.0 * x + 48.0)
    return da * b + a * db_dx, da * b + a * db_dy


GOLDSTEIN_PRICE = Surface(
    name="goldstein_price",
    title="Goldstein–Price",
    latex=(
        r"J(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
    ),
    f=goldstein_price_f,
    grad=goldstein_price_grad,
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(
        Minimum(0.0, -1.0, 3.0, "global"),
        Minimum(-0.6, -0.4, 30.0, "local"),
        Minimum(1.8, 0.2, 84.0, "local"),
        Minimum(1.2, 0.8, 840.0, "local"),
    ),
    start=(0.75, -1.75),  # on the rim (J = 2,157); from the corner (-1.5, 1.5) GD diverges at every α ≥ 1e-5
    lesson="Values span six orders of magnitude: gradients near the rim are so large that one α cannot be safe there and useful at the floor; adaptive methods cope, GD needs a tiny α.",
    log_levels=True,
    defaults=alphas(sgd=0.0001, momentum=3e-5, nesterov=5e-5, adagrad=0.3, rmsprop=0.03, adam=0.03, adamax=0.07,
                    nadam=0.05),
    runs=(("sgd", {"lr": 0.0001}), ("rmsprop", {"lr": 0.03}), ("adam", {"lr": 0.03})),
)

SURFACES = (
    ROSENBROCK, BEALE, HIMMELBLAU, BOOTH, RASTRIGIN, ACKLEY, SIX_HUMP_CAMEL, STYBLINSKI_TANG, GOLDSTEIN_PRICE,
)

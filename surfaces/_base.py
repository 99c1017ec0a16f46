"""What a surface is: a 2D loss J(x, y) with its gradient, a window to draw it in, and its minima."""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    value: float
    kind: str  # "global" or "local"


@dataclass(frozen=True)
class Surface:
    """One test function.

    ``f(x, y)`` and ``grad(x, y) -> (∂J/∂x, ∂J/∂y)`` are plain Python functions of two floats,
    written with operations numba can compile: the engine compiles them into its kernels
    (``optviz.engine.kernels``), and evaluates them on arrays with ``optviz.engine.evaluate``.

    ``defaults`` are the hyper-parameters an optimizer starts with on this surface (by registry
    name: ``{"nesterov": {"lr": 0.001}}``), over the library's; ``runs`` are the runs the lab opens
    with when the surface is picked, ``(optimizer, {hyper-parameter: value})`` pairs. Both were
    chosen by running the engine (Keras convention, 300 steps from ``start``) so that the
    ``lesson`` shows, with room to spare: it holds with every run's α 10% lower or higher, and no
    default diverges or leaves the window (tests/surfaces/test_defaults.py).
    """

    name: str
    title: str
    latex: str
    f: object
    grad: object
    domain: tuple  # ((x_min, x_max), (y_min, y_max)): the window the figures draw
    minima: tuple  # of Minimum, global ones first
    start: tuple  # the default start point
    lesson: str  # what it teaches, in one sentence
    log_levels: bool = False  # contour levels log-spaced: the interesting part is near the floor
    defaults: dict = field(default_factory=dict, compare=False)  # dicts: not part of the surface's hash
    runs: tuple = field(default=(), compare=False)

    @property
    def global_minima(self) -> tuple:
        return tuple(m for m in self.minima if m.kind == "global")

    def nearest(self, x: float, y: float):
        """``(minimum, distance)``: the known minimum nearest to (x, y); distance NaN if (x, y) is."""
        minimum = min(self.minima, key=lambda m: math.hypot(m.x - x, m.y - y))
        return minimum, math.hypot(minimum.x - x, minimum.y - y)


def alphas(**lr) -> dict:
    """Defaults that set α only: ``alphas(sgd=0.1, adam=0.05)``."""
    return {name: {"lr": value} for name, value in lr.items()}

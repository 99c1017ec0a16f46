"""Optimistic gradient descent (Popov, 1980; Mokhtari et al., 2019): a gradient step plus the last
change of the gradient, a guess of the next gradient that damps the rotation around saddle points."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def initial(h):
    return (0.0,), (0.0,)


@inner
def advance(h, c):
    return (c[0] + 1.0,)


@inner
def rule(theta, g, s, h, c, convention):
    (p,) = s
    if c[0] == 1.0:  # no previous gradient yet: optax takes the current one
        p = g
    return theta - h.lr * ((h.gradient_weight + h.optimism) * g - h.optimism * p), (g,)


def reference(theta, g, state, t, h, convention):
    a, b = h["gradient_weight"], h["optimism"]
    previous = state.get("p", g)
    step = (a + b) * g - b * previous
    return theta - h["lr"] * step, {"p": g}, {"u_t": step}


OPTIMIZER = Optimizer(
    name="optimistic",
    title="Optimistic GD",
    year="Popov, 1980; Mokhtari et al., 2019",
    hyper=("lr", "gradient_weight", "optimism"),
    slots=("p",),
    clock=("t",),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "optax": Convention({"lr": 0.001, "gradient_weight": 1.0, "optimism": 1.0},
                            "optax.optimistic_gradient_descent()",
                            (r"u_t = (a + b)\, g_t - b\, p_{t-1} = a\, g_t + b\,(g_t - p_{t-1}), \quad p_0 = g_1",
                             r"\theta_t = \theta_{t-1} - \alpha\, u_t, \quad p_t = g_t")),
    },
    differences=(
        "Only optax has it (its alpha is a, its beta b), with no default α: optviz takes 0.001, its gradient "
        "descent's. The first step has no previous gradient and uses the current one, a plain step of αa g₁."
    ),
)

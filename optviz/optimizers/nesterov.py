"""Nesterov accelerated gradient (Nesterov, 1983): momentum that corrects itself before it overshoots.

The libraries evaluate the gradient at the current point and track the look-ahead point θ + βm of
the textbook formulation (Sutskever et al., 2013), so the plotted θ is that point.
"""

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    (m,) = s
    if convention == KERAS:  # θ ← θ − αg, then θ ← θ + βm, as Keras adds them
        m = h.momentum * m - h.lr * g
        return theta - h.lr * g + h.momentum * m, (m,)
    m = h.momentum * m + g
    return theta - h.lr * (g + h.momentum * m), (m,)


def reference(theta, g, state, t, h, convention):
    beta, alpha = h["momentum"], h["lr"]
    if convention == "keras":
        m = beta * state.get("m", 0.0) - alpha * g
        theta = theta - alpha * g + beta * m
    else:
        m = beta * state.get("m", 0.0) + g
        theta = theta - alpha * (g + beta * m)
    return theta, {"m": m}, {"m_t": m}


_IN_GRADIENT_UNITS = (r"m_t = \beta\, m_{t-1} + g_t", r"\theta_t = \theta_{t-1} - \alpha\,(g_t + \beta\, m_t)")

OPTIMIZER = Optimizer(
    name="nesterov",
    title="Nesterov (NAG)",
    year="Nesterov, 1983; Sutskever et al., 2013",
    article=3,
    hyper=("lr", "momentum"),
    slots=("m",),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.01, "momentum": 0.9}, "keras.optimizers.SGD(momentum=0.9, nesterov=True)",
                            (r"m_t = \beta\, m_{t-1} - \alpha\, g_t",
                             r"\theta_t = \theta_{t-1} + \beta\, m_t - \alpha\, g_t")),
        "torch": Convention({"lr": 0.001, "momentum": 0.9}, "torch.optim.SGD(momentum=0.9, nesterov=True)",
                            _IN_GRADIENT_UNITS),
        "optax": Convention({"lr": 0.001, "momentum": 0.9}, "optax.sgd(momentum=0.9, nesterov=True)",
                            _IN_GRADIENT_UNITS),
    },
    differences=(
        "Keras keeps m in parameter units, PyTorch and optax in gradient units; with a constant α the paths "
        "are identical. The first step is (1 + β) times GD's."
    ),
)

"""Nesterov accelerated gradient (Nesterov, 1983): momentum that corrects itself before it overshoots.

Keras and PyTorch evaluate the gradient at the current point and track the look-ahead point
θ + βm of the textbook formulation (Sutskever et al., 2013), so the plotted θ is that point.
"""

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def rule(g, m, s1, h, c, torch):
    if torch:
        m = h.momentum * m + g
        return h.lr * (g + h.momentum * m), m, s1
    m = h.momentum * m - h.lr * g
    return -(h.momentum * m - h.lr * g), m, s1


def reference(theta, g, state, t, h, torch):
    beta, alpha = h["momentum"], h["lr"]
    if torch:
        m = beta * state.get("m", 0.0) + g
        step = alpha * (g + beta * m)
    else:
        m = beta * state.get("m", 0.0) - alpha * g
        step = -(beta * m - alpha * g)
    return theta - step, {"m": m}, {"m_t": m, "step": step}


OPTIMIZER = Optimizer(
    name="nesterov",
    title="Nesterov (NAG)",
    year="Nesterov, 1983",
    rule=rule,
    reference=reference,
    defaults={"keras": {"lr": 0.01, "momentum": 0.9}, "torch": {"lr": 0.001, "momentum": 0.9}},
    slots=("m",),
    latex={
        "keras": [r"m_t = \beta\, m_{t-1} - \alpha\, g_t", r"\theta_t = \theta_{t-1} + \beta\, m_t - \alpha\, g_t"],
        "torch": [r"m_t = \beta\, m_{t-1} + g_t", r"\theta_t = \theta_{t-1} - \alpha\,(g_t + \beta\, m_t)"],
    },
    differences=(
        "The article writes the gradient at the look-ahead point, "
        r"$m_t = \beta m_{t-1} - \alpha \nabla J(\theta_{t-1} + \beta m_{t-1})$, $\theta_t = \theta_{t-1} + m_t$. "
        "Keras and PyTorch use the equivalent form above, which needs only the gradient at the current "
        "point; its θ is the textbook look-ahead point θ + βm. Keras keeps m in parameter units, "
        "PyTorch in gradient units; with a constant α the paths are identical."
    ),
)

"""Momentum (Polyak, 1964): a velocity that remembers past gradients rolls through flat parts."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def rule(g, m, s1, h, c, torch):
    if torch:  # m in gradient units; α applied to the step
        m = h.momentum * m + g
        return h.lr * m, m, s1
    m = h.momentum * m - h.lr * g  # Keras: m in parameter units, α inside
    return -m, m, s1


def reference(theta, g, state, t, h, torch):
    beta, alpha = h["momentum"], h["lr"]
    if torch:
        m = beta * state.get("m", 0.0) + g
        step = alpha * m
    else:
        m = beta * state.get("m", 0.0) - alpha * g
        step = -m
    return theta - step, {"m": m}, {"m_t": m, "step": step}


OPTIMIZER = Optimizer(
    name="momentum",
    title="Momentum",
    year="Polyak, 1964",
    rule=rule,
    reference=reference,
    defaults={"keras": {"lr": 0.01, "momentum": 0.9}, "torch": {"lr": 0.001, "momentum": 0.9}},
    slots=("m",),
    latex={
        "keras": [r"m_t = \beta\, m_{t-1} - \alpha\, g_t", r"\theta_t = \theta_{t-1} + m_t"],
        "torch": [r"m_t = \beta\, m_{t-1} + g_t", r"\theta_t = \theta_{t-1} - \alpha\, m_t"],
    },
    differences=(
        "Keras keeps m in parameter units (α inside it), PyTorch in gradient units (α outside). "
        "With a constant α the paths are identical; they differ only if α changes mid-run."
    ),
)

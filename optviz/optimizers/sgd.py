"""Gradient descent (Cauchy, 1847): step against the gradient, scaled by α."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def rule(g, s0, s1, h, c, torch):
    return h.lr * g, s0, s1


def reference(theta, g, state, t, h, torch):
    step = h["lr"] * g
    return theta - step, state, {"step": step}


OPTIMIZER = Optimizer(
    name="sgd",
    title="GD",
    year="Cauchy, 1847",
    rule=rule,
    reference=reference,
    defaults={"keras": {"lr": 0.01}, "torch": {"lr": 0.001}},
    latex={
        "keras": [r"\theta_t = \theta_{t-1} - \alpha\, g_t, \qquad g_t = \nabla J(\theta_{t-1})"],
        "torch": [r"\theta_t = \theta_{t-1} - \alpha\, g_t, \qquad g_t = \nabla J(\theta_{t-1})"],
    },
    differences="Identical in Keras and PyTorch; only the default α differs (0.01 and 0.001).",
)

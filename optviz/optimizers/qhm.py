"""Quasi-hyperbolic momentum (Ma & Yarats, 2019): a step that mixes an averaged momentum with the
plain gradient, ν of one and 1 − ν of the other (ν = 1 is momentum, ν = 0 gradient descent)."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    (m,) = s
    g = g + h.weight_decay * theta
    w = 1.0 - h.momentum  # torch.lerp, which takes the nearer end for accuracy
    m = m + w * (g - m) if w < 0.5 else g - (g - m) * (1.0 - w)
    theta = theta - h.lr * h.nu * m
    return theta - h.lr * (1.0 - h.nu) * g, (m,)


def reference(theta, g, state, t, h, convention):
    beta, nu = h["momentum"], h["nu"]
    g = g + h["weight_decay"] * theta
    m = beta * state.get("m", 0.0) + (1.0 - beta) * g
    return theta - h["lr"] * (nu * m + (1.0 - nu) * g), {"m": m}, {"m_t": m}


OPTIMIZER = Optimizer(
    name="qhm",
    title="QHM",
    year="Ma & Yarats, 2019",
    hyper=("lr", "momentum", "nu", "weight_decay"),
    slots=("m",),
    rule=rule,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "momentum": 0.0, "nu": 1.0, "weight_decay": 0.0}, "pytorch_optimizer.QHM()",
                            (r"g_t = \nabla J(\theta_{t-1}) + \lambda\, \theta_{t-1}",
                             r"m_t = \beta\, m_{t-1} + (1-\beta)\, g_t",
                             r"\theta_t = \theta_{t-1} - \alpha\left(\nu\, m_t + (1-\nu)\, g_t\right)")),
    },
    differences=(
        "Only pytorch-optimizer has it. Its defaults, β = 0 and ν = 1, make it gradient descent; the authors "
        "suggest β = 0.999 and ν = 0.7."
    ),
)

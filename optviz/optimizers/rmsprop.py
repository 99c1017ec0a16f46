"""RMSProp (Hinton & Tieleman, 2012): AdaGrad with a decaying average, so steps never die out."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def rule(g, s, s1, h, c, torch):
    s = h.rho * s + (1.0 - h.rho) * (g * g)
    if torch:
        return h.lr * g / (np.sqrt(s) + h.epsilon), s, s1
    return h.lr * g / np.sqrt(s + h.epsilon), s, s1


def reference(theta, g, state, t, h, torch):
    rho = h["rho"]
    s = rho * state.get("s", 0.0) + (1.0 - rho) * (g * g)
    denominator = np.sqrt(s) + h["epsilon"] if torch else np.sqrt(s + h["epsilon"])
    step = h["lr"] * g / denominator
    return theta - step, {"s": s}, {"s_t": s, "step": step}


OPTIMIZER = Optimizer(
    name="rmsprop",
    title="RMSProp",
    year="Hinton & Tieleman, 2012",
    rule=rule,
    reference=reference,
    defaults={
        "keras": {"lr": 0.001, "rho": 0.9, "epsilon": 1e-7},
        "torch": {"lr": 0.01, "rho": 0.99, "epsilon": 1e-8},
    },
    slots=("s",),
    latex={
        "keras": [r"s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2", r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t + \varepsilon}}"],
        "torch": [r"s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2", r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t} + \varepsilon}"],
    },
    differences=(
        "Keras puts ε inside the square root, PyTorch outside (no PyTorch setting reproduces Keras "
        "exactly); PyTorch calls ρ `alpha` and defaults it to 0.99, Keras to 0.9. Neither corrects "
        "the bias of s, so the first steps are about α/√(1−ρ) per coordinate."
    ),
)

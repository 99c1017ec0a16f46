"""AdaMax (Kingma & Ba, 2014): Adam with the infinity norm, a running maximum of |g|."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def advance(h, c):
    """c = (β1^t, ·, ·, ·)."""
    return c[0] * h.beta1, c[1], c[2], c[3]


@inner
def rule(g, m, s, h, c, torch):
    m = h.beta1 * m + (1.0 - h.beta1) * g
    if torch:  # ε inside the max, so it stays in the state
        s = max(h.beta2 * s, np.abs(g) + h.epsilon)
        return h.lr / (1.0 - c[0]) * m / s, m, s
    s = max(h.beta2 * s, np.abs(g))
    return h.lr * m / ((1.0 - c[0]) * (s + h.epsilon)), m, s


def reference(theta, g, state, t, h, torch):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    if torch:
        s = np.maximum(beta2 * state.get("s", 0.0), np.abs(g) + eps)
        step = h["lr"] / (1.0 - beta1**t) * m / s
    else:
        s = np.maximum(beta2 * state.get("s", 0.0), np.abs(g))
        step = h["lr"] * m / ((1.0 - beta1**t) * (s + eps))
    details = {"m_t": m, "s_t": s, r"\hat m_t": m / (1.0 - beta1**t), "step": step}
    return theta - step, {"m": m, "s": s}, details


OPTIMIZER = Optimizer(
    name="adamax",
    title="AdaMax",
    year="Kingma & Ba, 2014",
    rule=rule,
    advance=advance,
    reference=reference,
    defaults={
        "keras": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7},
        "torch": {"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    },
    slots=("m", "s"),
    latex={
        "keras": [
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
            r"s_t = \max(\beta_2 s_{t-1},\, |g_t|)",
            r"\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{s_t + \varepsilon}",
        ],
        "torch": [
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
            r"s_t = \max(\beta_2 s_{t-1},\, |g_t| + \varepsilon)",
            r"\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{s_t}",
        ],
    },
    differences=(
        "Keras adds ε to s outside the max; PyTorch adds it to |g| inside the max, so it is carried "
        "in the state. With the same ε they agree while |g| sets the max. PyTorch's default α is 0.002."
    ),
)

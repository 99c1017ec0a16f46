"""Adam (Kingma & Ba, 2014): momentum on a bias-corrected first moment, scaled like RMSProp."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Optimizer


@inner
def advance(h, c):
    """c = (β1^t, β2^t, ·, ·)."""
    return c[0] * h.beta1, c[1] * h.beta2, c[2], c[3]


@inner
def rule(g, m, s, h, c, torch):
    beta1_t, beta2_t = c[0], c[1]
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    if torch:
        m_hat = m / (1.0 - beta1_t)
        s_hat = s / (1.0 - beta2_t)
        return h.lr * m_hat / (np.sqrt(s_hat) + h.epsilon), m, s
    alpha_t = h.lr * np.sqrt(1.0 - beta2_t) / (1.0 - beta1_t)
    return alpha_t * m / (np.sqrt(s) + h.epsilon), m, s


def reference(theta, g, state, t, h, torch):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    details = {"m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat}
    if torch:
        step = h["lr"] * m_hat / (np.sqrt(s_hat) + eps)
    else:
        alpha_t = h["lr"] * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        step = alpha_t * m / (np.sqrt(s) + eps)
        details[r"\alpha_t"] = alpha_t
    return theta - step, {"m": m, "s": s}, {**details, "step": step}


OPTIMIZER = Optimizer(
    name="adam",
    title="Adam",
    year="Kingma & Ba, 2014",
    rule=rule,
    advance=advance,
    reference=reference,
    defaults={
        "keras": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7},
        "torch": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    },
    slots=("m", "s"),
    latex={
        "keras": [
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
            r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2",
            r"\alpha_t = \alpha\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}",
            r"\theta_t = \theta_{t-1} - \frac{\alpha_t\, m_t}{\sqrt{s_t} + \varepsilon}",
        ],
        "torch": [
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
            r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2",
            r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat s_t = \frac{s_t}{1-\beta_2^t}",
            r"\theta_t = \theta_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{\hat s_t} + \varepsilon}",
        ],
    },
    differences=(
        "Keras folds the bias corrections into α_t and adds ε to √s (the paper's ε-hat form); PyTorch "
        "adds ε to the bias-corrected √ŝ. Keras's ε is PyTorch's times √(1−β2^t), so the paths differ "
        "by about 1e-8; their default ε differ too (1e-7 and 1e-8)."
    ),
)

"""Adam (Kingma & Ba, 2014): momentum on a bias-corrected first moment, scaled like RMSProp."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (1.0, 1.0, 0.0)


@inner
def advance(h, c):
    beta1_t, beta2_t = c[0] * h.beta1, c[1] * h.beta2
    return beta1_t, beta2_t, h.lr * np.sqrt(1.0 - beta2_t) / (1.0 - beta1_t)


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta1_t, beta2_t, alpha_t = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    if convention != KERAS:  # PyTorch and optax
        m_hat = m / (1.0 - beta1_t)
        s_hat = s / (1.0 - beta2_t)
        return theta - h.lr * m_hat / (np.sqrt(s_hat) + h.epsilon), (m, s)
    return theta - alpha_t * m / (np.sqrt(s) + h.epsilon), (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    details = {"m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat}
    if convention != "keras":
        theta = theta - h["lr"] * m_hat / (np.sqrt(s_hat) + eps)
    else:
        alpha_t = h["lr"] * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        theta = theta - alpha_t * m / (np.sqrt(s) + eps)
        details[r"\alpha_t"] = alpha_t
    return theta, {"m": m, "s": s}, details


_MOMENTS = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2")
_CORRECTED = (*_MOMENTS, r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat s_t = \frac{s_t}{1-\beta_2^t}",
              r"\theta_t = \theta_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{\hat s_t} + \varepsilon}")

OPTIMIZER = Optimizer(
    name="adam",
    title="Adam",
    year="Kingma & Ba, 2014",
    article=6,
    hyper=("lr", "beta1", "beta2", "epsilon"),
    slots=("m", "s"),
    clock=("beta1_t", "beta2_t", "alpha_t"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}, "keras.optimizers.Adam()",
                            (*_MOMENTS, r"\alpha_t = \alpha\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha_t\, m_t}{\sqrt{s_t} + \varepsilon}")),
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "torch.optim.Adam()",
                            _CORRECTED),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "optax.adam()", _CORRECTED),
    },
    differences=(
        "Keras folds the bias corrections into α_t and adds ε to √s (the paper's ε-hat form); PyTorch "
        "and optax add ε to the bias-corrected √ŝ. Keras's ε is PyTorch's times √(1−β2^t), so the paths "
        "differ by about 1e-8; their default ε differ too (Keras 1e-7, PyTorch and optax 1e-8). optax is "
        "PyTorch's Adam; it has no default α, so optviz takes PyTorch's 0.001."
    ),
)

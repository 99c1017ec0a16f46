"""Yogi (Zaheer et al., 2018): Adam whose second moment moves toward g² by a step of at most
(1 − β2)·g², so a burst of large gradients cannot make it forget a small s at once."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    """Both moments start at the initial accumulator (1e-6 in both libraries), not at 0."""
    return (h.initial_accumulator, h.initial_accumulator), (1.0, 1.0, 0.0, 0.0)


@inner
def advance(h, c):
    beta1_t, beta2_t = c[0] * h.beta1, c[1] * h.beta2
    return beta1_t, beta2_t, h.lr / (1.0 - beta1_t), np.sqrt(1.0 - beta2_t)


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta1_t, beta2_t, alpha_t, root_correction2 = c
    g2 = g * g
    if convention == TORCH:
        theta = theta * (1.0 - h.weight_decay * h.lr)  # decoupled
        m = m + (1.0 - h.beta1) * (g - m)
        s = s + -(1.0 - h.beta2) * np.sign(s - g2) * g2
        return theta - alpha_t * m / (np.sqrt(s) / root_correction2 + h.epsilon), (m, s)
    m = (1.0 - h.beta1) * g + h.beta1 * m
    s = s - (1.0 - h.beta2) * np.sign(s - g2) * g2
    m_hat = m / (1.0 - beta1_t)
    s_hat = s / (1.0 - beta2_t)
    return theta + -h.lr * (m_hat / (np.sqrt(s_hat) + h.epsilon)), (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2 = h["beta1"], h["beta2"]
    if convention == "torch":
        theta = theta * (1.0 - h["weight_decay"] * h["lr"])
    m = beta1 * state.get("m", h["initial_accumulator"]) + (1.0 - beta1) * g
    s = state.get("s", h["initial_accumulator"])
    s = s - (1.0 - beta2) * np.sign(s - g * g) * g * g
    m_hat = m / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    theta = theta - h["lr"] * m_hat / (np.sqrt(s_hat) + h["epsilon"])
    return theta, {"m": m, "s": s}, {"m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat}


_UPDATE = (
    r"m_0 = s_0, \quad m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
    r"s_t = s_{t-1} - (1-\beta_2)\, \operatorname{sign}(s_{t-1} - g_t^2)\, g_t^2",
    r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat s_t = \frac{s_t}{1-\beta_2^t}",
)
_STEP = r"\frac{\alpha\, \hat m_t}{\sqrt{\hat s_t} + \varepsilon}"

OPTIMIZER = Optimizer(
    name="yogi",
    title="Yogi",
    year="Zaheer et al., 2018",
    hyper=("lr", "beta1", "beta2", "epsilon", "initial_accumulator", "weight_decay"),
    slots=("m", "s"),
    clock=("beta1_t", "beta2_t", "alpha_t", "root_correction2"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-3, "initial_accumulator": 1e-6,
                             "weight_decay": 0.0},
                            "pytorch_optimizer.Yogi()",
                            (*_UPDATE, r"\theta_t = (1 - \alpha\lambda)\,\theta_{t-1} - " + _STEP)),
        "optax": Convention({"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-3, "initial_accumulator": 1e-6},
                            "optax.yogi()",
                            (*_UPDATE, r"\theta_t = \theta_{t-1} - " + _STEP)),
    },
    differences=(
        "The same update and defaults: ε = 1e-3 (large, as the paper recommends), and both moments start at "
        "1e-6 (optax.yogi fixes it; its scale_by_yogi takes initial_accumulator_value). pytorch_optimizer "
        "divides √s_t by √(1−β2^t) where optax takes √(s_t/(1−β2^t)), the same up to rounding, and has a "
        "decoupled weight decay (θ shrunk by αλ before the step; λ = 0 by default) that optax lacks. optax "
        "has no default α: optviz takes pytorch_optimizer's 0.01."
    ),
)

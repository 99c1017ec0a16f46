"""AdaBelief (Zhuang et al., 2020): Adam whose second moment tracks how far g strays from m.

Where the gradient agrees with its running average (the optimizer "believes" it), s stays small
and the step is large; where it keeps surprising, the step shrinks.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (1.0, 1.0, 0.0, 0.0)


@inner
def advance(h, c):
    beta1_t, beta2_t = c[0] * h.beta1, c[1] * h.beta2
    return beta1_t, beta2_t, h.lr / (1.0 - beta1_t), np.sqrt(1.0 - beta2_t)


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta1_t, beta2_t, alpha_t, root_correction2 = c
    if convention == TORCH:  # decoupled decay; ε both in the state and outside the root
        theta = theta * (1.0 - h.weight_decay * h.lr)
        m = m + (1.0 - h.beta1) * (g - m)
        r = g - m
        s = s * h.beta2 + (1.0 - h.beta2) * r * r + h.epsilon
        return theta - alpha_t * m / (np.sqrt(s) / root_correction2 + h.epsilon), (m, s)
    m = (1.0 - h.beta1) * g + h.beta1 * m
    r = g - m
    s = (1.0 - h.beta2) * (r * r) + h.beta2 * s + h.epsilon_root
    m_hat = m / (1.0 - beta1_t)
    s_hat = s / (1.0 - beta2_t)
    return theta + -h.lr * (m_hat / (np.sqrt(s_hat) + h.epsilon)), (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    if convention == "torch":
        theta = theta * (1.0 - h["weight_decay"] * h["lr"])
        eps_root = eps
    else:
        eps_root = h["epsilon_root"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g - m) ** 2 + eps_root
    m_hat = m / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    theta = theta - h["lr"] * m_hat / (np.sqrt(s_hat) + eps)
    return theta, {"m": m, "s": s}, {"m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat}


_MOMENTS = r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t"
_HATS = r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat s_t = \frac{s_t}{1-\beta_2^t}"
_STEP = r"\frac{\alpha\, \hat m_t}{\sqrt{\hat s_t} + \varepsilon}"

OPTIMIZER = Optimizer(
    name="adabelief",
    title="AdaBelief",
    year="Zhuang et al., 2020",
    hyper=("lr", "beta1", "beta2", "epsilon", "epsilon_root", "weight_decay"),
    slots=("m", "s"),
    clock=("beta1_t", "beta2_t", "alpha_t", "root_correction2"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-16, "weight_decay": 0.0},
                            "pytorch_optimizer.AdaBelief()",
                            (_MOMENTS, r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \varepsilon", _HATS,
                             r"\theta_t = (1 - \alpha\lambda)\,\theta_{t-1} - " + _STEP)),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-16, "epsilon_root": 1e-16},
                            "optax.adabelief()",
                            (_MOMENTS, r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \varepsilon_r", _HATS,
                             r"\theta_t = \theta_{t-1} - " + _STEP)),
    },
    differences=(
        "The same update. pytorch_optimizer adds its one ε both to s_t (in the state) and to √ŝ_t; optax "
        "names the first one ε_r (eps_root); both default to 1e-16. pytorch_optimizer divides √s_t by "
        "√(1−β2^t) where optax takes √(s_t/(1−β2^t)), the same up to rounding. pytorch_optimizer also has a "
        "decoupled weight decay (θ shrunk by αλ before the step; λ = 0 by default), and rectification and "
        "AMSGrad options, off by default, which optax lacks; optax has a Nesterov option, off by default. "
        "optax has no default α: optviz takes pytorch_optimizer's 0.001."
    ),
)

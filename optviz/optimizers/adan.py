"""Adan (Xie et al., 2022): Nesterov momentum without a look-ahead gradient.

It estimates where the gradient is heading from its last change g_t − g_{t−1}: a third average v
of those differences joins the step, and the second moment n is taken of the gradient pushed
ahead by its difference. The previous gradient is part of the state.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0, 0.0, 0.0), (0.0, 1.0, 1.0, 1.0, 0.0)


@inner
def advance(h, c):
    beta_sq_t = c[3] * h.beta_sq
    return c[0] + 1.0, c[1] * h.beta1, c[2] * h.beta_diff, beta_sq_t, np.sqrt(1.0 - beta_sq_t)


@inner
def rule(theta, g, s, h, c, convention):
    m, v, n, g_prev = s
    t, beta1_t, beta_diff_t, beta_sq_t, root_correction_sq = c
    diff = 0.0 if t == 1.0 else g - g_prev  # no difference on the first step
    if convention == TORCH:
        m = m + (1.0 - h.beta1) * (g - m)
        v = v + (1.0 - h.beta_diff) * (diff - v)
        ahead = diff * h.beta_diff + g
        n = n * h.beta_sq + (1.0 - h.beta_sq) * ahead * ahead
        denominator = np.sqrt(n) / root_correction_sq + h.epsilon
        theta = theta - h.lr / (1.0 - beta1_t) * m / denominator
        theta = theta - h.lr * h.beta_diff / (1.0 - beta_diff_t) * v / denominator
        return theta / (1.0 + h.lr * h.weight_decay), (m, v, n, g)  # proximal decay
    m = (1.0 - h.beta1) * g + h.beta1 * m
    v = (1.0 - h.beta_diff) * diff + h.beta_diff * v
    ahead = g + (1.0 - h.beta_diff) * diff
    n = (1.0 - h.beta_sq) * (ahead * ahead) + h.beta_sq * n
    step = m / (1.0 - beta1_t) + (1.0 - h.beta_diff) * (v / (1.0 - beta_diff_t))
    step = step / (np.sqrt(n / (1.0 - beta_sq_t) + h.epsilon_root) + h.epsilon)
    return theta + -h.lr * (step + h.weight_decay * theta), (m, v, n, g)


def reference(theta, g, state, t, h, convention):
    beta1, beta_diff, beta_sq = h["beta1"], h["beta_diff"], h["beta_sq"]
    lr, wd = h["lr"], h["weight_decay"]
    diff = g - state["g_prev"] if t > 1 else 0.0 * g
    # pytorch_optimizer pushes g ahead by β2·Δg and steps by β2·v̂, as the paper; optax by (1 − β2).
    push = beta_diff if convention == "torch" else 1.0 - beta_diff
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    v = beta_diff * state.get("v", 0.0) + (1.0 - beta_diff) * diff
    n = beta_sq * state.get("n", 0.0) + (1.0 - beta_sq) * (g + push * diff) ** 2
    m_hat, v_hat, n_hat = m / (1.0 - beta1**t), v / (1.0 - beta_diff**t), n / (1.0 - beta_sq**t)
    if convention == "torch":
        theta = (theta - lr * (m_hat + push * v_hat) / (np.sqrt(n_hat) + h["epsilon"])) / (1.0 + lr * wd)
    else:
        step = (m_hat + push * v_hat) / (np.sqrt(n_hat + h["epsilon_root"]) + h["epsilon"])
        theta = theta - lr * (step + wd * theta)
    details = {"m_t": m, "v_t": v, "n_t": n, r"\hat m_t": m_hat, r"\hat v_t": v_hat, r"\hat n_t": n_hat}
    return theta, {"m": m, "v": v, "n": n, "g_prev": g}, details


_AVERAGES = (r"\Delta_t = g_t - g_{t-1} \;(\Delta_1 = 0), \quad m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \quad "
             r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, \Delta_t")
_HATS = (r"\hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}, \quad "
         r"\hat n_t = \frac{n_t}{1-\beta_3^t}")

OPTIMIZER = Optimizer(
    name="adan",
    title="Adan",
    year="Xie et al., 2022",
    hyper=("lr", "beta1", "beta_diff", "beta_sq", "epsilon", "epsilon_root", "weight_decay"),
    slots=("m", "v", "n", "g_prev"),
    clock=("t", "beta1_t", "beta_diff_t", "beta_sq_t", "root_correction_sq"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.98, "beta_diff": 0.92, "beta_sq": 0.99, "epsilon": 1e-8,
                             "weight_decay": 0.0},
                            "pytorch_optimizer.Adan()",
                            (_AVERAGES, r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\,(g_t + \beta_2 \Delta_t)^2", _HATS,
                             r"\theta_t = \left(\theta_{t-1} - \frac{\alpha\,(\hat m_t + \beta_2 \hat v_t)}"
                             r"{\sqrt{\hat n_t} + \varepsilon}\right) \Big/ (1 + \alpha\lambda)")),
        "optax": Convention({"lr": 0.001, "beta1": 0.98, "beta_diff": 0.92, "beta_sq": 0.99, "epsilon": 1e-8,
                             "epsilon_root": 1e-8, "weight_decay": 0.0},
                            "optax.adan()",
                            (_AVERAGES, r"n_t = \beta_3 n_{t-1} + (1-\beta_3)\,(g_t + (1-\beta_2)\, \Delta_t)^2", _HATS,
                             r"\theta_t = \theta_{t-1} - \alpha\left(\frac{\hat m_t + (1-\beta_2)\, \hat v_t}"
                             r"{\sqrt{\hat n_t + \varepsilon_r} + \varepsilon} + \lambda\, \theta_{t-1}\right)")),
    },
    differences=(
        "Same defaults (β = 0.98, 0.92, 0.99, the paper's 0.02, 0.08, 0.01 written as decays), but not the "
        "same update. pytorch_optimizer, like the paper, pushes the gradient ahead by β2·Δ_t in n_t and adds "
        "β2·v̂_t to the step; optax uses (1 − β2) in both places, 0.08 instead of 0.92, so its step leans "
        "far less on the gradient's change. optax also adds ε_r = 1e-8 under the square root (pytorch_optimizer "
        "has only ε outside it), and its weight decay is decoupled, αλθ subtracted, where "
        "pytorch_optimizer's default divides θ by 1 + αλ (the paper's proximal form); λ = 0 by default in "
        "both. pytorch_optimizer's clipping by the global gradient norm (max_grad_norm) is off by default, "
        "and optviz leaves it out: it needs the whole gradient. optax has no default α: optviz takes "
        "pytorch_optimizer's 0.001."
    ),
)

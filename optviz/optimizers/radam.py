"""RAdam (Liu et al., 2020): Adam that waits until its average of g² can be trusted.

In the first steps ŝ rests on a few gradients and its variance is large, so Adam's step is
erratic. RAdam measures how many gradients the average holds, ρ_t (approaching ρ_∞ = 2/(1 − β2) − 1),
and until ρ_t passes a threshold steps with the bias-corrected momentum alone; after, it takes Adam's
step scaled by r_t, which corrects the variance and rises toward 1.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (0.0, 1.0, 1.0, 0.0, 0.0)


@inner
def advance(h, c):
    """The step t, β1^t, β2^t, ρ_t and the rectification r_t, which is not a number while
    2 < ρ_t < 4: a threshold below 4 makes those steps NaN, in optax as here."""
    t, beta1_t, beta2_t = c[0] + 1.0, c[1] * h.beta1, c[2] * h.beta2
    rho_inf = 2.0 / (1.0 - h.beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2_t / (1.0 - beta2_t)
    r_t = np.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
    return t, beta1_t, beta2_t, rho_t, r_t


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    _, beta1_t, beta2_t, rho_t, r_t = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    m_hat = m / (1.0 - beta1_t)
    if convention == TORCH:  # ε on the raw √s, the threshold fixed at ρ_t > 5
        if rho_t > 5.0:
            return theta - m_hat * h.lr * (np.sqrt(1.0 - beta2_t) / (np.sqrt(s) + h.epsilon)) * r_t, (m, s)
        return theta - m_hat * h.lr, (m, s)
    if rho_t >= h.threshold:
        return theta - h.lr * (r_t * m_hat / (np.sqrt(s / (1.0 - beta2_t)) + h.epsilon)), (m, s)
    return theta - h.lr * m_hat, (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)
    details = {"m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat, r"\rho_t": rho_t}
    if (rho_t > 5.0) if convention == "torch" else (rho_t >= h["threshold"]):
        r_t = np.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
        if convention == "torch":
            theta = theta - h["lr"] * r_t * m_hat * np.sqrt(1.0 - beta2**t) / (np.sqrt(s) + eps)
        else:
            theta = theta - h["lr"] * r_t * m_hat / (np.sqrt(s_hat) + eps)
        details["r_t"] = r_t
    else:
        theta = theta - h["lr"] * m_hat
    return theta, {"m": m, "s": s}, details


_SCHEDULE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \quad s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2, \quad "
    r"\hat m_t = \frac{m_t}{1-\beta_1^t}",
    r"\rho_t = \rho_\infty - \frac{2 t\, \beta_2^t}{1-\beta_2^t}, \quad \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad "
    r"r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}",
)

OPTIMIZER = Optimizer(
    name="radam",
    title="RAdam",
    year="Liu et al., 2020",
    hyper=("lr", "beta1", "beta2", "epsilon", "threshold"),
    slots=("m", "s"),
    clock=("t", "beta1_t", "beta2_t", "rho_t", "r_t"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "torch.optim.RAdam()",
                            (*_SCHEDULE,
                             r"\theta_t = \theta_{t-1} - \begin{cases} \alpha\, r_t\, \hat m_t\, "
                             r"\dfrac{\sqrt{1-\beta_2^t}}{\sqrt{s_t} + \varepsilon} & \rho_t > 5 \\ "
                             r"\alpha\, \hat m_t & \text{otherwise} \end{cases}")),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "threshold": 5.0},
                            "optax.radam()",
                            (*_SCHEDULE,
                             r"\theta_t = \theta_{t-1} - \begin{cases} \alpha\, \dfrac{r_t\, \hat m_t}"
                             r"{\sqrt{\hat s_t} + \varepsilon} & \rho_t \ge \rho_{\min} \\ "
                             r"\alpha\, \hat m_t & \text{otherwise} \end{cases}, \quad "
                             r"\hat s_t = \frac{s_t}{1-\beta_2^t}")),
    },
    differences=(
        "PyTorch adds ε to the raw √s_t and then multiplies by √(1−β2^t), optax adds ε to the "
        "bias-corrected √ŝ_t (as their Adams do), so PyTorch's ε weighs more in the first steps. PyTorch "
        "fixes the threshold (ρ_t > 5), optax takes it as a hyper-parameter (ρ_t ≥ 5 by default; the "
        "paper says 4); with β2 = 0.999 both take momentum steps for t ≤ 5. optax has no default α, so "
        "optviz takes PyTorch's 0.001. PyTorch's weight_decay (off by default) is not offered."
    ),
)

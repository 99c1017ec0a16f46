"""QHAdam (Ma & Yarats, 2019): Adam whose numerator and denominator each mix the moment with the
current gradient (ν₁, ν₂); ν₁ = ν₂ = 1 is Adam."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (0.0, 0.0, 0.0, 0.0)


@inner
def advance(h, c):
    """The moments' weights 1/(1 + β + … + β^(t−1)), their bias correction: pytorch-optimizer keeps the
    sums in float32 whatever the parameters' type, and so does this (exactly, to follow it)."""
    one = np.float32(1.0)
    sum1 = np.float32(c[0]) * np.float32(h.beta1) + one
    sum2 = np.float32(c[1]) * np.float32(h.beta2) + one
    return sum1, sum2, one / sum1, one / sum2


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    _, _, w1, w2 = c
    g = g + h.weight_decay * theta
    g2 = g * g
    m = m + w1 * (g - m) if w1 < 0.5 else g - (g - m) * (1.0 - w1)  # torch.lerp, from the nearer end
    s = s + w2 * (g2 - s) if w2 < 0.5 else g2 - (g2 - s) * (1.0 - w2)
    numerator = m * h.nu1 + (1.0 - h.nu1) * g
    denominator = np.sqrt(s * h.nu2 + (1.0 - h.nu2) * g2) + h.epsilon
    return theta - h.lr * numerator / denominator, (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, nu1, nu2 = h["beta1"], h["beta2"], h["nu1"], h["nu2"]
    g = g + h["weight_decay"] * theta
    sums = [np.float32(state.get(k, 0.0) * np.float32(b) + np.float32(1.0)) for k, b in (("sum1", beta1),
                                                                                        ("sum2", beta2))]
    w1, w2 = (float(np.float32(1.0) / x) for x in sums)  # (1 − β)/(1 − β^t), from float32 sums as the library
    m = state.get("m", 0.0) + w1 * (g - state.get("m", 0.0))
    s = state.get("s", 0.0) + w2 * (g * g - state.get("s", 0.0))
    numerator = nu1 * m + (1.0 - nu1) * g
    denominator = np.sqrt(nu2 * s + (1.0 - nu2) * g * g) + h["epsilon"]
    theta = theta - h["lr"] * numerator / denominator
    return theta, {"m": m, "s": s, "sum1": sums[0], "sum2": sums[1]}, {"m_t": m, "s_t": s}


OPTIMIZER = Optimizer(
    name="qhadam",
    title="QHAdam",
    year="Ma & Yarats, 2019",
    hyper=("lr", "beta1", "beta2", "nu1", "nu2", "epsilon", "weight_decay"),
    slots=("m", "s"),
    clock=("sum1", "sum2", "w1", "w2"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "nu1": 1.0, "nu2": 1.0, "epsilon": 1e-8,
                             "weight_decay": 0.0}, "pytorch_optimizer.QHAdam()",
                            (r"g_t = \nabla J(\theta_{t-1}) + \lambda\, \theta_{t-1}",
                             r"m_t = m_{t-1} + \tfrac{1-\beta_1}{1-\beta_1^t}\,(g_t - m_{t-1})",
                             r"s_t = s_{t-1} + \tfrac{1-\beta_2}{1-\beta_2^t}\,(g_t^2 - s_{t-1})",
                             (r"\theta_t = \theta_{t-1} - \alpha\, \frac{\nu_1 m_t + (1-\nu_1)\, g_t}"
                              r"{\sqrt{\nu_2 s_t + (1-\nu_2)\, g_t^2} + \varepsilon}"))),
    },
    differences=(
        "Only pytorch-optimizer has it. Its moments are bias-corrected as they are kept: each moves toward "
        "the new value by (1 − β)/(1 − β^t), a weight it keeps in float32 even for float64 parameters (optviz "
        "follows it, rounding included). Its defaults ν₁ = ν₂ = 1 make it Adam; the authors suggest "
        "ν₁ = 0.7, ν₂ = 1, β₁ = 0.995, β₂ = 0.999."
    ),
)

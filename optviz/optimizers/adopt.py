"""ADOPT (Taniguchi et al., 2024): Adam that normalises g by the second moment of the gradients
before it, not including g itself, and averages the normalised gradients.

Its first step only measures: s starts at g₁², and θ does not move. Later steps clip the
normalised gradient to ±t^¼ (a bound that loosens as the run goes on), which keeps the early steps
from blowing up where s is still small.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (0.0, 0.0, 0.0)


@inner
def advance(h, c):
    """The step t, its clipping bound t^¼ (pytorch_optimizer's) and the one before, (t − 1)^¼
    (optax's, which counts steps from 0)."""
    t = c[0] + 1.0
    return t, t**0.25, c[1]


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    t, clip, clip_previous = c
    if convention == TORCH:
        g = g + h.weight_decay * theta  # coupled decay
        if t == 1.0:
            return theta, (m, s + g * g)
        normalised = min(max(g / max(np.sqrt(s), h.epsilon), -clip), clip)
        m = m + (1.0 - h.beta1) * (normalised - m)
        return theta + -h.lr * m, (m, s * h.beta2 + (1.0 - h.beta2) * g * g)
    if t == 1.0:
        return theta, (m, g * g)
    normalised = min(max(g / max(np.sqrt(s), h.epsilon), -clip_previous), clip_previous)
    m = (1.0 - h.beta1) * normalised + h.beta1 * m
    return theta + -h.lr * m, (m, (1.0 - h.beta2) * (g * g) + h.beta2 * s)


def reference(theta, g, state, t, h, convention):
    if convention == "torch":
        g = g + h["weight_decay"] * theta
    if t == 1:
        return theta, {"m": 0.0 * g, "s": g * g}, {"m_t": 0.0 * g, "s_t": g * g}
    bound = t**0.25 if convention == "torch" else (t - 1) ** 0.25
    m, s = state["m"], state["s"]
    normalised = np.clip(g / np.maximum(np.sqrt(s), h["epsilon"]), -bound, bound)
    m = h["beta1"] * m + (1.0 - h["beta1"]) * normalised
    theta = theta - h["lr"] * m
    s = h["beta2"] * s + (1.0 - h["beta2"]) * g * g
    return theta, {"m": m, "s": s}, {r"\tilde g_t": normalised, "m_t": m, "s_t": s, "c_t": bound}


_STEPS = (
    r"s_1 = g_1^2, \quad \theta_1 = \theta_0 \quad \text{(the first step only measures)}",
    r"\tilde g_t = \operatorname{clip}\!\left(\frac{g_t}{\max(\sqrt{s_{t-1}},\, \varepsilon)},\, \pm c_t\right), \quad "
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, \tilde g_t",
    r"\theta_t = \theta_{t-1} - \alpha\, m_t, \quad s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2",
)

OPTIMIZER = Optimizer(
    name="adopt",
    title="ADOPT",
    year="Taniguchi et al., 2024",
    hyper=("lr", "beta1", "beta2", "epsilon", "weight_decay"),
    slots=("m", "s"),
    clock=("t", "clip", "clip_previous"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.9999, "epsilon": 1e-6, "weight_decay": 0.0},
                            "pytorch_optimizer.ADOPT()",
                            (r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}, \quad c_t = t^{1/4}", *_STEPS)),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.9999, "epsilon": 1e-6},
                            "optax.contrib.adopt()", (r"c_t = (t-1)^{1/4}", *_STEPS)),
    },
    differences=(
        "The same update and defaults (β2 = 0.9999, ε = 1e-6 in a max with √s, clipping on), but the clipping "
        "bound is one step apart: optax counts its steps from 0 and clips step t at (t−1)^¼, "
        "pytorch_optimizer counts from 1 and clips at t^¼ (on the second step: 1 and 2^¼ ≈ 1.19). "
        "pytorch_optimizer also has a weight decay, coupled by default (λθ added to g from the first step "
        "on; λ = 0 by default), which optax lacks; optax has a Nesterov option, off by default. optax has "
        "no default α: optviz takes pytorch_optimizer's 0.001."
    ),
)

"""NAdamW (Dozat, 2016; Loshchilov & Hutter, 2019): optax's Nadam with AdamW's decoupled weight decay."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers import nadam
from optviz.optimizers._base import Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (1.0, 1.0)


@inner
def advance(h, c):
    return c[0] * h.beta1, c[1] * h.beta2


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta1_t, beta2_t = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    m_hat = h.beta1 * m / (1.0 - beta1_t * h.beta1) + (1.0 - h.beta1) * g / (1.0 - beta1_t)
    s_hat = s / (1.0 - beta2_t)
    return theta - h.lr * (m_hat / (np.sqrt(s_hat) + h.epsilon) + h.weight_decay * theta), (m, s)


def reference(theta, g, state, t, h, convention):
    decay = h["lr"] * h["weight_decay"] * theta
    theta, state, details = nadam.reference(theta, g, state, t, h, convention)
    return theta - decay, state, {**details, r"\alpha\lambda\theta_{t-1}": decay}


OPTIMIZER = Optimizer(
    name="nadamw",
    title="NAdamW",
    year="Dozat, 2016; Loshchilov & Hutter, 2019",
    hyper=("lr", "beta1", "beta2", "epsilon", "weight_decay"),
    slots=("m", "s"),
    clock=("beta1_t", "beta2_t"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "optax": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-4},
                            "optax.nadamw()",
                            (*nadam.OPTIMIZER.conventions["optax"].latex[:-1],
                             r"\theta_t = \theta_{t-1} - \alpha \left(\frac{\hat m_t}{\sqrt{\hat s_t} + \varepsilon}"
                             r" + \lambda\, \theta_{t-1}\right)")),
    },
    differences=(
        "optax only: its Nadam (μ = β1 throughout, no warm-up) plus a decoupled decay αλθ, as in its "
        "AdamW. It has no default α; optviz takes PyTorch's NAdam's 0.002."
    ),
)

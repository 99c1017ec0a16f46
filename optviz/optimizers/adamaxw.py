"""AdaMaxW (Kingma & Ba, 2014; Loshchilov & Hutter, 2019): optax's AdaMax with AdamW's decoupled decay."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers import adamax
from optviz.optimizers._base import Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    (beta1_t,) = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = max(h.beta2 * s, np.abs(g) + h.epsilon)
    return theta - h.lr * (m / (1.0 - beta1_t) / s + h.weight_decay * theta), (m, s)


def reference(theta, g, state, t, h, convention):
    decay = h["lr"] * h["weight_decay"] * theta
    theta, state, details = adamax.reference(theta, g, state, t, h, convention)
    return theta - decay, state, {**details, r"\alpha\lambda\theta_{t-1}": decay}


OPTIMIZER = Optimizer(
    name="adamaxw",
    title="AdaMaxW",
    year="Kingma & Ba, 2014; Loshchilov & Hutter, 2019",
    hyper=("lr", "beta1", "beta2", "epsilon", "weight_decay"),
    slots=("m", "s"),
    clock=("beta1_t",),
    rule=rule,
    initial=adamax.initial,
    advance=adamax.advance,
    reference=reference,
    conventions={
        "optax": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-4},
                            "optax.adamaxw()",
                            (*adamax.OPTIMIZER.conventions["optax"].latex[:-1],
                             r"\theta_t = \theta_{t-1} - \alpha \left(\frac{m_t}{(1-\beta_1^t)\, s_t}"
                             r" + \lambda\, \theta_{t-1}\right)")),
    },
    differences=(
        "optax only: its AdaMax (ε inside the max, as PyTorch's) plus a decoupled decay αλθ, as in its "
        "AdamW. It has no default α; optviz takes PyTorch's AdaMax's 0.002."
    ),
)

"""Lion (Chen et al., 2023): a step of the same size α in every coordinate, in the direction of the
sign of a momentum, found by a program search over update rules."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, OPTAX, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    (m,) = s
    beta1, beta2 = h.lion_beta1, h.lion_beta2
    if convention == OPTAX:  # the decay joins the signed step, both scaled by α
        direction = np.sign((1.0 - beta1) * g + beta1 * m)
        m = (1.0 - beta2) * g + beta2 * m
        return theta - h.lr * (direction + h.weight_decay * theta), (m,)
    theta = theta * (1.0 - h.weight_decay * h.lr)  # Keras and PyTorch: θ shrinks first
    if convention == KERAS:
        direction = np.sign(m * beta1 + (1.0 - beta1) * g)
        m = m * beta2 + (1.0 - beta2) * g
        return theta - direction * h.lr, (m,)
    # pytorch-optimizer interpolates with torch.lerp, which takes the nearer end for accuracy
    w = 1.0 - beta1
    direction = np.sign(m + w * (g - m) if w < 0.5 else g - (g - m) * (1.0 - w))
    w = 1.0 - beta2
    m = m + w * (g - m) if w < 0.5 else g - (g - m) * (1.0 - w)
    return theta - h.lr * direction, (m,)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, decay = h["lion_beta1"], h["lion_beta2"], h["weight_decay"]
    m = state.get("m", 0.0)
    direction = np.sign(beta1 * m + (1.0 - beta1) * g)
    m = beta2 * m + (1.0 - beta2) * g
    if convention == "optax":
        theta = theta - h["lr"] * (direction + decay * theta)
    else:
        theta = theta * (1.0 - h["lr"] * decay) - h["lr"] * direction
    return theta, {"m": m}, {"d_t": direction, "m_t": m}


_DIRECTION = r"d_t = \mathrm{sign}\left(\beta_1 m_{t-1} + (1-\beta_1)\, g_t\right)"
_MOMENTUM = r"m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t"
_DECOUPLED = (_DIRECTION, r"\theta_t = (1 - \alpha\lambda)\, \theta_{t-1} - \alpha\, d_t", _MOMENTUM)

OPTIMIZER = Optimizer(
    name="lion",
    title="Lion",
    year="Chen et al., 2023",
    hyper=("lr", "lion_beta1", "lion_beta2", "weight_decay"),
    slots=("m",),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "lion_beta1": 0.9, "lion_beta2": 0.99, "weight_decay": 0.0},
                            "keras.optimizers.Lion()", _DECOUPLED),
        "torch": Convention({"lr": 1e-4, "lion_beta1": 0.9, "lion_beta2": 0.99, "weight_decay": 0.0},
                            "pytorch_optimizer.Lion()", _DECOUPLED),
        "optax": Convention({"lr": 1e-4, "lion_beta1": 0.9, "lion_beta2": 0.99, "weight_decay": 1e-3},
                            "optax.lion()",
                            (_DIRECTION, r"\theta_t = \theta_{t-1} - \alpha\,(d_t + \lambda\, \theta_{t-1})",
                             _MOMENTUM)),
    },
    differences=(
        "The same signed step in all three. optax decays the weights by default (λ = 1e-3), Keras and "
        "pytorch-optimizer do not (λ = 0); all three decouple the decay from the gradient, and αλθ is the same "
        "shrink whether it is applied before the step (Keras, PyTorch) or with it (optax). Default α: Keras "
        "0.001, pytorch-optimizer 1e-4; optax has none, so optviz takes pytorch-optimizer's (the paper "
        "advises an α 3 to 10 times smaller than AdamW's)."
    ),
)

"""AdamW (Loshchilov & Hutter, 2019): Adam with the weight decay taken out of the gradient.

Added to the gradient as an L2 penalty, decay would be divided by √ŝ like the rest, so weights
with large gradients would hardly decay; AdamW shrinks θ by αλθ beside the Adam step instead.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers import adam
from optviz.optimizers._base import OPTAX, TORCH, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta1_t, beta2_t, alpha_t = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    m_hat = m / (1.0 - beta1_t)
    s_hat = s / (1.0 - beta2_t)
    if convention == OPTAX:  # the decay joins the step, from θ before it
        return theta - h.lr * (m_hat / (np.sqrt(s_hat) + h.epsilon) + h.weight_decay * theta), (m, s)
    theta = theta * (1.0 - h.lr * h.weight_decay)  # Keras and PyTorch shrink θ first
    if convention == TORCH:
        return theta - h.lr * m_hat / (np.sqrt(s_hat) + h.epsilon), (m, s)
    return theta - alpha_t * m / (np.sqrt(s) + h.epsilon), (m, s)


def reference(theta, g, state, t, h, convention):
    decay = h["lr"] * h["weight_decay"] * theta
    if convention == "optax":
        theta, state, details = adam.reference(theta, g, state, t, h, convention)
        theta = theta - decay
    else:
        theta, state, details = adam.reference(theta - decay, g, state, t, h, convention)
    return theta, state, {**details, r"\alpha\lambda\theta_{t-1}": decay}


_SHRINK = r"\theta_{t-1} \leftarrow (1 - \alpha\lambda)\, \theta_{t-1}"

OPTIMIZER = Optimizer(
    name="adamw",
    title="AdamW",
    year="Loshchilov & Hutter, 2019",
    hyper=("lr", "beta1", "beta2", "epsilon", "weight_decay"),
    slots=("m", "s"),
    clock=("beta1_t", "beta2_t", "alpha_t"),
    rule=rule,
    initial=adam.initial,
    advance=adam.advance,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "weight_decay": 0.004},
                            "keras.optimizers.AdamW()", (_SHRINK, *adam.OPTIMIZER.conventions["keras"].latex)),
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.01},
                            "torch.optim.AdamW()", (_SHRINK, *adam.OPTIMIZER.conventions["torch"].latex)),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-4},
                            "optax.adamw()",
                            (*adam.OPTIMIZER.conventions["optax"].latex[:-1],
                             r"\theta_t = \theta_{t-1} - \alpha \left(\frac{\hat m_t}{\sqrt{\hat s_t} + \varepsilon}"
                             r" + \lambda\, \theta_{t-1}\right)")),
    },
    differences=(
        "All three decouple the decay and scale it by α, θ ← θ − αλθ beside the Adam step (the paper "
        "scales it by the schedule only, not by α). The step is each library's Adam (Keras's ε-hat form; "
        "PyTorch's and optax's ε on √ŝ). Keras and PyTorch shrink θ before the step, optax adds λθ to the "
        "step: the same θ_t. Their default λ differ 100-fold: Keras 0.004, PyTorch 0.01, optax 1e-4; "
        "optax has no default α, so optviz takes PyTorch's 0.001."
    ),
)

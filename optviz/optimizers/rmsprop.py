"""RMSProp (Hinton & Tieleman, 2012): AdaGrad with a decaying average, so steps never die out."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    (s,) = s
    s = h.rho * s + (1.0 - h.rho) * (g * g)
    if convention == TORCH:
        return theta - h.lr * g / (np.sqrt(s) + h.epsilon), (s,)
    return theta - h.lr * g / np.sqrt(s + h.epsilon), (s,)


def reference(theta, g, state, t, h, convention):
    rho = h["rho"]
    s = rho * state.get("s", 0.0) + (1.0 - rho) * (g * g)
    denominator = np.sqrt(s) + h["epsilon"] if convention == "torch" else np.sqrt(s + h["epsilon"])
    return theta - h["lr"] * g / denominator, {"s": s}, {"s_t": s}


_AVERAGE = r"s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2"
_EPSILON_INSIDE = (_AVERAGE, r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t + \varepsilon}}")

OPTIMIZER = Optimizer(
    name="rmsprop",
    title="RMSProp",
    year="Hinton & Tieleman, 2012",
    article=5,
    hyper=("lr", "rho", "epsilon"),
    slots=("s",),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "rho": 0.9, "epsilon": 1e-7}, "keras.optimizers.RMSprop()", _EPSILON_INSIDE),
        "torch": Convention({"lr": 0.01, "rho": 0.99, "epsilon": 1e-8}, "torch.optim.RMSprop()",
                            (_AVERAGE, r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t} + \varepsilon}")),
        "optax": Convention({"lr": 0.01, "rho": 0.9, "epsilon": 1e-8}, "optax.rmsprop()", _EPSILON_INSIDE),
    },
    differences=(
        "Keras puts ε inside the square root, PyTorch outside (no PyTorch setting reproduces Keras "
        "exactly); PyTorch calls ρ `alpha` and defaults it to 0.99, Keras to 0.9. optax (which calls ρ "
        "`decay`) puts ε inside like Keras and takes Keras's ρ = 0.9 but PyTorch's ε = 1e-8, so it is Keras "
        "with ε = 1e-8; it has no default α, so optviz takes PyTorch's 0.01. None corrects the bias of s, so "
        "the first steps are about α/√(1−ρ) per coordinate."
    ),
)

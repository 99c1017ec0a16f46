"""Adadelta (Zeiler, 2012): RMSProp whose step is measured in the units of θ, by a running average
of the past steps themselves, so that it needs no learning rate (α = 1 in the paper)."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, TORCH, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    s, u = s
    rho, eps = h.rho, h.epsilon
    if convention == KERAS:  # decoupled decay first, then Δ negated before the step
        theta = theta * (1.0 - h.weight_decay * h.lr)
        s = s * rho + (1.0 - rho) * (g * g)
        delta = -(np.sqrt(u + eps) * g / np.sqrt(s + eps))
        u = u * rho + (1.0 - rho) * (delta * delta)
        return theta + h.lr * delta, (s, u)
    g = g + h.weight_decay * theta  # PyTorch and optax: the decay is part of the gradient
    if convention == TORCH:
        s = s * rho + (1.0 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(s + eps) * g
        u = u * rho + (1.0 - rho) * delta * delta
        return theta - h.lr * delta, (s, u)
    s = (1.0 - rho) * (g * g) + rho * s
    delta = np.sqrt(u + eps) / np.sqrt(s + eps) * g
    u = (1.0 - rho) * (delta * delta) + rho * u
    return theta - h.lr * delta, (s, u)


def reference(theta, g, state, t, h, convention):
    rho, eps, decay = h["rho"], h["epsilon"], h["weight_decay"]
    if convention == "keras":
        theta = theta * (1.0 - decay * h["lr"])
    else:
        g = g + decay * theta
    s = rho * state.get("s", 0.0) + (1.0 - rho) * g * g
    delta = np.sqrt(state.get("u", 0.0) + eps) / np.sqrt(s + eps) * g
    u = rho * state.get("u", 0.0) + (1.0 - rho) * delta * delta
    return theta - h["lr"] * delta, {"s": s, "u": u}, {"s_t": s, r"\Delta_t": delta, "u_t": u}


_UPDATE = (
    r"s_t = \rho\, s_{t-1} + (1-\rho)\, g_t^2",
    r"\Delta_t = \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{s_t + \varepsilon}}\, g_t",
    r"u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2",
)
_DECAY_IN_GRADIENT = (r"g_t = \nabla J(\theta_{t-1}) + \lambda\, \theta_{t-1}", *_UPDATE,
                      r"\theta_t = \theta_{t-1} - \alpha\, \Delta_t")

OPTIMIZER = Optimizer(
    name="adadelta",
    title="Adadelta",
    year="Zeiler, 2012",
    hyper=("lr", "rho", "epsilon", "weight_decay"),
    slots=("s", "u"),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "rho": 0.95, "epsilon": 1e-7, "weight_decay": 0.0},
                            "keras.optimizers.Adadelta()",
                            (*_UPDATE, r"\theta_t = (1 - \alpha\lambda)\, \theta_{t-1} - \alpha\, \Delta_t")),
        "torch": Convention({"lr": 1.0, "rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.0}, "torch.optim.Adadelta()",
                            _DECAY_IN_GRADIENT),
        "optax": Convention({"lr": 1.0, "rho": 0.9, "epsilon": 1e-6, "weight_decay": 0.0}, "optax.adadelta()",
                            _DECAY_IN_GRADIENT),
    },
    differences=(
        "The same update in all three; the defaults differ: Keras ρ = 0.95, ε = 1e-7 and α = 0.001, PyTorch and "
        "optax ρ = 0.9, ε = 1e-6 and α = 1 (the paper's: optax's learning_rate=None scales by nothing). PyTorch "
        "and optax add the weight decay λθ to the gradient, so it passes through the adaptive scaling; Keras "
        "shrinks θ by (1 − αλ) before the step."
    ),
)

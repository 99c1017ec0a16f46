"""MADGRAD (Defazio & Jelassi, 2021): dual averaging with a cube-root AdaGrad scale, and momentum
as an average of iterates.

It does not step from θ_{t−1}: it sums the gradients, weighted by w_t = (α + ε)√t, and goes back to
the start θ_0 by that sum over the cube root of the summed squares; θ then moves a share 1 − β of
the way there. θ_0 is kept in the state, set on the first step.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)


@inner
def advance(h, c):
    """The step t and its weight w_t, computed as pytorch_optimizer does and as optax does: optax
    takes √t of its int32 step count in float32, so its w_t is rounded to float32 even in a float64
    run (a relative difference of about 1e-8)."""
    t = c[0] + 1.0
    lr = h.lr + h.epsilon
    return t, lr * t**0.5, float(np.float32(lr) * np.sqrt(np.float32(t)))


@inner
def rule(theta, g, s, h, c, convention):
    s, nu, theta0 = s
    t, weight, weight_float32 = c
    g = g + h.weight_decay * theta  # coupled decay in both libraries
    if t == 1.0:
        theta0 = theta
    if convention == TORCH:
        nu = nu + weight * g * g
        root = nu ** (1.0 / 3.0) + h.epsilon
        if root == 0.0:  # a coordinate that never had a gradient, with ε = 0, stays where it is
            root = np.inf
        s = s + weight * g
        z = theta0 - s / root
        return theta + (1.0 - h.momentum) * (z - theta), (s, nu, theta0)
    nu = nu + weight_float32 * (g * g)
    s = s + weight_float32 * g
    z = theta0 - s / (np.cbrt(nu) + h.epsilon)
    return theta + ((1.0 - h.momentum) * z + h.momentum * theta - theta), (s, nu, theta0)


def reference(theta, g, state, t, h, convention):
    lr, eps, beta = h["lr"], h["epsilon"], h["momentum"]
    g = g + h["weight_decay"] * theta
    weight = (lr + eps) * np.sqrt(t)
    if convention == "optax":
        weight = float(np.float32(np.float32(lr + eps) * np.sqrt(np.float32(t))))
    theta0 = state.get("theta0", theta)
    s = state.get("s", 0.0) + weight * g
    nu = state.get("nu", 0.0) + weight * g * g
    z = theta0 - s / (np.cbrt(nu) + eps)
    theta = beta * theta + (1.0 - beta) * z
    return theta, {"s": s, "nu": nu, "theta0": theta0}, {"w_t": weight, "s_t": s, r"\nu_t": nu, "z_t": z}


_UPDATE = (
    r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}",
    r"s_t = s_{t-1} + w_t\, g_t, \quad \nu_t = \nu_{t-1} + w_t\, g_t^2",
    r"z_t = \theta_0 - \frac{s_t}{\sqrt[3]{\nu_t} + \varepsilon}, \quad "
    r"\theta_t = \beta\, \theta_{t-1} + (1-\beta)\, z_t",
)

OPTIMIZER = Optimizer(
    name="madgrad",
    title="MADGRAD",
    year="Defazio & Jelassi, 2021",
    hyper=("lr", "momentum", "epsilon", "weight_decay"),
    slots=("s", "nu", "theta0"),
    clock=("t", "weight", "weight_float32"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "momentum": 0.9, "epsilon": 1e-6, "weight_decay": 0.0},
                            "pytorch_optimizer.MADGRAD()",
                            (r"w_t = (\alpha + \varepsilon)\sqrt{t}", *_UPDATE)),
        "optax": Convention({"lr": 0.001, "momentum": 0.9, "epsilon": 1e-6, "weight_decay": 0.0},
                            "optax.contrib.madgrad()",
                            (r"w_t = (\alpha + \varepsilon)\sqrt{t} \quad \text{(rounded to float32)}", *_UPDATE)),
    },
    differences=(
        "The same update and defaults (β = 0.9, ε = 1e-6, which is also added to α; weight decay coupled, "
        "λ = 0 by default). optax computes the weight w_t in float32 even in a float64 run (√ of its int32 "
        "step count), so its path departs from pytorch_optimizer's by about 1e-8 relative; optax takes the "
        "cube root with cbrt, pytorch_optimizer with a power 1/3. pytorch_optimizer's decoupled decay option "
        "is off by default. optax has no default α: optviz takes pytorch_optimizer's 0.001."
    ),
)

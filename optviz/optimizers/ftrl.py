"""FTRL-Proximal (McMahan et al., 2013): "follow the regularized leader", the online-learning rule of
click-through models: θ is recomputed each step, in closed form, from the sum z of the gradients,
so that an L1 penalty sets coordinates to exactly zero."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def initial(h):
    return (h.initial_accumulator, 0.0), ()


@inner
def rule(theta, g, s, h, c, convention):
    s, z = s
    s_new = s + g * g
    z = z + ((g + 2.0 * h.l2_shrinkage * theta) - (s_new ** -h.lr_power - s ** -h.lr_power) / h.lr * theta)
    quadratic = s_new ** -h.lr_power / h.lr + 2.0 * (h.l2 + h.ftrl_beta / (2.0 * h.lr))
    return (min(max(z, -h.l1), h.l1) - z) / quadratic, (s_new, z)


def reference(theta, g, state, t, h, convention):
    alpha, power = h["lr"], -h["lr_power"]
    s = state.get("s", h["initial_accumulator"])
    s_new = s + g * g
    sigma = (s_new**power - s**power) / alpha
    z = state.get("z", 0.0) + g + 2.0 * h["l2_shrinkage"] * theta - sigma * theta
    quadratic = (h["ftrl_beta"] + s_new**power) / alpha + 2.0 * h["l2"]
    theta = (np.clip(z, -h["l1"], h["l1"]) - z) / quadratic
    return theta, {"s": s_new, "z": z}, {"s_t": s_new, r"\sigma_t": sigma, "z_t": z}


OPTIMIZER = Optimizer(
    name="ftrl",
    title="FTRL",
    year="McMahan et al., 2013",
    hyper=("lr", "lr_power", "initial_accumulator", "l1", "l2", "l2_shrinkage", "ftrl_beta"),
    slots=("s", "z"),
    rule=rule,
    initial=initial,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "lr_power": -0.5, "initial_accumulator": 0.1, "l1": 0.0, "l2": 0.0,
                             "l2_shrinkage": 0.0, "ftrl_beta": 0.0}, "keras.optimizers.Ftrl()",
                            (r"s_t = s_{t-1} + g_t^2, \quad s_0 = 0.1",
                             r"\sigma_t = \frac{s_t^{-p} - s_{t-1}^{-p}}{\alpha}",
                             r"z_t = z_{t-1} + g_t + 2\lambda_s\, \theta_{t-1} - \sigma_t\, \theta_{t-1}",
                             (r"\theta_t = \frac{\mathrm{clip}(z_t, -\lambda_1, \lambda_1) - z_t}"
                              r"{(\beta + s_t^{-p})/\alpha + 2\lambda_2}"))),
    },
    differences="Only Keras has it. With p = −½ the step of each coordinate is α/(β + √s_t), as in the paper.",
)

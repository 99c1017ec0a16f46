"""signSGD (Bernstein et al., 2018): a step of α in every coordinate, against the gradient's sign."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    return theta - h.lr * np.sign(g), s


def reference(theta, g, state, t, h, convention):
    return theta - h["lr"] * np.sign(g), state, {r"\mathrm{sign}(g_t)": np.sign(g)}


OPTIMIZER = Optimizer(
    name="signsgd",
    title="signSGD",
    year="Bernstein et al., 2018",
    hyper=("lr",),
    rule=rule,
    reference=reference,
    conventions={
        "optax": Convention({"lr": 0.001}, "optax.sign_sgd()",
                            (r"\theta_t = \theta_{t-1} - \alpha\, \mathrm{sign}(g_t)",)),
    },
    differences="Only optax has it, with no default α: optviz takes 0.001, its gradient descent's.",
)

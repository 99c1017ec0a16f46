"""AdaMax (Kingma & Ba, 2014): Adam with the infinity norm, a running maximum of |g|."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0), (1.0,)


@inner
def advance(h, c):
    return (c[0] * h.beta1,)


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    (beta1_t,) = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    if convention != KERAS:  # PyTorch and optax: ε inside the max, so it stays in the state
        s = max(h.beta2 * s, np.abs(g) + h.epsilon)
        return theta - h.lr / (1.0 - beta1_t) * m / s, (m, s)
    s = max(h.beta2 * s, np.abs(g))
    return theta - h.lr * m / ((1.0 - beta1_t) * (s + h.epsilon)), (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    if convention != "keras":
        s = np.maximum(beta2 * state.get("s", 0.0), np.abs(g) + eps)
        theta = theta - h["lr"] / (1.0 - beta1**t) * m / s
    else:
        s = np.maximum(beta2 * state.get("s", 0.0), np.abs(g))
        theta = theta - h["lr"] * m / ((1.0 - beta1**t) * (s + eps))
    return theta, {"m": m, "s": s}, {"m_t": m, "s_t": s, r"\hat m_t": m / (1.0 - beta1**t)}


_EPSILON_IN_THE_MAX = (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t",
                       r"s_t = \max(\beta_2 s_{t-1},\, |g_t| + \varepsilon)",
                       r"\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{s_t}")

OPTIMIZER = Optimizer(
    name="adamax",
    title="AdaMax",
    year="Kingma & Ba, 2014",
    article=7,
    hyper=("lr", "beta1", "beta2", "epsilon"),
    slots=("m", "s"),
    clock=("beta1_t",),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}, "keras.optimizers.Adamax()",
                            (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"s_t = \max(\beta_2 s_{t-1},\, |g_t|)",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{s_t + \varepsilon}")),
        "torch": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "torch.optim.Adamax()",
                            _EPSILON_IN_THE_MAX),
        "optax": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "optax.adamax()",
                            _EPSILON_IN_THE_MAX),
    },
    differences=(
        "Keras adds ε to s outside the max; PyTorch and optax add it to |g| inside the max, so it is "
        "carried in the state. With the same ε they agree while |g| sets the max. optax is PyTorch's "
        "AdaMax; PyTorch's default α is 0.002 (the paper's), which optviz takes for optax, which has none."
    ),
)

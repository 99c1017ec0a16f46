"""Nadam (Dozat, 2016): Adam with Nesterov's look-ahead folded into the first moment.

Its momentum warms up along μ_t = β1 (1 − ½·0.96^(ψt)); Keras fixes ψ = 1, PyTorch defaults
ψ = 0.004, which is the biggest difference between the two libraries' optimizers. optax has no
warm-up: μ_t = β1 throughout, the limit of a fast one.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import OPTAX, Convention, Optimizer


@inner
def initial(h):
    """The clock starts with d = 0.96^ψ, a constant computed once per run."""
    return (0.0, 0.0), (1.0, 1.0, 1.0, 0.96**h.momentum_decay, 1.0)


@inner
def advance(h, c):
    beta2_t, decay_t, mu_product, decay, beta1_t = c
    decay_t = decay_t * decay
    mu_t = h.beta1 * (1.0 - 0.5 * decay_t)
    return beta2_t * h.beta2, decay_t, mu_product * mu_t, decay, beta1_t * h.beta1


@inner
def rule(theta, g, s, h, c, convention):
    m, s = s
    beta2_t, decay_t, mu_product, decay, beta1_t = c
    mu_t = h.beta1 * (1.0 - 0.5 * decay_t)
    mu_next = h.beta1 * (1.0 - 0.5 * decay_t * decay)
    if convention == OPTAX:  # no warm-up
        mu_t, mu_next, mu_product = h.beta1, h.beta1, beta1_t
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    m_hat = mu_next * m / (1.0 - mu_product * mu_next) + (1.0 - mu_t) * g / (1.0 - mu_product)
    s_hat = s / (1.0 - beta2_t)
    return theta - h.lr * m_hat / (np.sqrt(s_hat) + h.epsilon), (m, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2 = h["beta1"], h["beta2"]
    if convention == "optax":
        mu_t, mu_next, mu_product = beta1, beta1, beta1**t
    else:
        psi = h["momentum_decay"]
        mu_t = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state.get("mu_product", 1.0) * mu_t
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g * g)
    m_hat = mu_next * m / (1.0 - mu_product * mu_next) + (1.0 - mu_t) * g / (1.0 - mu_product)
    s_hat = s / (1.0 - beta2**t)
    theta = theta - h["lr"] * m_hat / (np.sqrt(s_hat) + h["epsilon"])
    details = {r"\mu_t": mu_t, "m_t": m, "s_t": s, r"\hat m_t": m_hat, r"\hat s_t": s_hat}
    return theta, {"m": m, "s": s, "mu_product": mu_product}, details


_UPDATE = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \quad s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2",
    r"\hat m_t = \frac{\mu_{t+1}\, m_t}{1 - \Pi_t\, \mu_{t+1}} + \frac{(1-\mu_t)\, g_t}{1 - \Pi_t}, \quad \hat s_t = \frac{s_t}{1-\beta_2^t}",
    r"\theta_t = \theta_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{\hat s_t} + \varepsilon}",
)

OPTIMIZER = Optimizer(
    name="nadam",
    title="Nadam",
    year="Dozat, 2016",
    article=8,
    hyper=("lr", "beta1", "beta2", "epsilon", "momentum_decay"),
    slots=("m", "s"),
    clock=("beta2_t", "decay_t", "mu_product", "decay", "beta1_t"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "momentum_decay": 1.0},
                            "keras.optimizers.Nadam()",
                            (r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t}\right), \quad \Pi_t = \Pi_{t-1}\, \mu_t",
                             *_UPDATE)),
        "torch": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "momentum_decay": 0.004},
                            "torch.optim.NAdam()",
                            (r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{\psi t}\right), \quad \Pi_t = \Pi_{t-1}\, \mu_t",
                             *_UPDATE)),
        "optax": Convention({"lr": 0.002, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "optax.nadam()",
                            (r"\mu_t = \beta_1, \quad \Pi_t = \beta_1^t", *_UPDATE)),
    },
    differences=(
        "Same formula; the momentum schedule differs: Keras warms μ up with 0.96^t (ψ = 1, μ ≈ 0.89 "
        "by step 100), PyTorch with 0.96^(0.004t) (μ still ≈ 0.52 at step 1000). PyTorch with "
        "momentum_decay = 1 reproduces Keras. optax (Adam with nesterov=True) has no warm-up at all: "
        "μ = β1 from the first step, so its first steps lean on m more than either; it has no ψ and no "
        "default α, so optviz takes PyTorch's 0.002, and its ε is 1e-8 like PyTorch's."
    ),
)

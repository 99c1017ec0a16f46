"""AMSGrad (Reddi, Kale & Kumar, 2018): Adam whose denominator never shrinks.

Adam's average of g² can forget a large gradient and let the step grow again; AMSGrad divides by
the largest average seen so far, s^max, so that each coordinate's step size only ever decreases.
The libraries disagree on which average that is: Keras and PyTorch keep the largest raw s and
bias-correct it afterwards, optax keeps the largest bias-corrected ŝ.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers import adam
from optviz.optimizers._base import KERAS, OPTAX, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0, 0.0), (1.0, 1.0, 0.0)


@inner
def rule(theta, g, s, h, c, convention):
    m, s, s_max = s
    beta1_t, beta2_t, alpha_t = c
    m = h.beta1 * m + (1.0 - h.beta1) * g
    s = h.beta2 * s + (1.0 - h.beta2) * (g * g)
    if convention == OPTAX:  # the largest bias-corrected ŝ
        s_max = max(s_max, s / (1.0 - beta2_t))
        s_max_hat = s_max
    else:  # the largest raw s, corrected where it is used
        s_max = max(s_max, s)
        s_max_hat = s_max / (1.0 - beta2_t)
    if convention == KERAS:
        return theta - alpha_t * m / (np.sqrt(s_max) + h.epsilon), (m, s, s_max)
    return theta - h.lr * (m / (1.0 - beta1_t)) / (np.sqrt(s_max_hat) + h.epsilon), (m, s, s_max)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, eps = h["beta1"], h["beta2"], h["epsilon"]
    m = beta1 * state.get("m", 0.0) + (1.0 - beta1) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * (g * g)
    m_hat = m / (1.0 - beta1**t)
    if convention == "optax":
        s_max = np.maximum(state.get("s_max", 0.0), s / (1.0 - beta2**t))
        s_max_hat = s_max
    else:
        s_max = np.maximum(state.get("s_max", 0.0), s)
        s_max_hat = s_max / (1.0 - beta2**t)
    details = {"m_t": m, "s_t": s, "s^{\\max}_t": s_max, r"\hat m_t": m_hat}
    if convention == "keras":
        alpha_t = h["lr"] * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        theta = theta - alpha_t * m / (np.sqrt(s_max) + eps)
        details[r"\alpha_t"] = alpha_t
    else:
        theta = theta - h["lr"] * m_hat / (np.sqrt(s_max_hat) + eps)
    return theta, {"m": m, "s": s, "s_max": s_max}, details


_MOMENTS = adam.OPTIMIZER.conventions["keras"].latex[:2]
_MAX_OF_RAW = r"s^{\max}_t = \max(s^{\max}_{t-1},\, s_t)"

OPTIMIZER = Optimizer(
    name="amsgrad",
    title="AMSGrad",
    year="Reddi, Kale & Kumar, 2018",
    hyper=("lr", "beta1", "beta2", "epsilon"),
    slots=("m", "s", "s_max"),
    clock=("beta1_t", "beta2_t", "alpha_t"),
    rule=rule,
    initial=initial,
    advance=adam.advance,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7},
                            "keras.optimizers.Adam(amsgrad=True)",
                            (*_MOMENTS, _MAX_OF_RAW, r"\alpha_t = \alpha\, \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha_t\, m_t}{\sqrt{s^{\max}_t} + \varepsilon}")),
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
                            "torch.optim.Adam(amsgrad=True)",
                            (*_MOMENTS, _MAX_OF_RAW, r"\hat m_t = \frac{m_t}{1-\beta_1^t}",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha\, \hat m_t}"
                             r"{\sqrt{s^{\max}_t / (1-\beta_2^t)} + \varepsilon}")),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}, "optax.amsgrad()",
                            (*_MOMENTS, r"s^{\max}_t = \max\!\left(s^{\max}_{t-1},\, \frac{s_t}{1-\beta_2^t}\right),"
                                        r" \quad \hat m_t = \frac{m_t}{1-\beta_1^t}",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha\, \hat m_t}{\sqrt{s^{\max}_t} + \varepsilon}")),
    },
    differences=(
        "Keras and PyTorch keep the largest raw s_t and divide it by 1 − β2^t when they use it; optax "
        "keeps the largest bias-corrected ŝ_t. While s_t grows from 0, Keras's and PyTorch's maximum is s_t "
        "itself and they step like Adam; optax's remembers the first gradients in full (ŝ_1 = g_1²), so "
        "after a steep start its steps are smaller than Adam's. "
        "Keras places ε as in its Adam (ε-hat form, default 1e-7), PyTorch and optax on the corrected "
        "root (1e-8); optax has no default α, so optviz takes PyTorch's 0.001."
    ),
)

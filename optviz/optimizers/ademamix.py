"""AdEMAMix (Pagliardini, Ablin & Grangier, 2024): Adam with a second, slow first moment mixed in.

The fast average m1 (β1 = 0.9) reacts to the last few gradients; the slow one m2 (β3 = 0.9999)
remembers thousands, and is added with weight γ without bias correction, so it fills in slowly.
The paper warms γ and β3 up over a run; both libraries leave that schedule off by default, and
so does optviz.
"""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (0.0, 0.0, 0.0), (1.0, 1.0, 0.0, 0.0)


@inner
def advance(h, c):
    beta1_t, beta2_t = c[0] * h.beta1, c[1] * h.beta2
    return beta1_t, beta2_t, 1.0 - beta1_t, np.sqrt(1.0 - beta2_t)


@inner
def rule(theta, g, s, h, c, convention):
    m1, m2, s = s
    beta1_t, beta2_t, correction1, root_correction2 = c
    if convention == TORCH:
        g = g + h.weight_decay * theta  # coupled decay
        m1 = m1 + (1.0 - h.beta1) * (g - m1)
        s = s * h.beta2 + (1.0 - h.beta2) * g * g
        m2 = m2 + (1.0 - h.beta3) * (g - m2)
        step = m1 / correction1 + h.mix * m2
        return theta - h.lr * step / (np.sqrt(s) / root_correction2 + h.epsilon), (m1, m2, s)
    m1 = (1.0 - h.beta1) * g + h.beta1 * m1
    m2 = (1.0 - h.beta3) * g + h.beta3 * m2
    s = (1.0 - h.beta2) * (g * g) + h.beta2 * s
    step = (m1 / correction1 + h.mix * m2) / (np.sqrt(s / (1.0 - beta2_t) + h.epsilon_root) + h.epsilon)
    return theta + -h.lr * (step + h.weight_decay * theta), (m1, m2, s)


def reference(theta, g, state, t, h, convention):
    beta1, beta2, beta3, wd = h["beta1"], h["beta2"], h["beta3"], h["weight_decay"]
    if convention == "torch":
        g = g + wd * theta
    m1 = beta1 * state.get("m1", 0.0) + (1.0 - beta1) * g
    m2 = beta3 * state.get("m2", 0.0) + (1.0 - beta3) * g
    s = beta2 * state.get("s", 0.0) + (1.0 - beta2) * g * g
    m1_hat, s_hat = m1 / (1.0 - beta1**t), s / (1.0 - beta2**t)
    if convention == "torch":
        theta = theta - h["lr"] * (m1_hat + h["mix"] * m2) / (np.sqrt(s_hat) + h["epsilon"])
    else:
        step = (m1_hat + h["mix"] * m2) / (np.sqrt(s_hat + h["epsilon_root"]) + h["epsilon"])
        theta = theta - h["lr"] * (step + wd * theta)
    details = {r"m_{1,t}": m1, r"m_{2,t}": m2, "s_t": s, r"\hat m_{1,t}": m1_hat, r"\hat s_t": s_hat}
    return theta, {"m1": m1, "m2": m2, "s": s}, details


_MOMENTS = (
    r"m_{1,t} = \beta_1 m_{1,t-1} + (1-\beta_1)\, g_t, \quad m_{2,t} = \beta_3 m_{2,t-1} + (1-\beta_3)\, g_t",
    r"s_t = \beta_2 s_{t-1} + (1-\beta_2)\, g_t^2, \quad \hat m_{1,t} = \frac{m_{1,t}}{1-\beta_1^t}, \quad "
    r"\hat s_t = \frac{s_t}{1-\beta_2^t}",
)

OPTIMIZER = Optimizer(
    name="ademamix",
    title="AdEMAMix",
    year="Pagliardini, Ablin & Grangier, 2024",
    hyper=("lr", "beta1", "beta2", "beta3", "mix", "epsilon", "epsilon_root", "weight_decay"),
    slots=("m1", "m2", "s"),
    clock=("beta1_t", "beta2_t", "correction1", "root_correction2"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "beta3": 0.9999, "mix": 5.0, "epsilon": 1e-8,
                             "weight_decay": 0.0},
                            "pytorch_optimizer.AdEMAMix()",
                            (r"g_t \leftarrow g_t + \lambda\, \theta_{t-1}", *_MOMENTS,
                             r"\theta_t = \theta_{t-1} - \frac{\alpha\,(\hat m_{1,t} + \gamma\, m_{2,t})}"
                             r"{\sqrt{\hat s_t} + \varepsilon}")),
        "optax": Convention({"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "beta3": 0.9999, "mix": 5.0, "epsilon": 1e-8,
                             "epsilon_root": 0.0, "weight_decay": 0.0},
                            "optax.contrib.ademamix()",
                            (*_MOMENTS,
                             r"\theta_t = \theta_{t-1} - \alpha\left(\frac{\hat m_{1,t} + \gamma\, m_{2,t}}"
                             r"{\sqrt{\hat s_t + \varepsilon_r} + \varepsilon} + \lambda\, \theta_{t-1}\right)")),
    },
    differences=(
        "The same update and defaults (γ = 5, β3 = 0.9999, ε = 1e-8; the libraries call γ alpha); neither "
        "warms γ and β3 up unless asked (pytorch_optimizer's t_alpha_beta3, optax's schedules). Their weight "
        "decays differ (λ = 0 by default in both): pytorch_optimizer's is coupled, λθ added to g before the "
        "moments, optax's decoupled, αλθ subtracted after the step. optax also takes ε_r under the square "
        "root (0 by default); pytorch_optimizer divides √s_t by √(1−β2^t) where optax takes "
        "√(s_t/(1−β2^t)), the same up to rounding. optax has no default α: optviz takes pytorch_optimizer's "
        "0.001."
    ),
)

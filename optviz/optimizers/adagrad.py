"""AdaGrad (Duchi et al., 2011): each coordinate's step shrinks with its own squared-gradient sum."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import CLOCK_START, Optimizer


@inner
def initial(h):
    return h.initial_accumulator, 0.0, CLOCK_START


@inner
def rule(g, s, s1, h, c, torch):
    s = s + g * g
    if torch:
        return h.lr * g / (np.sqrt(s) + h.epsilon), s, s1
    return h.lr * g / np.sqrt(s + h.epsilon), s, s1


def reference(theta, g, state, t, h, torch):
    s = state.get("s", h["initial_accumulator"]) + g * g
    denominator = np.sqrt(s) + h["epsilon"] if torch else np.sqrt(s + h["epsilon"])
    step = h["lr"] * g / denominator
    return theta - step, {"s": s}, {"s_t": s, "step": step}


OPTIMIZER = Optimizer(
    name="adagrad",
    title="AdaGrad",
    year="Duchi, Hazan & Singer, 2011",
    rule=rule,
    initial=initial,
    reference=reference,
    defaults={
        "keras": {"lr": 0.001, "initial_accumulator": 0.1, "epsilon": 1e-7},
        "torch": {"lr": 0.01, "initial_accumulator": 0.0, "epsilon": 1e-10},
    },
    slots=("s",),
    latex={
        "keras": [r"s_t = s_{t-1} + g_t^2, \quad s_0 = 0.1", r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t + \varepsilon}}"],
        "torch": [r"s_t = s_{t-1} + g_t^2, \quad s_0 = 0", r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t} + \varepsilon}"],
    },
    differences=(
        "Keras puts ε inside the square root and starts the sum at 0.1; PyTorch puts ε outside and "
        "starts at 0. PyTorch with s₀ = 0.1 + 1e-7 and ε = 0 reproduces Keras exactly."
    ),
)

"""AdaGrad (Duchi et al., 2011): each coordinate's step shrinks with its own squared-gradient sum."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import OPTAX, TORCH, Convention, Optimizer


@inner
def initial(h):
    return (h.initial_accumulator,), ()


@inner
def rule(theta, g, s, h, c, convention):
    (s,) = s
    s = s + g * g
    if convention == TORCH:
        return theta - h.lr * g / (np.sqrt(s) + h.epsilon), (s,)
    if convention == OPTAX and s == 0.0:  # optax leaves a coordinate with no sum yet where it is
        return theta, (s,)
    return theta - h.lr * g / np.sqrt(s + h.epsilon), (s,)


def reference(theta, g, state, t, h, convention):
    s = state.get("s", h["initial_accumulator"]) + g * g
    denominator = np.sqrt(s) + h["epsilon"] if convention == "torch" else np.sqrt(s + h["epsilon"])
    if convention == "optax":  # a coordinate with no sum yet stays where it is
        denominator = np.where(s > 0.0, denominator, np.inf)
    return theta - h["lr"] * g / denominator, {"s": s}, {"s_t": s}


_ROOT_OF_SUM_AND_EPSILON = (r"s_t = s_{t-1} + g_t^2, \quad s_0 = 0.1",
                            r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t + \varepsilon}}")

OPTIMIZER = Optimizer(
    name="adagrad",
    title="AdaGrad",
    year="Duchi, Hazan & Singer, 2011",
    article=4,
    hyper=("lr", "initial_accumulator", "epsilon"),
    slots=("s",),
    rule=rule,
    initial=initial,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.001, "initial_accumulator": 0.1, "epsilon": 1e-7}, "keras.optimizers.Adagrad()",
                            _ROOT_OF_SUM_AND_EPSILON),
        "torch": Convention({"lr": 0.01, "initial_accumulator": 0.0, "epsilon": 1e-10}, "torch.optim.Adagrad()",
                            (r"s_t = s_{t-1} + g_t^2, \quad s_0 = 0",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha\, g_t}{\sqrt{s_t} + \varepsilon}")),
        "optax": Convention({"lr": 0.01, "initial_accumulator": 0.1, "epsilon": 1e-7}, "optax.adagrad()",
                            _ROOT_OF_SUM_AND_EPSILON),
    },
    differences=(
        "Keras puts ε inside the square root and starts the sum at 0.1; PyTorch puts ε outside and "
        "starts at 0. PyTorch with s₀ = 0.1 + 1e-7 and ε = 0 reproduces Keras exactly. optax is Keras's "
        "AdaGrad, defaults included, except that it leaves a coordinate whose sum is still 0 in place "
        "(which matters only with s₀ = 0 and ε = 0); it has no default α, so optviz takes PyTorch's 0.01."
    ),
)

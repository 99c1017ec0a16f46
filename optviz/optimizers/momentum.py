"""Momentum (Polyak, 1964): a velocity that remembers past gradients rolls through flat parts."""

from optviz.engine.jit import inner
from optviz.optimizers._base import KERAS, Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    (m,) = s
    if convention == KERAS:  # m in parameter units, α inside it
        m = h.momentum * m - h.lr * g
        return theta + m, (m,)
    m = h.momentum * m + g  # PyTorch and optax: m in gradient units, α applied to the step
    return theta - h.lr * m, (m,)


def reference(theta, g, state, t, h, convention):
    beta, alpha = h["momentum"], h["lr"]
    if convention == "keras":
        m = beta * state.get("m", 0.0) - alpha * g
        theta = theta + m
    else:
        m = beta * state.get("m", 0.0) + g
        theta = theta - alpha * m
    return theta, {"m": m}, {"m_t": m}


_IN_GRADIENT_UNITS = (r"m_t = \beta\, m_{t-1} + g_t", r"\theta_t = \theta_{t-1} - \alpha\, m_t")

OPTIMIZER = Optimizer(
    name="momentum",
    title="Momentum",
    year="Polyak, 1964",
    article=2,
    hyper=("lr", "momentum"),
    slots=("m",),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.01, "momentum": 0.9}, "keras.optimizers.SGD(momentum=0.9)",
                            (r"m_t = \beta\, m_{t-1} - \alpha\, g_t", r"\theta_t = \theta_{t-1} + m_t")),
        "torch": Convention({"lr": 0.001, "momentum": 0.9}, "torch.optim.SGD(momentum=0.9)", _IN_GRADIENT_UNITS),
        "optax": Convention({"lr": 0.001, "momentum": 0.9}, "optax.sgd(momentum=0.9)", _IN_GRADIENT_UNITS),
    },
    differences=(
        "Keras keeps m in parameter units (α inside it), PyTorch and optax in gradient units (α outside). "
        "With a constant α the paths are identical; they differ only if α changes mid-run."
    ),
)

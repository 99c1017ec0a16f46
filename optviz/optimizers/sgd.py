"""Gradient descent (Cauchy, 1847): step against the gradient, scaled by α."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    return theta - h.lr * g, s


def reference(theta, g, state, t, h, convention):
    return theta - h["lr"] * g, state, {}


_UPDATE = (r"\theta_t = \theta_{t-1} - \alpha\, g_t, \qquad g_t = \nabla J(\theta_{t-1})",)

OPTIMIZER = Optimizer(
    name="sgd",
    title="GD",
    year="Cauchy, 1847",
    article=1,
    hyper=("lr",),
    rule=rule,
    reference=reference,
    conventions={
        "keras": Convention({"lr": 0.01}, "keras.optimizers.SGD()", _UPDATE),
        "torch": Convention({"lr": 0.001}, "torch.optim.SGD()", _UPDATE),
        "optax": Convention({"lr": 0.001}, "optax.sgd()", _UPDATE),
    },
    differences="The same in every library; only the default α differs (Keras 0.01, PyTorch 0.001; optax has "
                "none, so optviz takes PyTorch's).",
)

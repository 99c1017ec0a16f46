"""ASGD (Polyak & Juditsky, 1992): gradient descent with a slowly decaying step, η_t = α/(1 + καt)^c,
whose iterates are averaged. The average is a separate estimate that never moves θ; what optviz plots,
like PyTorch's parameter, is the plain iterate."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def initial(h):
    return (), (0.0, 0.0, 0.0)


@inner
def advance(h, c):
    """η_t = α/(1 + κα(t−1))^c, as PyTorch computes it after step t − 1 (η_1 = α), and θ's shrink."""
    eta = h.lr / ((1.0 + h.lambd * h.lr * c[0]) ** h.decay_power)
    return c[0] + 1.0, eta, 1.0 - h.lambd * eta


@inner
def rule(theta, g, s, h, c, convention):
    _, eta, shrink = c
    g = g + h.weight_decay * theta
    return theta * shrink - eta * g, s


def reference(theta, g, state, t, h, convention):
    alpha, kappa = h["lr"], h["lambd"]
    eta = alpha / (1.0 + kappa * alpha * (t - 1)) ** h["decay_power"]
    g = g + h["weight_decay"] * theta
    return theta * (1.0 - kappa * eta) - eta * g, state, {r"\eta_t": eta}


OPTIMIZER = Optimizer(
    name="asgd",
    title="ASGD",
    year="Polyak & Juditsky, 1992",
    hyper=("lr", "lambd", "decay_power", "weight_decay"),
    clock=("t", "eta", "shrink"),
    rule=rule,
    initial=initial,
    advance=advance,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.01, "lambd": 1e-4, "decay_power": 0.75, "weight_decay": 0.0},
                            "torch.optim.ASGD()",
                            (r"\eta_t = \frac{\alpha}{\left(1 + \kappa\, \alpha\, (t-1)\right)^{c}}",
                             r"g_t = \nabla J(\theta_{t-1}) + \lambda\, \theta_{t-1}",
                             r"\theta_t = (1 - \kappa\, \eta_t)\, \theta_{t-1} - \eta_t\, g_t")),
    },
    differences=(
        "Only PyTorch has it (its lambd is κ here, its alpha is c). PyTorch also keeps the average of the "
        "iterates, starting at step t0 (10⁶ by default), as a separate estimate: it never moves θ, so optviz "
        "neither keeps it nor takes t0."
    ),
)

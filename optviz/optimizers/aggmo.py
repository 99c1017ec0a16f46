"""Aggregated momentum (Lucas et al., 2019): several momentum buffers at once, one per β, and a step
along their average; the fast buffers damp the oscillations the slow ones cause."""

from optviz.engine.jit import inner
from optviz.optimizers._base import Convention, Optimizer


@inner
def rule(theta, g, s, h, c, convention):
    m1, m2, m3 = s
    g = g + h.weight_decay * theta
    step = -h.lr / 3.0
    m1 = m1 * h.momentum1 + g
    theta = theta + step * m1
    m2 = m2 * h.momentum2 + g
    theta = theta + step * m2
    m3 = m3 * h.momentum3 + g
    return theta + step * m3, (m1, m2, m3)


def reference(theta, g, state, t, h, convention):
    g = g + h["weight_decay"] * theta
    buffers = {f"m{k}": h[f"momentum{k}"] * state.get(f"m{k}", 0.0) + g for k in (1, 2, 3)}
    theta = theta - h["lr"] / 3 * sum(buffers.values())
    return theta, buffers, {f"{slot}_t": m for slot, m in buffers.items()}


OPTIMIZER = Optimizer(
    name="aggmo",
    title="AggMo",
    year="Lucas, Sun, Zemel & Grosse, 2019",
    hyper=("lr", "momentum1", "momentum2", "momentum3", "weight_decay"),
    slots=("m1", "m2", "m3"),
    rule=rule,
    reference=reference,
    conventions={
        "torch": Convention({"lr": 0.001, "momentum1": 0.0, "momentum2": 0.9, "momentum3": 0.99,
                             "weight_decay": 0.0}, "pytorch_optimizer.AggMo()",
                            (r"g_t = \nabla J(\theta_{t-1}) + \lambda\, \theta_{t-1}",
                             r"m_{k,t} = \beta_k\, m_{k,t-1} + g_t, \quad k = 1, 2, 3",
                             r"\theta_t = \theta_{t-1} - \frac{\alpha}{3} \sum_{k=1}^{3} m_{k,t}")),
    },
    differences=(
        "Only pytorch-optimizer has it, with the three buffers of its default betas (0, 0.9, 0.99); the "
        "first, with β = 0, is the gradient itself. pytorch-optimizer keys the buffers by their β, so two "
        "equal β share one buffer there; optviz keeps three."
    ),
)

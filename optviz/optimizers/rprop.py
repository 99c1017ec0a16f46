"""Rprop (Riedmiller & Braun, 1993): each coordinate keeps its own step size d, grows it while the
gradient keeps its sign and shrinks it when the sign flips; the gradient's size is ignored."""

import numpy as np

from optviz.engine.jit import inner
from optviz.optimizers._base import TORCH, Convention, Optimizer


@inner
def initial(h):
    return (h.lr, 0.0, 0.0), ()


@inner
def rule(theta, g, s, h, c, convention):
    d, p, u = s
    if convention == TORCH:  # p: the last gradient, set to 0 after a sign change
        agreement = g * p
        if agreement > 0.0:
            d = d * h.eta_plus
        elif agreement < 0.0:
            d = d * h.eta_minus
        d = min(max(d, h.min_step_size), h.max_step_size)
        if agreement < 0.0:
            g = 0.0
        return theta - np.sign(g) * d, (d, g, u)
    # optax: u is the step proposed last time, taken now unless the sign flipped
    agreement = g * u
    if agreement != 0.0:
        d = min(max(d * (h.eta_plus if agreement > 0.0 else h.eta_minus), h.min_step_size), h.max_step_size)
    if agreement < 0.0:
        return theta, (d, p, 0.0)
    return theta - u, (d, p, d * np.sign(g))


def reference(theta, g, state, t, h, convention):
    d = state.get("d", np.full_like(theta, h["lr"]))
    p, u = state.get("p", np.zeros_like(theta)), state.get("u", np.zeros_like(theta))
    clip = (h["min_step_size"], h["max_step_size"])
    if convention == "torch":
        agreement = g * p
        d = np.clip(d * np.where(agreement > 0, h["eta_plus"], np.where(agreement < 0, h["eta_minus"], 1.0)), *clip)
        p = np.where(agreement < 0, 0.0, g)
        step = d * np.sign(p)
    else:
        agreement = g * u
        d = np.where(agreement == 0, d, np.clip(d * np.where(agreement > 0, h["eta_plus"], h["eta_minus"]), *clip))
        step = np.where(agreement < 0, 0.0, u)
        u = np.where(agreement < 0, 0.0, d * np.sign(g))
    details = {"d_t": d, "p_t": p} if convention == "torch" else {"d_t": d, "u_t": u}
    return theta - step, {"d": d, "p": p, "u": u}, details


_DEFAULTS = {"lr": 0.01, "eta_minus": 0.5, "eta_plus": 1.2, "min_step_size": 1e-6, "max_step_size": 50.0}
_STEP_SIZE = r"d_t = \mathrm{clip}(\eta_\pm\, d_{t-1},\ d_{\min},\ d_{\max}), \quad d_0 = \alpha"

OPTIMIZER = Optimizer(
    name="rprop",
    title="Rprop",
    year="Riedmiller & Braun, 1993",
    hyper=("lr", "eta_minus", "eta_plus", "min_step_size", "max_step_size"),
    slots=("d", "p", "u"),
    rule=rule,
    initial=initial,
    reference=reference,
    conventions={
        "torch": Convention(_DEFAULTS, "torch.optim.Rprop()", (
            r"\eta_\pm = \eta_+,\ \eta_-,\ 1 \text{ as } g_t\, p_{t-1} > 0,\ < 0,\ = 0",
            _STEP_SIZE,
            r"p_t = 0 \text{ if } g_t\, p_{t-1} < 0, \text{ else } g_t",
            r"\theta_t = \theta_{t-1} - d_t\, \mathrm{sign}(p_t)")),
        "optax": Convention(_DEFAULTS, "optax.rprop()", (
            r"\eta_\pm = \eta_+,\ \eta_- \text{ as } g_t\, u_{t-1} > 0,\ < 0",
            _STEP_SIZE,
            r"d_t = d_{t-1} \text{ instead if } g_t\, u_{t-1} = 0",
            r"u_t = 0 \text{ if } g_t\, u_{t-1} < 0, \text{ else } d_t\, \mathrm{sign}(g_t)",
            r"\theta_t = \theta_{t-1} - (0 \text{ if } g_t\, u_{t-1} < 0, \text{ else } u_{t-1})")),
    },
    differences=(
        "PyTorch steps by d_t sign(g_t) at once. optax (0.2.8) takes at step t the step it proposed at t − 1, "
        "d_{t−1} sign(g_{t−1}), unless the sign has flipped: its first step does not move, and every step "
        "lags one behind. optax also leaves d unclipped when g_t u_{t−1} = 0. optax has no default α (the "
        "initial step size); optviz takes PyTorch's, 0.01. The slot p is PyTorch's, u optax's."
    ),
)

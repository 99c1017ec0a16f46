"""Every hyper-parameter any optimizer takes, described once: what the engine accepts, what the lab
offers and how its widget moves, its symbol in the article's notation, and its meaning.

The lab's widgets, the link parser's clamping, the legends and the engine's checks all read this
table; an optimizer names the hyper-parameters it takes, in the order its rule reads them.

A name means one thing: where libraries use one keyword for different things (``alpha``, say), each
meaning gets a name of its own here, and the optimizer's convention names the library call it
follows.
"""

from dataclasses import dataclass
from math import isfinite

import numpy as np

#: The α slider's stops: 1, 1.5, 2, 3, 5, 7 per decade, from 1e-5 to 10.
LR_STOPS = tuple(float(f"{m * 10.0 ** e:.3g}") for e in range(-5, 2) for m in (1, 1.5, 2, 3, 5, 7)
                 if 1e-5 <= m * 10.0 ** e <= 10.0)
#: Stops for the small positive constants (ε and the like): 0, then every decade up to 1.
DECADE_STOPS = (0.0, *(10.0 ** e for e in range(-16, 1)))


@dataclass(frozen=True)
class HyperParameter:
    """One hyper-parameter: ``low <= x <= high`` (strict where ``open_low``/``open_high``) in the
    engine; ``lab`` the narrower range the lab's widgets and links allow; ``scale`` how its widget
    moves ("log": over ``stops``; "linear": in steps of ``step``); ``quiet`` if legends show it only
    when it differs from its default or between runs."""

    name: str
    symbol: str  # LaTeX, in the article's notation
    meaning: str
    low: float
    high: float
    lab: tuple
    scale: str = "linear"
    stops: tuple = ()
    step: float = 0.001
    open_low: bool = False
    open_high: bool = False
    quiet: bool = False

    def contains(self, x: float) -> bool:
        above = x > self.low if self.open_low else x >= self.low
        below = x < self.high if self.open_high else x <= self.high
        return isfinite(x) and above and below

    def contains_all(self, values: np.ndarray) -> np.ndarray:
        """:meth:`contains` for every value of an array at once (a map checks 40,000 of them)."""
        above = values > self.low if self.open_low else values >= self.low
        below = values < self.high if self.open_high else values <= self.high
        return np.isfinite(values) & above & below

    def describe(self) -> str:
        return f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"


def _decay(name, symbol, meaning, lab_high=0.999, **more) -> HyperParameter:
    """A decay rate in [0, 1): the betas and their kin."""
    step = 0.0001 if lab_high > 0.999 else 0.001
    return HyperParameter(name, symbol, meaning, 0.0, 1.0, (0.0, lab_high), step=step, open_high=True, **more)


def _small(name, symbol, meaning, high=1.0, lab_high=1.0, **more) -> HyperParameter:
    """A small non-negative constant that moves by decades (ε, weight decay, …)."""
    return HyperParameter(name, symbol, meaning, 0.0, high, (0.0, lab_high), scale="log",
                          stops=tuple(s for s in DECADE_STOPS if s <= lab_high), **more)


HYPERS = {h.name: h for h in (
    HyperParameter("lr", r"\alpha", "learning rate", 0.0, 1000.0, (1e-5, 10.0), scale="log", stops=LR_STOPS,
                   open_low=True),
    HyperParameter("momentum", r"\beta", "momentum (friction is 1 − β)", 0.0, 1.0,
                   (0.0, 0.999)),
    HyperParameter("rho", r"\rho", "decay of the squared-gradient average", 0.0, 1.0, (0.0, 0.999)),
    _decay("beta1", r"\beta_1", "decay of the first moment"),
    _decay("beta2", r"\beta_2", "decay of the second moment", lab_high=0.9999),
    _small("epsilon", r"\varepsilon", "keeps the denominator away from 0", quiet=True),
    HyperParameter("initial_accumulator", "s_0", "starting value of the accumulator", 0.0, 1000.0, (0.0, 10.0),
                   step=0.01, quiet=True),
    HyperParameter("momentum_decay", r"\psi", "speed of Nadam's momentum warm-up", 0.0, 100.0, (0.0, 10.0),
                   step=0.001, quiet=True),
    HyperParameter("weight_decay", r"\lambda",
                   "weight decay: each step also pulls θ toward 0 by αλθ, decoupled from the gradient's scaling "
                   "(or coupled, added to g, where the optimizer's notes say so)",
                   0.0, 1000.0, (0.0, 1.0), scale="log", quiet=True,
                   stops=(0.0, *(float(f"{m}e{e}") for e in range(-5, 0) for m in (1, 2, 5)), 1.0)),
    HyperParameter("threshold", r"\rho_{\min}",
                   "RAdam's threshold: once ρ_t (the length of the moving average of g²) reaches it, the step is "
                   "adaptive, rectified; before, it is the bias-corrected momentum alone",
                   0.0, 1000.0, (4.0, 50.0), step=0.5, quiet=True),
    _decay("lion_beta1", r"\beta_1", "Lion: the momentum's share in the step's direction sign(β₁m + (1−β₁)g)"),
    _decay("lion_beta2", r"\beta_2", "Lion: decay of the momentum m"),
    HyperParameter("lr_power", "p", "FTRL: the power of the accumulator in the step, α/s^(−p) (0: a fixed step)",
                   -10.0, 0.0, (-1.0, 0.0), step=0.01, quiet=True),
    _small("l1", r"\lambda_1", "FTRL: L1 strength; a coordinate whose |z| stays below it is exactly 0", high=1000.0,
           quiet=True),
    _small("l2", r"\lambda_2", "FTRL: L2 strength, a stabilizing penalty in the step's denominator", high=1000.0,
           quiet=True),
    _small("l2_shrinkage", r"\lambda_s", "FTRL: L2 shrinkage, a magnitude penalty 2λθ added to the gradient",
           high=1000.0, quiet=True),
    HyperParameter("ftrl_beta", r"\beta", "FTRL-Proximal's β: the per-coordinate step is α/(β + √s)", 0.0, 1000.0,
                   (0.0, 10.0), step=0.01, quiet=True),
    HyperParameter("eta_minus", r"\eta_-", "Rprop: the factor a coordinate's step shrinks by when its gradient "
                   "changes sign", 0.0, 1.0, (0.01, 0.99), step=0.01, open_low=True, open_high=True),
    HyperParameter("eta_plus", r"\eta_+", "Rprop: the factor a coordinate's step grows by while its gradient keeps "
                   "its sign", 1.0, 100.0, (1.01, 3.0), step=0.01, open_low=True),
    _small("min_step_size", r"d_{\min}", "Rprop: the smallest step a coordinate takes", high=1000.0, quiet=True),
    HyperParameter("max_step_size", r"d_{\max}", "Rprop: the largest step a coordinate takes", 0.0, 1e6,
                   (1e-3, 1e3), scale="log", stops=tuple(10.0**e for e in range(-3, 4)), quiet=True),
    _small("lambd", r"\kappa", "ASGD's decay term: shrinks θ by (1 − κη_t) each step and slows η_t's decay",
           quiet=True),
    HyperParameter("decay_power", "c", "ASGD: the power of the step's decay, η_t = α/(1 + καt)^c", 0.0, 10.0,
                   (0.0, 2.0), step=0.01, quiet=True),
    HyperParameter("gradient_weight", "a", "optimistic GD: the weight of the gradient g_t in the step", 0.0, 100.0,
                   (0.0, 3.0), step=0.01),
    HyperParameter("optimism", "b", "optimistic GD: the weight of the gradient's change g_t − g_{t−1} (a negative "
                   "momentum)", 0.0, 100.0, (0.0, 3.0), step=0.01),
    HyperParameter("nu", r"\nu", "quasi-hyperbolic: the momentum's share in the step (the rest is the gradient)",
                   0.0, 1.0, (0.0, 1.0), step=0.01),
    HyperParameter("nu1", r"\nu_1", "QHAdam: the first moment's share in the numerator (the rest is g)", 0.0, 1.0,
                   (0.0, 1.0), step=0.01),
    HyperParameter("nu2", r"\nu_2", "QHAdam: the second moment's share under the root (the rest is g²)", 0.0, 1.0,
                   (0.0, 1.0), step=0.01),
    *(HyperParameter(f"momentum{k}", rf"\beta_{k}", f"AggMo: decay of momentum buffer {k}", 0.0, 1.0, (0.0, 0.999))
      for k in (1, 2, 3)),
    _small("epsilon_root", r"\varepsilon_r", "keeps the second moment under the square root away from 0",
           quiet=True),
    _decay("beta_diff", r"\beta_2", "decay of the average of gradient differences (Adan)"),
    _decay("beta_sq", r"\beta_3", "decay of the average of squared look-ahead gradients (Adan)"),
    _decay("beta3", r"\beta_3", "decay of the slow first moment", lab_high=0.9999),
    HyperParameter("mix", r"\gamma", "weight of the slow first moment in the step (AdEMAMix's α)", 0.0, 1000.0,
                   (0.0, 20.0), step=0.1),
)}


def get(name: str) -> HyperParameter:
    """The hyper-parameter called ``name``; a ValueError lists the known ones."""
    try:
        return HYPERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown hyper-parameter {name!r}; known: {', '.join(HYPERS)}") from None

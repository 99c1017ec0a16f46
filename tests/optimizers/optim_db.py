"""The optimizer database: one record per registry entry, everything the tests need to know of it.

A record names how each of the optimizer's libraries builds it (``keras``, ``torch``, ``optax``:
a function of the library module, the hyper-parameters to set, and for torch the parameters), the
cases its paths are compared on, golden values where a trusted source gave them, and an α with
which it reaches the bottom of the bowl. The registry-driven tests in test_optimizers.py run every
record; a new optimizer adds a record here and nothing else.

The factories receive optviz's hyper-parameter names and map them to the library's keywords with
:func:`keywords`; the tests call them with ``lr`` alone (so that every other default is the
library's own, which optviz's convention must match) and with every hyper-parameter set to a
value away from its default (``varied``, so that each one is wired to the right keyword).
"""

from dataclasses import dataclass, field

import pytest

#: (surface, start, lr): where paths are compared, 150 steps each.
CASES = (("rosenbrock", (-1.2, 1.0), 0.001), ("himmelblau", (1.0, 1.0), 0.001), ("booth", (-8.0, -6.0), 0.01))


@dataclass(frozen=True)
class Record:
    name: str
    keras: object = None  # (keras, h) -> a keras.optimizers.Optimizer
    torch: object = None  # (torch, params, h) -> a torch.optim.Optimizer (torch.optim or pytorch_optimizer)
    optax: object = None  # (optax, h) -> an optax.GradientTransformation
    varied: dict = field(default_factory=dict)  # convention -> every hyper-parameter, away from its default
    cases: tuple = CASES
    bowl_lr: float = 0.05  # reaches the bowl's minimum within 2000 steps from (-1.6, 1.2)
    golden: dict = field(default_factory=dict)  # convention -> {(surface, start, lr, step): (x, y)}
    rtol: float = 1e-9  # relative deviation allowed from the library, over the cases

    def library(self, convention):
        return getattr(self, convention)


def keywords(h: dict, **mapping) -> dict:
    """The library's keyword arguments for the hyper-parameters in ``h``: ``mapping`` maps each
    library keyword to an optviz name, or to a tuple of names for a tuple argument (torch's
    ``betas``), which is passed only when all of its names are in ``h``."""
    out = {}
    for keyword, name in mapping.items():
        if isinstance(name, tuple):
            if all(n in h for n in name):
                out[keyword] = tuple(h[n] for n in name)
        elif name in h:
            out[keyword] = h[name]
    return out


def _pytorch_optimizer(name: str, **mapping):
    """A torch factory for the pytorch_optimizer class ``name`` (for optimizers torch.optim lacks),
    its keywords mapped from optviz's names as :func:`keywords` does; skipped if it is not installed."""

    def build(torch, params, h):
        return getattr(pytest.importorskip("pytorch_optimizer"), name)(params, **keywords(h, **mapping))

    return build


def _optax_yogi(optax, h):
    """optax.yogi, or, when the initial accumulator is set, what optax.yogi is made of: it fixes that
    value at 1e-6, which its scale_by_yogi takes."""
    if "initial_accumulator" not in h:
        return optax.yogi(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon"))
    return optax.chain(optax.scale_by_yogi(**keywords(h, b1="beta1", b2="beta2", eps="epsilon",
                                                      initial_accumulator_value="initial_accumulator")),
                       optax.scale_by_learning_rate(h["lr"]))


def _record(*records):
    return {r.name: r for r in records}


# Real Keras 3.15.1, float64, Rosenbrock from (-1.2, 1), η = 0.001.
_ROSENBROCK = ("rosenbrock", (-1.2, 1.0), 0.001)


def _golden(first, last):
    return {"keras": {(*_ROSENBROCK, 1): first, (*_ROSENBROCK, 300): last}}


RECORDS = _record(
    Record(
        "sgd",
        keras=lambda keras, h: keras.optimizers.SGD(h["lr"]),
        torch=lambda torch, p, h: torch.optim.SGD(p, h["lr"]),
        optax=lambda optax, h: optax.sgd(h["lr"]),
        bowl_lr=0.1,
        golden=_golden((-0.9843999999999999, 1.088), (-0.7589977574248105, 0.5841573147440575)),
    ),
    Record(
        "momentum",
        keras=lambda keras, h: keras.optimizers.SGD(h["lr"], momentum=h.get("momentum", 0.9)),
        torch=lambda torch, p, h: torch.optim.SGD(p, h["lr"], momentum=h.get("momentum", 0.9)),
        optax=lambda optax, h: optax.sgd(h["lr"], momentum=h.get("momentum", 0.9)),
        varied={c: {"lr": 0.002, "momentum": 0.8} for c in ("keras", "torch", "optax")},
        golden=_golden((-0.9843999999999999, 1.088), (0.8908107503268673, 0.793076748655088)),
    ),
    Record(
        "nesterov",
        keras=lambda keras, h: keras.optimizers.SGD(h["lr"], momentum=h.get("momentum", 0.9), nesterov=True),
        torch=lambda torch, p, h: torch.optim.SGD(p, h["lr"], momentum=h.get("momentum", 0.9), nesterov=True),
        optax=lambda optax, h: optax.sgd(h["lr"], momentum=h.get("momentum", 0.9), nesterov=True),
        varied={c: {"lr": 0.002, "momentum": 0.8} for c in ("keras", "torch", "optax")},
        golden=_golden((-0.79036, 1.1672), (0.8695100146787423, 0.7554823818666478)),
    ),
    Record(
        "adagrad",
        keras=lambda keras, h: keras.optimizers.Adagrad(**keywords(
            h, learning_rate="lr", initial_accumulator_value="initial_accumulator", epsilon="epsilon")),
        torch=lambda torch, p, h: torch.optim.Adagrad(p, **keywords(
            h, lr="lr", initial_accumulator_value="initial_accumulator", eps="epsilon")),
        optax=lambda optax, h: optax.adagrad(**keywords(
            h, learning_rate="lr", initial_accumulator_value="initial_accumulator", eps="epsilon")),
        varied={c: {"lr": 0.02, "initial_accumulator": 0.3, "epsilon": 1e-5} for c in ("keras", "torch", "optax")},
        bowl_lr=0.5,
        golden=_golden((-1.199000001075653, 1.0009999935434446), (-1.1685320274256683, 1.0315854469121586)),
    ),
    Record(
        "rmsprop",
        keras=lambda keras, h: keras.optimizers.RMSprop(**keywords(h, learning_rate="lr", rho="rho", epsilon="epsilon")),
        torch=lambda torch, p, h: torch.optim.RMSprop(p, **keywords(h, lr="lr", alpha="rho", eps="epsilon")),
        optax=lambda optax, h: optax.rmsprop(**keywords(h, learning_rate="lr", decay="rho", eps="epsilon")),
        # At α = 0.002 this path bounces across the valley and turns a 1-ulp change of the start into 1e-3
        # by step 150; optax's 1/√ (XLA's rsqrt, within an ulp but not correctly rounded) rounds
        # differently from √ then ÷, so the optax run takes α = 0.001, where the path is smooth.
        varied={**{c: {"lr": 0.002, "rho": 0.8, "epsilon": 1e-5} for c in ("keras", "torch")},
                "optax": {"lr": 0.001, "rho": 0.8, "epsilon": 1e-5}},
        bowl_lr=0.005,  # no bias correction: it keeps taking steps of about α near the minimum
        golden=_golden((-1.1968377223398656, 1.0031622776599642), (-0.9968204953971583, 1.0020203556499612)),
    ),
    Record(
        "adam",
        keras=lambda keras, h: keras.optimizers.Adam(**keywords(
            h, learning_rate="lr", beta_1="beta1", beta_2="beta2", epsilon="epsilon")),
        torch=lambda torch, p, h: torch.optim.Adam(p, **keywords(h, lr="lr", betas=("beta1", "beta2"), eps="epsilon")),
        optax=lambda optax, h: optax.adam(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon")),
        varied={c: {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5} for c in ("keras", "torch", "optax")},
        golden=_golden((-1.1990000000146672, 1.000999999964065), (-1.0645130044394426, 1.1325075357957477)),
    ),
    Record(
        "adamax",
        keras=lambda keras, h: keras.optimizers.Adamax(**keywords(
            h, learning_rate="lr", beta_1="beta1", beta_2="beta2", epsilon="epsilon")),
        torch=lambda torch, p, h: torch.optim.Adamax(p, **keywords(h, lr="lr", betas=("beta1", "beta2"), eps="epsilon")),
        optax=lambda optax, h: optax.adamax(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon")),
        varied={c: {"lr": 0.003, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5} for c in ("keras", "torch", "optax")},
        golden=_golden((-1.1990000000004637, 1.0009999999988637), (-1.0741982703946258, 1.1275192248205168)),
    ),
    Record(
        "nadam",
        keras=lambda keras, h: keras.optimizers.Nadam(**keywords(
            h, learning_rate="lr", beta_1="beta1", beta_2="beta2", epsilon="epsilon")),
        torch=lambda torch, p, h: torch.optim.NAdam(p, **keywords(
            h, lr="lr", betas=("beta1", "beta2"), eps="epsilon", momentum_decay="momentum_decay")),
        optax=lambda optax, h: optax.nadam(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon")),
        varied={"keras": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5},
                "torch": {"lr": 0.003, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5, "momentum_decay": 0.01},
                "optax": {"lr": 0.003, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5}},
        golden=_golden((-1.1989372121971842, 1.001062787802101), (-1.0654184451495516, 1.1322337987619686)),
    ),
    Record(
        "adadelta",
        keras=lambda keras, h: keras.optimizers.Adadelta(**keywords(
            h, learning_rate="lr", rho="rho", epsilon="epsilon", weight_decay="weight_decay")),
        torch=lambda torch, p, h: torch.optim.Adadelta(p, **keywords(
            h, lr="lr", rho="rho", eps="epsilon", weight_decay="weight_decay")),
        optax=lambda optax, h: optax.adadelta(**keywords(
            h, learning_rate="lr", rho="rho", eps="epsilon", weight_decay="weight_decay")),
        varied={c: {"lr": 0.5, "rho": 0.8, "epsilon": 1e-5, "weight_decay": 0.01} for c in ("keras", "torch", "optax")},
        bowl_lr=1.0,  # the paper's α: with Keras's 0.001 its steps, which grow from √ε, barely leave the start
    ),
    Record(
        "lion",
        keras=lambda keras, h: keras.optimizers.Lion(**keywords(
            h, learning_rate="lr", beta_1="lion_beta1", beta_2="lion_beta2", weight_decay="weight_decay")),
        torch=_pytorch_optimizer("Lion", lr="lr", betas=("lion_beta1", "lion_beta2"), weight_decay="weight_decay"),
        optax=lambda optax, h: optax.lion(**keywords(
            h, learning_rate="lr", b1="lion_beta1", b2="lion_beta2", weight_decay="weight_decay")),
        # β1 = 0.3 in PyTorch: torch.lerp then interpolates from the far end, which the rule must follow
        varied={"keras": {"lr": 0.002, "lion_beta1": 0.8, "lion_beta2": 0.95, "weight_decay": 0.01},
                "torch": {"lr": 0.002, "lion_beta1": 0.3, "lion_beta2": 0.95, "weight_decay": 0.01},
                "optax": {"lr": 0.002, "lion_beta1": 0.8, "lion_beta2": 0.95, "weight_decay": 0.01}},
        bowl_lr=0.002,  # every step is ±α per coordinate: it ends circling the minimum at about α
    ),
    Record(
        "ftrl",
        keras=lambda keras, h: keras.optimizers.Ftrl(**keywords(
            h, learning_rate="lr", learning_rate_power="lr_power", initial_accumulator_value="initial_accumulator",
            l1_regularization_strength="l1", l2_regularization_strength="l2",
            l2_shrinkage_regularization_strength="l2_shrinkage", beta="ftrl_beta")),
        varied={"keras": {"lr": 0.05, "lr_power": -0.6, "initial_accumulator": 0.2, "l1": 0.01, "l2": 0.02,
                          "l2_shrinkage": 0.03, "ftrl_beta": 0.5}},
        bowl_lr=0.5,
    ),
    Record(
        "rprop",
        torch=lambda torch, p, h: torch.optim.Rprop(p, **keywords(
            h, lr="lr", etas=("eta_minus", "eta_plus"), step_sizes=("min_step_size", "max_step_size"))),
        optax=lambda optax, h: optax.rprop(**keywords(
            h, learning_rate="lr", eta_minus="eta_minus", eta_plus="eta_plus", min_step_size="min_step_size",
            max_step_size="max_step_size")),
        varied={c: {"lr": 0.005, "eta_minus": 0.4, "eta_plus": 1.3, "min_step_size": 1e-4, "max_step_size": 0.5}
                for c in ("torch", "optax")},
        bowl_lr=0.01,
    ),
    Record(
        "asgd",
        torch=lambda torch, p, h: torch.optim.ASGD(p, **keywords(
            h, lr="lr", lambd="lambd", alpha="decay_power", weight_decay="weight_decay")),
        varied={"torch": {"lr": 0.002, "lambd": 0.01, "decay_power": 0.6, "weight_decay": 0.01}},
        bowl_lr=0.1,
    ),
    Record(
        "signsgd",
        optax=lambda optax, h: optax.sign_sgd(h["lr"]),
        bowl_lr=0.002,  # every step is ±α per coordinate: it ends circling the minimum at about α
    ),
    Record(
        "optimistic",
        optax=lambda optax, h: optax.optimistic_gradient_descent(**keywords(
            h, learning_rate="lr", alpha="gradient_weight", beta="optimism")),
        varied={"optax": {"lr": 0.002, "gradient_weight": 0.8, "optimism": 0.5}},
        bowl_lr=0.1,
    ),
    Record(
        "qhm",
        torch=_pytorch_optimizer("QHM", lr="lr", momentum="momentum", nu="nu", weight_decay="weight_decay"),
        varied={"torch": {"lr": 0.002, "momentum": 0.8, "nu": 0.7, "weight_decay": 0.01}},
        bowl_lr=0.1,
    ),
    Record(
        "aggmo",
        torch=_pytorch_optimizer("AggMo", lr="lr", betas=("momentum1", "momentum2", "momentum3"),
                                 weight_decay="weight_decay"),
        varied={"torch": {"lr": 0.002, "momentum1": 0.1, "momentum2": 0.5, "momentum3": 0.8, "weight_decay": 0.01}},
        bowl_lr=0.05,
    ),
    Record(
        "qhadam",
        torch=_pytorch_optimizer("QHAdam", lr="lr", betas=("beta1", "beta2"), nus=("nu1", "nu2"), eps="epsilon",
                                 weight_decay="weight_decay"),
        varied={"torch": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "nu1": 0.7, "nu2": 0.9, "epsilon": 1e-5,
                          "weight_decay": 0.01}},
    ),
    # Optimizers that torch.optim lacks: pytorch_optimizer's, and optax's (optax.contrib for some).
    Record(
        "adabelief",
        torch=_pytorch_optimizer("AdaBelief", lr="lr", betas=("beta1", "beta2"), eps="epsilon",
                                 weight_decay="weight_decay"),
        optax=lambda optax, h: optax.adabelief(**keywords(
            h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon", eps_root="epsilon_root")),
        varied={"torch": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-10, "weight_decay": 0.01},
                "optax": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-10, "epsilon_root": 1e-12}},
    ),
    Record(
        "yogi",
        torch=_pytorch_optimizer("Yogi", lr="lr", betas=("beta1", "beta2"), eps="epsilon",
                                 initial_accumulator="initial_accumulator", weight_decay="weight_decay"),
        optax=_optax_yogi,
        varied={"torch": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4, "initial_accumulator": 1e-3,
                          "weight_decay": 0.01},
                "optax": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-4, "initial_accumulator": 1e-3}},
    ),
    Record(
        "adan",
        torch=_pytorch_optimizer("Adan", lr="lr", betas=("beta1", "beta_diff", "beta_sq"), eps="epsilon",
                                 weight_decay="weight_decay"),
        optax=lambda optax, h: optax.adan(**keywords(h, learning_rate="lr", b1="beta1", b2="beta_diff", b3="beta_sq",
                                                     eps="epsilon", eps_root="epsilon_root",
                                                     weight_decay="weight_decay")),
        varied={"torch": {"lr": 0.002, "beta1": 0.9, "beta_diff": 0.8, "beta_sq": 0.95, "epsilon": 1e-6,
                          "weight_decay": 0.01},
                "optax": {"lr": 0.002, "beta1": 0.9, "beta_diff": 0.8, "beta_sq": 0.95, "epsilon": 1e-6,
                          "epsilon_root": 1e-10, "weight_decay": 0.01}},
    ),
    Record(
        "adopt",
        torch=_pytorch_optimizer("ADOPT", lr="lr", betas=("beta1", "beta2"), eps="epsilon",
                                 weight_decay="weight_decay"),
        optax=lambda optax, h: optax.contrib.adopt(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2",
                                                              eps="epsilon")),
        cases=(*CASES, ("himmelblau", (0.0, 0.0), 0.01)),  # and one where the clipping bound t^(1/4) bites
        varied={"torch": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3, "weight_decay": 0.01},
                "optax": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-3}},
    ),
    Record(
        "ademamix",
        torch=_pytorch_optimizer("AdEMAMix", lr="lr", betas=("beta1", "beta2", "beta3"), alpha="mix", eps="epsilon",
                                 weight_decay="weight_decay"),
        optax=lambda optax, h: optax.contrib.ademamix(**keywords(
            h, learning_rate="lr", b1="beta1", b2="beta2", b3="beta3", alpha="mix", eps="epsilon",
            eps_root="epsilon_root", weight_decay="weight_decay")),
        varied={"torch": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "beta3": 0.999, "mix": 3.0, "epsilon": 1e-6,
                          "weight_decay": 0.01},
                "optax": {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "beta3": 0.999, "mix": 3.0, "epsilon": 1e-6,
                          "epsilon_root": 1e-10, "weight_decay": 0.01}},
    ),
    Record(
        "madgrad",
        torch=_pytorch_optimizer("MADGRAD", lr="lr", momentum="momentum", eps="epsilon", weight_decay="weight_decay"),
        optax=lambda optax, h: optax.contrib.madgrad(**keywords(
            h, learning_rate="lr", momentum="momentum", eps="epsilon", weight_decay="weight_decay")),
        varied={c: {"lr": 0.002, "momentum": 0.8, "epsilon": 1e-4, "weight_decay": 0.01} for c in ("torch", "optax")},
    ),
)


# The Adam family beyond the article's eight, and the keywords its libraries share.
_ADAM = {"lr": 0.002, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-5}


def _keras_adam(keras, h, cls="Adam", **options):
    return getattr(keras.optimizers, cls)(**keywords(
        h, learning_rate="lr", beta_1="beta1", beta_2="beta2", epsilon="epsilon", weight_decay="weight_decay"),
        **options)


def _torch_adam(torch, p, h, cls="Adam", **options):
    return getattr(torch.optim, cls)(p, **keywords(
        h, lr="lr", betas=("beta1", "beta2"), eps="epsilon", weight_decay="weight_decay"), **options)


def _optax_adam(optax, h, name="adam", **names):
    return getattr(optax, name)(**keywords(h, learning_rate="lr", b1="beta1", b2="beta2", eps="epsilon", **names))


RECORDS |= _record(
    Record(
        "adamw",
        keras=lambda keras, h: _keras_adam(keras, h, "AdamW"),
        torch=lambda torch, p, h: _torch_adam(torch, p, h, "AdamW"),
        optax=lambda optax, h: _optax_adam(optax, h, "adamw", weight_decay="weight_decay"),
        varied={c: {**_ADAM, "weight_decay": 0.05} for c in ("keras", "torch", "optax")},
    ),
    Record(
        "amsgrad",
        keras=lambda keras, h: _keras_adam(keras, h, amsgrad=True),
        torch=lambda torch, p, h: _torch_adam(torch, p, h, amsgrad=True),
        optax=lambda optax, h: _optax_adam(optax, h, "amsgrad"),
        varied={c: _ADAM for c in ("keras", "torch", "optax")},
    ),
    Record(
        "nadamw",
        optax=lambda optax, h: _optax_adam(optax, h, "nadamw", weight_decay="weight_decay"),
        varied={"optax": {**_ADAM, "weight_decay": 0.05}},
    ),
    Record(
        "adamaxw",
        optax=lambda optax, h: _optax_adam(optax, h, "adamaxw", weight_decay="weight_decay"),
        varied={"optax": {**_ADAM, "lr": 0.003, "weight_decay": 0.05}},
    ),
    Record(
        "radam",
        torch=lambda torch, p, h: _torch_adam(torch, p, h, "RAdam"),
        optax=lambda optax, h: _optax_adam(optax, h, "radam", threshold="threshold"),
        # ε = 1e-3, where PyTorch's ε (on the raw √s) and optax's (on √ŝ) part visibly
        varied={"torch": {**_ADAM, "epsilon": 1e-3}, "optax": {**_ADAM, "epsilon": 1e-3, "threshold": 8.0}},
    ),
)

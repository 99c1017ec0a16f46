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

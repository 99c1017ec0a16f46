"""How fast and how faithful the training race is, measured against PyTorch and Keras.

``python -m optviz bench --mlp`` (this module's :func:`main`) times the article's MLP at batch 32
on random data of Fashion-MNIST's shape, with PyTorch eager doing the same work in the same run
(when torch is importable) on the same single thread, and prints the ratios:

* one model with Adam, against ``torch.optim.Adam`` with its defaults;
* a race of all eight optimizers on the same minibatches, against eight torch models with their
  ``torch.optim`` optimizers;
* the projected time of the whole article experiment: 8 optimizers × 20 epochs × 55,000 images.

Each variant runs ten short rounds in turn (round-robin), so that a burst of load from other
processes hits all of them alike; the median and the best round are shown.

``python -m benchmarks.mlp --fidelity DATA_DIR`` trains the race and real Keras (torch backend)
with the article's settings on the full data for a few epochs and several seeds, and prints the
validation accuracies side by side (docs/fidelity.md has the numbers). torch and keras are used
here only: they are not requirements of optviz.
"""

import argparse
import math
import os
import statistics
import time

import numpy as np

from optviz.race import data as datasets
from optviz.race.mlp import CLASSES, HIDDEN, INPUTS, MLP
from optviz.optimizers import ARTICLE
from optviz.race.training import RaceConfig, one_blas_thread, run_race

ARTICLE_TRAIN, ARTICLE_VAL, ARTICLE_EPOCHS, BATCH = 55_000, 5_000, 20, 32

#: This project's goals for the race, the first two as ratios measured side by side: one model at
#: least 2× as fast as torch eager with its default Adam; a race of eight in at least 2.5× less time
#: than eight torch models; the whole article experiment in under 10 minutes.
GOAL_ONE_MODEL, GOAL_RACE, GOAL_EXPERIMENT_SECONDS = 2.0, 2.5, 600.0


def random_split(n_train, n_val, seed=0) -> datasets.Split:
    """Random images of Fashion-MNIST's shape and range: the speed does not depend on the pixels."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_train + n_val, INPUTS), dtype=np.float32)
    y = rng.integers(0, CLASSES, n_train + n_val)
    return datasets.Split(x[n_val:], y[n_val:], x[:n_val], y[:n_val], x[:0], y[:0])


def _optviz_steps(optimizers, steps):
    """A callable that trains ``optimizers`` for ``steps`` minibatches of 32 through run_race."""
    split = random_split(steps * BATCH, 1)  # one validation image: the steps are what is timed
    config = RaceConfig(optimizers=tuple(optimizers), epochs=1, data="embedded")
    return lambda: run_race(config, split)


def _torch_steps(optimizers, steps):
    """The same work in PyTorch eager: nn.Sequential models, cross-entropy, torch.optim."""
    import torch
    from torch import nn

    makers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=1e-3),
        "momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
        "nesterov": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=1e-3),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
        "adamax": lambda p: torch.optim.Adamax(p, lr=1e-3),
        "nadam": lambda p: torch.optim.NAdam(p, lr=1e-3),
    }
    split = random_split(steps * BATCH, 0)
    x, y = torch.from_numpy(split.x_train), torch.from_numpy(split.y_train)

    def run():
        models = [nn.Sequential(nn.Linear(INPUTS, HIDDEN[0]), nn.ReLU(), nn.Linear(*HIDDEN), nn.ReLU(),
                                nn.Linear(HIDDEN[1], CLASSES)) for _ in optimizers]
        steppers = [makers[name](model.parameters()) for name, model in zip(optimizers, models)]
        order = torch.randperm(len(y))
        for first in range(0, len(y), BATCH):
            chosen = order[first:first + BATCH]
            xb, yb = x[chosen], y[chosen]
            for model, stepper in zip(models, steppers):
                stepper.zero_grad()
                nn.functional.cross_entropy(model(xb), yb).backward()
                stepper.step()

    return run


def _round_robin(variants, rounds):
    """Seconds of each variant per round, the variants taking turns so that load hits all alike."""
    times = {name: [] for name in variants}
    for run in variants.values():
        run()  # warm up: compile or load the kernels, fault in the memory
    for _ in range(rounds):
        for name, run in variants.items():
            began = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - began)
    return times


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def main(quick=False):
    steps, rounds = (30, 3) if quick else (150, 10)
    torch = _torch_or_none()
    everyone = ARTICLE
    variants = {"optviz, 1 model, Adam": _optviz_steps(("adam",), steps),
                "optviz, race of 8": _optviz_steps(everyone, steps)}
    if torch is not None:
        variants["torch eager, 1 model, Adam"] = _torch_steps(("adam",), steps)
        variants["torch eager, 8 models"] = _torch_steps(everyone, steps)
    one_blas_thread()  # the torch runs too: the same thread count for everyone
    print(f"MLP {INPUTS}-{HIDDEN[0]}-{HIDDEN[1]}-{CLASSES}, batch {BATCH}, random data, 1 thread "
          f"(BLAS, numba{', torch' if torch else ''}); {rounds} rounds of {steps} steps; load average "
          f"{os.getloadavg()[0]:.2f}")
    times = _round_robin(variants, rounds)
    evaluation = _evaluation_seconds(rounds)
    per_step = {name: statistics.median(t) / steps for name, t in times.items()}
    best = {name: min(t) / steps for name, t in times.items()}
    print(f"\n{'':30} {'ms/step':>8} {'best':>8} {'samples/s':>10}  (a step: one minibatch for every model)")
    for name in variants:
        models = 1 if "1 model" in name else len(everyone)
        print(f"{name:30} {per_step[name] * 1e3:8.2f} {best[name] * 1e3:8.2f} {models * BATCH / per_step[name]:10,.0f}")
    if torch is not None:
        print()
        for label, ours, theirs, goal in (
            ("one model vs torch Adam", "optviz, 1 model, Adam", "torch eager, 1 model, Adam", GOAL_ONE_MODEL),
            ("race of 8 vs 8 torch models", "optviz, race of 8", "torch eager, 8 models", GOAL_RACE),
        ):
            ratio = per_step[theirs] / per_step[ours]
            verdict = "met" if ratio >= goal else "MISSED"
            print(f"{label:30} {ratio:5.2f}× faster (best rounds {best[theirs] / best[ours]:.2f}×); goal ≥ {goal}×: {verdict}")
    steps_per_epoch = math.ceil(ARTICLE_TRAIN / BATCH)
    projected = ARTICLE_EPOCHS * (steps_per_epoch * per_step["optviz, race of 8"] + evaluation)
    verdict = "met" if projected < GOAL_EXPERIMENT_SECONDS else "MISSED"
    print(f"\nwhole article experiment (8 optimizers × {ARTICLE_EPOCHS} epochs × {ARTICLE_TRAIN:,} images, "
          f"validation on {ARTICLE_VAL:,} after each): {projected / 60:.1f} min projected "
          f"({steps_per_epoch:,} race steps of {per_step['optviz, race of 8'] * 1e3:.2f} ms and "
          f"{evaluation:.2f} s of validation per epoch); goal < {GOAL_EXPERIMENT_SECONDS / 60:.0f} min: {verdict}")


def _evaluation_seconds(rounds):
    """Median seconds to evaluate 8 models on the article's 5,000 validation images."""
    split = random_split(0, ARTICLE_VAL)
    model = MLP()
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(len(ARTICLE)):
            model.evaluate(split.x_val, split.y_val)
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


def keras_optimizer(name):
    """The article's Keras optimizer for ``name`` (section "Keras" of the article)."""
    import keras

    make = {
        "sgd": lambda: keras.optimizers.SGD(learning_rate=1e-3),
        "momentum": lambda: keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
        "nesterov": lambda: keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9, nesterov=True),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate=1e-3),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9),
        "adam": lambda: keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999),
        "adamax": lambda: keras.optimizers.Adamax(learning_rate=1e-3, beta_1=0.9, beta_2=0.999),
        "nadam": lambda: keras.optimizers.Nadam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999),
    }
    return make[name]()


def keras_model(name, seed):
    """The article's model in real Keras, initialised from ``seed`` and compiled with its optimizer."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((INPUTS,)),  # the article's Flatten of 28×28, done by optviz.race.data already
        keras.layers.Dense(HIDDEN[0], activation="relu"),
        keras.layers.Dense(HIDDEN[1], activation="relu"),
        keras.layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras_optimizer(name), metrics=["accuracy"])
    return model


def keras_history(name, split, epochs, seed):
    """Validation accuracy after each epoch of the article's model trained by real Keras."""
    history = keras_model(name, seed).fit(split.x_train, split.y_train, epochs=epochs, batch_size=BATCH,
                                          validation_data=(split.x_val, split.y_val), verbose=0)
    return history.history["val_accuracy"]


def _flat(weights):
    return np.concatenate([np.asarray(w).ravel() for w in weights])


def _optviz_steps_from(name, weights, split, steps):
    """optviz's race step (its _Runner) from the given weights over the first ``steps`` minibatches."""
    from optviz.race.training import _Runner

    model = MLP()
    model.params[:] = weights
    runner = _Runner(name, model, RaceConfig().hyper_for(name), False, steps)
    for k in range(steps):
        runner.step(split.x_train[k * BATCH:(k + 1) * BATCH], split.y_train[k * BATCH:(k + 1) * BATCH])
    return model.params


def lockstep(split, steps):
    """Keras and optviz from the SAME initial weights over the SAME first ``steps`` minibatches (no
    shuffle): how far apart their weights end, per optimizer. As a yardstick for rounding, the
    last column is how far optviz ends from itself when its initial weights are nudged by 1e-6."""
    print(f"\nlockstep: Keras's initial weights (seed 0) copied into optviz, the first {steps} minibatches "
          f"of {BATCH} in order")
    print(f"{'optimizer':10} {'max |Δθ|':>10} {'mean |Δθ|':>10}   {'optviz vs itself nudged by 1e-6: max':>38}")
    for name in ARTICLE:
        model = keras_model(name, seed=0)
        start = _flat(model.get_weights())
        nudge = np.random.default_rng(0).standard_normal(start.size).astype(np.float32) * np.float32(1e-6)
        model.fit(split.x_train[:steps * BATCH], split.y_train[:steps * BATCH], batch_size=BATCH, epochs=1,
                  shuffle=False, verbose=0)
        ours = _optviz_steps_from(name, start, split, steps)
        gap = np.abs(_flat(model.get_weights()) - ours)
        drift = np.abs(ours - _optviz_steps_from(name, start + nudge, split, steps))
        print(f"{name:10} {gap.max():10.1e} {gap.mean():10.1e}   {drift.max():38.1e}", flush=True)


def fidelity(directory, epochs, seeds, lockstep_steps=0):
    """Print optviz's and Keras's validation accuracy per optimizer and epoch, over several seeds.

    Run-to-run noise is the spread between seeds of the same library; the check is whether the
    two libraries' means differ by more than that.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")  # the only Keras backend installed here
    if _torch_or_none() is None:
        raise SystemExit("torch is not installed: Keras cannot run here")
    split = datasets.split(datasets.load(directory, download=False))
    print(f"data: {split!r}; {epochs} epochs; seeds {list(seeds)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    ours = {name: [] for name in ARTICLE}
    theirs = {name: [] for name in ARTICLE}
    one_blas_thread()
    if lockstep_steps:
        lockstep(split, lockstep_steps)
    for seed in seeds:
        began = time.perf_counter()
        results = run_race(RaceConfig(epochs=epochs, seed=seed), split)
        for name in ARTICLE:
            ours[name].append(results[name].val_accuracy)
        print(f"optviz seed {seed}: {time.perf_counter() - began:.0f} s", flush=True)
    for seed in seeds:
        for name in ARTICLE:
            began = time.perf_counter()
            theirs[name].append(keras_history(name, split, epochs, seed))
            print(f"keras {name} seed {seed}: {time.perf_counter() - began:.0f} s", flush=True)
    print("\nvalidation accuracy after each epoch, mean over seeds [min–max], and optviz − Keras")
    print(f"{'optimizer':10} {'epoch':>5} {'optviz':>21} {'keras':>21} {'diff':>7}")
    for name in ARTICLE:
        for epoch in range(epochs):
            a = [run[epoch] for run in ours[name]]
            b = [run[epoch] for run in theirs[name]]
            print(f"{name:10} {epoch + 1:5} {_spread(a):>21} {_spread(b):>21} {np.mean(a) - np.mean(b):+7.4f}")
    noise = [max(run[e] for run in runs[name]) - min(run[e] for run in runs[name])
             for runs in (ours, theirs) for name in ARTICLE for e in range(epochs)]
    gaps = [abs(np.mean([r[e] for r in ours[n]]) - np.mean([r[e] for r in theirs[n]]))
            for n in ARTICLE for e in range(epochs)]
    print(f"\nseed-to-seed spread (max − min) within one library: median {np.median(noise):.4f}, max {max(noise):.4f}")
    print(f"|optviz mean − Keras mean|: median {np.median(gaps):.4f}, max {max(gaps):.4f}")


def _spread(values):
    return f"{np.mean(values):.4f} [{min(values):.3f}–{max(values):.3f}]"


if __name__ == "__main__":
    options = argparse.ArgumentParser(prog="python -m benchmarks.mlp", description=__doc__.split("\n")[0])
    options.add_argument("--fidelity", metavar="DATA_DIR", help="compare with Keras on the data in DATA_DIR")
    options.add_argument("--epochs", type=int, default=5)
    options.add_argument("--seeds", type=int, default=3, help="seeds 0, 1, … of each library")
    options.add_argument("--lockstep", type=int, default=0, metavar="STEPS",
                         help="first compare the weights after STEPS minibatches from the same start")
    options.add_argument("--quick", action="store_true", help="a smaller benchmark, for a smoke test")
    args = options.parse_args()
    if args.fidelity:
        fidelity(args.fidelity, args.epochs, range(args.seeds), args.lockstep)
    else:
        main(quick=args.quick)

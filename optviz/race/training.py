"""The training race: several optimizers train the same network on the same minibatches.

This is the article's figure 16. Every optimizer gets its own copy of the MLP, all copies start
from the same initial weights, and every epoch one shuffle of the training set, drawn from the
seed, feeds the same minibatches to all of them in the same order. So the curves differ only by
the optimizers, and a run is reproducible from its :class:`RaceConfig` alone.

The runs take turns by blocks of minibatches (:data:`BLOCK_IMAGES` images): each trains through
a block while its weights, gradient and optimizer state stay in the processor's cache, then the
next one takes the same block. No run reads another's numbers, so each gets exactly the results
it would get alone, whoever it races beside; only the order in which their records arrive
changes. (Turns at every minibatch fetched each run's 4 MB from memory at every step: the
article's eight took 36% longer, measured on 2 cores shared with other work.)

What is measured, as Keras reports it in ``model.fit``'s history:

* ``loss`` and ``accuracy``: the mean over the epoch's minibatches, each computed just before the
  step it feeds (so with weights that change during the epoch), weighted by the batch sizes;
* ``val_loss`` and ``val_accuracy``: the whole validation set, after the epoch;
* ``seconds``: the wall time this optimizer's own work took in that epoch (its steps and its
  evaluation; the minibatch gather shared by all is not counted).

A run whose loss becomes NaN or inf has diverged: it is marked at its step and stops, and the
others go on. ``diverged_at`` = t means the weights after t steps give a non-finite loss (on the
next minibatch, or on the validation set at the end of an epoch), as the 2D traces count it.

Threads. A race runs on ONE core: the numba kernels it calls are serial, and every race, once its
models and kernels are loaded and before its first step, holds every BLAS then loaded in the
process to one thread, for good (:func:`one_blas_thread`). Per race, not once: loading the
kernels can load a second BLAS (numba imports SciPy's, when SciPy is installed), which starts
with a thread per core. On the shared 2-core machines this targets, a second BLAS thread
busy-waits against the other processes and made batch-32 steps 25-100× slower (measured), and
the other core is left to the Streamlit server. BLAS and the optimizer kernels release the GIL,
so a race in a background thread leaves the server responsive. BLAS threads are set through
``threadpoolctl``; without it, a warning says so and BLAS keeps its own setting.

Limits. :class:`RaceConfig` refuses work beyond :data:`MAX_PARAMETERS` per model (memory: each
optimizer holds its model's parameters, gradients and two state slots), :data:`MAX_BATCH_SIZE`
(memory of the activations) and :data:`MAX_WORK` parameter-epochs over the whole race (time: a
race takes one core, and one race runs at a time on a server), besides the epochs, layers,
layer sizes and optimizers each have.

>>> config = RaceConfig(optimizers=("sgd", "adam"), epochs=1, hidden=(16,), data="embedded")
>>> results = run_race(config)
>>> sorted(results), len(results["adam"].val_accuracy)
(['adam', 'sgd'], 1)
"""

import hashlib
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from optviz.engine import kernels
from optviz.optimizers import ARTICLE, OPTIMIZERS, check_convention, get, resolve
from optviz.race import data as datasets
from optviz.race.conclusions import standings
from optviz.race.mlp import HIDDEN, MLP, parameter_count

#: Server-side limits: a web page or a URL can never ask for more work than this.
MAX_EPOCHS = 50
#: The article's batch is 32. At 1024, a race of 8 models of about MAX_PARAMETERS peaked at 0.65 GB
#: of memory here, the process and its data included (activations grow with the batch).
MAX_BATCH_SIZE = 1024
MAX_HIDDEN_LAYERS = 4
MAX_HIDDEN_SIZE = 2048
#: Weights and biases per model; the article's network has 266,610.
MAX_PARAMETERS = 2_000_000
#: Every optimizer of the registry may race, once.
MAX_OPTIMIZERS = len(OPTIMIZERS)
#: Bytes of float32 vectors a race holds: each optimizer's parameters, gradients and state slots
#: (Adam's four vectors of the article's network are 4.3 MB; all of the registry's, about 140 MB).
MAX_MEMORY = 600_000_000
#: Parameter-epochs per race: optimizers × parameters per model × epochs, the measure of its time.
#: The article's race, its eight optimizers for 50 epochs, is 106,644,000, about 10 minutes on the
#: full set here (12 s an epoch); a race at this limit takes about 11-16 minutes (5.6-8.2 µs per
#: parameter-epoch at batch 32 on the full set, the larger networks the slower).
MAX_WORK = 120_000_000
MAX_SEED = 2**32 - 1

#: Steps per point of the live loss curve (fewer when an epoch has few steps, see run_race).
SMOOTH_EVERY = 50
#: Images per block of minibatches that one run trains through before the next takes its turn
#: (see the module docstring): 32 minibatches of the article's 32, at most 3.2 MB of images.
BLOCK_IMAGES = 1024

#: The article's settings, the race's starting point for its eight optimizers (the others start
#: from their library's defaults). They differ from the libraries' constructor defaults: Keras's
#: SGD defaults to lr 0.01, PyTorch's RMSprop to ρ 0.99, but the article passes lr 0.001 and these
#: values to all eight.
ARTICLE_HYPER = {"lr": 0.001, "momentum": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999}

#: Where within the first epoch a race asked for checkpoints keeps one, as fractions of the epoch,
#: besides the first weights and the end of every epoch: the weights move most at the start.
CHECKPOINTS_IN_FIRST_EPOCH = (0.125, 0.25, 0.5)

#: Bump when a change to the training makes earlier results wrong: it is part of RaceConfig.key().
RESULTS_VERSION = 2


@dataclass(frozen=True)
class RaceConfig:
    """Everything that determines a race's results. Every field is checked on construction.

    ``optimizers``: registry names (``optviz.OPTIMIZERS``), no repeats; the article's eight by default.
    ``hyper``: overrides per optimizer, ``{"adam": {"lr": 0.01}}``, over :data:`ARTICLE_HYPER` (for
    the article's eight) and then the convention's defaults (ε and the like). It is stored sorted,
    as a tuple of pairs, so that the config stays hashable.
    ``convention``: "keras" (the article's), "torch" or "optax"; an optimizer whose libraries lack
    it follows its first convention (``Optimizer.convention_for``).
    ``data``: "embedded" (the subset that ships with optviz), "auto" (the full set wherever
    ``optviz.race.data.load`` finds it, else the subset) or a directory of the IDX files.

    The limits (``MAX_…``, see the module docstring) are checked here, each error naming the one
    exceeded: at most :data:`MAX_PARAMETERS` per model, a batch of at most :data:`MAX_BATCH_SIZE`,
    and at most :data:`MAX_WORK` parameter-epochs in all.
    """

    optimizers: tuple = ARTICLE
    hyper: tuple = ()
    convention: str = "keras"
    epochs: int = 20
    batch_size: int = 32
    seed: int = 0
    hidden: tuple = HIDDEN
    data: str = "auto"

    def __post_init__(self):
        optimizers = checked_optimizers(self.optimizers, "a race")
        check_convention(self.convention)
        hyper = _overrides("hyper", self.hyper)
        for name, given in hyper.items():
            if name not in optimizers:
                raise ValueError(f"hyper-parameters given for {name!r}, which is not in the race {optimizers}")
            hyper[name] = _overrides(f"hyper[{name!r}]", given)
            for key, value in hyper[name].items():
                if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                    raise ValueError(f"hyper[{name!r}][{key!r}] must be a number, got {value!r}")
            resolve(name, get(name).convention_for(self.convention), **hyper[name])  # names what is wrong
        hyper = tuple(sorted((name, tuple(sorted((k, float(v)) for k, v in given.items())))
                             for name, given in hyper.items() if given))
        hidden = (self.hidden,) if isinstance(self.hidden, int) else self.hidden
        if not iterable(hidden) or not 1 <= len(tuple(hidden)) <= MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must list 1 to {MAX_HIDDEN_LAYERS} layer sizes, got {self.hidden!r}")
        hidden = tuple(whole_number("hidden layer size", size, 1, MAX_HIDDEN_SIZE) for size in hidden)
        parameters = parameter_count(hidden)
        if parameters > MAX_PARAMETERS:
            raise ValueError(f"hidden layers {hidden} make a model of {parameters:,} parameters; the limit is "
                             f"{MAX_PARAMETERS:,} per model (the article's network has "
                             f"{parameter_count(HIDDEN):,})")
        if isinstance(self.data, Path) or (isinstance(self.data, str) and self.data):
            data = self.data if self.data in ("auto", "embedded") else str(Path(self.data).expanduser())
        else:
            raise ValueError(f"data must be 'auto', 'embedded' or a directory, got {self.data!r}")
        epochs = whole_number("epochs", self.epochs, 1, MAX_EPOCHS)
        work = len(optimizers) * parameters * epochs
        if work > MAX_WORK:
            raise ValueError(f"{len(optimizers)} optimizers × {parameters:,} parameters × {epochs} epochs is "
                             f"{work:,} parameter-epochs; the limit is {MAX_WORK:,} per race (the article's "
                             f"race, its {len(ARTICLE)} optimizers for {MAX_EPOCHS} epochs, is "
                             f"{len(ARTICLE) * parameter_count(HIDDEN) * MAX_EPOCHS:,}): train fewer "
                             "optimizers, fewer epochs or a smaller network")
        memory = sum(4 * parameters * (2 + len(get(name).slots)) for name in optimizers)
        if memory > MAX_MEMORY:
            raise ValueError(f"{len(optimizers)} optimizers of {parameters:,} parameters would hold "
                             f"{memory / 1e6:,.0f} MB of weights, gradients and optimizer state; the limit is "
                             f"{MAX_MEMORY / 1e6:,.0f} MB per race: train fewer optimizers or a smaller network")
        for name, value in (("optimizers", optimizers), ("hyper", hyper), ("hidden", hidden), ("data", data),
                            ("epochs", epochs),
                            ("batch_size", whole_number("batch_size", self.batch_size, 1, MAX_BATCH_SIZE)),
                            ("seed", whole_number("seed", self.seed, 0, MAX_SEED))):
            object.__setattr__(self, name, value)

    def hyper_for(self, name: str) -> dict:
        """The full hyper-parameters ``name`` trains with: the convention's defaults, the article's
        settings over them, and this config's overrides over those."""
        entry = get(name)
        convention = entry.convention_for(self.convention)
        taken = entry.defaults(convention)
        article = {key: value for key, value in ARTICLE_HYPER.items() if entry.article and key in taken}
        return resolve(name, convention, **{**article, **dict(dict(self.hyper).get(name, ()))})

    def to_dict(self) -> dict:
        """The canonical plain form (JSON-ready), with every optimizer's full hyper-parameters.

        Two configs that train identically have equal dicts, even if one spelled out a default.
        """
        plain = asdict(self)
        plain["optimizers"] = list(self.optimizers)
        plain["hidden"] = list(self.hidden)
        plain["hyper"] = {name: self.hyper_for(name) for name in self.optimizers}
        return plain

    @classmethod
    def from_dict(cls, plain: dict) -> "RaceConfig":
        """The inverse of :meth:`to_dict` (also takes partial dicts: missing fields get defaults)."""
        if not isinstance(plain, dict):
            raise TypeError(f"from_dict takes a dict of race settings, got {type(plain).__name__}")
        known = list(cls.__dataclass_fields__)
        unknown = set(plain) - set(known)
        if unknown:
            raise ValueError(f"unknown race settings {', '.join(sorted(unknown))}; known: {', '.join(known)}")
        return cls(**plain)

    def key(self) -> str:
        """A stable 16-hex-digit key of the whole config (and of RESULTS_VERSION), for caching jobs."""
        text = json.dumps({"version": RESULTS_VERSION, **self.to_dict()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _overrides(what, given) -> dict:
    """A mapping (or a tuple of pairs, as RaceConfig stores it) as a dict, or a ValueError."""
    try:
        return dict(given)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must map names to values, got {given!r}") from None


def checked_optimizers(optimizers, what: str) -> tuple:
    """``optimizers`` as a tuple of 1 to :data:`MAX_OPTIMIZERS` known names, each once, or a
    ``ValueError`` saying which rule ``what`` (a race, a sweep) broke."""
    if isinstance(optimizers, str) or not iterable(optimizers):
        raise ValueError(f"optimizers must be a list of names, got {optimizers!r}")
    optimizers = tuple(optimizers)
    if not 1 <= len(optimizers) <= MAX_OPTIMIZERS:
        raise ValueError(f"{what} takes 1 to {MAX_OPTIMIZERS} optimizers, got {len(optimizers)}")
    for name in optimizers:
        get(name)  # names the known ones if it is not one of them
    repeated = sorted({name for name in optimizers if optimizers.count(name) > 1})
    if repeated:
        raise ValueError(f"optimizers may not repeat, got {', '.join(repeated)} more than once")
    return optimizers


def iterable(value) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


def whole_number(name, value, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside the allowed range [{low}, {high}]")
    return int(value)


class _Runner:
    """One optimizer in the race: its model, its optimizer state, and its current epoch's sums.

    Each method returns the record it produced; run_race folds the records into its results
    (:meth:`RunResult.add`) and passes them to ``on_event``.
    """

    def __init__(self, name, model, hyper, convention, steps_per_epoch):
        self.name, self.model, self.convention, self.steps_per_epoch = name, model, convention, steps_per_epoch
        entry, single = get(name), model.dtype == np.float32
        # The hyper-parameters in the order the rule reads them, in the weights' precision.
        self.hyper = tuple(model.dtype.type(hyper.get(key, 0.0)) for key in entry.hyper)
        self.apply = kernels.apply(name, single)
        self.slots = np.empty((len(entry.slots), model.params.size), model.dtype)
        self.clock = np.empty(len(entry.clock), model.dtype)
        kernels.start(name)(self.hyper, self.slots, self.clock)
        self.diverged_at = None
        self.steps = 0
        self.window = []  # minibatch mean losses since the last live point
        self._start_epoch()

    def _start_epoch(self):
        self.loss_sum, self.correct, self.seen, self.seconds = 0.0, 0, 0, 0.0

    def step(self, x, y) -> bool:
        """Train on one minibatch; False, with nothing applied, if the loss is no longer finite."""
        began = time.perf_counter()
        loss_sum, correct = self.model.loss_and_gradient(x, y)
        finite = math.isfinite(loss_sum)
        if finite:
            self.apply(self.convention, self.hyper, self.model.params, self.model.grads, self.slots, self.clock)
            self.steps += 1
            self.loss_sum += loss_sum
            self.correct += correct
            self.seen += len(y)
            self.window.append(loss_sum / len(y))
        self.seconds += time.perf_counter() - began
        return finite

    def live_point(self) -> dict:
        """The mean loss of the minibatches since the last point, for the live curve."""
        record = {"kind": "step", "epoch_position": self.steps / self.steps_per_epoch,
                  "loss": float(np.mean(self.window))}
        self.window.clear()
        return record

    def checkpoint(self) -> dict:
        """The weights as they are now, a copy (see run_race's ``checkpoints``)."""
        return {"kind": "checkpoint", "epoch_position": self.steps / self.steps_per_epoch, "step": self.steps,
                "weights": self.model.params.copy()}

    def diverge(self) -> dict:
        self.diverged_at = self.steps
        return {"kind": "diverged", "step": self.steps, "epoch_position": self.steps / self.steps_per_epoch}

    def finish_epoch(self, epoch, x_val, y_val) -> dict:
        """Evaluate on the validation set and record the epoch, or diverge if its loss is not finite."""
        began = time.perf_counter()
        val_loss, val_accuracy = self.model.evaluate(x_val, y_val)
        self.seconds += time.perf_counter() - began
        if not math.isfinite(val_loss):
            return self.diverge()
        record = {"kind": "epoch", "epoch": epoch, "loss": self.loss_sum / self.seen,
                  "accuracy": self.correct / self.seen, "val_loss": val_loss, "val_accuracy": val_accuracy,
                  "seconds": self.seconds}
        self._start_epoch()
        return record


#: The curves a run records once per finished epoch, as Keras's ``model.fit`` history names them.
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass
class RunResult:
    """One optimizer's part of a race: one value per finished epoch in each of :data:`METRICS` and
    ``epoch_seconds``; ``diverged_at`` (None, or the step whose loss was not finite); ``smoothed``,
    the live training loss as ``[epoch_position, loss]`` pairs.

    run_race builds it record by record (:meth:`add`), and a store rebuilds it from the records it
    kept in the same way.

    >>> result = RunResult()
    >>> result.add({"kind": "step", "epoch_position": 0.5, "loss": 0.9})
    >>> result.add({"kind": "diverged", "step": 7, "epoch_position": 0.6})
    >>> result.smoothed, result.diverged_at, result.epochs
    ([[0.5, 0.9]], 7, 0)
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    diverged_at: int | None = None
    smoothed: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs it finished."""
        return len(self.loss)

    def add(self, record: dict) -> None:
        """Fold one of run_race's records (see :func:`run_race`) in."""
        kind = record["kind"]
        if kind == "step":
            self.smoothed.append([record["epoch_position"], record["loss"]])
        elif kind == "epoch":
            for metric in METRICS:
                getattr(self, metric).append(record[metric])
            self.epoch_seconds.append(record["seconds"])
        elif kind == "diverged":
            self.diverged_at = record["step"]
        elif kind == "checkpoint":
            pass  # weights, for whoever asked for them (on_event): not a curve
        else:
            raise ValueError(f"unknown kind of record {kind!r}")

    def copy(self) -> "RunResult":
        """A copy whose lists can grow without changing this one's (a viewer may be drawing it)."""
        return RunResult(**{name: list(value) if isinstance(value, list) else value
                            for name, value in asdict(self).items()})

    def to_dict(self) -> dict:
        """The plain form, for JSON."""
        return asdict(self)


def empty_results(optimizers) -> dict:
    """run_race's results before its first record: an empty :class:`RunResult` per optimizer, in order."""
    return {name: RunResult() for name in optimizers}


def run_race(config: RaceConfig, split=None, *, on_event=None, should_stop=None, checkpoints=False) -> dict:
    """Train every optimizer of ``config`` on the same minibatches; return their curves.

    ``split`` is an ``optviz.race.data.Split``; by default the race loads ``config.data`` itself (a
    caller that shows the data source, like the CLI, loads it and passes it in).

    ``on_event(optimizer, record)`` is called, in the race's thread, as things happen:

    * ``{"kind": "step", "epoch_position": 2.35, "loss": 0.41}``: the mean training loss of the
      minibatches since the last such record (every few dozen), for a live curve;
      ``epoch_position`` counts epochs, fractional;
    * ``{"kind": "epoch", "epoch": 3, "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}``
      when an epoch ends (``epoch`` counts from 1; see the module docstring for each value);
    * ``{"kind": "diverged", "step": 412, "epoch_position": 0.24}``: that optimizer's last record;
    * if ``checkpoints``, ``{"kind": "checkpoint", "epoch_position": 0.25, "step": 429, "weights": …}``,
      the weights (a float32 copy of the parameter vector) of the path a loss landscape draws
      (``optviz.race.landscape``): the first weights (position 0, the same for every optimizer),
      then at the :data:`CHECKPOINTS_IN_FIRST_EPOCH` fractions of the first epoch, then after each
      epoch, just after its ``epoch`` record. A diverged run keeps the ones before it diverged.

    ``should_stop()`` is polled before every minibatch of every run; once it returns True the race
    returns at once with the epochs that finished (an epoch half done is dropped). A race in which
    every run has diverged returns at once too.

    Returns ``{optimizer: RunResult}`` in the order of ``config.optimizers``, with the epochs that
    finished.
    """
    on_event = on_event or (lambda optimizer, record: None)
    should_stop = should_stop or (lambda: False)
    results = empty_results(config.optimizers)

    def record(runner, what):
        results[runner.name].add(what)
        on_event(runner.name, what)

    # A diverging run overflows on its way to NaN: that is a result, reported as a record, not a warning.
    with np.errstate(over="ignore", invalid="ignore"):
        if split is None:
            split = datasets.split(datasets.load(config.data))
        n = len(split.y_train)
        if n == 0 or len(split.y_val) == 0:
            raise ValueError(f"a race needs training and validation images; this split has {split!r}")
        steps_per_epoch = math.ceil(n / config.batch_size)
        smooth_every = max(1, min(SMOOTH_EVERY, steps_per_epoch // 8))
        weights_seed, shuffle_seed = np.random.SeedSequence(config.seed).spawn(2)
        runners = [_Runner(name, MLP(config.hidden, weights_seed), config.hyper_for(name),
                           check_convention(get(name).convention_for(config.convention)), steps_per_epoch)
                   for name in config.optimizers]
        one_blas_thread()  # now that the runners' kernels are loaded, and any BLAS they brought
        early = {round(fraction * steps_per_epoch) for fraction in CHECKPOINTS_IN_FIRST_EPOCH} if checkpoints else set()
        early -= {0, steps_per_epoch}  # the first weights and the epoch's end are kept anyway
        if checkpoints:
            for runner in runners:
                record(runner, runner.checkpoint())
        shuffle = np.random.default_rng(shuffle_seed)
        size = config.batch_size
        block_size = size * max(1, BLOCK_IMAGES // size)
        block = np.empty((block_size, split.x_train.shape[1]), np.float32)
        for epoch in range(1, config.epochs + 1):
            order = shuffle.permutation(n)
            for start in range(0, n, block_size):
                if all(runner.diverged_at is not None for runner in runners):
                    return results
                chosen = order[start:start + block_size]
                x = np.take(split.x_train, chosen, axis=0, out=block[:len(chosen)])
                y = split.y_train[chosen]
                for runner in runners:
                    for first in range(0, len(chosen), size):
                        if runner.diverged_at is not None:
                            break
                        if should_stop():
                            return results
                        if not runner.step(x[first:first + size], y[first:first + size]):
                            record(runner, runner.diverge())
                            continue
                        if runner.steps % smooth_every == 0:
                            record(runner, runner.live_point())
                        if runner.steps in early:
                            record(runner, runner.checkpoint())
            for runner in runners:
                if runner.diverged_at is None:
                    record(runner, runner.finish_epoch(epoch, split.x_val, split.y_val))
                    if checkpoints and runner.diverged_at is None:
                        record(runner, runner.checkpoint())
        return results


def text_progress(epochs, stream=None, width=30):
    """An ``on_event`` for terminals: one progress line, redrawn in place, and each divergence."""
    began = time.perf_counter()
    done = 0.0

    def show(optimizer, record):
        nonlocal done
        out = stream if stream is not None else sys.stderr
        if record["kind"] == "diverged":
            out.write(f"\r{optimizer} diverged at step {record['step']}".ljust(width + 32) + "\n")
            return
        position = record.get("epoch_position", record.get("epoch", 0))
        if position <= done:  # the other optimizers' records of the same moment
            return
        done = position
        filled = round(width * done / epochs)
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done:5.2f}/{epochs} "
                  f"{time.perf_counter() - began:6.0f} s" + ("\n" if done >= epochs else ""))
        out.flush()

    return show


def summary(results) -> str:
    """The results as a table, best final validation accuracy first, diverged runs last."""
    lines = [f"{'optimizer':14} {'val acc':>8} {'val loss':>9} {'train acc':>10} {'train loss':>11} {'s/epoch':>8}"]
    for row in standings(results):
        if row["diverged at step"] is not None:
            lines.append(f"{row['optimizer']:14} diverged at step {row['diverged at step']}, after {row['epochs']} "
                         "full epochs")
        elif not row["epochs"]:
            lines.append(f"{row['optimizer']:14} stopped before the end of the first epoch")
        else:
            lines.append(f"{row['optimizer']:14} {row['validation accuracy']:8.4f} {row['validation loss']:9.4f} "
                         f"{row['training accuracy']:10.4f} {row['training loss']:11.4f} "
                         f"{row['seconds per epoch']:8.2f}")
    return "\n".join(lines)


try:
    from threadpoolctl import threadpool_limits
except ImportError:  # optional: without it BLAS keeps its own thread count
    threadpool_limits = None


def one_blas_thread() -> None:
    """Hold every BLAS loaded in this process so far to one thread, for good.

    run_race calls it at every start, once its kernels are loaded: a BLAS loaded since the last
    call (SciPy's, which numba imports with the kernels) starts with a thread per core. It takes
    about a millisecond. For good: putting the old count back after each race made the next race,
    in another thread of the same process, 5-20× slower on a busy machine, and nothing else optviz
    does needs a multi-threaded BLAS.
    """
    if threadpool_limits is None:
        _warn_no_threadpoolctl()
    else:
        threadpool_limits(limits=1, user_api="blas")


@cache
def _warn_no_threadpoolctl() -> None:
    """Once per process: run_race would otherwise repeat it at every race."""
    warnings.warn("threadpoolctl is not installed, so BLAS may use every core; on a busy machine "
                  "that makes training many times slower (pip install threadpoolctl)", stacklevel=4)

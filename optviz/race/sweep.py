"""α sweeps of the real network on a Dask cluster: the race where every optimizer gets its own α.

The article's figure 16 gives all eight optimizers α = 0.001, which suits some and starves others
(SGD crawls). A sweep trains each optimizer at every α of a grid, over several seeds, and keeps
each one's best α, by the mean final validation accuracy over the seeds; the race at those α can
then stand beside the article's, with its five conclusions checked on each.

A sweep of the article's eight at 6 α and 3 seeds is 144 trainings, an hour and a half on the full
set on two cores: the scale at which a course outgrows one machine. So every training is a task
on a Dask cluster (``dask.distributed``): a :class:`~distributed.LocalCluster` of one worker
process per core by default, or any running ``dask scheduler`` by its address. Dask schedules,
balances and retries the tasks (a task whose worker dies is run again on another); optviz only
says what to train.

* A task is one training, (optimizer, α, seed): a one-optimizer :class:`RaceConfig`, a few hundred
  bytes, trained by :func:`train` with ``run_race``, so each run gets exactly the curves a race of
  it alone gives, on any worker. It returns its curves (a few kilobytes), not its weights.
* The data is shipped: the client loads the data set once and scatters its training images and
  labels, as bytes (:class:`Shipped`: 47 MB for the full set, 3.9 MB for the embedded subset), to
  every worker at the start of the sweep, so a worker needs optviz installed and nothing else, and
  every worker trains on exactly the client's data. Each worker turns them into the model's floats
  once (:func:`_split`), not at every task.
* Each task holds BLAS and numba to one thread, and each worker runs one task at a time: a worker
  per core, none busy-waiting for another.
* Workers only compute. The client, as the results arrive, writes each run into the race store
  (:class:`optviz.race.jobs.Sweeps`), so a sweep survives its client: begun again, it trains only
  the runs that have not finished (:func:`begin`).

Limits, whatever asks: :data:`MAX_LRS` α, :data:`MAX_SEEDS` seeds, each run within
:class:`RaceConfig`'s limits, and at most :data:`MAX_SWEEP_WORK` parameter-epochs in all.

>>> config = SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01), seeds=(0,), epochs=1, hidden=(16,),
...                      data="embedded")
>>> len(config.runs()), config.runs()[0]
(4, Run(optimizer='sgd', lr=0.001, seed=0))
"""

import hashlib
import json
import logging
import math
import os
import queue
import re
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np

from optviz.optimizers import ARTICLE, HYPERS, OPTIMIZERS, check_convention
from optviz.race import data as datasets
from optviz.race import jobs
from optviz.race.mlp import HIDDEN, parameter_count
from optviz.race.training import (
    ARTICLE_HYPER,
    MAX_SEED,
    METRICS,
    RESULTS_VERSION,
    RaceConfig,
    RunResult,
    checked_optimizers,
    iterable,
    run_race,
)

#: The article's α, which figure 16 gives every optimizer.
ARTICLE_LR = ARTICLE_HYPER["lr"]
#: Six α a half-decade apart around the article's: SGD's best lies near the top, Adam's near 0.001.
DEFAULT_LRS = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
DEFAULT_SEEDS = (0, 1, 2)
#: The α a sweep may try: the lab's range of α.
LR_RANGE = HYPERS["lr"].lab
MAX_LRS = 12
MAX_SEEDS = 10
#: Parameter-epochs of a whole sweep (runs × parameters × epochs). The article's eight at 6 α and
#: 3 seeds for 20 epochs of the article's network is 768 million: 144 trainings, about an hour and
#: a half on the full set on two cores.
MAX_SWEEP_WORK = 1_000_000_000
#: How long a client waits for a scheduler that does not answer (seconds).
CONNECT_SECONDS = 10.0
#: Where the app's sweeps run: a scheduler's address, a setting of the server, never of a page.
SCHEDULER_VARIABLE = "OPTVIZ_DASK_SCHEDULER"
#: How many worker processes the app's local cluster has (by default the cores but one, which the
#: server keeps for its pages).
WORKERS_VARIABLE = "OPTVIZ_SWEEP_WORKERS"
ADDRESS = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")

log = logging.getLogger(__name__)


class Run(NamedTuple):
    """One training of a sweep."""

    optimizer: str
    lr: float
    seed: int

    def __str__(self):
        return f"{OPTIMIZERS[self.optimizer].title} at α = {self.lr:g}, seed {self.seed}"


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's results; every field is checked on construction.

    ``optimizers``, ``convention``, ``epochs``, ``batch_size``, ``hidden`` and ``data`` are as in
    :class:`RaceConfig` (every other hyper-parameter is the article's, or the convention's default);
    ``lrs``, the α grid, and ``seeds`` are stored sorted. One training per (optimizer, α, seed).
    """

    optimizers: tuple = ARTICLE
    lrs: tuple = DEFAULT_LRS
    seeds: tuple = DEFAULT_SEEDS
    convention: str = "keras"
    epochs: int = 20
    batch_size: int = 32
    hidden: tuple = HIDDEN
    data: str = "auto"

    def __post_init__(self):
        optimizers = checked_optimizers(self.optimizers, "a sweep")
        check_convention(self.convention)
        lrs = tuple(sorted(_numbers("α", self.lrs, MAX_LRS)))
        low, high = LR_RANGE
        outside = [lr for lr in lrs if not low <= lr <= high]
        if outside:
            raise ValueError(f"α must lie in [{low:g}, {high:g}], got {', '.join(f'{lr:g}' for lr in outside)}")
        seeds = tuple(sorted(_numbers("seeds", self.seeds, MAX_SEEDS, whole=True)))
        outside = [seed for seed in seeds if not 0 <= seed <= MAX_SEED]
        if outside:
            raise ValueError(f"seeds must lie in [0, {MAX_SEED}], got {', '.join(map(str, outside))}")
        # One race of each optimizer checks the rest (epochs, batch, network, data) and normalises it.
        race = RaceConfig(optimizers=optimizers[:1], convention=self.convention, epochs=self.epochs,
                          batch_size=self.batch_size, hidden=self.hidden, data=self.data)
        runs = len(optimizers) * len(lrs) * len(seeds)
        work = runs * parameter_count(race.hidden) * race.epochs
        if work > MAX_SWEEP_WORK:
            raise ValueError(f"{runs} runs × {parameter_count(race.hidden):,} parameters × {race.epochs} epochs is "
                             f"{work:,} parameter-epochs; the limit is {MAX_SWEEP_WORK:,} per sweep (the article's "
                             f"eight at 6 α and 3 seeds for 20 epochs is {144 * parameter_count(HIDDEN) * 20:,}): "
                             "sweep fewer optimizers, α, seeds or epochs")
        for name, value in (("optimizers", optimizers), ("lrs", lrs), ("seeds", seeds), ("epochs", race.epochs),
                            ("batch_size", race.batch_size), ("hidden", race.hidden), ("data", race.data)):
            object.__setattr__(self, name, value)

    def runs(self) -> list[Run]:
        """Every training, seed by seed: the first seed of every (optimizer, α) comes first, so that
        the curves against α fill in early and the seeds' spread after."""
        return [Run(optimizer, lr, seed) for seed in self.seeds for lr in self.lrs for optimizer in self.optimizers]

    def race(self, run: Run) -> RaceConfig:
        """The one-optimizer race that is this run: a task ships it, and a direct run_race of it
        gives the same curves."""
        return RaceConfig(optimizers=(run.optimizer,), hyper={run.optimizer: {"lr": run.lr}},
                          convention=self.convention, epochs=self.epochs, batch_size=self.batch_size,
                          seed=run.seed, hidden=self.hidden, data=self.data)

    def to_dict(self) -> dict:
        return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, plain: dict) -> "SweepConfig":
        unknown = set(plain) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown sweep settings {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(cls.__dataclass_fields__)}")
        return cls(**plain)

    def key(self) -> str:
        """A stable 16-hex-digit key of the sweep (and of the race results' version)."""
        text = json.dumps({"version": RESULTS_VERSION, **self.to_dict()}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _no_repeats(what, values) -> None:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{what} may not repeat, got {', '.join(map(str, repeated))} more than once")


def _numbers(what, values, most, whole=False) -> list:
    if isinstance(values, (str, bytes)) or not iterable(values):
        raise ValueError(f"{what} must be a list of numbers, got {values!r}")
    values = list(values)
    if not 1 <= len(values) <= most:
        raise ValueError(f"a sweep takes 1 to {most} {what}, got {len(values)}")
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, kinds) or (not whole and not math.isfinite(value)):
            raise ValueError(f"{what} must be {'whole' if whole else 'finite'} numbers, got {value!r}")
    values = [int(value) if whole else float(value) for value in values]
    _no_repeats(what, values)
    return values


# -- what the workers do --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Shipped:
    """The training images and labels a sweep trains on, as bytes, shipped once to every worker;
    ``fingerprint`` names them (runs on other data are other runs)."""

    images: np.ndarray  # (n, 28, 28) uint8
    labels: np.ndarray  # (n,) uint8
    fingerprint: str

    @classmethod
    def of(cls, dataset: datasets.FashionMNIST) -> "Shipped":
        images, labels = np.ascontiguousarray(dataset.x_train), np.ascontiguousarray(dataset.y_train)
        digest = hashlib.sha256(images.data)
        digest.update(labels.data)
        return cls(images, labels, digest.hexdigest()[:16])


#: fingerprint → Split, in each worker process: the model's floats are made once, not at every task.
_splits = {}
_splits_lock = threading.Lock()


def _split(shipped: Shipped) -> datasets.Split:
    with _splits_lock:
        if shipped.fingerprint not in _splits:
            _splits.clear()  # one data set at a time: the full set's floats are 190 MB
            # A race never reads the test set: one image stands for it, which is not shipped.
            dataset = datasets.FashionMNIST(shipped.images, shipped.labels, shipped.images[:1], shipped.labels[:1],
                                            source="shipped")
            _splits[shipped.fingerprint] = datasets.split(dataset)
        return _splits[shipped.fingerprint]


def train(race: RaceConfig, shipped: Shipped) -> dict:
    """A task: train one run on a worker; return its curves, and what the client checks (the
    results' version, the data's fingerprint) and reports (the worker, the seconds)."""
    import numba

    numba.set_num_threads(1)  # run_race holds BLAS to one thread itself
    split = _split(shipped)
    began = time.perf_counter()
    result = run_race(race, split)[race.optimizers[0]]
    return {"version": RESULTS_VERSION, "data": shipped.fingerprint, "worker": _worker(),
            "seconds": time.perf_counter() - began,
            "curves": {**{metric: getattr(result, metric) for metric in (*METRICS, "epoch_seconds")},
                       "diverged_at": result.diverged_at}}


def _worker() -> str:
    from distributed import get_worker

    try:
        return get_worker().address
    except ValueError:  # not on a worker: called directly
        return ""


# -- the client's side -----------------------------------------------------------------------------


class SweepError(Exception):
    """A sweep that could not go on: a task failed, a worker ran other code; the message says why."""


class SchedulerUnreachable(ValueError):
    """No Dask scheduler answered at the address given."""


def check_address(address: str) -> str:
    """A scheduler's address as Dask takes it, ``tcp://HOST:PORT``, or a ValueError saying so."""
    match = ADDRESS.fullmatch(address.strip()) if isinstance(address, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 65535:
        raise ValueError(f"a Dask scheduler's address looks like tcp://HOST:PORT (tcp://10.0.0.5:8786), got "
                         f"{address!r}")
    return address.strip()


def local_workers() -> int:
    """One worker per core this process may use: a local cluster sized to the machine."""
    from dask.system import CPU_COUNT

    return CPU_COUNT


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None):
    """A Dask client, and where it computes in words: the running scheduler at ``scheduler``, or a
    local cluster of ``workers`` worker processes (default: :func:`local_workers`) of one thread
    each, closed on leaving."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        address = check_address(scheduler)
        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise SchedulerUnreachable(f"no Dask scheduler answered at {address} within {CONNECT_SECONDS:g} s "
                                       f"({error}): start one there with `dask scheduler`, or check the "
                                       "address") from None
        with client:
            yield client, f"the Dask scheduler at {address}"
        return
    workers = local_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"a local cluster takes a whole number of workers of at least 1, got {workers!r}")
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local, Client(local, set_as_default=False) as client:
        yield client, f"a local Dask cluster of {workers} worker process{'es' if workers > 1 else ''}"


@dataclass
class Plan:
    """A sweep begun in the store by this client: its runs, those finished, and its data.

    ``results`` maps each finished run's key to its result (its optimizer, α, seed, its curves,
    the worker that trained it and the seconds it took there); ``todo`` lists what is left as
    (run key, run), in the order of :meth:`SweepConfig.runs`.
    """

    config: SweepConfig
    sweeps: jobs.Sweeps
    key: str
    run: str
    shipped: Shipped
    source: str
    cluster: str
    keys: dict  # run → run key
    results: dict
    todo: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.keys)


def run_key(race: RaceConfig, fingerprint: str) -> str:
    """A run's key in the store: its race and the data it trains on."""
    return hashlib.sha256(f"{race.key()}:{fingerprint}".encode()).hexdigest()[:16]


def begin(store: jobs.Store, config: SweepConfig, dataset: datasets.FashionMNIST, *, cluster: str,
          alone: bool = False) -> Plan:
    """Claim the sweep in ``store`` for this client (:meth:`jobs.Sweeps.begin`): what is left to
    train, besides the runs that finished before (in an earlier start, or in another sweep)."""
    shipped = Shipped.of(dataset)
    keys = {run: run_key(config.race(run), shipped.fingerprint) for run in config.runs()}
    sweeps = jobs.Sweeps(store)
    run, finished = sweeps.begin(config.key(), config.to_dict(), source=dataset.source,
                                 fingerprint=shipped.fingerprint, cluster=cluster, run_keys=keys.values(),
                                 alone=alone)
    results = {key: finished[key] for key in keys.values() if key in finished}
    return Plan(config, sweeps, config.key(), run, shipped, dataset.source, cluster, keys, results,
                [(key, run) for run, key in keys.items() if key not in results])


def drive(plan: Plan, client, *, on_result=None) -> str:
    """Train what is left of ``plan`` on ``client``'s cluster, writing each run into the store as
    it arrives; return how the sweep ended ("finished" or "cancelled"), also written in the store.

    ``on_result(run, result)`` is called as each run arrives. A task that fails (in optviz, or a
    worker that died more often than Dask allows) ends the sweep as "failed" with a
    :class:`SweepError`; the runs that finished stay in the store.
    """
    state, reason = "failed", "The sweep's client stopped for an unknown reason."
    try:
        state, reason = _train(plan, client, on_result or (lambda run, result: None))
        return state
    except KeyboardInterrupt:
        state, reason = "cancelled", "Interrupted from the keyboard."
        raise
    except jobs.StoreError as error:
        state, reason = "failed", f"The race store could not be written for {jobs.PATIENCE_SECONDS:g} s ({error})."
        raise
    except Exception as error:
        state, reason = "failed", str(error) if isinstance(error, SweepError) else f"{type(error).__name__}: {error}"
        raise
    finally:
        _end(plan, state, reason)


def _train(plan: Plan, client, on_result) -> tuple[str, str]:
    runs = {key: run for key, run in plan.todo}
    data = client.scatter(plan.shipped, broadcast=True, hash=False) if runs else None
    futures = {client.submit(train, plan.config.race(run), data, key=f"optviz-train-{key}"): key
               for key, run in plan.todo}
    arrived = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(arrived.put)  # called from another thread
    writer = _Writer(plan)
    remaining = set(futures)
    try:
        while remaining:
            try:
                done = [arrived.get(timeout=jobs.TICK_SECONDS)]
            except queue.Empty:
                done = []
            while not arrived.empty():
                done.append(arrived.get())
            for future in done:
                remaining.discard(future)
                key = futures[future]
                result = _result(future, runs[key], plan.shipped.fingerprint)
                plan.results[key] = result
                writer.pending[key] = result
                plan.todo.remove((key, runs[key]))
                on_result(runs[key], result)
            if not writer.tick():
                return "cancelled", "Cancelled; the runs that finished are kept, and starting it again trains the rest."
        writer.flush()
        return "finished", ""
    finally:
        if remaining:
            client.cancel(list(remaining))
        if data is not None:
            client.cancel([data])


def _result(future, run: Run, fingerprint: str) -> dict:
    """What the client keeps of a finished task, once checked: the run's curves came from this
    version of the training, on this data."""
    if future.cancelled():
        raise SweepError(f"{run} was dropped by the cluster: its scheduler went away, or another client cancelled it")
    try:
        done = future.result()
    except Exception as error:
        hint = (". Every worker needs optviz installed, the same version as this client's"
                if isinstance(error, ImportError) else "")
        raise SweepError(f"{run} failed on the cluster: {type(error).__name__}: {error}{hint}") from error
    if done["version"] != RESULTS_VERSION or done["data"] != fingerprint:
        raise SweepError(f"{run} came back from worker {done['worker']} trained by race results version "
                         f"{done['version']} on data {done['data']}, not version {RESULTS_VERSION} on {fingerprint}: "
                         "every worker needs the same optviz as this client")
    return {"optimizer": run.optimizer, "lr": run.lr, "seed": run.seed, **done["curves"], "worker": done["worker"],
            "seconds": done["seconds"]}


class _Writer:
    """The client's side of the store: the runs not yet written, written at every tick, and a
    heartbeat. A write that fails keeps its runs and is tried again after a wait that doubles
    while the sweep trains on, until :data:`jobs.PATIENCE_SECONDS` of failures end it."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.pending = {}  # run key → result, not yet written
        self.failing_since = None
        self.wait = jobs.TICK_SECONDS
        self.next_try = 0.0

    def tick(self) -> bool:
        """Write what is pending if it is time; whether the sweep goes on."""
        now = time.monotonic()
        if now < self.next_try:
            return True
        try:
            go_on = self.plan.sweeps.write(self.plan.key, self.plan.run, self.pending)
        except jobs.StoreError as error:
            self.failing_since = self.failing_since or now
            if now - self.failing_since >= jobs.PATIENCE_SECONDS:
                raise
            log.warning("sweep %s: %d runs not written (%s); trying again in %g s", self.plan.key,
                        len(self.pending), error, self.wait)
            self.next_try = now + self.wait
            self.wait = min(2 * self.wait, jobs.MAX_RETRY_SECONDS)
            return True
        self.pending.clear()
        self.failing_since, self.wait, self.next_try = None, jobs.TICK_SECONDS, 0.0
        return go_on

    def flush(self) -> None:
        """Write the last runs, waiting for the store as long as a tick would."""
        while self.pending:
            self.tick()
            if self.pending:
                time.sleep(max(0.0, self.next_try - time.monotonic()))


def _end(plan: Plan, state: str, reason: str) -> None:
    """Write how the sweep ended, trying for :data:`jobs.PATIENCE_SECONDS`: a sweep left "running"
    is found "interrupted" once its client has gone, which loses only the reason."""
    deadline = time.monotonic() + jobs.PATIENCE_SECONDS
    while True:
        try:
            plan.sweeps.end(plan.key, plan.run, state, reason)
            return
        except jobs.StoreError:
            if time.monotonic() > deadline:
                log.exception("sweep %s: how it ended (%s) was not written", plan.key, state)
                return
            time.sleep(jobs.TICK_SECONDS)


def run_sweep(config: SweepConfig, client, store: jobs.Store, *, dataset=None, cluster: str = "",
              on_result=None) -> Plan:
    """Begin ``config`` in ``store`` and train what is left on ``client``'s cluster; the plan, with
    every run's result once it has finished (``dataset``: the data ``config.data`` names,
    loaded by the caller, else here)."""
    dataset = dataset if dataset is not None else datasets.load(config.data)
    plan = begin(store, config, dataset, cluster=cluster)
    drive(plan, client, on_result=on_result)
    return plan


def text_progress(plan: Plan, stream=None, width=30):
    """An ``on_result`` for terminals: the runs finished out of all, redrawn in place."""
    began = time.perf_counter()

    def show(run=None, result=None):
        out = stream if stream is not None else sys.stderr
        done = len(plan.results)
        filled = round(width * done / plan.total)
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{plan.total} runs "
                  f"{time.perf_counter() - began:6.0f} s")
        out.flush()

    show()
    return show


# -- the app's sweeps ------------------------------------------------------------------------------


def server_cluster() -> tuple[str | None, int]:
    """Where this server's sweeps run: the scheduler address ``$OPTVIZ_DASK_SCHEDULER`` names, or
    None for a local cluster; and the local cluster's workers (``$OPTVIZ_SWEEP_WORKERS``, else the
    cores but one). Read from the server's environment only, never from a page or a link."""
    scheduler = os.environ.get(SCHEDULER_VARIABLE, "").strip() or None
    if scheduler is not None:
        check_address(scheduler)
    raw = os.environ.get(WORKERS_VARIABLE, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{WORKERS_VARIABLE} must be a whole number of at least 1, got {raw!r}")
        return scheduler, int(raw)
    return scheduler, max(1, local_workers() - 1)


def start(store: jobs.Store, config: SweepConfig) -> str:
    """Begin ``config`` for the app, on this server's cluster (:func:`server_cluster`), and train it
    in a thread of this process; return its key. One sweep at a time; data only from
    :data:`jobs.DATA_SOURCES`. Raises :class:`jobs.Refused`, or ValueError for a bad server setting."""
    if config.data not in jobs.DATA_SOURCES:
        raise jobs.Refused(f"Sweeps here train on the embedded subset or on the full set this server finds itself, "
                           f"not on data={config.data!r}.")
    scheduler, workers = server_cluster()
    where = "this server's Dask cluster" if scheduler else (
        f"a local Dask cluster of {workers} worker process{'es' if workers > 1 else ''}")
    plan = begin(store, config, jobs._dataset(config.data), cluster=where, alone=True)

    def work():
        try:
            with cluster(scheduler, workers) as (client, _):
                drive(plan, client)
        except BaseException as error:  # drive has written how it ended; one it never reached ends here
            log.exception("sweep %s failed", plan.key)
            _end(plan, "failed", f"This server's Dask scheduler did not answer within {CONNECT_SECONDS:g} s (the "
                                 "server's log says where it looked)." if isinstance(error, SchedulerUnreachable)
                 else str(error) if isinstance(error, SweepError) else f"{type(error).__name__}: {error}")

    threading.Thread(target=work, name=f"sweep-{plan.key}", daemon=True).start()
    return plan.key


# -- what a sweep shows ---------------------------------------------------------------------------


def curves(result: dict) -> RunResult:
    """A stored run's curves as run_race returns them (without the live curve, which a sweep keeps not)."""
    return RunResult(**{metric: list(result[metric]) for metric in (*METRICS, "epoch_seconds")},
                     diverged_at=result["diverged_at"])


@dataclass(frozen=True)
class Point:
    """One optimizer at one α: the final validation accuracy of each seed finished, -inf for a
    seed that diverged."""

    optimizer: str
    lr: float
    accuracies: tuple

    @property
    def diverged(self) -> int:
        return sum(not math.isfinite(value) for value in self.accuracies)

    @property
    def mean(self) -> float:
        """The mean over the seeds; -inf if one diverged, NaN before the first seed finishes."""
        return float(np.mean(self.accuracies)) if self.accuracies else math.nan

    @property
    def std(self) -> float:
        """The spread over the seeds: their standard deviation (NumPy's, ddof=0)."""
        return float(np.std(self.accuracies)) if self.accuracies and not self.diverged else math.nan


def points(config: SweepConfig, results) -> dict:
    """{optimizer: [Point for each α of the grid]} from the finished runs' results."""
    finals = {}
    for result in results:
        run = curves(result)
        value = -math.inf if run.diverged_at is not None or not run.val_accuracy else run.val_accuracy[-1]
        finals.setdefault((result["optimizer"], result["lr"]), []).append((result["seed"], value))
    return {optimizer: [Point(optimizer, lr, tuple(value for _, value in sorted(finals.get((optimizer, lr), ()))))
                        for lr in config.lrs] for optimizer in config.optimizers}


def best(config: SweepConfig, results) -> dict:
    """Each optimizer's best α: the Point of highest mean final validation accuracy among the α
    whose seeds all trained without diverging (so far); None for an optimizer without one."""
    chosen = {}
    for optimizer, row in points(config, results).items():
        eligible = [point for point in row if point.accuracies and not point.diverged]
        chosen[optimizer] = max(eligible, key=lambda point: point.mean, default=None)
    return chosen


def race_at(config: SweepConfig, results, lrs: dict) -> dict:
    """The race at one α per optimizer (``lrs``), each run the mean over the seeds that finished:
    the epochs they all finished, averaged, and the first divergence among them. An optimizer
    without a finished seed at its α is left out."""
    by_run = {(result["optimizer"], result["lr"]): [] for result in results}
    for result in results:
        by_run[(result["optimizer"], result["lr"])].append(curves(result))
    race = {}
    for optimizer in config.optimizers:
        seeds = by_run.get((optimizer, lrs.get(optimizer)))
        if not seeds:
            continue
        epochs = min(run.epochs for run in seeds)
        diverged = [run.diverged_at for run in seeds if run.diverged_at is not None]
        race[optimizer] = RunResult(**{metric: [float(np.mean([getattr(run, metric)[epoch] for run in seeds]))
                                                for epoch in range(epochs)] for metric in (*METRICS, "epoch_seconds")},
                                    diverged_at=min(diverged) if diverged else None)
    return race


def document(config: SweepConfig, plan: Plan) -> dict:
    """What ``python -m optviz sweep --json`` writes: the settings, every run, each optimizer's best α."""
    order = {run: index for index, run in enumerate(sorted(plan.keys, key=lambda r: (config.optimizers.index(
        r.optimizer), r.lr, r.seed)))}
    finished = sorted(plan.results.values(), key=lambda r: order[Run(r["optimizer"], r["lr"], r["seed"])])
    return {"config": config.to_dict(),
            "data": {"source": plan.source, "fingerprint": plan.shipped.fingerprint},
            "cluster": plan.cluster,
            "runs": [{name: result[name] for name in ("optimizer", "lr", "seed", "val_accuracy", "val_loss", "accuracy",
                                                      "loss", "diverged_at")} for result in finished],
            "best": {optimizer: None if point is None else
                     {"lr": point.lr, "val_accuracy_mean": point.mean, "val_accuracy_std": point.std}
                     for optimizer, point in best(config, finished).items()}}


def summary(config: SweepConfig, results) -> str:
    """Each optimizer's best α with its mean and spread over the seeds, beside its result at the
    article's α; best first."""
    results = list(results)
    table, chosen = points(config, results), best(config, results)

    def shown(point) -> str:
        if point is None or not point.accuracies:
            return "not trained"
        if point.diverged:
            return f"diverged ({point.diverged} of {len(point.accuracies)} seeds)"
        return f"{point.mean:.4f} ± {point.std:.4f}"

    seeds = len(config.seeds)
    article = f"at the article's α = {ARTICLE_LR:g}"
    lines = [f"{'optimizer':14} {'best α':>8}  {f'val accuracy (mean ± sd, {seeds} seeds)':36} {article}"]
    edges = False
    for optimizer in sorted(config.optimizers, key=lambda o: -chosen[o].mean if chosen[o] else math.inf):
        point = chosen[optimizer]
        at_article = next((p for p in table[optimizer] if p.lr == ARTICLE_LR), None)
        edge = point is not None and len(config.lrs) > 1 and point.lr in (config.lrs[0], config.lrs[-1])
        edges |= edge
        best_lr = "—" if point is None else f"{point.lr:g}" + ("*" if edge else "")
        lines.append(f"{OPTIMIZERS[optimizer].title:14} {best_lr:>8}  {shown(point):36} "
                     f"{'not in the grid' if at_article is None else shown(at_article)}")
    if edges:
        lines.append("* at the edge of the α grid: the best α may lie beyond it")
    return "\n".join(lines)

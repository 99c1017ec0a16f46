"""What a Dask cluster costs an α sweep, and what two workers gain: measured against the same
trainings run one after another in this process.

    python -m benchmarks.sweep [--seeds 2] [--epochs 1] [--rounds 3]

The sweep is the article's eight optimizers at the six default α, for ``--seeds`` seeds and
``--epochs`` epochs of the article's network on the embedded subset (48 runs a seed). Each round
runs it three ways, each after a warm-up that loads the kernels and ships the data:

* direct: every training one after another in this process, through ``run_race``, with BLAS and
  numba held to one thread as a task holds them;
* 1 worker: :func:`optviz.race.sweep.run_sweep` on a local cluster of one worker process, with its
  store writes; the difference from direct, per run, is the per-task overhead;
* 2 workers: the same on a local cluster of two worker processes; direct's time over its time is
  the speed-up;
* 2 processes: the same runs split between two plain processes (no Dask), warmed up alike: what
  two cores of the machine give at that moment, the ceiling of the speed-up.

The per-task overhead is counted two ways: the 1-worker sweep's wall time beyond the seconds its
tasks spent training (what Dask and the store writes add: the goal's measure), and beyond the
direct trainings (which also counts a worker process training slower than this one, as on a
busy machine).

Each sweep writes into a store of its own, so none takes another's runs. The cluster's start (its
worker processes) is timed apart: a sweep pays it once. Goals: overhead at most 5% of a run, and
the speed-up at least 1.7×. The machine's other load moves every number: rounds alternate the
three ways so that a burst hits all of them, and the median round is the result.
"""

import argparse
import contextlib
import logging
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import numba

from optviz.race import data as datasets
from optviz.race import jobs, sweep
from optviz.race.training import run_race

GOAL_OVERHEAD, GOAL_SPEEDUP = 0.05, 1.7


def direct(config: sweep.SweepConfig, split) -> float:
    """Seconds to train every run of ``config`` one after another here."""
    began = time.perf_counter()
    for run in config.runs():
        run_race(config.race(run), split)
    return time.perf_counter() - began


def on_cluster(config: sweep.SweepConfig, client, dataset, folder: Path) -> tuple[float, float]:
    """Seconds of wall time for the sweep on ``client``'s cluster, and the seconds its tasks spent training."""
    store = jobs.Store(folder / f"{time.monotonic_ns()}.sqlite")
    began = time.perf_counter()
    plan = sweep.run_sweep(config, client, store, dataset=dataset, cluster="benchmark")
    wall = time.perf_counter() - began
    assert len(plan.results) == plan.total, "the sweep did not finish"
    return wall, sum(result["seconds"] for result in plan.results.values())


def _half(config: sweep.SweepConfig, part: int, barrier) -> float:
    """In a plain process: warm up, wait for the other, train every other run; the seconds it took."""
    numba.set_num_threads(1)
    split = datasets.split(datasets.load("embedded"))
    warm_up = sweep.SweepConfig(lrs=sweep.DEFAULT_LRS[:1], seeds=(sweep.MAX_SEED,), epochs=1, data="embedded")
    direct(warm_up, split)
    barrier.wait()
    began = time.perf_counter()
    for run in config.runs()[part::2]:
        run_race(config.race(run), split)
    return time.perf_counter() - began


def two_processes(config: sweep.SweepConfig) -> float:
    """Seconds until two plain processes, started together, have trained every run between them."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        barrier = manager.Barrier(2)
        return max(pool.starmap(_half, [(config, 0, barrier), (config, 1, barrier)]))


def warm(config: sweep.SweepConfig, client, dataset) -> None:
    """Every worker loads every optimizer's kernels and the data's floats before the timing."""
    data = client.scatter(sweep.Shipped.of(dataset), broadcast=True, hash=False)
    client.gather([client.submit(sweep.train, config.race(run), data, workers=[worker], allow_other_workers=False,
                                 pure=False) for worker in client.scheduler_info()["workers"] for run in config.runs()])
    client.cancel([data])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    config = sweep.SweepConfig(lrs=sweep.DEFAULT_LRS, seeds=tuple(range(args.seeds)), epochs=args.epochs,
                               data="embedded")
    warm_up = sweep.SweepConfig(lrs=sweep.DEFAULT_LRS[:1], seeds=(sweep.MAX_SEED,), epochs=1, data="embedded")
    runs = len(config.runs())
    dataset = datasets.load("embedded")
    split = datasets.split(dataset)
    numba.set_num_threads(1)
    direct(warm_up, split)
    print(f"{runs} runs: the article's eight at {len(config.lrs)} α × {args.seeds} seeds × {args.epochs} epoch(s) "
          f"on the embedded subset ({len(dataset.y_train):,} images); {args.rounds} rounds; machine shared, so noisy")
    for name in ("distributed", "distributed.core", "distributed.nanny", "distributed.scheduler"):
        logging.getLogger(name).setLevel(logging.ERROR)
    times = {"direct": [], "1 worker": [], "2 workers": [], "2 processes": []}
    training = {"1 worker": [], "2 workers": []}
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as closing:
        clients = {}
        for name, workers in (("1 worker", 1), ("2 workers", 2)):
            began = time.perf_counter()
            clients[name], _ = closing.enter_context(sweep.cluster(workers=workers))
            print(f"local cluster of {name}: started in {time.perf_counter() - began:.1f} s")
            warm(warm_up, clients[name], dataset)
        for round_ in range(args.rounds):
            times["direct"].append(direct(config, split))
            for name, client in clients.items():
                wall, trained = on_cluster(config, client, dataset, Path(folder))
                times[name].append(wall)
                training[name].append(trained)
            times["2 processes"].append(two_processes(config))
            print(f"round {round_ + 1}: " + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in times.items()))
    median = {name: statistics.median(values) for name, values in times.items()}
    per_run = median["direct"] / runs
    overhead = statistics.median(wall - trained for wall, trained in zip(times["1 worker"], training["1 worker"]))
    overhead /= runs
    beyond_direct = (median["1 worker"] - median["direct"]) / runs
    print(f"\none run, direct: {1000 * per_run:.1f} ms (median round)")
    print(f"1 worker: {median['1 worker']:.2f} s, of which its tasks trained "
          f"{statistics.median(training['1 worker']):.2f} s")
    verdict = "met" if overhead / per_run <= GOAL_OVERHEAD else "MISSED"
    print(f"per-task overhead (wall beyond the tasks' training): {1000 * overhead:.1f} ms a run, "
          f"{100 * overhead / per_run:.1f}% of a run (goal ≤ {100 * GOAL_OVERHEAD:.0f}%): {verdict}")
    print(f"1 worker beyond direct: {1000 * beyond_direct:.1f} ms a run, "
          f"{100 * beyond_direct / per_run:.1f}% of a run")
    speedup = median["direct"] / median["2 workers"]
    verdict = "met" if speedup >= GOAL_SPEEDUP else "MISSED"
    print(f"2 workers: {median['2 workers']:.2f} s, {speedup:.2f}× faster than direct (goal ≥ {GOAL_SPEEDUP}×): "
          f"{verdict}; two plain processes: {median['direct'] / median['2 processes']:.2f}× (what the machine "
          "gave two processes meanwhile)")
    print("rounds: " + "; ".join(f"{name} " + ", ".join(f"{value:.2f}" for value in values)
                                 for name, values in times.items()))


if __name__ == "__main__":
    main()

"""Thread or process for the race worker? The page's latency and the race's speed, side by side.

    OPTVIZ_DATA_DIR=/path/to/fashion-mnist python -m benchmarks.race_worker [--seconds 30] [--rounds 2]

Runs the article's race (all eight optimizers, batch 32) on the full Fashion-MNIST set, which must
be where ``optviz.race.data.load`` finds it, in three modes, one after the other, each for ``--seconds``:

* idle: no race; the page's work only (its race figure drawn from a small made-up result);
* thread: the race in a thread of this process, started by ``optviz.race.jobs.Store.start``, as the
  server runs it;
* process: the same race started from a "spawn" child process instead.

Meanwhile this process does what a page does once a second: the race fragment (watch the job,
build the race figure, serialise it) and a lab rerun (four traces on Rosenbrock and their contour
figure). Each mode prints the median and max of both, in ms, the seconds until the race's first
point, and the race's speed in epochs a minute. ``--rounds`` repeats the three modes, so that load
from other processes hits all of them. It ends with the cost of a second interpreter: the seconds
and the peak memory of a fresh ``python`` that imports optviz.race.jobs and loads the race's kernels.

A run takes about 3 × rounds × seconds (3 minutes by default), on a machine left otherwise alone.
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optviz
import surfaces
from optviz import plots
from optviz.race import jobs
from optviz.race.training import RaceConfig

#: The article's race on the full set.
CONFIG = RaceConfig(data="auto")
MODES = ("idle", "thread", "process")
#: What a worker process does before its race's first step, but load the data: import optviz's
#: jobs and load the eight optimizers' kernels (from the disk cache) with a tiny race. Prints the
#: seconds it took and the process's peak memory (VmHWM: ru_maxrss would count the parent's).
WORKER_START = """import re, time
began = time.perf_counter()
from optviz.race import jobs
from benchmarks.mlp import random_split
from optviz.race.training import RaceConfig, run_race
run_race(RaceConfig(hidden=(16,), epochs=1, data="embedded"), random_split(64, 1))
peak = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)
print(time.perf_counter() - began, int(peak) / 1024)
"""


def _child(path: str) -> None:
    """The race in a process of its own, watched (so that it is not cancelled for want of a viewer)."""
    store = jobs.Store(path)
    key = store.start(CONFIG).key
    while store.watch(key).running:
        time.sleep(0.5)


def _fragment(store: jobs.Store, key: str):
    """The page's race fragment: watch the job and draw its figure (or a made-up one without a race)."""
    job = store.watch(key)
    results = job.results if job is not None else {
        name: {"loss": [1.0] * 5, "accuracy": [0.5] * 5, "val_loss": [1.0] * 5, "val_accuracy": [0.5] * 5,
               "epoch_seconds": [1.0] * 5, "diverged_at": None, "smoothed": [[i / 30, 1.0] for i in range(150)]}
        for name in ("sgd", "adam")}
    plots.training_race(results).to_json()
    return job


def _lab_rerun() -> None:
    """A lab rerun: four optimizers on Rosenbrock and their contour figure."""
    traces = [optviz.trace("rosenbrock", name, steps=300, lr=0.001) for name in ("sgd", "momentum", "rmsprop", "adam")]
    plots.contour(traces, surfaces.get("rosenbrock")).to_json()


def measure(mode: str, seconds: float) -> None:
    folder = tempfile.mkdtemp(prefix="race-worker-")
    path = str(Path(folder) / "races.sqlite")
    store, key, worker = jobs.Store(path), CONFIG.key(), None
    began = time.perf_counter()
    if mode == "thread":
        store.start(CONFIG)
    elif mode == "process":
        worker = multiprocessing.get_context("spawn").Process(target=_child, args=(path,))
        worker.start()
    fragment, lab, first, since = [], [], None, None
    while time.perf_counter() - began < seconds:
        started = time.perf_counter()
        job = _fragment(store, key)
        fragment.append(time.perf_counter() - started)
        if job is not None and first is None and job.progress > 0:
            first = time.perf_counter() - began
            since = (time.perf_counter(), job.progress)
        started = time.perf_counter()
        _lab_rerun()
        lab.append(time.perf_counter() - started)
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - started)))
    rate = None
    if mode != "idle":
        job = store.job(key)
        if job is not None and job.state not in ("running", "finished"):
            raise SystemExit(f"the race did not run: {job.state}, {job.reason}")
        if since:
            rate = (job.progress - since[1]) * CONFIG.epochs / (time.perf_counter() - since[0]) * 60
        store.cancel(key)
        if worker is not None:
            worker.join(30)
        while store.job(key).running:
            time.sleep(0.1)
    shutil.rmtree(folder, ignore_errors=True)

    def ms(values, how):
        return how(values[2:] or values) * 1000  # the first redraws warm the caches

    print(f"{mode:8} fragment median {ms(fragment, statistics.median):4.0f} ms max {ms(fragment, max):4.0f} | "
          f"lab rerun median {ms(lab, statistics.median):4.0f} ms max {ms(lab, max):4.0f} | "
          + (f"first point {first:4.1f} s | race {rate:4.2f} epochs/min" if rate else "no race"), flush=True)


def second_interpreter(runs: int = 3) -> None:
    """What a worker process costs before it trains: seconds and peak memory (median of ``runs``)."""
    seconds, megabytes = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", WORKER_START], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parents[1])
        took, peak = map(float, out.stdout.split())
        seconds.append(took)
        megabytes.append(peak)
    print(f"a second interpreter, to import optviz.race.jobs and load the race's kernels: {statistics.median(seconds):.2f} s "
          f"and {statistics.median(megabytes):.0f} MB at its peak (median of {runs}; the data comes on top)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each mode runs (default 30)")
    parser.add_argument("--rounds", type=int, default=2, help="how many times the three modes run (default 2)")
    args = parser.parse_args(argv)
    if "auto" not in jobs.data_sources():
        raise SystemExit("the full Fashion-MNIST set is not found here: set OPTVIZ_DATA_DIR to its directory")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; the article's race on the full set; "
          f"{args.seconds:g} s per mode", flush=True)
    _lab_rerun()  # compile or load the kernels once, before any timing
    for _ in range(args.rounds):
        for mode in MODES:
            measure(mode, args.seconds)
    second_interpreter()


if __name__ == "__main__":
    main()

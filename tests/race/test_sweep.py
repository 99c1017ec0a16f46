"""α sweeps on Dask: the grid's checks, equality with direct trainings, the store, a real cluster
that loses a worker, a client killed and resumed, and the CLI's errors."""

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numba
import pytest
from distributed import Client, LocalCluster

from benchmarks.server import free_port
from optviz.cli import _lr_grid, main
from optviz.race import data, jobs, sweep
from optviz.race.conclusions import conclusions
from optviz.race.sweep import Run, SweepConfig
from optviz.race.training import METRICS, RESULTS_VERSION, run_race

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).with_name("dask")
#: The issue's smallest sweep: 2 optimizers × 2 α × 2 seeds, one epoch of a tiny network on the embedded subset.
TINY = SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01), seeds=(0, 1), epochs=1, hidden=(16,),
                   data="embedded")
#: Runs long enough (about 0.3 s each) that a worker can be killed while one trains.
LONGER = SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01, 0.1), seeds=(0, 1), epochs=3, hidden=(300, 100),
                     data="embedded")


@pytest.fixture(autouse=True)
def own_store(monkeypatch, tmp_path):
    """A store of this test's own; the compiled kernels stay where they are (for the worker processes
    too, which inherit this environment), so that no worker compiles them again."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(Path(numba.config.CACHE_DIR).parent))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def embedded():
    return data.load("embedded")


@pytest.fixture
def store(tmp_path):
    return jobs.Store(tmp_path / "races.sqlite")


@pytest.fixture
def in_process():
    """A cluster of one worker thread in this process: quick to start, for the tests of the client's side
    (one per test: a scheduler keeps a result it still holds under its task's key, whatever trains it next)."""
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as local, \
            Client(local, set_as_default=False) as client:
        yield client


def direct(config: SweepConfig, run: Run, embedded):
    """The run trained directly, without Dask."""
    return run_race(config.race(run), data.split(embedded))[run.optimizer]


def same_curves(result: dict, expected) -> bool:
    return all(result[metric] == getattr(expected, metric) for metric in METRICS) and \
        result["diverged_at"] == expected.diverged_at


# -- the grid -------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, message", [
    ({"lrs": ()}, "a sweep takes 1 to 12 α, got 0"),
    ({"lrs": (0.001, -0.01)}, "α must lie in [1e-05, 10], got -0.01"),
    ({"lrs": (0.001, 100.0)}, "α must lie in [1e-05, 10], got 100"),
    ({"lrs": (float("nan"),)}, "α must be finite numbers, got nan"),
    ({"lrs": ("0.01",)}, "α must be finite numbers, got '0.01'"),
    ({"lrs": "0.01"}, "α must be a list of numbers"),
    ({"lrs": (True,)}, "α must be finite numbers, got True"),
    ({"lrs": (0.01, 0.01)}, "α may not repeat, got 0.01 more than once"),
    ({"lrs": tuple(10.0 ** -k for k in range(1, 14))}, "a sweep takes 1 to 12 α, got 13"),
    ({"seeds": (0, -1)}, "seeds must lie in [0, 4294967295], got -1"),
    ({"seeds": (0.5,)}, "seeds must be whole numbers, got 0.5"),
    ({"seeds": tuple(range(11))}, "a sweep takes 1 to 10 seeds, got 11"),
    ({"optimizers": ("sgd", "adamm")}, "unknown optimizer 'adamm'"),
    ({"optimizers": ("sgd", "sgd")}, "optimizers may not repeat, got sgd more than once"),
    ({"optimizers": ()}, "a sweep takes 1 to"),
    ({"epochs": 0}, "epochs=0 is outside the allowed range [1, 50]"),
    ({"data": ""}, "data must be 'auto', 'embedded' or a directory"),
    ({"lrs": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3), "seeds": tuple(range(10)), "epochs": 50,
      "hidden": (300, 100), "optimizers": ("sgd", "adam", "nadam")}, "the limit is 1,000,000,000 per sweep"),
])
def test_a_grid_that_cannot_be_swept_says_what_is_wrong(changes, message):
    settings = {**TINY.to_dict(), **changes}
    with pytest.raises(ValueError) as error:
        SweepConfig(**settings)
    assert message in str(error.value)


def test_the_grid_is_sorted_and_each_run_is_a_one_optimizer_race():
    config = SweepConfig(optimizers=("adam", "sgd"), lrs=(0.01, 0.001), seeds=(1, 0), epochs=2, hidden=(16,),
                         data="embedded")
    assert config.lrs == (0.001, 0.01) and config.seeds == (0, 1)
    runs = config.runs()
    assert len(runs) == 8 and runs[:4] == [Run("adam", 0.001, 0), Run("sgd", 0.001, 0), Run("adam", 0.01, 0),
                                           Run("sgd", 0.01, 0)]  # every (optimizer, α) of the first seed first
    race = config.race(Run("adam", 0.01, 1))
    assert race.optimizers == ("adam",) and race.seed == 1 and race.epochs == 2
    assert race.hyper_for("adam") == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}  # the article's
    assert SweepConfig.from_dict(json.loads(json.dumps(config.to_dict()))).key() == config.key()


# -- on a cluster -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_sweep_on_a_local_cluster_of_two_workers_equals_the_trainings_run_directly(store, embedded):
    arrived = []
    with sweep.cluster(workers=2) as (client, where):
        assert where == "a local Dask cluster of 2 worker processes"
        plan = sweep.run_sweep(TINY, client, store, dataset=embedded, cluster=where,
                               on_result=lambda run, result: arrived.append(run))
    assert sorted(arrived) == sorted(TINY.runs()) and len(plan.results) == 8 and not plan.todo
    by_run = {Run(r["optimizer"], r["lr"], r["seed"]): r for r in plan.results.values()}
    for run in TINY.runs():
        assert same_curves(by_run[run], direct(TINY, run, embedded)), run
    assert len({r["worker"] for r in plan.results.values()}) == 2  # both workers trained
    job = jobs.Sweeps(store).get(TINY.key())
    assert job.state == "finished" and job.runs == plan.results and job.cluster == where


def test_the_client_writes_each_run_as_it_arrives_and_a_cancelled_sweep_resumes_with_the_rest(
        store, embedded, in_process):
    sweeps, written = jobs.Sweeps(store), []

    def cancel_after_three(run, result):
        written.append(len(sweeps.get(TINY.key()).runs))  # what the store held before this run was written
        if len(written) == 3:
            sweeps.cancel(TINY.key())

    plan = sweep.begin(store, TINY, embedded, cluster="in process")
    assert len(plan.todo) == 8 and not plan.results
    assert sweep.drive(plan, in_process, on_result=cancel_after_three) == "cancelled"
    job = sweeps.get(TINY.key())
    assert job.state == "cancelled" and "starting it again trains the rest" in job.reason
    kept = dict(job.runs)
    assert 3 <= len(kept) < 8 and written[:2] == [0, 1]  # written one tick after they arrive, not at the end

    again = sweep.begin(store, TINY, embedded, cluster="in process")
    assert again.results == kept and {key for key, _ in again.todo} == set(again.keys.values()) - set(kept)
    trained = []
    assert sweep.drive(again, in_process, on_result=lambda run, result: trained.append(run)) == "finished"
    assert len(trained) == 8 - len(kept)
    finished = sweeps.get(TINY.key())
    assert finished.state == "finished" and len(finished.runs) == 8
    assert all(finished.runs[key] == result for key, result in kept.items())  # not trained again


def test_a_sweep_takes_the_runs_another_sweep_trained_with_the_same_settings(store, embedded, in_process):
    sweep.run_sweep(TINY, in_process, store, dataset=embedded)
    wider = SweepConfig(**{**TINY.to_dict(), "lrs": (0.001, 0.01, 0.1)})
    plan = sweep.begin(store, wider, embedded, cluster="in process")
    assert len(plan.results) == 8 and [run.lr for _, run in plan.todo] == [0.1] * 4
    plan.sweeps.end(plan.key, plan.run, "cancelled", "")


def test_a_sweep_running_elsewhere_is_not_begun_twice(store, embedded):
    plan = sweep.begin(store, TINY, embedded, cluster="here")
    with pytest.raises(jobs.Refused, match="This sweep is running already"):
        sweep.begin(store, TINY, embedded, cluster="here")
    other = SweepConfig(**{**TINY.to_dict(), "seeds": (5,)})
    with pytest.raises(jobs.Refused, match="One sweep at a time"):
        sweep.begin(store, other, embedded, cluster="here", alone=True)
    plan.sweeps.end(plan.key, plan.run, "cancelled", "")
    sweep.begin(store, other, embedded, cluster="here", alone=True)


def test_a_task_that_fails_ends_the_sweep_as_failed_keeping_the_runs_before(store, embedded, in_process,
                                                                             monkeypatch):
    trained = sweep.train

    def fails_on_adam(race, shipped):
        if race.optimizers == ("adam",):
            raise FloatingPointError("the worker's floats broke")
        return trained(race, shipped)

    monkeypatch.setattr(sweep, "train", fails_on_adam)
    plan = sweep.begin(store, TINY, embedded, cluster="in process")
    with pytest.raises(sweep.SweepError, match=r"Adam at α = 0.001, seed 0 failed on the cluster: FloatingPointError"):
        sweep.drive(plan, in_process)
    job = jobs.Sweeps(store).get(TINY.key())
    assert job.state == "failed" and "FloatingPointError: the worker's floats broke" in job.reason
    assert job.runs == plan.results and {r["optimizer"] for r in job.runs.values()} <= {"sgd"}


def test_a_worker_running_other_training_code_is_refused(store, embedded, in_process, monkeypatch):
    trained = sweep.train
    monkeypatch.setattr(sweep, "train", lambda race, shipped: {**trained(race, shipped), "version": 1})
    plan = sweep.begin(store, TINY, embedded, cluster="in process")
    with pytest.raises(sweep.SweepError, match=f"race results version 1 on data .*not version {RESULTS_VERSION}"):
        sweep.drive(plan, in_process)
    assert not jobs.Sweeps(store).get(TINY.key()).runs


def test_a_sweep_whose_client_vanished_is_interrupted(store, embedded):
    plan = sweep.begin(store, TINY, embedded, cluster="here")
    with sqlite3.connect(store.path) as db:  # as if its process had died
        db.execute("UPDATE sweeps SET pid = 999999999, boot = 'gone'")
    job = jobs.Sweeps(store).get(plan.key)
    assert job.state == "interrupted" and "client stopped" in job.reason


def test_a_store_of_version_1_gains_the_sweeps_and_keeps_its_races(tmp_path):
    path = tmp_path / "races.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(jobs._SCHEMA)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO jobs (key, config, state, reason, source, run, pid, boot, started, heartbeat, viewed) "
                   "VALUES ('k', '{}', 'finished', '', 'embedded', 'r', 1, 'b', 0, 0, 0)")
    store = jobs.Store(path)
    assert store.notice == "" and not list(tmp_path.glob("*.damaged-*"))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == jobs.SCHEMA_VERSION
        assert db.execute("SELECT key FROM jobs").fetchall() == [("k",)]
    assert jobs.Sweeps(store).get("none") is None


# -- what a sweep shows ---------------------------------------------------------------------------


def result(optimizer, lr, seed, val_accuracy, diverged_at=None, loss=1.0):
    epochs = len(val_accuracy)
    return {"optimizer": optimizer, "lr": lr, "seed": seed, "loss": [loss] * epochs, "accuracy": [0.5] * epochs,
            "val_loss": [loss] * epochs, "val_accuracy": list(val_accuracy), "epoch_seconds": [1.0] * epochs,
            "diverged_at": diverged_at, "worker": "", "seconds": 1.0}


def test_the_best_alpha_has_the_best_mean_over_seeds_and_never_a_divergence():
    config = SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01, 0.1), seeds=(0, 1), epochs=1,
                         hidden=(16,), data="embedded")
    results = [result("sgd", 0.001, 0, [0.5]), result("sgd", 0.001, 1, [0.6]),
               result("sgd", 0.01, 0, [0.7]), result("sgd", 0.01, 1, [0.8]),
               result("sgd", 0.1, 0, [0.95]), result("sgd", 0.1, 1, [0.1], diverged_at=30),
               result("adam", 0.1, 0, [0.2], diverged_at=3)]
    best = sweep.best(config, results)
    assert best["sgd"].lr == 0.01 and best["sgd"].mean == pytest.approx(0.75) and best["sgd"].std == \
        pytest.approx(0.05)
    assert best["adam"] is None
    row = sweep.points(config, results)["sgd"]
    assert [point.diverged for point in row] == [0, 0, 1] and row[2].mean == -math.inf
    text = sweep.summary(config, results)
    assert "GD                 0.01  0.7500 ± 0.0500" in text and "0.5500 ± 0.0500" in text
    assert "Adam                  —  not trained" in text and "at the edge" not in text


def test_the_race_at_one_alpha_is_the_mean_over_its_seeds_and_the_conclusions_take_it():
    config = SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.01), seeds=(0, 1), epochs=2, hidden=(16,),
                         data="embedded")
    results = [result("sgd", 0.01, 0, [0.5, 0.6], loss=1.0), result("sgd", 0.01, 1, [0.7, 0.8], loss=2.0),
               result("adam", 0.001, 0, [0.8, 0.9]), result("adam", 0.001, 1, [0.1], diverged_at=40)]
    race = sweep.race_at(config, results, {"sgd": 0.01, "adam": 0.001})
    assert race["sgd"].val_accuracy == pytest.approx([0.6, 0.7]) and race["sgd"].loss == [1.5, 1.5]
    assert race["adam"].epochs == 1 and race["adam"].diverged_at == 40
    assert len(conclusions(race)) == 5


def test_sweep_json_holds_the_settings_every_run_and_each_best_alpha(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    assert main(["sweep", "--data", "embedded", "--optimizers", "sgd,adam", "--lr", "0.01,0.001", "--seeds", "0,1",
                 "--epochs", "1", "--hidden", "16", "--workers", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8 runs: 2 optimizers × 2 α × 2 seeds, 1 epoch each" in printed and "training 8" in printed
    assert "at the article's α = 0.001" in printed
    document = json.loads(out.read_text())
    assert set(document) >= {"config", "runs", "best"} and document["config"]["lrs"] == [0.001, 0.01]
    assert len(document["runs"]) == 8
    assert set(document["runs"][0]) == {"optimizer", "lr", "seed", "val_accuracy", "val_loss", "accuracy", "loss",
                                        "diverged_at"}
    assert set(document["best"]) == {"sgd", "adam"}
    assert set(document["best"]["adam"]) == {"lr", "val_accuracy_mean", "val_accuracy_std"}
    # The same command again: every run is in the store, nothing is trained.
    assert main(["sweep", "--data", "embedded", "--optimizers", "sgd,adam", "--lr", "0.001,0.01", "--seeds", "0,1",
                 "--epochs", "1", "--hidden", "16", "--workers", "1"]) == 0
    assert "8 already in the store, training 0" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, message", [
    (["--lr", "0.01,fast"], "--lr takes values like 1e-4,3e-4,1e-3, got '0.01,fast'"),
    (["--lr", "0"], "α must lie in [1e-05, 10], got 0"),
    (["--lr", "0.01,0.01"], "α may not repeat"),
    (["--lr-grid", "1e-4:1e-1"], "--lr-grid takes LO:HI:N such as 1e-4:1e-1:7, got '1e-4:1e-1'"),
    (["--lr-grid", "1e-1:1e-4:5"], "--lr-grid LO:HI:N needs 0 < LO < HI"),
    (["--lr-grid", "1e-4:1e-1:40"], "a sweep takes 1 to 12 α, got 40"),
    (["--seeds", "0,one"], "--seeds takes values like 0,1,2"),
    (["--optimizers", "sgd,adamm"], "unknown optimizer 'adamm'"),
    (["--scheduler", "localhost:8786"], "a Dask scheduler's address looks like tcp://HOST:PORT"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "--workers sizes the local cluster"),
    (["--workers", "0"], "a local cluster takes a whole number of workers of at least 1, got 0"),
])
def test_bad_sweeps_exit_2_with_a_clear_message(arguments, message, capsys):
    assert main(["sweep", "--data", "embedded", "--epochs", "1", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_lr_grid_spreads_alpha_evenly_on_a_log_scale():
    assert _lr_grid("1e-4:1e-1:7") == (0.0001, 0.000316, 0.001, 0.00316, 0.01, 0.0316, 0.1)
    assert _lr_grid("0.01:0.01:1") == (0.01,)


def test_an_unreachable_scheduler_exits_2_saying_where_it_looked(capsys, monkeypatch):
    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 2.0)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    began = time.monotonic()
    assert main(["sweep", "--data", "embedded", "--epochs", "1", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert f"no Dask scheduler answered at {address} within 2 s" in err and "dask scheduler" in err
    assert time.monotonic() - began < 15


# -- a real cluster: `dask scheduler` and two `dask worker` processes --------------------------------


class DaskCluster:
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, each in a process group of its
    own (a worker is a nanny and its worker process), stopped at the end."""

    def __init__(self):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env, cwd=ROOT)
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", port,
                                           "--no-dashboard"], **quiet)
        self.workers = {name: subprocess.Popen([DASK, "worker", self.address, "--nthreads", "1", "--name", name,
                                                "--no-dashboard"], **quiet) for name in ("w0", "w1")}

    def wait_for_workers(self, timeout=60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not come up"
                time.sleep(0.5)

    def kill(self, name: str) -> None:
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers.values(), self.scheduler]:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def dask_cluster():
    if not DASK.exists():
        pytest.skip("the dask command is not installed beside this Python")
    running = DaskCluster()
    try:
        running.wait_for_workers()
        yield running
    finally:
        running.stop()


@pytest.mark.slow
def test_a_sweep_on_a_running_scheduler_completes_when_a_worker_is_killed_mid_sweep(store, embedded, dask_cluster):
    arrived, killed = [], []
    with sweep.cluster(dask_cluster.address) as (client, where):
        assert where == f"the Dask scheduler at {dask_cluster.address}"

        def kill_w1_while_it_trains(run, result):
            arrived.append(run)
            if len(arrived) == 2:
                w1 = next(address for address, worker in client.scheduler_info()["workers"].items()
                          if worker["name"] == "w1")
                killed.extend(client.processing(workers=[w1])[w1])  # what it trains, or has been sent, now
                dask_cluster.kill("w1")

        plan = sweep.begin(store, LONGER, embedded, cluster=where)
        assert sweep.drive(plan, client, on_result=kill_w1_while_it_trains) == "finished"
        assert len(client.scheduler_info()["workers"]) == 1
    assert killed, "w1 had nothing to train when it was killed"
    assert sorted(arrived) == sorted(LONGER.runs())
    by_run = {Run(r["optimizer"], r["lr"], r["seed"]): r for r in plan.results.values()}
    for run in LONGER.runs():  # the same curves as on this machine, directly
        assert same_curves(by_run[run], direct(LONGER, run, embedded)), run


@pytest.mark.slow
def test_a_sweep_resumed_after_its_client_was_killed_trains_only_what_was_unfinished(tmp_path, dask_cluster):
    command = [sys.executable, "-m", "optviz", "sweep", "--data", "embedded", "--optimizers", "sgd,adam",
               "--lr", "0.001,0.01,0.1", "--seeds", "0,1", "--epochs", "3", "--scheduler", dask_cluster.address]
    store = jobs.Store()  # where the command keeps it: OPTVIZ_CACHE_DIR is this test's
    sweeps = jobs.Sweeps(store)
    client = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while (job := sweeps.get(LONGER.key())) is None or len(job.runs) < 3:
        assert client.poll() is None, client.communicate()
        assert time.monotonic() < deadline, "no run arrived"
        time.sleep(0.05)
    client.kill()
    client.wait()
    with sqlite3.connect(store.path) as db:
        before = dict(db.execute("SELECT key, finished FROM sweep_runs WHERE sweep = ?", (LONGER.key(),)))
    assert 3 <= len(before) < 12, "the client was not killed mid-sweep"
    assert sweeps.get(LONGER.key()).state == "interrupted"

    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(before)} already in the store, training {12 - len(before)}" in resumed.stdout
    job = sweeps.get(LONGER.key())
    assert job.state == "finished" and len(job.runs) == 12
    with sqlite3.connect(store.path) as db:
        after = dict(db.execute("SELECT key, finished FROM sweep_runs WHERE sweep = ?", (LONGER.key(),)))
    assert {key: after[key] for key in before} == before  # the finished runs were not trained again

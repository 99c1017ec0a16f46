"""Tests for optviz.race.jobs: races as background jobs in a store on disk, and the article's conclusions."""

import json
import math
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from optviz.race import conclusions, data, jobs
from optviz.race.training import RaceConfig, RunResult, run_race

ROOT = Path(__file__).resolve().parents[2]
FULL_DIR = ROOT.parent / "shared/data/fashion-mnist"


def tiny(**changes) -> RaceConfig:
    """A race that takes a fraction of a second: a 16-unit hidden layer on the embedded subset."""
    return RaceConfig(**{"optimizers": ("sgd", "adam"), "epochs": 1, "hidden": (16,), "data": "embedded", **changes})


def slow(**changes) -> RaceConfig:
    """A real race of a few seconds (batch 8 makes many small steps), for stopping it midway."""
    return tiny(optimizers=("adam",), epochs=50, batch_size=8, **changes)


def wait(until, timeout=10.0):
    """Poll ``until()`` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while not (value := until()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def ended(store, key, timeout=10.0) -> jobs.Job:
    return wait(lambda: (job := store.job(key)) and not job.running and job, timeout)


def read_line(stream, timeout):
    """The next line of ``stream``, or a failed test after ``timeout`` seconds (never a hang)."""
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"nothing read in {timeout} s")


def epoch_record(epoch, loss=1.0):
    return {"kind": "epoch", "epoch": epoch, "loss": loss, "accuracy": 0.5, "val_loss": loss, "val_accuracy": 0.5,
            "seconds": 0.01}


@pytest.fixture
def store(tmp_path):
    return jobs.Store(tmp_path / "races.sqlite")


@pytest.fixture
def endless(monkeypatch):
    """Replace the training by one that records an epoch every 10 ms until told to stop; returns its calls."""
    calls = []

    def race(config, split, *, on_event, should_stop, checkpoints=False):
        calls.append(config)
        epoch = 0
        while not should_stop():
            epoch += 1
            for name in config.optimizers:
                on_event(name, epoch_record(epoch))
            time.sleep(0.01)
        return {}

    monkeypatch.setattr(jobs, "run_race", race)
    return calls


@pytest.fixture
def no_full_set(monkeypatch, tmp_path):
    """A machine where optviz.race.data finds only the embedded subset."""
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))


# -- jobs ---------------------------------------------------------------------------------------


def test_a_race_streams_into_the_store_the_results_run_race_returns(store):
    config = tiny(epochs=2)
    job = store.start(config)
    assert job.key == config.key() and job.running
    job = ended(store, config.key())
    assert job.state == "finished" and job.reason == "" and job.progress == 1.0
    assert job.source.startswith("embedded subset")
    assert jobs.Store(store.path).job(config.key()).results == job.results  # read at once == read as it came
    # In a thread, as the store runs races. BLAS stays on one thread for good once a race has run, so
    # which thread ran the races before does not matter (training.one_blas_thread).
    with ThreadPoolExecutor(1) as pool:
        direct = pool.submit(run_race, config, data.split(data.load("embedded"))).result()
    for name in config.optimizers:  # equal to the last bit: JSON keeps every float exactly
        assert without_seconds(job.results[name]) == without_seconds(direct[name])
        assert len(job.results[name].epoch_seconds) == 2


def without_seconds(result):
    return {metric: values for metric, values in result.to_dict().items() if metric != "epoch_seconds"}


def test_the_same_race_asked_twice_attaches_to_one_worker(tmp_path, endless):
    path, config = tmp_path / "races.sqlite", tiny()
    sessions = [jobs.Store(path) for _ in range(4)]  # as the server's sessions would, at the same moment
    barrier, started = threading.Barrier(len(sessions)), []

    def ask(store):
        barrier.wait()
        started.append(store.start(config))

    threads = [threading.Thread(target=ask, args=(store,)) for store in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {job.key for job in started} == {config.key()} and all(job.running for job in started)
    wait(lambda: len(sessions[0].job(config.key()).results["adam"].loss) >= 2)
    sessions[1].cancel(config.key())
    assert ended(sessions[2], config.key()).state == "cancelled"
    assert len(endless) == 1


def test_cancel_is_prompt_and_keeps_the_finished_epochs(store, monkeypatch):
    log, tick = [], jobs.Store._tick  # the worker's ticks (begun, and what each returned) and the cancel

    def logged_tick(self, *args):
        log.append("tick")
        stop = tick(self, *args)
        log.append(stop)
        return stop

    monkeypatch.setattr(jobs.Store, "_tick", logged_tick)
    key = store.start(slow()).key
    wait(lambda: len(store.watch(key).results["adam"].loss) >= 2)
    store.cancel(key)
    log.append("cancelled")
    assert store.job(key).cancelling
    job = ended(store, key)
    # The race stops at the first tick begun after the cancel was written, if not at one before:
    # within a tick (TICK_SECONDS) and a minibatch, however slowly the machine runs.
    stops = [entry for entry in log if entry not in ("tick", "cancelled")]
    assert stops[-1] == ("cancelled", "Cancelled.") and stops[:-1] == [None] * (len(stops) - 1)
    assert log[log.index("cancelled"):].count("tick") <= 1, log[-5:]
    assert job.state == "cancelled" and job.reason == "Cancelled."
    result = job.results["adam"]
    assert 2 <= len(result.loss) < 50
    assert len({len(getattr(result, metric)) for metric in ("loss", "accuracy", "val_loss", "val_accuracy",
                                                    "epoch_seconds")}) == 1


def test_a_raising_worker_fails_with_its_error_and_keeps_what_it_finished(store, monkeypatch, caplog):
    def race(config, split, *, on_event, should_stop, checkpoints=False):
        for name in config.optimizers:
            on_event(name, epoch_record(1))
        raise RuntimeError("the network caught fire in epoch 2")

    monkeypatch.setattr(jobs, "run_race", race)
    job = ended(store, store.start(tiny()).key)
    assert job.state == "failed"
    assert job.reason == "RuntimeError: the network caught fire in epoch 2"
    assert job.results["adam"].loss == [1.0] and job.results["sgd"].val_accuracy == [0.5]
    assert "the network caught fire" in caplog.text  # the traceback goes to the server's log


def test_the_full_set_is_never_replaced_silently_by_the_subset(store, no_full_set):
    assert jobs.data_sources() == ({"embedded": "embedded subset inside optviz (5,000 train / 1,000 test)"}, "")
    job = ended(store, store.start(tiny(data="auto")).key)
    assert job.state == "failed" and "the full Fashion-MNIST set is not on this server" in job.reason


@pytest.mark.skipif(not FULL_DIR.is_dir(), reason=f"the full Fashion-MNIST set is not at {FULL_DIR}")
def test_the_full_set_is_offered_where_it_is_found(monkeypatch):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(FULL_DIR))
    sources, notice = jobs.data_sources()
    assert list(sources) == ["embedded", "auto"] and "60,000 train" in sources["auto"] and not notice


def test_only_the_allowed_data_and_real_configs(store, tmp_path):
    with pytest.raises(jobs.Refused, match="not on data="):
        store.start(tiny(data=str(tmp_path)))
    with pytest.raises(TypeError):
        store.start(tiny().to_dict())
    assert store.job(tiny(data=str(tmp_path)).key()) is None


def test_one_race_at_a_time(store, endless):
    first = store.start(tiny())
    with pytest.raises(jobs.Refused, match="One race at a time") as refusal:
        store.start(tiny(seed=1))
    assert refusal.value.job.key == first.key and refusal.value.job.running
    store.cancel(first.key)
    ended(store, first.key)
    assert store.start(tiny(seed=1)).running
    store.cancel(tiny(seed=1).key())
    ended(store, tiny(seed=1).key())


def test_only_the_latest_races_are_kept(store, monkeypatch):
    monkeypatch.setattr(jobs, "KEPT", 2)
    monkeypatch.setattr(jobs, "run_race", lambda config, split, *, on_event, should_stop, checkpoints=False:
                        on_event("adam", epoch_record(1)))
    for seed in range(3):
        ended(store, store.start(tiny(seed=seed)).key)
    assert store.job(tiny(seed=0).key()) is None
    assert [store.job(tiny(seed=seed).key()).results["adam"].loss for seed in (1, 2)] == [[1.0], [1.0]]
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 2


def test_a_race_nobody_watches_is_cancelled_and_can_start_again(tmp_path, endless):
    store = jobs.Store(tmp_path / "races.sqlite", no_viewer_seconds=1.0)
    key = store.start(tiny()).key
    watched_until = time.monotonic() + 3.0
    while time.monotonic() < watched_until:  # watched for three times the limit, every 50 ms: it runs on
        assert store.watch(key).running
        time.sleep(0.05)
    job = ended(store, key, timeout=30.0)  # .job() looks without watching
    assert job.state == "cancelled" and "Nobody watched it for 1 s" in job.reason
    assert job.results["adam"].loss  # its finished epochs are kept
    again = store.start(tiny())
    assert again.running and again.results["adam"].loss == []  # from scratch
    store.cancel(key)
    ended(store, key)


def test_a_killed_worker_process_is_reported_interrupted(tmp_path):
    path, config = tmp_path / "races.sqlite", slow()
    script = (f"import time\nfrom optviz.race import jobs\nfrom optviz.race.training import RaceConfig\n"
              f"store = jobs.Store({str(path)!r})\nkey = store.start(RaceConfig.from_dict({config.to_dict()!r})).key\n"
              "while not store.watch(key).results['adam'].loss:\n    time.sleep(0.02)\n"
              "print('training', flush=True)\ntime.sleep(60)\n")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(server.stdout, timeout=120) == "training\n"
        store = jobs.Store(path)
        assert store.job(config.key()).running
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    job = store.job(config.key())
    assert job.state == "interrupted" and "worker stopped without finishing" in job.reason
    assert job.results["adam"].loss  # what it had written is kept


def test_a_race_started_again_as_its_last_run_ends_is_not_taken_for_dead(store, monkeypatch):
    """Another session starts the race again between the moment its failed run's worker writes its
    end and the moment that worker leaves: the new run goes on, and ends as it should."""
    config, first_worker, restarted = tiny(), [], []

    def race(config, split, *, on_event, should_stop, checkpoints=False):
        if not first_worker:
            first_worker.append(threading.current_thread())
            raise RuntimeError("the first run fails")
        while not should_stop():
            time.sleep(0.01)

    end = jobs.Store._end

    def end_then_start_again(self, *args):
        end(self, *args)
        if not restarted:
            restarted.append(self.start(config))

    monkeypatch.setattr(jobs, "run_race", race)
    monkeypatch.setattr(jobs.Store, "_end", end_then_start_again)
    store.start(config)
    wait(lambda: restarted and not first_worker[0].is_alive())
    assert restarted[0].running
    assert store.job(config.key()).running  # not reaped as "interrupted" by the first worker leaving
    store.cancel(config.key())
    assert ended(store, config.key()).state == "cancelled"


def test_the_heartbeat_goes_on_while_the_worker_does_not_tick_and_stops_with_it(store, monkeypatch):
    """As while a cold race compiles its kernels for many seconds: no minibatch, so no tick."""
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.05)
    compiling = threading.Event()

    def race(config, split, *, on_event, should_stop, checkpoints=False):
        compiling.wait(30)
        return {}

    monkeypatch.setattr(jobs, "run_race", race)
    key = store.start(tiny()).key

    def heartbeat():
        with sqlite3.connect(store.path) as db:
            return db.execute("SELECT heartbeat FROM jobs WHERE key = ?", (key,)).fetchone()[0]

    beats = {heartbeat()}
    wait(lambda: beats.add(heartbeat()) or len(beats) >= 4)  # three stamps since the start
    compiling.set()
    assert ended(store, key).state == "finished"
    assert not [thread for thread in threading.enumerate() if thread.name == f"race-{key}-heartbeat"]
    last = heartbeat()
    time.sleep(0.3)  # six beats' time: none comes
    assert heartbeat() == last


def test_records_survive_a_write_that_fails(store, monkeypatch):
    """A tick whose transaction fails keeps its records for the next, and the race goes on."""
    monkeypatch.setattr(jobs, "TICK_SECONDS", 0.0)
    write, failures = jobs.Store._write, []

    def write_then_fail(db, key, pending):
        written = write(db, key, pending)
        if written and not failures:
            failures.append(written)
            raise sqlite3.OperationalError("database is locked")  # before the commit: rolled back
        return written

    def race(config, split, *, on_event, should_stop, checkpoints=False):
        for name in config.optimizers:
            on_event(name, epoch_record(1))
        should_stop()

    monkeypatch.setattr(jobs.Store, "_write", staticmethod(write_then_fail))
    monkeypatch.setattr(jobs, "run_race", race)
    job = ended(store, store.start(tiny()).key)
    assert failures == [2]
    assert job.state == "finished" and job.reason == ""
    assert job.results["adam"].loss == [1.0] and job.results["sgd"].loss == [1.0]


def test_an_end_that_cannot_be_written_at_once_is_written_again(store, monkeypatch):
    end, attempts = jobs.Store._end, []

    def busy_once(self, *args):
        attempts.append(args[3])
        if len(attempts) == 1:
            raise jobs.StoreError("races.sqlite: database is locked")
        end(self, *args)

    monkeypatch.setattr(jobs.Store, "_end", busy_once)
    job = ended(store, store.start(tiny()).key)
    assert attempts == ["finished", "finished"]
    assert job.state == "finished" and len(job.results["adam"].loss) == 1


@pytest.fixture
def steady(monkeypatch):
    """Replace the training by one that records an epoch every 10 ms until told to stop; returns the
    times (monotonic) at which it recorded."""
    recorded = []

    def race(config, split, *, on_event, should_stop, checkpoints=False):
        epoch = 0
        while not should_stop():
            epoch += 1
            recorded.append(time.monotonic())
            for name in config.optimizers:
                on_event(name, epoch_record(epoch, loss=float(epoch)))
            time.sleep(0.01)

    monkeypatch.setattr(jobs, "run_race", race)
    return recorded


@contextmanager
def write_lock_held(path):
    """Another connection (another process's, as far as SQLite knows) holding the store's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def epochs_in(job, name="adam") -> list:
    return [int(loss) for loss in job.results[name].loss]


def test_the_race_trains_on_while_another_connection_holds_the_write_lock(store, monkeypatch, steady):
    """The lock held three times longer than a write waits for it: the worker trains on, keeps its
    records, and writes them all once the lock is free."""
    monkeypatch.setattr(jobs, "BUSY_SECONDS", 0.5)
    monkeypatch.setattr(jobs, "PATIENCE_SECONDS", 30.0, raising=False)
    key = store.start(tiny()).key
    wait(lambda: store.job(key).results["adam"].loss)
    with write_lock_held(store.path):
        began = time.monotonic()
        time.sleep(3 * jobs.BUSY_SECONDS)
        held = time.monotonic() - began
        during = [t for t in steady if began <= t <= began + held]
    assert len(during) > held / 0.01 / 4, "the race did not train on while the store was locked"
    assert store.job(key).running
    wait(lambda: len(store.job(key).results["adam"].loss) > len(steady) - len(during) / 2)
    store.cancel(key)
    job = ended(store, key)
    assert job.state == "cancelled"
    assert epochs_in(job) == list(range(1, len(epochs_in(job)) + 1)) and len(epochs_in(job)) >= len(during)


def test_a_store_locked_for_too_long_ends_the_race_as_failed_with_its_cause(store, monkeypatch, steady):
    monkeypatch.setattr(jobs, "BUSY_SECONDS", 0.2)
    monkeypatch.setattr(jobs, "PATIENCE_SECONDS", 1.0, raising=False)
    monkeypatch.setattr(jobs, "MAX_RETRY_SECONDS", 0.2, raising=False)
    key = store.start(tiny()).key
    wait(lambda: store.job(key).results["adam"].loss)
    with write_lock_held(store.path):
        began = time.monotonic()
        time.sleep(3 * jobs.PATIENCE_SECONDS)
        assert steady[-1] < began + 2 * jobs.PATIENCE_SECONDS, "it trained on for too long"
        assert store.job(key).running  # how it ended waits for the lock
    job = ended(store, key)
    assert job.state == "failed"
    assert job.reason == "The race store could not be written for 1 s (races.sqlite: database is locked)."
    assert epochs_in(job) == list(range(1, len(steady) + 1))  # every record, written with the end


def test_a_full_disk_ends_the_race_as_failed_with_its_cause_not_as_interrupted(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) stands for the full disk, in a process of its own: writes
    fail, the race trains on, gives up, and once there is room again says why it ended."""
    path, config = tmp_path / "races.sqlite", tiny()
    script = f"""
import json, os, resource, signal, sqlite3, time
from optviz.race import jobs
from optviz.race.training import RaceConfig

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails (EFBIG) instead of killing
jobs.PATIENCE_SECONDS, jobs.MAX_RETRY_SECONDS = 1.0, 0.2
recorded = []

def race(config, split, *, on_event, should_stop, checkpoints=False):
    while not should_stop():
        recorded.append(time.monotonic())
        for name in config.optimizers:
            on_event(name, {{"kind": "epoch", "epoch": len(recorded), "loss": float(len(recorded)),
                             "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.5, "seconds": 0.01}})
        time.sleep(0.01)

jobs.run_race = race
path = {str(path)!r}
store = jobs.Store(path)
key = store.start(RaceConfig.from_dict({config.to_dict()!r})).key
keeper = sqlite3.connect(path)  # an open connection keeps the log (-wal), which every commit grows
keeper.execute("SELECT 1").fetchall()
while len(store.job(key).results["adam"].loss) < 3 or not os.path.exists(path + "-wal"):
    time.sleep(0.02)
resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path + "-wal"), resource.RLIM_INFINITY))  # disk full
while not recorded or time.monotonic() - recorded[-1] < 0.5:  # until the race gives up
    time.sleep(0.05)
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))  # room again
room = time.time()
deadline = time.monotonic() + 30
while (job := store.job(key)).running and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps([job.ended >= room, job.state, job.reason, job.results["adam"].loss, len(recorded)]))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    written_once_there_was_room, state, reason, losses, recorded = json.loads(done.stdout.splitlines()[-1])
    assert written_once_there_was_room
    assert state == "failed"
    assert reason == "The race store could not be written for 1 s (races.sqlite: disk I/O error)."
    assert losses == list(range(1, recorded + 1))  # nothing lost, before or during the outage


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_store_names_the_file_and_the_permission(tmp_path, unprivileged, what):
    folder = tmp_path / "cache"
    folder.mkdir()
    jobs.Store(folder / "races.sqlite")
    (folder / "races.sqlite").chmod(0o444 if what == "file" else 0o644)
    folder.chmod(0o555 if what == "folder" else 0o755)
    script = ("from optviz.race import jobs\n"
              f"try:\n    jobs.Store({str(folder / 'races.sqlite')!r}).start(jobs.RaceConfig(data='embedded'))\n"
              "except jobs.StoreError as error:\n    print(error)\n")
    done = subprocess.run([*unprivileged, sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    where = "write in its folder" if what == "folder" else "write it"
    assert done.stdout.strip() == f"races.sqlite cannot be written: the server has no permission to {where}"


def test_progress_counts_the_epochs_whatever_the_batch_size(store):
    config = tiny(epochs=2, batch_size=100)  # 46 steps an epoch, a live point every 5: the last at 45
    job = ended(store, store.start(config).key)
    assert job.state == "finished" and job.results["adam"].smoothed[-1][0] < 2  # the live curve stops short
    assert job.progress == 1.0

    def at(epochs_finished, position):
        result = RunResult(loss=[1.0] * epochs_finished, smoothed=[[position, 1.0]] if position else [])
        return jobs.Job(key="", config=tiny(epochs=4), state="running", reason="", source="", started=0.0,
                        ended=None, cancelling=False, results={"adam": result}).progress

    assert (at(0, 0), at(0, 0.5), at(1, 0.98), at(1, 1.5), at(3, 3.98), at(4, 3.98)) == (0, 0.125, 0.25, 0.375,
                                                                                         0.995, 1.0)


def test_a_worker_whose_job_was_started_again_stops_without_writing(store, endless):
    key = store.start(tiny()).key
    wait(lambda: store.job(key).results["adam"].loss)
    with sqlite3.connect(store.path) as db:  # as if another server took it for dead and started it again
        db.execute("UPDATE jobs SET run = 'a later start'")
        written = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    ended(store, key)  # once its worker has stopped, the job has no worker left
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == written


@pytest.mark.parametrize("owner, silent_for, dead", [
    ("this pid, an earlier server's boot", 0, True),  # the server restarted and got the same pid back
    ("a process that has exited", 0, True),
    ("a live process of another server", 1, False),
    ("a live process of another server", jobs.STALE_SECONDS + 1, True),  # hung
])
def test_a_job_whose_owner_is_gone_is_interrupted(store, owner, silent_for, dead):
    key = tiny().key()
    store.start(tiny())
    ended(store, key)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = {"this pid, an earlier server's boot": os.getpid(), "a process that has exited": int(gone.stdout),
           "a live process of another server": os.getppid()}[owner]
    with sqlite3.connect(store.path) as db:  # the row as that owner would have left it
        db.execute("UPDATE jobs SET state = 'running', pid = ?, boot = 'elsewhere', heartbeat = ?",
                   (pid, time.time() - silent_for))
    assert store.job(key).state == ("interrupted" if dead else "running")


def test_a_finished_race_is_shown_after_a_restart(store):
    config = tiny()
    finished = ended(store, store.start(config).key)
    script = (f"import json\nfrom optviz.race import jobs\njob = jobs.Store({str(store.path)!r}).watch({config.key()!r})\n"
              "print(json.dumps([job.state, {name: r.to_dict() for name, r in job.results.items()}]))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    state, results = json.loads(out.stdout)
    assert state == "finished" and results == {name: r.to_dict() for name, r in finished.results.items()}
    assert jobs.Store(store.path).start(config).state == "finished"  # asked again: shown, not retrained


@pytest.mark.parametrize("damage", ["not SQLite", "another schema", "another version"])
def test_a_damaged_store_is_moved_aside_with_a_clear_message(tmp_path, damage):
    path = tmp_path / "races.sqlite"
    if damage == "not SQLite":
        path.write_bytes(b"this is not a database, just some bytes" * 100)
    else:
        with sqlite3.connect(path) as db:
            if damage == "another schema":
                db.execute("CREATE TABLE races (name TEXT)")
            else:
                jobs.Store(path)
                db.execute("PRAGMA user_version = 99")
    store = jobs.Store(path)
    aside = list(tmp_path.glob("races.sqlite.damaged-*"))
    assert len(aside) == 1
    assert "could not be used" in store.notice and aside[0].name in store.notice
    assert store.job(tiny().key()) is None  # a fresh store, ready to use
    assert jobs.Store(path).notice == ""


# -- conclusions --------------------------------------------------------------------------------


def run(loss, val_accuracy, diverged_at=None):
    """One optimizer's results, made by hand: its training loss per epoch and its last validation accuracy."""
    n = len(loss)
    return RunResult(**{"loss": list(loss), "accuracy": [0.5] * n, "val_loss": list(loss), "val_accuracy": [0.5] * (n - 1) +
            [val_accuracy], "epoch_seconds": [1.0] * n, "diverged_at": diverged_at, "smoothed": []})


def article_like():
    """Results where all five conclusions hold."""
    return {"sgd": run([1.5, 1.2, 1.0, 0.9], 0.75),
            "momentum": run([0.8, 0.6, 0.5, 0.45], 0.84),
            "nesterov": run([0.8, 0.6, 0.5, 0.45], 0.85),
            "adagrad": run([0.9, 0.85, 0.83, 0.82], 0.80),
            "rmsprop": run([0.6, 0.45, 0.4, 0.35], 0.84),
            "adam": run([0.5, 0.4, 0.33, 0.3], 0.88),
            "adamax": run([0.5, 0.4, 0.34, 0.31], 0.875),
            "nadam": run([0.5, 0.39, 0.32, 0.29], 0.885)}


BREAK = {  # conclusion number: one change to the article-like results that makes it fail
    1: {"momentum": run([0.8, 0.6, 1.1, 0.45], 0.84)},
    2: {"rmsprop": run([0.6, 0.45, 0.4, 0.35], 0.88)},
    3: {"nesterov": run([0.8, 0.6, 0.5, 0.45], 0.83)},
    4: {"adagrad": run([0.9, 0.8, 0.6, 0.5], 0.80)},
    5: {"adam": run([0.5, 0.4, 0.33, 0.3], 0.86)},
}


def test_all_five_conclusions_can_hold():
    checked = conclusions.conclusions(article_like())
    assert [c.holds for c in checked] == [True] * 5, [c.evidence for c in checked]
    assert "GD 0.9000" in checked[0].evidence and "2%" in checked[3].evidence


@pytest.mark.parametrize("number", sorted(BREAK))
def test_each_conclusion_can_fail(number):
    checked = conclusions.conclusions({**article_like(), **BREAK[number]})
    assert checked[number - 1].holds is False, checked[number - 1].evidence


def test_a_diverged_run_counts_as_the_worst():
    results = {**article_like(), "adam": run([0.5, 0.4], 0.9, diverged_at=812)}
    checked = conclusions.conclusions(results)
    assert checked[4].holds is False and "Adam diverged" in checked[4].evidence
    assert checked[1].holds is False  # a diverged Adam does not beat the others
    assert [row["optimizer"] for row in conclusions.standings(results)][-1] == "Adam"
    sgd_diverged = {**article_like(), "sgd": run([1.5], 0.3, diverged_at=40)}
    assert conclusions.conclusions(sgd_diverged)[0].holds is True  # everyone else is faster than a run that blew up


def test_a_run_that_cannot_tell_says_why():
    only_adam = conclusions.conclusions({"adam": run([0.5, 0.4], 0.88)})
    assert [c.holds for c in only_adam] == [None] * 5
    assert "Needs GD, Momentum, Nesterov (NAG), AdaGrad, RMSProp, AdaMax and Nadam in the race" in only_adam[0].evidence
    started = conclusions.conclusions({name: replace(run([], math.nan), val_accuracy=[]) for name in article_like()})
    assert {c.evidence for c in started} - {"Needs at least 2 finished epochs."} == {"No epoch has finished yet."}


def test_a_conclusion_cannot_tell_without_the_optimizers_it_speaks_of():
    """"The Adam variants beat all the others" is not decided by a race without AdaMax and Nadam,
    however well Adam does in it; nor "the later optimizers" by a race of a few of them."""
    without = {name: result for name, result in article_like().items() if name not in ("adamax", "nadam")}
    checked = conclusions.conclusions(without)
    assert checked[1].holds is None and checked[1].evidence == "Needs AdaMax and Nadam in the race."
    assert checked[0].holds is None and checked[0].evidence == "Needs AdaMax and Nadam in the race."
    assert [c.holds for c in checked[2:]] == [True, True, True]  # Nesterov, RMSProp, AdaGrad and Adam are there
    two = conclusions.conclusions({name: article_like()[name] for name in ("sgd", "adam")})
    assert [c.holds for c in two] == [None, None, None, None, True]


def test_standings_are_sorted_by_validation_accuracy():
    rows = conclusions.standings(article_like())
    assert [row["optimizer"] for row in rows][:3] == ["Nadam", "Adam", "AdaMax"]
    assert rows[0]["validation accuracy"] == 0.885 and rows[0]["epochs"] == 4 and rows[0]["seconds per epoch"] == 1.0

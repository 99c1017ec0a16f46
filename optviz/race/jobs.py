"""Training races in the background, kept on disk: start, attach, watch, cancel, and what they showed.

A race takes minutes, a class has many browser tabs, and a server restarts; so a race is a job
in a store that every session (a thread of the Streamlit server) and every process shares, keyed
by its whole configuration (:meth:`RaceConfig.key`). Asking for a race that is running attaches
to it; asking for one that finished shows its results at once, also after a restart.

The store is SQLite, from the standard library, in WAL mode with a busy timeout: each write is a
short transaction, writers queue instead of failing, readers never wait for the worker, and a
killed process cannot leave half a write behind. A JSON file would need our own locking across
processes and would be rewritten whole on every update. Each call opens its own connection, so a
:class:`Store` can be shared by threads. A file that is not a readable store of this version is
moved aside (``races.sqlite.damaged-<time>``) and a fresh one started; :attr:`Store.notice` says so.

Each race runs in a thread of the process that asked for it. Measured on this shared 2-core
machine by ``OPTVIZ_DATA_DIR=<the full set> python -m benchmarks.race_worker`` (the article's race
on the full set beside a page-like loop that, every second, redraws the race figure from the store
and reruns a lab figure; two rounds of 30 s per mode), a thread and a "spawn" process train
equally fast (4.7-5.0 epochs a minute in a thread, 5.0 in a process: the race holds one core in
BLAS and numba, which release the GIL), and the page is as quick beside either: its race redraw
took 13 ms (median) beside a thread or a process (5 ms idle), a lab rerun 5 ms (4 ms idle). A
process would add a second interpreter (0.65 s and 165 MB to import optviz and load the race's
kernels, before the data) and buy only a hard kill, which cancel does not need: the race checks
for it between minibatches.

Between two minibatches, every :data:`TICK_SECONDS`, the worker writes the race's records into
the store (one transaction for all the records since the last) and reads whether to stop. A write
that fails (another process holding the store's write lock, a full disk) keeps its records in
memory and is tried again later, each time after twice the wait (up to :data:`MAX_RETRY_SECONDS`),
while the race trains on; only after :data:`PATIENCE_SECONDS` of failed writes does the race end
as "failed", with the store's own words for the cause. How a race ended is tried until it is
written, so that it is never taken later for a race whose worker was killed. Apart from that, a
timer thread that lives as long as the worker stamps the job's heartbeat every
:data:`HEARTBEAT_SECONDS`, also while the worker loads the data, compiles the kernels (5 s for the
first race on a cold cache here, idle; longer under load) or evaluates an epoch, when it does not
tick. So:

* cancel stops the race within about a tick and a minibatch, or the validation at an epoch's end
  (at :class:`RaceConfig`'s limits, a minibatch of all eight models took 0.9 s here); its
  finished epochs stay in the store;
* a worker that raises ends its job as "failed" with the error, its records kept;
* a worker that vanished (its process killed, or the server stopped while its thread ran) is
  noticed by the next look at the job, from its owner's pid and boot id, or, for an owner that
  still seems alive, a heartbeat older than :data:`STALE_SECONDS` (a frozen or hung process); the
  job becomes "interrupted". The heartbeat says that the worker's process runs, not that the race
  advances;
* viewers poll (:meth:`Store.watch`); a race nobody has watched for :data:`NO_VIEWER_SECONDS` is
  cancelled, its finished epochs kept, and the same race can be started again (from scratch).
  That is twice the once-a-minute timers a browser allows a hidden tab, so switching to the
  slides does not stop a race, while a closed tab frees the server within two minutes.

Every race keeps its checkpoints (each optimizer's weights along its path, see ``run_race``) for
the loss landscapes drawn of it, which are jobs of their own in the same store: see
:class:`Landscapes`, at the end of this module.

Limits enforced here, whatever a page asks: :class:`RaceConfig`'s own (epochs, batch size,
network, parameters, optimizers, the work of the whole race), :data:`MAX_RUNNING` race at a time
(a race takes one core, the server needs the other), data only from :data:`DATA_SOURCES`, and the
:data:`KEPT` latest races on disk.
"""

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optviz.optimizers import OPTIMIZERS
from optviz.paths import cache_dir
from optviz.race import data as datasets
from optviz.race.training import RaceConfig, empty_results, run_race

#: How often the worker writes its records and reads whether to stop (seconds).
TICK_SECONDS = 0.5
#: How often a running race's heartbeat is stamped, from a timer of its own (seconds).
HEARTBEAT_SECONDS = 5.0
#: A race nobody has watched for this long is cancelled (seconds).
NO_VIEWER_SECONDS = 120.0
#: A running job whose owner's process is alive but silent for this long is taken as dead (seconds).
STALE_SECONDS = 60.0
#: Races running at once on this machine.
MAX_RUNNING = 1
#: Where a race may take its data: the subset that ships with optviz, or the full set wherever
#: ``optviz.race.data.load`` finds it on this machine (never downloaded by a job, never a directory a
#: page names).
DATA_SOURCES = ("embedded", "auto")
#: Races kept on disk (about 1 MB each for the article's race on the full set); older ones go.
KEPT = 100
#: How long a write waits for another writer before giving up (seconds); a worker's tick waits
#: TICK_SECONDS at most, so that the race trains on while the store is busy.
BUSY_SECONDS = 10.0
#: How long a worker trains on while its writes fail, keeping its records, before the race ends as
#: failed (seconds). No longer than STALE_SECONDS, after which another process takes a race that
#: has stopped writing for dead.
PATIENCE_SECONDS = 60.0
#: The longest wait before a failed write is tried again (seconds); the waits double from TICK_SECONDS.
MAX_RETRY_SECONDS = 8.0
#: Bump when the tables change: a store of another version is moved aside, not misread (but for
#: an earlier version listed in _UPGRADES, which gains the newer tables and keeps its data).
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE jobs (
    key TEXT PRIMARY KEY,
    config TEXT NOT NULL,          -- RaceConfig.to_dict(), as JSON
    state TEXT NOT NULL,           -- see Job
    reason TEXT NOT NULL,          -- why it ended, in words ('' while running or once finished)
    source TEXT NOT NULL,          -- the data it trains on, as optviz.race.data describes it
    run TEXT NOT NULL,             -- this start's id: a worker writes only while it still owns the job
    pid INTEGER NOT NULL,          -- the process running it ...
    boot TEXT NOT NULL,            -- ... and that process's own id (pids are reused)
    started REAL NOT NULL,
    ended REAL,
    heartbeat REAL NOT NULL,       -- the last stamp of the worker's heartbeat timer
    viewed REAL NOT NULL,          -- a viewer's last look
    cancel INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,        -- in the order they were written
    key TEXT NOT NULL,
    optimizer TEXT NOT NULL,
    record TEXT NOT NULL           -- one of run_race's records, as JSON
);
CREATE INDEX records_by_key ON records (key, id);
"""
#: The α sweeps (see Sweeps), added by version 2.
_SWEEP_SCHEMA = """
CREATE TABLE sweeps (
    key TEXT PRIMARY KEY,
    config TEXT NOT NULL,          -- SweepConfig.to_dict(), as JSON
    state TEXT NOT NULL,           -- as a race's (see Job), but never cancelled for want of a viewer
    reason TEXT NOT NULL,
    source TEXT NOT NULL,          -- the data it trains on, as optviz.race.data describes it
    fingerprint TEXT NOT NULL,     -- of that data's training images and labels
    cluster TEXT NOT NULL,         -- where it runs, in words
    run TEXT NOT NULL,             -- as in jobs: the client that drives it, its process and start
    pid INTEGER NOT NULL,
    boot TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    heartbeat REAL NOT NULL,
    cancel INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sweep_runs (
    sweep TEXT NOT NULL,
    key TEXT NOT NULL,             -- the run's own key: its one-optimizer race and the data's fingerprint
    result TEXT NOT NULL,          -- its curves, optimizer, α, seed and worker, as JSON
    finished REAL NOT NULL,
    PRIMARY KEY (sweep, key)
);
CREATE INDEX sweep_runs_by_key ON sweep_runs (key);
"""
#: A race's checkpoints and the loss landscapes drawn of it (see Landscapes), added by version 3.
_LANDSCAPE_SCHEMA = """
CREATE TABLE checkpoints (
    key TEXT NOT NULL,             -- the race's
    optimizer TEXT NOT NULL,
    position REAL NOT NULL,        -- in epochs: 0 for the first weights
    weights BLOB NOT NULL,         -- float32, little-endian
    PRIMARY KEY (key, optimizer, position)
);
CREATE TABLE landscapes (
    key TEXT PRIMARY KEY,          -- landscape_key(race, settings)
    race TEXT NOT NULL,            -- the race's key
    settings TEXT NOT NULL,        -- landscape.Settings.to_dict(), as JSON
    state TEXT NOT NULL,           -- as a race's: running, finished, cancelled, failed, interrupted
    reason TEXT NOT NULL,
    run TEXT NOT NULL,             -- as in jobs: the worker that computes it, its process and start
    pid INTEGER NOT NULL,
    boot TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    heartbeat REAL NOT NULL,       -- stamped with each progress
    progress REAL NOT NULL DEFAULT 0,
    cancel INTEGER NOT NULL DEFAULT 0,
    result TEXT                    -- landscape.Landscape.to_dict(), as JSON, once finished
);
"""
#: Each version's tables, and what a store of an earlier version gains to become of this one.
_VERSIONS = {1: {"jobs", "records"}, 2: {"jobs", "records", "sweeps", "sweep_runs"},
             3: {"jobs", "records", "sweeps", "sweep_runs", "checkpoints", "landscapes"}}
_UPGRADES = {0: _SCHEMA + _SWEEP_SCHEMA + _LANDSCAPE_SCHEMA, 1: _SWEEP_SCHEMA + _LANDSCAPE_SCHEMA,
             2: _LANDSCAPE_SCHEMA}
_TABLES = _VERSIONS[SCHEMA_VERSION]

_INTERRUPTED = "Its worker stopped without finishing (the server restarted or its process was killed)."
#: This process, as job owners name it.
_BOOT = uuid.uuid4().hex
#: (store path, key, run) of the races this process's threads are running.
_live = set()
_live_lock = threading.Lock()

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store cannot be opened, read or written. The message names the file by its name only (a
    page shows it to its visitors) and says why: a permission, a lock held too long, a full disk."""


class Refused(Exception):
    """A race the store will not start; the message says why. ``job`` is the race in the way, if any."""

    def __init__(self, message: str, job=None):
        super().__init__(message)
        self.job = job


@dataclass(frozen=True)
class Job:
    """One race as the store knows it at one moment.

    ``state`` is "running", "finished", "cancelled" (by a viewer, or for want of one), "failed"
    (the worker raised) or "interrupted" (the worker vanished); ``reason`` says why it ended.
    ``results`` are run_race's, with the epochs finished so far; they are shared, not to be changed.
    """

    key: str
    config: RaceConfig
    state: str
    reason: str
    source: str  # "" until the worker has loaded the data
    started: float
    ended: float | None
    cancelling: bool
    results: dict

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def progress(self) -> float:
        """The fraction of the epochs trained so far: the epochs finished, and how far into the next
        one the live curve has come (1.0 once every epoch has finished, whatever the batch size)."""
        position = max((max(r.epochs, r.smoothed[-1][0] if r.smoothed else 0.0)
                        for r in self.results.values()), default=0.0)
        return min(1.0, position / self.config.epochs)


def default_path() -> Path:
    return cache_dir() / "races.sqlite"


class Store:
    """The races on disk: :meth:`start` one, :meth:`watch` it, :meth:`cancel` it.

    Every method, and making one, may raise :class:`StoreError`: if the file or its folder cannot
    be written, the disk fails, or another writer holds the store longer than :data:`BUSY_SECONDS`.
    """

    def __init__(self, path=None, *, no_viewer_seconds: float = NO_VIEWER_SECONDS, max_running: int = MAX_RUNNING):
        self.path = Path(path if path is not None else default_path()).resolve()
        self.no_viewer_seconds = no_viewer_seconds
        self.max_running = max_running
        self.notice = self._open()
        # key -> (run, last record id, results): each poll reads only the records written since.
        self._read = {}
        self._read_lock = threading.Lock()

    def start(self, config: RaceConfig, *, again: bool = False) -> Job:
        """The race ``config`` describes: the running or finished one if there is one, else a new start.

        A race that was cancelled, failed or was interrupted starts again from scratch, and so does a
        finished one if ``again``: its results are replaced when the new run starts, and kept if it
        is refused. Raises :class:`Refused` for data this store does not allow, or when
        :data:`MAX_RUNNING` races run.
        """
        if not isinstance(config, RaceConfig):
            raise TypeError(f"start() takes a RaceConfig, got {type(config).__name__}")
        if config.data not in DATA_SOURCES:
            raise Refused(f"Races here train on the embedded subset or on the full set this server finds itself, "
                          f"not on data={config.data!r}.")
        key, now, run = config.key(), time.time(), uuid.uuid4().hex
        with self._transaction() as db:
            for row in db.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall():
                self._reap(db, row, now)
            row = db.execute("SELECT state FROM jobs WHERE key = ?", (key,)).fetchone()
            if row is not None and (row["state"] == "running" or (row["state"] == "finished" and not again)):
                db.execute("UPDATE jobs SET viewed = ? WHERE key = ?", (now, key))
                return self._job(db, key)
            running = db.execute("SELECT key FROM jobs WHERE state = 'running'").fetchall()
            if len(running) >= self.max_running:
                busy = self._job(db, running[0]["key"])
                raise Refused(f"One race at a time runs on this server, and {_describe(busy.config)} is running "
                              f"({busy.progress:.0%} done). Choose its settings to watch it, or wait until it ends.",
                              busy)
            db.execute("DELETE FROM jobs WHERE key = ? OR key IN (SELECT key FROM jobs WHERE state != 'running' "
                       "ORDER BY started DESC LIMIT -1 OFFSET ?)", (key, KEPT - 1))
            db.execute("DELETE FROM records WHERE key NOT IN (SELECT key FROM jobs)")
            _forget_landscapes(db)
            db.execute("INSERT INTO jobs (key, config, state, reason, source, run, pid, boot, started, heartbeat, "
                       "viewed) VALUES (?, ?, 'running', '', '', ?, ?, ?, ?, ?, ?)",
                       (key, json.dumps(config.to_dict()), run, os.getpid(), _BOOT, now, now, now))
            with _live_lock:  # before the commit, so that no one takes the new job for a dead one
                _live.add((self.path, key, run))
        try:
            threading.Thread(target=_work, args=(self, config, run), name=f"race-{key}", daemon=True).start()
        except RuntimeError:  # no thread to be had: the next look reports the job interrupted
            with _live_lock:
                _live.discard((self.path, key, run))
            raise
        return self.job(key)

    def job(self, key: str) -> Job | None:
        """The race with this key, or None; a look that does not count as watching it."""
        with self._transaction(write=False) as db:
            row = db.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if not self._dead(row, time.time()):
                return self._job(db, key)
        with self._transaction() as db:
            self._reap(db, row, time.time())
            return self._job(db, key)

    def watch(self, key: str) -> Job | None:
        """The race with this key, or None; what a viewer polls, which keeps the race going."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET viewed = ? WHERE key = ? AND state = 'running'", (time.time(), key))
        return self.job(key)

    def cancel(self, key: str) -> None:
        """Ask the race to stop; it does within about :data:`TICK_SECONDS`, keeping its finished epochs."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET cancel = 1 WHERE key = ? AND state = 'running'", (key,))

    # -- the worker's side ----------------------------------------------------------------------

    def _tick(self, key, run, pending, source="") -> tuple | None:
        """Write the pending records (and the data source, if given); return (state, reason) if the
        race should stop.

        ``pending`` is emptied once its records are committed. A job that is no longer this run's
        (taken for dead and started again) stops as "lost", without another write. Waits
        :data:`TICK_SECONDS` at most for the store.
        """
        now = time.time()
        with self._transaction(busy=TICK_SECONDS) as db:
            row = db.execute("SELECT cancel, viewed FROM jobs WHERE key = ? AND run = ? AND state = 'running'",
                             (key, run)).fetchone()
            if row is None:
                return "lost", ""
            written = self._write(db, key, pending)
            if source:
                db.execute("UPDATE jobs SET source = ? WHERE key = ?", (source, key))
        del pending[:written]
        if row["cancel"]:
            return "cancelled", "Cancelled."
        if now - row["viewed"] > self.no_viewer_seconds:
            return "cancelled", f"Nobody watched it for {self.no_viewer_seconds:g} s, so it was stopped."
        return None

    def _end(self, key, run, pending, state, reason) -> None:
        """Write the pending records and how the race ended, in one transaction."""
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM jobs WHERE key = ? AND run = ? AND state = 'running'",
                          (key, run)).fetchone():
                written = self._write(db, key, pending)
                db.execute("UPDATE jobs SET state = ?, reason = ?, ended = ? WHERE key = ?",
                           (state, reason, time.time(), key))
            else:
                written = 0
        del pending[:written]

    def _beat(self, key, run) -> None:
        """Stamp the heartbeat of a race that is still this run's."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET heartbeat = ? WHERE key = ? AND run = ? AND state = 'running'",
                       (time.time(), key, run))

    @staticmethod
    def _write(db, key, pending) -> int:
        """Insert the pending records (checkpoints into their own table); return how many, for the
        caller to drop once committed."""
        db.executemany("INSERT INTO records (key, optimizer, record) VALUES (?, ?, ?)",
                       [(key, optimizer, json.dumps(record, default=float)) for optimizer, record in pending
                        if record["kind"] != "checkpoint"])
        _write_checkpoints(db, key, [(optimizer, record) for optimizer, record in pending
                                     if record["kind"] == "checkpoint"])
        return len(pending)

    # -- reading --------------------------------------------------------------------------------

    def _dead(self, row, now) -> bool:
        """Whether a job that claims to run has lost its worker."""
        if row["state"] != "running":
            return False
        if row["boot"] == _BOOT:
            with _live_lock:
                return (self.path, row["key"], row["run"]) not in _live
        if row["pid"] == os.getpid() or not _alive(row["pid"]):  # our pid, not our boot: the server restarted
            return True
        return now - row["heartbeat"] > STALE_SECONDS

    def _reap(self, db, row, now) -> None:
        if self._dead(row, now):
            db.execute("UPDATE jobs SET state = 'interrupted', reason = ?, ended = ? WHERE key = ? AND run = ? "
                       "AND state = 'running'", (_INTERRUPTED, now, row["key"], row["run"]))

    def _job(self, db, key) -> Job:
        row = db.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
        config = RaceConfig.from_dict(json.loads(row["config"]))
        with self._read_lock:
            run, last, results = self._read.pop(key, (None, 0, None))
            if run != row["run"]:
                last, results = 0, None
            new = db.execute("SELECT id, optimizer, record FROM records WHERE key = ? AND id > ? ORDER BY id",
                             (key, last)).fetchall()
            if new or results is None:
                results = _results(config, [(o, json.loads(r)) for _, o, r in new], results)
                last = new[-1]["id"] if new else last
            self._read[key] = (row["run"], last, results)
            while len(self._read) > KEPT:
                del self._read[next(iter(self._read))]  # the one read longest ago
        return Job(key=key, config=config, state=row["state"], reason=row["reason"], source=row["source"],
                   started=row["started"], ended=row["ended"], cancelling=bool(row["cancel"]), results=results)

    # -- the file -------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, write=True, busy=None):
        """One short transaction on a fresh connection (so threads never share one).

        A write transaction takes the lock at once, so that what it read stays true until it
        commits, waiting ``busy`` seconds (:data:`BUSY_SECONDS` by default) at most for another
        writer; a read sees one consistent moment and never waits for the worker. Any failure of
        the store is a StoreError.
        """
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS if busy is None else busy, isolation_level=None)
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a power cut may lose the last tick
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:  # SQLite has rolled back already after some errors (a full disk)
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(_problem(self.path, error)) from error

    def _open(self) -> str:
        """Make sure the file is a store of this version; a damaged one is moved aside. Returns a notice."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._prepare()
                return ""
            except sqlite3.OperationalError:  # locked, disk full, no permission: the file may well be fine
                raise
            except (sqlite3.DatabaseError, _WrongSchema) as error:  # not a database, a damaged one, another schema
                problem = str(error)
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._prepare()
        except (sqlite3.Error, OSError) as error:
            raise StoreError(_problem(self.path, error)) from error
        return (f"The race store {self.path.name} could not be used ({problem}); it was moved aside as {aside.name} "
                "and a fresh store started, so earlier races are not shown.")

    def _prepare(self) -> None:
        """Create the tables in a new file, or check an existing one (_WrongSchema or sqlite3.DatabaseError)."""
        db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")  # two processes opening a new file: one creates, the other checks
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version in _UPGRADES and tables == _VERSIONS.get(version, set()):  # new, or of an earlier version
                for statement in _UPGRADES[version].split(";")[:-1]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION or tables != _TABLES:
                found = ", ".join(sorted(tables)) or "none"
                raise _WrongSchema(f"it holds schema version {version} with tables {found}; this optviz reads "
                                   f"version {SCHEMA_VERSION} with {', '.join(sorted(_TABLES))}")
            elif db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _WrongSchema("SQLite's quick_check found damage")
            db.execute("COMMIT")
        finally:
            db.close()


class _WrongSchema(Exception):
    pass


def _problem(path: Path, error: Exception) -> str:
    """Why the store at ``path`` failed, naming the file by its name only: a page shows it to visitors."""
    code = getattr(error, "sqlite_errorname", "")
    if isinstance(error, PermissionError) or code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        folder = path.parent
        if hasattr(os, "statvfs") and os.path.isdir(folder) and os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"{path.name} cannot be written: its folder is on a read-only file system"
        if not os.access(folder, os.W_OK):
            return f"{path.name} cannot be written: the server has no permission to write in its folder"
        if path.exists() and not os.access(path, os.W_OK):
            return f"{path.name} cannot be written: the server has no permission to write it"
    return f"{path.name}: {error.strerror if isinstance(error, OSError) else error}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _work(store: Store, config: RaceConfig, run: str) -> None:
    """The worker: run the race, stream its records into the store, and always record how it ended."""
    key = config.key()
    writer = _Writer(store, key, run)
    state, reason = "failed", "The worker stopped for an unknown reason."
    done = threading.Event()
    heart = threading.Thread(target=_heartbeat, args=(store, key, run, done), name=f"race-{key}-heartbeat",
                             daemon=True)
    try:
        heart.start()
        dataset = _dataset(config.data)
        writer.source = dataset.source
        writer.tick()  # the source at once, and a cancel made while the data loaded
        run_race(config, datasets.split(dataset), should_stop=writer.tick, on_event=writer.add, checkpoints=True)
        state, reason = writer.stop or ("finished", "")
    except StoreError as error:
        log.error("training race %s: the store could not be written for %g s: %s", key, PATIENCE_SECONDS, error)
        state, reason = "failed", f"The race store could not be written for {PATIENCE_SECONDS:g} s ({error})."
    except Exception as error:
        log.exception("training race %s failed", key)
        state, reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        done.set()
        try:
            if heart.ident is not None:
                heart.join()
            writer.end(state, reason)
        finally:
            with _live_lock:
                _live.discard((store.path, key, run))


class _Writer:
    """The worker's side of the store: the records not yet written, and when to try again.

    :meth:`tick` is the race's ``should_stop``; a write that fails keeps its records and is tried
    again after a wait that doubles, while the race trains on, until :data:`PATIENCE_SECONDS` of
    failures end it (the StoreError goes up through the race).
    """

    def __init__(self, store: Store, key: str, run: str):
        self.store, self.key, self.run = store, key, run
        self.pending = []  # (optimizer, record) not yet written
        self.source = ""  # the data source, until written
        self.stop = None  # (state, reason) once the race should stop
        self.failing_since = None
        self.wait = TICK_SECONDS
        self.next_try = 0.0

    def add(self, optimizer, record) -> None:
        self.pending.append((optimizer, record))

    def tick(self) -> bool:
        """Write what is pending if it is time; whether the race should stop."""
        now = time.monotonic()
        if self.stop is None and now >= self.next_try:
            try:
                self.stop = self.store._tick(self.key, self.run, self.pending, self.source)
            except StoreError as error:
                self.failing_since = self.failing_since or now
                if now - self.failing_since >= PATIENCE_SECONDS:
                    raise
                log.warning("training race %s: %d records not written (%s); trying again in %g s", self.key,
                            len(self.pending), error, self.wait)
                self.next_try = time.monotonic() + self.wait
                self.wait = min(2 * self.wait, MAX_RETRY_SECONDS)
            else:
                self.source, self.failing_since, self.wait = "", None, TICK_SECONDS
                self.next_try = time.monotonic() + TICK_SECONDS
        return self.stop is not None

    def end(self, state: str, reason: str) -> None:
        """Write the pending records and how the race ended, trying until it is written: a job left
        "running" would be taken later for one whose worker was killed, and why it ended lost."""
        wait = TICK_SECONDS
        while True:
            try:
                self.store._end(self.key, self.run, self.pending, state, reason)
                return
            except StoreError as error:
                if wait == TICK_SECONDS:  # the first failure; the next ones say the same
                    log.warning("training race %s: how it ended (%s) was not written (%s); trying until it is",
                                self.key, state, error)
            time.sleep(wait)
            wait = min(2 * wait, MAX_RETRY_SECONDS)


def _heartbeat(store: Store, key: str, run: str, done: threading.Event) -> None:
    """Stamp the race's heartbeat every HEARTBEAT_SECONDS until ``done``: also while its worker loads
    the data, compiles the kernels or evaluates an epoch, when it does not tick."""
    while not done.wait(HEARTBEAT_SECONDS):
        try:
            store._beat(key, run)
        except StoreError:  # the store busy for BUSY_SECONDS: the next beat may do
            log.warning("training race %s: heartbeat not written", key, exc_info=True)


def _dataset(data: str) -> datasets.FashionMNIST:
    """The data a race on ``data`` trains on; "auto" must find the full set, never silently the subset."""
    dataset = datasets.load(data, download=False)
    if data == "auto" and dataset.embedded:
        raise datasets.DataError("the full Fashion-MNIST set is not on this server: " + "; ".join(dataset.notes))
    return dataset


def data_sources() -> tuple[dict, str]:
    """The data a race may train on here, each with where it comes from: "embedded" always, "auto"
    if this server has the full set (found by ``optviz.race.data.load``, never downloaded); and a
    notice, "" or why the full set is not offered although ``$OPTVIZ_DATA_DIR`` names its directory."""
    try:
        auto = datasets.load("auto", download=False)  # the subset itself when there is no full set
    except datasets.DataError as error:  # OPTVIZ_DATA_DIR names a directory that cannot be used
        return {"embedded": datasets.load("embedded").source}, str(error)
    found = {"embedded": (auto if auto.embedded else datasets.load("embedded")).source}
    if not auto.embedded:
        found["auto"] = auto.source
    return found, ""


def _results(config: RaceConfig, records, earlier=None) -> dict:
    """The results run_race returns, rebuilt from its records as run_race builds them
    (``RunResult.add``): ``earlier`` (copied, never changed, since a viewer may be drawing it)
    extended by ``records``."""
    if earlier is None:
        earlier = empty_results(config.optimizers)
    results = {name: result.copy() for name, result in earlier.items()}
    for optimizer, record in records:
        results[optimizer].add(record)
    return results


def _describe(config: RaceConfig) -> str:
    names = ", ".join(OPTIMIZERS[name].title for name in config.optimizers)
    return f"a race of {names} for {config.epochs} epochs"


# -- α sweeps -------------------------------------------------------------------------------------


#: Sweeps kept on disk, with their runs (a run is about 2 KB for 20 epochs); older ones go.
KEPT_SWEEPS = 20


@dataclass(frozen=True)
class SweepJob:
    """One α sweep as the store knows it at one moment (see :class:`Sweeps`).

    ``config`` is the sweep's settings as a plain dict (``SweepConfig.to_dict()``); ``runs`` maps
    each finished run's key to its result, as its client wrote it. ``state`` is "running",
    "finished", "cancelled", "failed" or "interrupted" (its client vanished), as a race's.
    """

    key: str
    config: dict
    state: str
    reason: str
    source: str
    fingerprint: str
    cluster: str
    started: float
    ended: float | None
    cancelling: bool
    runs: dict

    @property
    def running(self) -> bool:
        return self.state == "running"


class Sweeps:
    """The α sweeps of a race store (``optviz.race.sweep`` runs them on a Dask cluster).

    A sweep's client, in whatever process drives it (``python -m optviz sweep``, or a thread of
    the app), writes each run as its result arrives from a worker; the workers never touch the
    store. So a sweep whose client stops keeps every run that finished, and the same sweep begun
    again trains only the others. A run is kept under its own key (its one-optimizer race and the
    data's fingerprint), so a sweep also takes the runs another sweep trained with the same settings.

    A client owns its sweep as a worker owns its race (its process, its boot id and a run id; a
    heartbeat it stamps), and a sweep whose client vanished is found "interrupted" the same way
    (:meth:`Store._dead`). Unlike a race, a sweep nobody watches goes on: it is meant to run for
    an hour unattended.
    """

    def __init__(self, store: Store):
        self.store = store

    def begin(self, key: str, config: dict, *, source: str, fingerprint: str, cluster: str, run_keys,
              alone: bool = False) -> tuple[str, dict]:
        """Claim the sweep for this client; return its run id and the runs already finished.

        The finished runs are this sweep's from an earlier start, and those any kept sweep trained
        under the same run keys (copied into this one). Raises :class:`Refused` if this sweep's
        client is alive elsewhere, or, if ``alone``, while any other sweep runs. The runs of a
        sweep begun on other data (another fingerprint) are dropped.
        """
        now, run, run_keys = time.time(), uuid.uuid4().hex, list(run_keys)
        store = self.store
        with store._transaction() as db:
            for row in db.execute("SELECT * FROM sweeps WHERE state = 'running'").fetchall():
                self._reap(db, row, now)
            row = db.execute("SELECT * FROM sweeps WHERE key = ?", (key,)).fetchone()
            if row is not None and row["state"] == "running":
                raise Refused(f"This sweep is running already ({row['cluster']}, its client in process "
                              f"{row['pid']}); watch it, or cancel it first.")
            others = db.execute("SELECT key FROM sweeps WHERE state = 'running'").fetchall()
            if alone and others:
                raise Refused("One sweep at a time runs on this server, and another is running; wait until it ends "
                              "or cancel it.")
            if row is not None and row["fingerprint"] != fingerprint:
                db.execute("DELETE FROM sweep_runs WHERE sweep = ?", (key,))
            db.execute("DELETE FROM sweeps WHERE key = ?", (key,))
            db.execute("INSERT INTO sweeps (key, config, state, reason, source, fingerprint, cluster, run, pid, boot, "
                       "started, heartbeat) VALUES (?, ?, 'running', '', ?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, json.dumps(config), source, fingerprint, cluster, run, os.getpid(), _BOOT, now, now))
            for start in range(0, len(run_keys), 500):  # SQLite takes at most 32,766 parameters a statement
                chunk = run_keys[start:start + 500]
                db.execute(f"INSERT OR IGNORE INTO sweep_runs SELECT ?, key, result, MIN(finished) FROM sweep_runs "
                           f"WHERE key IN ({','.join('?' * len(chunk))}) GROUP BY key", (key, *chunk))
            db.execute("DELETE FROM sweeps WHERE key IN (SELECT key FROM sweeps WHERE state != 'running' "
                       "ORDER BY started DESC LIMIT -1 OFFSET ?)", (KEPT_SWEEPS - 1,))
            db.execute("DELETE FROM sweep_runs WHERE sweep NOT IN (SELECT key FROM sweeps)")
            finished = self._runs(db, key)
            with _live_lock:  # before the commit, so that no one takes the new sweep for a dead one
                _live.add((store.path, key, run))
        return run, finished

    def write(self, key: str, run: str, results: dict) -> bool:
        """Add finished runs (run key → result) and stamp the heartbeat; whether the sweep goes on
        (False once it is cancelled, or no longer this client's). Waits :data:`TICK_SECONDS` at
        most for the store."""
        now = time.time()
        with self.store._transaction(busy=TICK_SECONDS) as db:
            row = db.execute("SELECT cancel FROM sweeps WHERE key = ? AND run = ? AND state = 'running'",
                             (key, run)).fetchone()
            if row is None:
                return False
            db.executemany("INSERT OR REPLACE INTO sweep_runs (sweep, key, result, finished) VALUES (?, ?, ?, ?)",
                           [(key, run_key, json.dumps(result), now) for run_key, result in results.items()])
            db.execute("UPDATE sweeps SET heartbeat = ? WHERE key = ?", (now, key))
        return not row["cancel"]

    def end(self, key: str, run: str, state: str, reason: str) -> None:
        """Record how the sweep ended, if it is still this client's."""
        try:
            with self.store._transaction() as db:
                db.execute("UPDATE sweeps SET state = ?, reason = ?, ended = ? WHERE key = ? AND run = ? AND "
                           "state = 'running'", (state, reason, time.time(), key, run))
        finally:
            with _live_lock:
                _live.discard((self.store.path, key, run))

    def get(self, key: str) -> SweepJob | None:
        """The sweep with this key and its finished runs, or None."""
        with self.store._transaction(write=False) as db:
            row = db.execute("SELECT * FROM sweeps WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            if not self.store._dead(row, time.time()):
                return self._job(db, row)
        with self.store._transaction() as db:
            self._reap(db, row, time.time())
            return self._job(db, db.execute("SELECT * FROM sweeps WHERE key = ?", (key,)).fetchone())

    def cancel(self, key: str) -> None:
        """Ask the sweep's client to stop; it does within a tick, keeping the finished runs."""
        with self.store._transaction() as db:
            db.execute("UPDATE sweeps SET cancel = 1 WHERE key = ? AND state = 'running'", (key,))

    def _reap(self, db, row, now) -> None:
        if self.store._dead(row, now):
            db.execute("UPDATE sweeps SET state = 'interrupted', reason = ?, ended = ? WHERE key = ? AND run = ? "
                       "AND state = 'running'", ("Its client stopped without finishing (the server restarted or its "
                                                 "process was killed).", now, row["key"], row["run"]))

    def _job(self, db, row) -> SweepJob:
        return SweepJob(key=row["key"], config=json.loads(row["config"]), state=row["state"], reason=row["reason"],
                        source=row["source"], fingerprint=row["fingerprint"], cluster=row["cluster"],
                        started=row["started"], ended=row["ended"], cancelling=bool(row["cancel"]),
                        runs=self._runs(db, row["key"]))

    @staticmethod
    def _runs(db, key) -> dict:
        return {row["key"]: json.loads(row["result"]) for row in
                db.execute("SELECT key, result FROM sweep_runs WHERE sweep = ? ORDER BY finished, key", (key,))}


# ---------------------------------------------------------------------------------------------
# Checkpoints and loss landscapes.
#
# A race's checkpoints (float32 weights, about 1 MB each for the article's network, some 200 MB for
# its race of eight over 20 epochs) sit in a table of their own, kept for the KEPT_CHECKPOINTS
# latest races; their landscapes, small, are kept as long as their race. A landscape is computed
# in a thread of the process that asks for it, like a race, and written once, whole, when it
# finishes: a landscape cancelled, failed or interrupted leaves no result behind.

#: Races whose checkpoints are kept (the latest started); older races keep their curves and the
#: landscapes already drawn, and need training again for a new one.
KEPT_CHECKPOINTS = 3
def _write_checkpoints(db, key, checkpoints) -> None:
    db.executemany("INSERT OR REPLACE INTO checkpoints (key, optimizer, position, weights) VALUES (?, ?, ?, ?)",
                   [(key, optimizer, record["epoch_position"], record["weights"].astype("<f4").tobytes())
                    for optimizer, record in checkpoints])


def _forget_landscapes(db) -> None:
    """Drop the checkpoints and landscapes of races no longer in the store, and the checkpoints of
    all but the :data:`KEPT_CHECKPOINTS` latest races."""
    db.execute("DELETE FROM landscapes WHERE race NOT IN (SELECT key FROM jobs)")
    db.execute("DELETE FROM checkpoints WHERE key NOT IN (SELECT key FROM jobs ORDER BY started DESC LIMIT ?)",
               (KEPT_CHECKPOINTS - 1,))  # room for the race about to start


def landscape_key(race: RaceConfig, settings) -> str:
    """A stable 16-hex-digit key of a landscape: its race's and its settings'."""
    text = json.dumps({"race": race.key(), **settings.to_dict()}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LandscapeJob:
    """One landscape as the store knows it at one moment: ``state`` as a race's :class:`Job`;
    ``progress`` in [0, 1]; ``result`` the ``Landscape`` once finished, else None."""

    key: str
    race: str
    settings: object
    state: str
    reason: str
    progress: float
    started: float
    ended: float | None
    cancelling: bool
    result: object

    @property
    def running(self) -> bool:
        return self.state == "running"


class Landscapes:
    """The loss landscapes of a store's races: :meth:`start` one, look at it (:meth:`job`),
    :meth:`cancel` it. Raises :class:`StoreError` as the store does.

    Limits, whatever a page asks: ``landscape.Settings``'s own (grid, images), one landscape at a
    time and none while a race runs (each takes a core; the server needs the other), and only of
    a finished race whose checkpoints are kept.
    """

    def __init__(self, store: Store):
        self.store = store

    def start(self, race: Job, settings) -> LandscapeJob:
        """The landscape of the finished race ``race`` on ``settings``: the stored one if it is
        running or finished, else a new computation. Raises ValueError for settings the race cannot
        satisfy, :class:`Refused` for a race not finished, without checkpoints, or a busy server."""
        settings = settings.for_race(race.config.optimizers)
        if race.state != "finished":
            raise Refused("A landscape is drawn of a finished race: wait until this one ends, or train it to the end.")
        key, now, run = landscape_key(race.config, settings), time.time(), uuid.uuid4().hex
        with self.store._transaction() as db:
            for row in db.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall():
                self.store._reap(db, row, now)
            for row in db.execute("SELECT * FROM landscapes WHERE state = 'running'").fetchall():
                self._reap(db, row, now)
            row = db.execute("SELECT state FROM landscapes WHERE key = ?", (key,)).fetchone()
            if row is not None and row["state"] in ("running", "finished"):
                return self._job(db, key)
            if db.execute("SELECT 1 FROM jobs WHERE state = 'running'").fetchone():
                raise Refused("A race is training on this server: a landscape waits until it ends (each takes a "
                              "core of its own).")
            if db.execute("SELECT 1 FROM landscapes WHERE state = 'running'").fetchone():
                raise Refused("Another landscape is being computed on this server: one at a time. Try again when "
                              "it ends.")
            if not db.execute("SELECT 1 FROM checkpoints WHERE key = ? LIMIT 1", (race.key,)).fetchone():
                raise Refused("This race's weights along the way are no longer kept (the server keeps those of its "
                              f"{KEPT_CHECKPOINTS} latest races): press Run again to train it anew, then draw it.")
            db.execute("DELETE FROM landscapes WHERE key = ?", (key,))
            db.execute("INSERT INTO landscapes (key, race, settings, state, reason, run, pid, boot, started, "
                       "heartbeat) VALUES (?, ?, ?, 'running', '', ?, ?, ?, ?, ?)",
                       (key, race.key, json.dumps(settings.to_dict()), run, os.getpid(), _BOOT, now, now))
            with _live_lock:
                _live.add((self.store.path, key, run))
        try:
            threading.Thread(target=_landscape_work, args=(self, key, race.config, settings, run),
                             name=f"landscape-{key}", daemon=True).start()
        except RuntimeError:
            with _live_lock:
                _live.discard((self.store.path, key, run))
            raise
        return self.job(race.config, settings)

    def job(self, race: RaceConfig, settings) -> LandscapeJob | None:
        """The landscape of ``race`` on ``settings`` (checked against the race), or None."""
        key = landscape_key(race, settings.for_race(race.optimizers))
        with self.store._transaction() as db:
            row = db.execute("SELECT * FROM landscapes WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            self._reap(db, row, time.time())
            return self._job(db, key)

    def cancel(self, race: RaceConfig, settings) -> None:
        """Ask the computation to stop; it does within about :data:`TICK_SECONDS`, keeping nothing."""
        key = landscape_key(race, settings.for_race(race.optimizers))
        with self.store._transaction() as db:
            db.execute("UPDATE landscapes SET cancel = 1 WHERE key = ? AND state = 'running'", (key,))

    def checkpoints(self, race_key: str) -> dict:
        """A race's checkpoints: each optimizer's ``[(epoch_position, weights), ...]`` in order."""
        with self.store._transaction(write=False) as db:
            rows = db.execute("SELECT optimizer, position, weights FROM checkpoints WHERE key = ? "
                              "ORDER BY optimizer, position", (race_key,)).fetchall()
        kept = {}
        for optimizer, position, weights in rows:
            kept.setdefault(optimizer, []).append((position, np.frombuffer(weights, "<f4")))
        return kept

    def _reap(self, db, row, now) -> None:
        if self.store._dead(row, now):
            db.execute("UPDATE landscapes SET state = 'interrupted', reason = ?, ended = ? WHERE key = ? AND run = ? "
                       "AND state = 'running'", (_INTERRUPTED, now, row["key"], row["run"]))

    def _job(self, db, key) -> LandscapeJob:
        from optviz.race.landscape import Landscape, Settings

        row = db.execute("SELECT * FROM landscapes WHERE key = ?", (key,)).fetchone()
        settings = json.loads(row["settings"])
        return LandscapeJob(key=key, race=row["race"], settings=Settings(**settings), state=row["state"],
                            reason=row["reason"], progress=row["progress"], started=row["started"],
                            ended=row["ended"], cancelling=bool(row["cancel"]),
                            result=Landscape.from_dict(json.loads(row["result"])) if row["result"] else None)

    # -- the worker's side ----------------------------------------------------------------------

    def _tick(self, key, run, progress) -> bool:
        """Write the progress and stamp the heartbeat; whether to stop (cancelled, or no longer this run's)."""
        with self.store._transaction(busy=TICK_SECONDS) as db:
            row = db.execute("SELECT cancel FROM landscapes WHERE key = ? AND run = ? AND state = 'running'",
                             (key, run)).fetchone()
            if row is None:
                return True
            db.execute("UPDATE landscapes SET progress = ?, heartbeat = ? WHERE key = ?", (progress, time.time(), key))
        return bool(row["cancel"])

    def _end(self, key, run, state, reason, result=None) -> None:
        """How it ended, and the whole result if it finished, in one transaction."""
        with self.store._transaction() as db:
            db.execute("UPDATE landscapes SET state = ?, reason = ?, ended = ?, progress = ?, result = ? "
                       "WHERE key = ? AND run = ? AND state = 'running'",
                       (state, reason, time.time(), 1.0 if result else 0.0, result, key, run))


def _landscape_work(landscapes: Landscapes, key: str, race: RaceConfig, settings, run: str) -> None:
    """The worker: compute the landscape, report its progress, write it whole or not at all."""
    from optviz.race import landscape

    ticker = _Ticker(landscapes, key, run)
    state, reason, result = "failed", "The worker stopped for an unknown reason.", None
    try:
        split = datasets.split(_dataset(race.data))
        computed = landscape.compute(race, landscapes.checkpoints(race.key()), split, settings,
                                     progress=ticker.progress, should_stop=ticker.should_stop)
        state, reason, result = "finished", "", json.dumps(computed.to_dict())
    except landscape.Stopped:
        state, reason = "cancelled", "Cancelled."
    except Exception as error:
        log.exception("landscape %s failed", key)
        state, reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        try:
            wait = TICK_SECONDS
            while True:  # tried until it is written, as a race's end is
                try:
                    landscapes._end(key, run, state, reason, result)
                    break
                except StoreError:
                    log.warning("landscape %s: how it ended (%s) was not written; trying again", key, state)
                    time.sleep(wait)
                    wait = min(2 * wait, MAX_RETRY_SECONDS)
        finally:
            with _live_lock:
                _live.discard((landscapes.store.path, key, run))


class _Ticker:
    """The landscape worker's side of the store: the share done, written with the heartbeat every
    :data:`TICK_SECONDS`, and whether to stop. A write that fails is tried at the next tick."""

    def __init__(self, landscapes: Landscapes, key: str, run: str):
        self.landscapes, self.key, self.run = landscapes, key, run
        self.share, self.next_tick = 0.0, 0.0

    def progress(self, share: float) -> None:
        self.share = share

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now < self.next_tick:
            return False
        self.next_tick = now + TICK_SECONDS
        try:
            return self.landscapes._tick(self.key, self.run, self.share)
        except StoreError:
            log.warning("landscape %s: progress not written", self.key, exc_info=True)
            return False

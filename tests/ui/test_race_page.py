"""The training-race page under Streamlit's AppTest (which does not tick fragments: the tests poll the store)."""

import base64
import gzip
import json
import os
import struct
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz.engine import jit
from optviz.optimizers import OPTIMIZERS
from optviz.race import conclusions, data, jobs
from optviz.race.training import MAX_BATCH_SIZE, MAX_EPOCHS, RaceConfig
from ui import race

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = "from ui import race\nrace.page()\n"
#: What the tests pick on the page: two optimizers for one epoch (the article's network, embedded data).
PICKED = RaceConfig(optimizers=("sgd", "adam"), epochs=1, data="embedded")


@pytest.fixture(autouse=True)
def machine(monkeypatch, tmp_path):
    """A store of its own, and no full set: the page offers the embedded subset only."""
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))
    race._data_sources.clear()
    yield
    store = jobs.Store()
    for key in (PICKED.key(), race.ARTICLE.key()):
        store.cancel(key)


def opened() -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def pick(at: AppTest) -> AppTest:
    at.multiselect(key="race.optimizers").set_value(["sgd", "adam"])
    at.slider(key="race.epochs").set_value(1)
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def finished(key: str) -> jobs.Job:
    store, deadline = jobs.Store(), time.monotonic() + 30
    while (job := store.job(key)).running:
        assert time.monotonic() < deadline, "the race did not finish"
        time.sleep(0.05)
    return job


def curves(at: AppTest) -> dict:
    """The race figure's traces on the page: name → number of points."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {trace.get("name"): len(_values(trace["y"])) for trace in spec["data"]}


def _values(y):
    return np.frombuffer(base64.b64decode(y["bdata"]), y["dtype"]) if isinstance(y, dict) else y


def test_the_page_opens_on_the_article_preset_with_the_embedded_subset():
    at = opened()
    assert at.title[0].value == "Training race"
    assert at.multiselect(key="race.optimizers").value == list(race.ARTICLE.optimizers)
    assert at.radio(key="race.data").options == ["Embedded subset"]  # no full set on this machine
    assert at.slider(key="race.epochs").value == 20
    assert at.select_slider(key="race.adam.lr").value == 0.001 and at.slider(key="race.adam.beta2").value == 0.999
    assert any("Press Start" in info.value for info in at.info)
    assert not button(at, "Start").disabled and button(at, "Cancel").disabled


def test_every_optimizer_races_and_what_the_limits_refuse_is_said_on_the_page():
    """The widgets offer the whole registry; the article's eight at the most every other widget allows
    are a race RaceConfig accepts, and a race beyond the limits (see training) is a message, not a crash."""
    at = opened()
    optimizers = at.multiselect(key="race.optimizers").options
    epochs, batch_sizes = at.slider(key="race.epochs"), at.selectbox(key="race.batch_size").options
    assert len(optimizers) == len(OPTIMIZERS)
    assert int(epochs.max) == MAX_EPOCHS and max(map(int, batch_sizes)) <= MAX_BATCH_SIZE
    RaceConfig(optimizers=race.ARTICLE.optimizers, epochs=int(epochs.max), batch_size=max(map(int, batch_sizes)),
               hidden=race.ARTICLE.hidden, data="embedded")  # the network is the article's: no widget changes it
    at.multiselect(key="race.optimizers").set_value(list(OPTIMIZERS))
    at.slider(key="race.epochs").set_value(MAX_EPOCHS).run()
    assert not at.exception and "parameter-epochs; the limit is" in at.error[0].value


def test_a_short_race_from_the_page_draws_curves_the_table_and_the_conclusions():
    at = pick(opened())
    button(at, "Start").click().run()
    assert not at.exception, at.exception
    job = finished(PICKED.key())
    assert job.state == "finished", job.reason
    at.run()
    assert not at.exception, at.exception
    assert any("Finished in" in s.value for s in at.success)
    traced = curves(at)
    assert any(name.startswith("Adam (α=0.001, β₁=0.9, β₂=0.999)") and n == 1 for name, n in traced.items())
    assert any(name.endswith("smoothed within epochs") and n > 4 for name, n in traced.items())
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == [row["optimizer"] for row in conclusions.standings(job.results)]
    assert len(table) == 2
    verdicts = [m.value for m in at.markdown if m.value.startswith(("**1.", "**2.", "**3.", "**4.", "**5."))]
    assert len(verdicts) == 5 and "cannot tell" in verdicts[2]  # no Nesterov, no RMSProp in this race
    assert "Start" not in [b.label for b in at.button] and not button(at, "Run again").disabled

    again = pick(opened())  # another session, or the same after a restart: shown at once, not retrained
    assert curves(again) == traced and button(again, "Run again")


def test_a_second_race_is_refused_with_a_way_to_watch_the_running_one(monkeypatch):
    def endless(config, split, *, on_event, should_stop, checkpoints=False):
        while not should_stop():
            time.sleep(0.01)

    monkeypatch.setattr(jobs, "run_race", endless)
    jobs.Store().start(race.ARTICLE)
    at = pick(opened())
    button(at, "Start").click().run()
    assert not at.exception, at.exception
    assert "One race at a time" in at.error[0].value
    button(at, "Watch the running race").click().run()
    assert at.multiselect(key="race.optimizers").value == list(race.ARTICLE.optimizers)
    assert not button(at, "Cancel").disabled
    assert at.get("progress")  # the running race, live
    button(at, "Cancel").click().run()
    assert finished(race.ARTICLE.key()).state == "cancelled"


def test_a_failed_race_is_a_message_not_a_traceback(monkeypatch):
    def broken(config, split, *, on_event, should_stop, checkpoints=False):
        raise MemoryError("out of memory in epoch 1")

    monkeypatch.setattr(jobs, "run_race", broken)
    at = pick(opened())
    button(at, "Start").click().run()
    finished(PICKED.key())
    at.run()
    assert not at.exception, at.exception
    assert "MemoryError: out of memory in epoch 1" in at.error[0].value


def test_a_damaged_store_is_reported_and_replaced(tmp_path):
    jobs.default_path().write_text("not a database")
    at = opened()
    assert "The race store races.sqlite could not be used" in at.warning[0].value
    assert str(tmp_path) not in at.warning[0].value  # named, not located
    assert any("Press Start" in info.value for info in at.info)


def full_set_in(directory: Path) -> Path:
    """A small valid set of the four IDX files: the "full set" as the page is concerned."""
    directory.mkdir(parents=True)
    for name, shape in ((data.TRAIN_IMAGES, (24, 28, 28)), (data.TEST_IMAGES, (12, 28, 28)),
                        (data.TRAIN_LABELS, (24,)), (data.TEST_LABELS, (12,))):
        values = np.arange(np.prod(shape)).reshape(shape) % 10
        (directory / name).write_bytes(gzip.compress(struct.pack(">HBB", 0, 8, len(shape))
                                                     + struct.pack(f">{len(shape)}I", *shape)
                                                     + values.astype(np.uint8).tobytes()))
    return directory


def texts(at: AppTest) -> str:
    """Everything the page says, as one text."""
    return json.dumps([element.value for kind in ("markdown", "caption", "warning", "error", "info", "success",
                                                  "radio") for element in getattr(at, kind)], ensure_ascii=False)


def test_no_server_path_is_shown_to_visitors(monkeypatch, tmp_path):
    """The data directory found, and a race's data source, are named without where they lie."""
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(full_set_in(tmp_path / "srv" / "fashion-mnist")))
    at = opened()
    data_choice = at.radio(key="race.data")
    assert data_choice.options == ["Embedded subset", "Full Fashion-MNIST"]
    assert list(data_choice.proto.captions) == ["embedded subset inside optviz (5,000 train / 1,000 test)",
                                                "directory fashion-mnist named by OPTVIZ_DATA_DIR (24 train / 12 test)"]
    at.radio(key="race.data").set_value("auto")
    pick(at)
    button(at, "Start").click().run()
    finished(replace(PICKED, data="auto").key())
    at.run()
    assert any("Data: directory fashion-mnist named by OPTVIZ_DATA_DIR" in s.value for s in at.success)
    assert str(tmp_path) not in texts(at)


def test_a_data_directory_that_cannot_be_used_is_a_visible_message_not_a_silent_subset(monkeypatch, tmp_path):
    named = full_set_in(tmp_path / "srv" / "fashion-mnist")
    (named / data.TRAIN_IMAGES).write_bytes(b"\x01\x02\x08\x03 not an IDX file")
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(named))
    at = opened()
    notice = at.warning[0].value
    assert "OPTVIZ_DATA_DIR" in notice and f"{data.TRAIN_IMAGES}: " in notice and "not a valid gzip" in notice
    assert str(tmp_path) not in texts(at)
    assert at.radio(key="race.data").options == ["Embedded subset"]


@pytest.mark.slow  # a process of its own, which opens the race page and the lab
def test_a_read_only_store_is_a_message_naming_the_file_and_the_permission_and_the_lab_works(tmp_path,
                                                                                              unprivileged):
    """Run as a server's user would be (root ignores permissions): the race page says what is wrong
    with the store, and the surface lab, which needs no store, works as before."""
    store_folder = tmp_path / "cache"
    store_folder.mkdir()
    store_folder.chmod(0o555)
    script = (
        "import json\nfrom streamlit.testing.v1 import AppTest\n"
        "race = AppTest.from_string('from ui import race\\nrace.page()\\n', default_timeout=60).run()\n"
        "lab = AppTest.from_file('app.py', default_timeout=120).run()\n"
        "print(json.dumps({'exceptions': [e.value for e in race.exception] + [e.value for e in lab.exception],\n"
        "                  'errors': [e.value for e in race.error], 'lab charts': len(lab.get('plotly_chart'))}))\n"
    )
    environment = {**os.environ, "OPTVIZ_CACHE_DIR": str(store_folder), "HOME": str(tmp_path)}
    environment.pop("OPTVIZ_DATA_DIR", None)
    if jit.CACHING:  # the kernels this process compiled and cached, not compiled again in a read-only folder
        environment["NUMBA_CACHE_DIR"] = str(Path(numba.config.CACHE_DIR).parent)
    done = subprocess.run([*unprivileged, sys.executable, "-c", script], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["exceptions"] == [] and seen["lab charts"] == 2
    assert len(seen["errors"]) == 1
    error = seen["errors"][0]
    assert "races.sqlite cannot be written: the server has no permission to write in its folder" in error
    assert "The surface lab and the article's figures work as before" in error and str(tmp_path) not in error


def test_run_again_trains_a_finished_race_anew_and_replaces_it_only_once_it_starts(monkeypatch):
    at = pick(opened())
    button(at, "Start").click().run()
    first = finished(PICKED.key())
    assert first.state == "finished"
    at.run()
    assert "train live" in at.success[0].value and "stays on screen" in button(at, "Run again").help

    def endless(config, split, *, on_event, should_stop, checkpoints=False):
        while not should_stop():
            time.sleep(0.01)

    monkeypatch.setattr(jobs, "run_race", endless)
    jobs.Store().start(race.ARTICLE)  # another race holds the server: Run again is refused ...
    button(at, "Run again").click().run()
    assert "One race at a time" in at.error[0].value
    assert jobs.Store().job(PICKED.key()).started == first.started  # ... and the finished race is kept
    jobs.Store().cancel(race.ARTICLE.key())
    finished(race.ARTICLE.key())

    at.run()
    button(at, "Run again").click().run()
    assert not at.exception, at.exception
    again = jobs.Store().job(PICKED.key())
    assert again.running and again.started > first.started and not any(again.results[o].loss for o in again.results)
    assert at.get("progress")  # the new run, live
    button(at, "Cancel").click().run()
    finished(PICKED.key())


# -- the race in the link ---------------------------------------------------------------------------


def linked(**query) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_reopens_its_race_and_the_page_keeps_its_link_current():
    config = RaceConfig(optimizers=("sgd", "adam"), epochs=3, batch_size=64, seed=7, data="embedded",
                        hyper={"adam": {"lr": 0.01, "beta2": 0.99}})
    query = race.to_query(config)
    assert query == {"opt": "sgd,adam", "epochs": "3", "batch": "64", "seed": "7", "adam.lr": "0.01",
                     "adam.beta2": "0.99"}
    assert race.from_query(query, {"embedded": ""}) == (config, [])
    assert race.to_query(race.ARTICLE) == {}  # the article's figure 16 is the page without parameters

    at = linked(**query)
    assert not at.warning
    assert at.multiselect(key="race.optimizers").value == ["sgd", "adam"]
    assert at.slider(key="race.epochs").value == 3 and at.selectbox(key="race.batch_size").value == 64
    assert at.number_input(key="race.seed").value == 7 and at.select_slider(key="race.adam.lr").value == 0.01
    assert at.slider(key="race.adam.beta2").value == 0.99
    assert at.query_params["seed"] == "7"
    at.slider(key="race.epochs").set_value(5).run()
    assert at.query_params["epochs"] == "5"  # the address follows the widgets

    shown = linked(present="1", seed="3")
    assert not shown.warning and shown.query_params["present"] == "1"  # the app's own parameter stays


def test_a_bad_link_gives_notices_never_a_crash():
    query = dict(opt="sgd,bogus,adam", epochs="999", batch="33", seed="-4", data="full", foo="1",
                 **{"adam.beta1": "abc", "adam.lr": "50", "nadam.lr": "0.1", "sgd.rho": "0.9"})
    _, texts = race.from_query(query, {"embedded": ""})
    for expected in ("Unknown optimizer 'bogus'", "epochs=999 is outside [1, 50]; 50 was used",
                     "batch=33 is not one of", "seed=-4 is outside", "full Fashion-MNIST set is not on this server",
                     "Unknown parameter 'foo'", "adam.beta1='abc' is not a number", "adam.lr=50 is outside",
                     "'nadam.lr' ignored", "'sgd.rho' ignored"):
        assert any(expected in text for text in texts), (expected, texts)
    at = linked(**query)
    shown = [w.value for w in at.warning]
    assert any(texts[0] in text for text in shown) and "5 more parts of this link" in shown[-1]
    assert at.multiselect(key="race.optimizers").value == ["sgd", "adam"]
    assert at.slider(key="race.epochs").value == 50 and at.selectbox(key="race.batch_size").value == 32
    assert at.select_slider(key="race.adam.lr").value == 10.0 and at.radio(key="race.data").value == "embedded"
    for query in ({"opt": ",,"}, {"epochs": "1e400"}, {"adam.lr": "nan"}, {"opt": "sgd," * 40}):
        config, messages = race.from_query(query, {"embedded": ""})
        assert messages and isinstance(config, RaceConfig), query

"""The race page's Fair race section under Streamlit's AppTest: a tiny sweep on a real local Dask
cluster of one worker, started from the page (AppTest does not tick fragments: the tests poll the store)."""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from optviz.race import jobs, sweep
from ui import race

SCRIPT = "from ui import race\nrace.page()\n"
#: What the tests pick in the section: two optimizers, the article's α and one above, one seed, one epoch.
PICKED = sweep.SweepConfig(optimizers=("sgd", "adam"), lrs=(0.001, 0.1), seeds=(0,), epochs=1, data="embedded")


@pytest.fixture(autouse=True)
def machine(monkeypatch, tmp_path):
    """A store of its own, no full set, a local cluster of one worker unless a test names a scheduler."""
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    monkeypatch.delenv(sweep.SCHEDULER_VARIABLE, raising=False)
    monkeypatch.setenv(sweep.WORKERS_VARIABLE, "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))
    race._data_sources.clear()
    yield
    jobs.Sweeps(jobs.Store()).cancel(PICKED.key())


def opened(url_query: dict | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    for name, value in (url_query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def pick(at: AppTest) -> AppTest:
    at.multiselect(key="fair.optimizers").set_value(list(PICKED.optimizers))
    at.multiselect(key="fair.lrs").set_value(list(PICKED.lrs))
    at.slider(key="fair.seeds").set_value(len(PICKED.seeds))
    at.slider(key="fair.epochs").set_value(PICKED.epochs)
    return at.run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def ended(key: str, seconds: float = 120) -> jobs.SweepJob:
    sweeps, deadline = jobs.Sweeps(jobs.Store()), time.monotonic() + seconds
    while (job := sweeps.get(key)) is None or job.running:
        assert time.monotonic() < deadline, "the sweep did not end"
        time.sleep(0.1)
    return job


def charts(at: AppTest) -> dict:
    """The page's figures by title: title → their traces."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"]: spec["data"] for spec in specs}


def test_the_section_offers_the_articles_eight_at_six_alpha_and_says_what_a_sweep_is():
    at = opened()
    assert any(h.value.startswith("The fair race") for h in at.header)
    assert at.multiselect(key="fair.lrs").value == list(sweep.DEFAULT_LRS)
    assert button(at, "Run the sweep").help.startswith("144 trainings: 8 optimizers × 6 α × 3 seeds")
    assert any("Press *Run the sweep*" in info.value for info in at.info)


def test_a_sweep_started_from_the_page_fills_in_the_curves_the_tuned_race_and_the_conclusions():
    at = pick(opened())
    button(at, "Run the sweep").click().run()
    assert not at.exception, at.exception
    job = ended(PICKED.key())
    assert job.state == "finished", job.reason
    assert job.cluster == "a local Dask cluster of 1 worker process"
    at.run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Finished: 4 runs") for s in at.success)

    results = list(job.runs.values())
    best = sweep.best(PICKED, results)
    figures = charts(at)
    against_alpha = next(data for title, data in figures.items() if title.startswith("Final validation accuracy"))
    for optimizer in PICKED.optimizers:
        line = next(t for t in against_alpha if t["name"] == sweep.OPTIMIZERS[optimizer].title)
        assert line["x"] == [p.lr for p in sweep.points(PICKED, results)[optimizer] if not p.diverged]
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == [sweep.OPTIMIZERS[o].title for o in
                                        sorted(PICKED.optimizers, key=lambda o: -best[o].mean)]
    assert list(table["val. accuracy (mean)"]) == sorted((p.mean for p in best.values()), reverse=True)
    races = [title for title in figures if title.startswith("The race")]
    assert len(races) == 2 and "at each one's best α" in races[0] and "at the article's α = 0.001" in races[1]
    verdicts = at.table[0].value
    assert len(verdicts) == 5 and list(verdicts.columns) == [tab.label for tab in at.tabs]
    assert verdicts.index[0].startswith("1. ")
    assert set(verdicts.stack()) <= {"✓ holds", "✗ does not hold", "? cannot tell"}
    assert "Resume" not in [b.label for b in at.button] and "Run the sweep" not in [b.label for b in at.button]

    again = pick(opened())  # another session, or the same after a restart: shown, not trained again
    assert charts(again).keys() == figures.keys()


def test_an_unreachable_scheduler_of_the_server_fails_without_showing_its_address(monkeypatch):
    monkeypatch.setenv(sweep.SCHEDULER_VARIABLE, "tcp://127.0.0.1:9")  # the discard port: nothing answers
    monkeypatch.setattr(sweep, "CONNECT_SECONDS", 1.0)
    at = pick(opened())
    button(at, "Run the sweep").click().run()
    job = ended(PICKED.key(), seconds=60)
    assert job.state == "failed" and job.cluster == "this server's Dask cluster"
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error)
    assert "did not answer within 1 s" in shown and "127.0.0.1" not in shown
    assert button(at, "Resume")


def test_a_bad_server_setting_is_a_message_and_a_link_cannot_name_a_scheduler(monkeypatch):
    monkeypatch.setenv(sweep.SCHEDULER_VARIABLE, "not an address")
    at = pick(opened({"scheduler": "tcp://127.0.0.1:8786", sweep.SCHEDULER_VARIABLE: "tcp://127.0.0.1:8786"}))
    button(at, "Run the sweep").click().run()
    assert not at.exception, at.exception
    assert "This server's Dask setting cannot be used" in at.error[0].value
    assert jobs.Sweeps(jobs.Store()).get(PICKED.key()) is None


def test_a_sweep_too_large_is_refused_with_its_size():
    at = opened()
    at.slider(key="fair.seeds").set_value(5)
    at.multiselect(key="fair.lrs").set_value(list(sweep.DEFAULT_LRS) + [0.5, 0.7])
    at.run()
    assert not at.exception
    assert "parameter-epochs; the limit is" in at.error[0].value
    assert "Run the sweep" not in [b.label for b in at.button]

"""The race page's Landscape section under Streamlit's AppTest (which does not tick fragments: the
tests poll the store)."""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from optviz.race import jobs
from optviz.race.landscape import Settings
from optviz.race.training import RaceConfig
from ui import race

SCRIPT = "from ui import race\nrace.page()\n"
PICKED = RaceConfig(optimizers=("sgd", "adam"), epochs=1, data="embedded")
SMALL = Settings(plane="pca", through=("sgd", "adam"), grid=11, images=250)


@pytest.fixture(autouse=True)
def machine(monkeypatch, tmp_path):
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))
    race._data_sources.clear()


def until(look, what, timeout=60):
    deadline = time.monotonic() + timeout
    while (value := look()) is None or value.running:
        assert time.monotonic() < deadline, f"{what} did not finish"
        time.sleep(0.05)
    return value


def opened(link="") -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    for part in filter(None, link.split("&")):
        key, value = part.split("=")
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def finished_race(link="opt=sgd,adam&epochs=1") -> AppTest:
    at = opened(link)
    next(b for b in at.button if b.label == "Start").click().run()
    assert until(lambda: jobs.Store().job(PICKED.key()), "the race").state == "finished"
    return at.run()


def test_a_finished_race_draws_its_landscape_with_the_plane_explained_and_shares_it():
    at = finished_race()
    assert "Landscape" in [header.value for header in at.subheader]
    at.select_slider(key="landscape.grid").set_value(11)
    at.select_slider(key="landscape.images").set_value(250).run()
    next(b for b in at.button if b.label == "Draw the landscape").click().run()
    assert not at.exception, at.exception
    drawn = until(lambda: jobs.Landscapes(jobs.Store()).job(PICKED, SMALL), "the landscape")
    assert drawn.state == "finished", drawn.reason
    at.run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("The two directions in which all optimizers' checkpoints") for m in at.markdown)
    assert any(c.value.startswith("Each path's movement the plane holds: GD ") for c in at.caption)
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    titles = [chart["layout"]["title"]["text"] for chart in charts]
    assert "The training loss on the plane of the paths' two main directions" in titles
    assert "The training loss over the plane of the paths' two main directions" in titles
    assert "The training loss along straight lines through weight space" in titles
    shown = next(chart for chart in charts if chart["layout"]["title"]["text"].endswith("on the plane of the paths' "
                                                                                          "two main directions"))
    assert {trace["name"] for trace in shown["data"] if trace.get("showlegend", True)} >= {"GD", "Adam"}
    assert at.query_params["grid"] == "11" and at.query_params["images"] == "250"
    assert "plane" not in at.query_params  # the default is left out of the link
    at.radio(key="landscape.loss").set_value("val").run()
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert "The validation loss along straight lines through weight space" in titles


def test_a_link_sets_the_section_and_what_it_cannot_use_is_said():
    at = opened("opt=sgd,adam&epochs=1&plane=endpoints&through=adam,sgd&grid=21&images=7&loss=val")
    assert at.session_state["landscape.plane"] == "endpoints" and at.session_state["landscape.grid"] == 21
    assert at.session_state["landscape.through"] == ["adam", "sgd"] and at.session_state["landscape.loss"] == "val"
    warnings = [warning.value for warning in at.warning]
    assert any("images='7' is not one of 250, 500, 1000, 2000, 5000" in text for text in warnings)
    assert not any("Unknown parameter" in text for text in warnings)  # the race's reader leaves them alone
    assert "Landscape" not in [header.value for header in at.subheader]  # no finished race yet


def test_a_plane_the_race_cannot_have_is_a_message():
    at = finished_race("opt=sgd,adam&epochs=1&plane=endpoints")
    at.multiselect(key="landscape.through").set_value(["adam"]).run()
    assert not at.exception, at.exception
    assert any("goes through the solutions of two optimizers" in error.value for error in at.error)

"""The Maps page under Streamlit's AppTest: it draws a map of any optimizer, reads and writes its link
strictly, picks a cell from the link, opens it in the lab, and says what the article's figures
claim against every start."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from optviz.optimizers import OPTIMIZERS
from optviz.scenario import from_query as lab_from_query
from ui import maps as page

SCRIPT = "from ui import maps\nmaps.page()\n"


def opened(query=None) -> AppTest:
    at = AppTest.from_string(SCRIPT, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def figures(at) -> list:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_the_page_opens_on_the_ravine_with_the_theory_line():
    at = opened({"size": "50"})
    (figure,) = figures(at)
    assert figure["layout"]["title"]["text"] == "Momentum on Ravine: where it converges"
    assert any(t.get("name", "").startswith("theory: α < 2(1 + β)/λ_max") for t in figure["data"])
    assert "The dashed line is the edge theory gives" in texts(at.caption)
    assert dict(at.query_params) == {"size": "50"}
    assert texts(at.info).startswith("Click a cell")


def test_a_link_to_a_cell_draws_its_run_and_opens_it_in_the_lab():
    at = opened({"size": "50", "cell": "30,20"})
    m_figure, run_figure = figures(at)
    assert run_figure["layout"]["title"]["text"] == "The picked run"
    (picked,) = [t for t in m_figure["data"] if t.get("name") == "picked"]
    said = texts(at.markdown)
    assert "**Momentum**, α=" in said and ("reached" in said or "diverged" in said)
    (link,) = at.link_button
    url = urlsplit(link.proto.url)
    assert url.path == "lab"
    scenario, notices = lab_from_query(dict(parse_qsl(url.query)))
    assert not notices and scenario.surface == "ravine" and scenario.optimizers == ("momentum",)
    settings = scenario.settings(0)
    assert (settings["lr"], settings["momentum"]) == pytest.approx((10 ** picked["x"][0], picked["y"][0]))
    assert scenario.steps == 500 and tuple(scenario.start_point) == (-9.0, 2.5)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_of_the_registry_can_be_mapped(name):
    at = opened({"size": "50", "steps": "50"})
    at.selectbox(key="maps.optimizer").set_value(name).run()
    assert not at.exception, at.exception
    takes = list(OPTIMIZERS[name].defaults(at.radio(key="maps.convention").value))
    assert at.selectbox(key="maps.x").value == takes[0]
    assert at.selectbox(key="maps.y").value == (takes[1] if len(takes) > 1 else page.NONE)
    (figure,) = figures(at)
    assert figure["layout"]["title"]["text"].startswith(OPTIMIZERS[name].title + " on Ravine")
    assert dict(at.query_params).get("optimizer", page.MapView.optimizer) == name


def test_any_hyper_parameter_can_be_an_axis_and_the_others_get_widgets():
    at = opened({"size": "50", "steps": "50", "optimizer": "adam", "x": "beta2:0.5:0.9999", "y": "epsilon:1e-08:1"})
    (figure,) = figures(at)
    assert figure["layout"]["xaxis"]["title"]["text"].startswith("β₂")
    assert figure["layout"]["yaxis"]["ticktext"][0] == "10<sup>−8</sup>"  # ε moves by decades
    assert {s.key for s in at.select_slider} >= {"maps.adam.lr", "maps.axis.epsilon.from", "maps.axis.epsilon.to"}
    assert "maps.adam.beta1" in {s.key for s in at.slider}


def test_the_article_button_checks_figures_5_and_7_against_every_start():
    at = opened({"size": "50", "steps": "50"})
    next(b for b in at.button if b.label.startswith("The article's figures 5 and 7")).click().run()
    assert not at.exception, at.exception
    notes = texts(at.info)
    assert "Fig. 7: Momentum rolls on into the global minimum." in notes
    assert "the claim holds" in notes and "Momentum ends in the global minimum" in notes
    assert "in the local minimum (1.347, 0) from" in notes.split("Fig. 7")[1]
    comparison, difference = figures(at)
    assert [a["text"] for a in comparison["layout"]["annotations"]] == ["GD", "Momentum"]
    assert difference["layout"]["title"]["text"] == "Momentum vs GD: where they differ"
    assert at.query_params["kind"] == "basins" and at.query_params["versus"] == "momentum"


@pytest.mark.parametrize("query", [
    {"optimizer": "nope", "x": "alpha:0:1", "size": "100000", "steps": "1e9", "cell": "9999,1", "junk": "<script>"},
    {"x": "lr:-5:1e9", "y": "lr:0:1", "start": "1e308,nan", "convention": "jax", "size": "banana"},
    {"kind": "basins", "versus": "x", "momentum.momentum": "7", "adam.beta1": "0.5", "steps": "-3"},
    {"kind": "maps", "surface": "bowel", "y": "none", "x": "lr", "momentum.lr": "inf"},
])
def test_bad_links_give_notices_and_bounded_work(query):
    at = opened(query)
    assert at.warning, "every bad parameter is noticed"
    assert all("<script>" not in w.value or "ignored" in w.value for w in at.warning)
    view, _ = page.from_query(query)
    assert view.work <= page.MAX_WORK and 1 <= view.steps <= page.MAX_STEPS and view.size in page.SIZES


def test_the_link_round_trips_every_view():
    views = [
        page.MapView(),
        page.MapView(surface="bowl", optimizer="sgd", x=("lr", 0.01, 3.0), y=None, size=100, cell=(0, 42)),
        page.MapView(optimizer="adam", convention="torch", x=("beta1", 0.0, 0.99), y=("lr", 1e-4, 1.0),
                     hyper={"adam": {"beta2": 0.99}}, start=(-8.0, 1.0), steps=700),
        page.MapView(kind="basins", surface="himmelblau", optimizer="sgd", versus="adam", y=None,
                     hyper={"sgd": {"lr": 0.005}, "adam": {"lr": 0.05}}, size=150, cell=(149, 0)),
    ]
    for view in views:
        assert page.from_query(page.to_query(view)) == (view, []), view


def test_too_much_work_is_refused_on_the_page():
    at = opened({"kind": "basins", "optimizer": "sgd", "versus": "momentum", "size": "300", "steps": "1000"})
    at.slider(key="maps.steps").set_value(5000).run()
    assert not at.exception
    assert "the page allows 200,000,000" in texts(at.error) and not at.get("plotly_chart")


def test_a_map_with_a_progress_bar_is_remembered_for_the_next_run(monkeypatch):
    monkeypatch.setattr(page, "PROGRESS_WORK", 0)  # every map shows its progress
    calls = []
    stability = page.maps.stability
    monkeypatch.setattr(page.maps, "stability", lambda *a, **k: calls.append(k["progress"]) or stability(*a, **k))
    at = opened({"size": "50", "steps": "123"})
    at.run()
    assert not at.exception, at.exception
    assert len(calls) == 1 and callable(calls[0]), "computed once, with a progress bar, then remembered"
    assert len(figures(at)) == 1


def test_the_server_keeps_only_the_latest_maps():
    recent = page._Recent(2)
    for key in "abcb":
        recent.get(key, lambda key=key: key.upper())
    assert list(recent.maps) == ["c", "b"]
    assert recent.get("c", lambda: "recomputed") == "C"


def test_a_links_words_are_shown_as_plain_text_not_markup():
    at = opened({"size": "50", "[click me](http://example.com)": "1", "x": "$\\frac{1}{2}$", "**bold**": "1"})
    bodies = [w.proto.body for w in at.warning]
    assert all(body.startswith("` ") and body.endswith(" `") for body in bodies), bodies  # code: no markup
    said = " ".join(bodies)
    assert "[click me](http://example.com)" in said and "frac{1}{2}$" in said and "**bold**" in said

"""The app under Streamlit's AppTest: it runs, it reacts to its widgets, and links cannot break it."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz
import surfaces
from optviz.presets import PRESETS
from optviz.engine.tuning import tune
from optviz.scenario import LR_GRID, recommended

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _app(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _figures(at) -> list:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _array(value):
    """Plotly 6+ sends numpy arrays as {"dtype", "bdata"}."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"])
    return np.asarray(value, dtype=float)


def _path(figure, name_start: str):
    trace = next(t for t in figure["data"] if t.get("name", "").startswith(name_start))
    return _array(trace["x"]), _array(trace["y"])


def test_the_lab_runs_and_shows_every_figure():
    at = _app()
    assert not at.exception
    figures = _figures(at)
    assert len(figures) == 2  # the map, and the loss and distance curves
    assert {t["name"].split(" (")[0] for t in figures[0]["data"] if t.get("name") and "(" in t["name"]} == {
        "GD", "Momentum", "RMSProp", "Adam"}
    assert at.table[0].value.shape[0] == 4
    at.toggle(key="rules").set_value(True).run()
    assert at.latex and not at.exception  # the update rules, on request


def test_changing_alpha_changes_the_trajectory():
    at = _app()
    before = _path(_figures(at)[0], "Adam")
    at.select_slider(key="adam.lr").set_value(0.001).run()
    assert not at.exception
    after = _path(_figures(at)[0], "Adam")
    assert "Adam (α=0.001" in json.dumps(_figures(at)[0], ensure_ascii=False)
    assert len(before[0]) != len(after[0]) or not np.allclose(before[0], after[0])
    assert at.query_params["adam.lr"] == "0.001"


def test_a_link_opens_its_scenario():
    at = _app({"surface": "multi_minima", "opt": "sgd,momentum", "sgd.lr": "0.02", "momentum.lr": "0.02",
               "steps": "200", "start": "2.2,0"})
    assert not at.exception and not at.warning
    table = at.table[0].value
    assert list(table["minimum reached"]) == ["local", "global"]


@pytest.mark.parametrize("query", [
    {"surface": "bowel", "opt": "adam,nope", "adam.lr": "NaN", "steps": "1e99", "start": "x,y", "view": "4d"},
    {"adam.beta2": "7", "momentum.momentum": "-1", "present": "maybe", "junk": "<script>"},
    {"lr": "inf", "start": "1e308,1e308", "convention": "jax"},
])
def test_bad_links_give_notices_not_exceptions(query):
    at = _app(query)
    assert not at.exception
    assert at.warning, "every ignored or clamped parameter is reported"
    assert len(_figures(at)) == 2


def test_presentation_mode_shows_the_figures_only():
    at = _app({"present": "1"})
    assert not at.exception and len(_figures(at)) == 2
    assert not at.sidebar.selectbox and not at.table


def test_tuning_gives_each_run_the_alpha_its_objective_prefers_and_shows_the_curve():
    at = _app({"opt": "sgd,adam,adam", "adam.beta1": "0.9,0.5", "steps": "200"})
    at.toggle(key="tuning").set_value(True).run()
    at.selectbox(key="tuning_objective").set_value("final").run()
    next(b for b in at.button if b.label == "Tune α for every run").click().run()
    assert not at.exception
    start = optviz.SURFACES["rosenbrock"].start
    for run_id, optimizer, beta1 in (("sgd", "sgd", None), ("adam", "adam", 0.9), ("adam-2", "adam", 0.5)):
        tuning = tune("rosenbrock", optimizer, LR_GRID, steps=200, objective="final",
                      **({"beta1": beta1} if beta1 else {}))
        assert at.session_state[f"{run_id}.lr"] == tuning.lr
    figures = _figures(at)
    assert len(figures) == 3 and "final loss after 200 steps" in figures[-1]["layout"]["title"]["text"]
    assert sum(t.get("name") == "chosen" for t in figures[-1]["data"]) == 3
    assert at.query_params["adam.lr"] and start == (-1.2, 1.0)


@pytest.mark.parametrize("optimizer", ["adam", "nadam", "adagrad", "nesterov"])
def test_the_step_inspector_agrees_with_the_kernel(optimizer):
    at = _app({"surface": "himmelblau", "opt": optimizer, "steps": "50",
               "convention": "torch" if optimizer == "nadam" else "keras"})
    at.toggle(key="inspect").set_value(True).run()
    at.slider(key="inspect_step").set_value(7).run()
    assert not at.exception and not at.error
    assert any("agree at this step" in caption.value for caption in at.caption)
    quantities = at.table[-1].value["quantity"].tolist()
    assert "gₜ" in quantities and "step" in quantities and not any("$" in q or "_" in q for q in quantities)


GALLERY_FIRST = """
import streamlit as st
from ui import gallery, lab
lab_page = st.Page(lab.page, title="Surface lab", url_path="lab")
def figures():
    gallery.page(lab_page)
st.navigation([st.Page(figures, title="Figures", url_path="gallery", default=True), lab_page]).run()
"""


@pytest.mark.parametrize("key", list(PRESETS))
def test_each_preset_shows_its_claim_and_opens_in_the_lab(key):
    at = AppTest.from_string(GALLERY_FIRST, default_timeout=120)
    at.session_state["preset"] = key
    at.run()
    assert not at.exception
    assert at.success[0].value.startswith("The claim holds")
    assert len(_figures(at)) == len(PRESETS[key].views), "every view of the preset is shown"
    at.button[0].click().run()  # "Open in the lab"
    assert not at.exception
    preset = PRESETS[key]
    assert at.session_state["surface"] == preset.surface and at.session_state["steps"] == preset.steps
    assert (at.session_state["start_x"], at.session_state["start_y"]) == preset.start
    runs = at.session_state["runs"]
    assert [r.split("-")[0] for r in runs] == [r.optimizer for r in preset.runs], "every run, as the article draws it"
    for run_id, run in zip(runs, preset.runs):
        for name, value in run.hyper.items():
            assert at.session_state[f"{run_id}.{name}"] == value, "opened as it is, not rounded"
    assert at.markdown[0].value.endswith(surfaces.get(preset.surface).title) and len(_figures(at)) == 2
    assert at.table[0].value.shape[0] == len(preset.runs), "a row per run"


def test_removing_every_run_and_adding_one_again():
    at = _app({"opt": "sgd,adam"})
    for _ in range(2):
        next(b for b in at.button if b.label == "Remove").click().run()
    assert not at.exception and "Add a run" in at.info[0].value
    at.selectbox(key="add_run").set_value("nesterov").run()
    assert not at.exception and len(_figures(at)) == 2 and at.session_state["runs"] == ["nesterov"]
    assert at.session_state["nesterov.lr"] == recommended("rosenbrock", "nesterov")["lr"], "the surface's advice"


def test_copy_adds_a_run_of_the_same_optimizer_just_after_it_with_a_larger_alpha():
    at = _app({"opt": "sgd,adam", "sgd.lr": "0.001"})
    next(b for b in at.button if b.label == "Copy").click().run()  # GD's
    assert not at.exception and at.session_state["runs"] == ["sgd", "sgd-2", "adam"]
    assert at.session_state["sgd-2.lr"] == 0.002 and at.query_params["opt"] == "sgd,sgd,adam"
    assert at.query_params["sgd.lr"] == "0.001,0.002"
    names = [t["name"] for t in _figures(at)[0]["data"] if t.get("name", "").startswith("GD (")]
    assert names == ["GD (α=0.001)", "GD (α=0.002)"]


def test_the_results_have_a_row_per_run_and_print_steps_as_whole_numbers():
    at = _app({"opt": "sgd,sgd,adam", "sgd.lr": "0.001,0.01", "surface": "bowl", "steps": "200"})
    table = at.table[0].value
    assert table.shape[0] == 3
    cells = [str(v) for column in ("from step", "diverged at step") for v in table[column]]
    assert all(v == "—" or v.isdigit() for v in cells), cells
    assert any("0.01" in caption.value and "stays within" in caption.value for caption in at.caption)


def test_switching_the_convention_moves_the_settings_still_at_their_defaults():
    at = _app({"opt": "adam,adam", "adam.epsilon": "1e-7,0.001"})
    at.radio(key="convention").set_value("torch").run()
    assert not at.exception
    assert (at.session_state["adam.epsilon"], at.session_state["adam-2.epsilon"]) == (1e-8, 0.001)
    assert at.query_params["convention"] == "torch" and at.query_params["adam.epsilon"] == "1e-08,0.001"


def test_the_settings_read_plainly():
    at = _app({"opt": "momentum,adam"})
    labels = [w.label for w in (*at.sidebar.slider, *at.sidebar.select_slider)]
    assert "β: momentum (friction is 1 − β)" in labels and not any("((" in label or "))" in label for label in labels)


def test_a_link_naming_no_known_optimizer_opens_the_usual_runs():
    at = _app({"opt": "lbfgs"})
    assert not at.exception and len(_figures(at)) == 2 and at.table[0].value.shape[0] == 4
    assert any("names no optimizer the lab knows" in w.value for w in at.warning)


def test_switching_the_surface_keeps_the_runs_a_teacher_changed():
    at = _app({"opt": "sgd,adam", "adam.lr": "0.003"})
    at.selectbox(key="surface").set_value("bowl").run()
    assert not at.exception and at.session_state["runs"] == ["sgd", "adam"] and at.session_state["adam.lr"] == 0.003
    assert (at.session_state["start_x"], at.session_state["start_y"]) == optviz.SURFACES["bowl"].start


def test_the_shared_alpha_leaves_each_optimizers_own_alpha_alone():
    at = _app({"opt": "sgd,adam"})
    at.toggle(key="same_lr").set_value(True).run()
    at.slider(key="steps").set_value(100).run()  # any other widget, while the own α sliders are hidden
    assert not at.exception
    at.toggle(key="same_lr").set_value(False).run()
    assert not at.exception
    assert (at.session_state["sgd.lr"], at.session_state["adam.lr"]) == (
        recommended("rosenbrock", "sgd")["lr"], recommended("rosenbrock", "adam")["lr"])


def test_an_alpha_between_the_slider_stops_is_kept_exactly():
    at = _app({"opt": "adam", "adam.lr": "0.012"})
    assert not at.exception and not at.warning
    assert at.session_state["adam.lr"] == 0.012 and at.query_params["adam.lr"] == "0.012"
    assert "Adam (α=0.012," in json.dumps(_figures(at)[0], ensure_ascii=False)


def test_a_single_step_can_be_inspected():
    at = _app({"opt": "adam", "steps": "1"})
    at.toggle(key="inspect").set_value(True).run()
    assert not at.exception and any("agree at this step" in caption.value for caption in at.caption)

"""Lab scenarios and their links: the round trip, and what a tampered link can and cannot do."""

import math

import numpy as np

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.scenario import (LIMITS, MAX_RUNS, MAX_STEPS, VIEWS, Run, Scenario, default_runs, from_query, recommended,
                             snapped, start_grid, to_query)


def _value(name):
    low, high = LIMITS[name]
    if name in ("lr", "epsilon"):
        return st.floats(max(low, 1e-9), high).map(lambda v: float(f"{v:.6g}"))
    return st.floats(low, high).map(lambda v: float(f"{v:.6g}"))


@st.composite
def scenarios(draw):
    """Any lab: a list of runs in which an optimizer may appear several times, each with its own settings."""
    surface = draw(st.sampled_from(list(surfaces.SURFACES)))
    convention = draw(st.sampled_from(["keras", "torch"]))
    same_lr = draw(st.booleans())
    names = draw(st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=MAX_RUNS))
    runs = []
    for name in names:
        changed = draw(st.lists(st.sampled_from(OPTIMIZERS[name].hyper), unique=True))
        runs.append(Run(name, tuple({**recommended(surface, name, convention),
                                     **{n: draw(_value(n)) for n in changed}}.items())))
    return Scenario(
        surface=surface,
        runs=tuple(runs),
        same_lr=same_lr,
        lr=draw(_value("lr")) if same_lr else Scenario.lr,  # the shared α is part of the link only when used
        steps=draw(st.integers(1, MAX_STEPS)),
        start=draw(st.none() | st.tuples(st.floats(-2, 2), st.floats(-2, 2)).map(
            lambda p: (float(f"{p[0]:.5g}"), float(f"{p[1]:.5g}")))),
        convention=convention,
        view=draw(st.sampled_from(VIEWS)),
        present=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_a_link_reproduces_its_scenario(scenario):
    query = to_query(scenario)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    back, notices = from_query(query)
    assert notices == []
    assert back == scenario


def test_the_default_scenario_has_an_empty_link():
    assert to_query(Scenario()) == {}
    assert from_query({}) == (Scenario(), [])


def test_settings_are_the_runs_own_or_the_shared_rate():
    scenario = Scenario(runs=(Run("adam", (("beta1", 0.5),)),))
    assert scenario.settings(0) == {"lr": 0.001, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-7}
    shared = Scenario(runs=(Run("adam", ()), Run("sgd", ())), same_lr=True, lr=0.3)
    assert shared.settings(0)["lr"] == shared.settings(1)["lr"] == 0.3
    assert Scenario(convention="torch", runs=(Run("nadam", ()),)).settings(0)["momentum_decay"] == 0.004


def test_a_link_carries_several_runs_of_one_optimizer():
    fig4 = {"surface": "plateau", "opt": "sgd,sgd,sgd,sgd", "sgd.lr": "7,2.6,0.05,1", "steps": "50",
            "start": "0.8,0.6"}
    scenario, notices = from_query(fig4)
    assert notices == [] and [r.optimizer for r in scenario.runs] == ["sgd"] * 4
    assert [r.hyper["lr"] for r in scenario.runs] == [7.0, 2.6, 0.05, 1.0]
    assert to_query(scenario) == fig4
    mixed = Scenario(runs=(Run("adam", (("lr", 0.01),)), Run("sgd", (("lr", 0.1),)), Run("adam", (("lr", 0.01),
                                                                                                  ("beta1", 0.5)))))
    query = to_query(mixed)
    assert query["opt"] == "adam,sgd,adam" and query["adam.lr"] == "0.01" and query["adam.beta1"] == "0.9,0.5"
    assert from_query(query) == (mixed, [])


def test_old_links_still_open_as_they_did():
    scenario, notices = from_query({"opt": "adam", "adam.lr": "0.01"})
    assert notices == [] and scenario.runs == (Run("adam", tuple({**recommended("rosenbrock", "adam"),
                                                                  "lr": 0.01}.items())),)
    scenario, _ = from_query({"opt": "sgd,momentum", "sgd.lr": "0.02", "momentum.momentum": "0.5"})
    assert [r.hyper for r in scenario.runs] == [{"lr": 0.02}, {**recommended("rosenbrock", "momentum"), "momentum": 0.5}]


def test_a_link_naming_only_unknown_optimizers_opens_the_usual_runs_with_a_notice():
    scenario, notices = from_query({"surface": "bowl", "opt": "adamm,lbfgs"})
    assert scenario.runs == default_runs("bowl") and scenario.runs
    assert any("Unknown optimizer 'adamm', 'lbfgs'" in n for n in notices)
    assert any("names no optimizer the lab knows" in n for n in notices)
    assert from_query({"opt": ","})[0].runs == default_runs("rosenbrock")


def test_a_link_cannot_ask_for_more_runs_than_the_lab_races():
    scenario, notices = from_query({"opt": ",".join(["sgd"] * 500)})
    assert len(scenario.runs) == MAX_RUNS and any(f"at most {MAX_RUNS}" in n for n in notices)


def test_a_value_list_that_does_not_match_the_runs_is_ignored_with_a_notice():
    scenario, notices = from_query({"opt": "sgd,sgd", "sgd.lr": "0.1,0.2,0.3"})
    assert [r.hyper["lr"] for r in scenario.runs] == [recommended("rosenbrock", "sgd")["lr"]] * 2
    assert any("3 values for 2 runs" in n for n in notices)


def test_a_picked_start_reads_as_a_round_number():
    for surface in surfaces.SURFACES.values():
        xs, ys = start_grid(surface)
        (x0, x1), (y0, y1) = surface.domain
        assert 15 <= len(xs) <= 81 and x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1
        for value in (*xs, *ys):
            assert len(repr(float(value))) <= 6, (surface.name, value)
        noisy = float(np.float32(xs[7]) + 1e-7)  # as a click reports it
        assert snapped(noisy, xs) == xs[7]
        link = to_query(Scenario(surface=surface.name, start=(snapped(noisy, xs), snapped(float(ys[3]), ys))))
        assert len(link["start"]) <= 12, link["start"]


@pytest.mark.parametrize(
    "query, notice",
    [
        ({"surface": "bowel"}, "Unknown surface 'bowel' ignored"),
        ({"opt": "adam,adamm"}, "Unknown optimizer 'adamm' ignored"),
        ({"opt": "adamm"}, "the surface's usual runs are shown"),
        ({"convention": "jax"}, "Unknown convention 'jax'"),
        ({"steps": "many"}, "steps='many' is not a whole number"),
        ({"steps": "1e12"}, f"steps=1e12 is outside [1, {MAX_STEPS}]; {MAX_STEPS} was used"),
        ({"steps": "-3"}, "steps=-3 is outside"),
        ({"adam.lr": "nan"}, "adam.lr='nan' is not a number"),
        ({"adam.lr": "1e9"}, "adam.lr=1e9 is outside [1e-05, 10]; 10 was used"),
        ({"adam.beta2": "1"}, "adam.beta2=1 is outside [0, 0.9999]; 0.9999 was used"),
        ({"sgd.momentum": "0.9"}, "Parameter 'sgd.momentum' ignored"),
        ({"nadam.lr": "0.1"}, "Parameter 'nadam.lr' ignored"),
        ({"start": "1;2"}, "start='1;2' is not two numbers"),
        ({"start": "inf,0"}, "start='inf,0' is not finite"),
        ({"start": "1e300,0"}, "lies far outside the surface's window"),
        ({"view": "vr"}, "Unknown view 'vr'"),
        ({"steps": "2.7"}, "steps=2.7 is not a whole number; 2 was used"),
        ({"present": "maybe"}, "present='maybe' is neither yes nor no"),
        ({"__proto__": "x"}, "Unknown parameter '__proto__' ignored"),
    ],
)
def test_a_tampered_link_gives_a_notice_and_a_safe_scenario(query, notice):
    scenario, notices = from_query(query)
    assert any(notice in n for n in notices), notices
    assert 1 <= scenario.steps <= MAX_STEPS
    assert 1 <= len(scenario.runs) <= MAX_RUNS
    for index, run in enumerate(scenario.runs):
        for name, value in scenario.settings(index).items():
            low, high = LIMITS[name]
            assert low <= value <= high or value == recommended(scenario.surface, run.optimizer, scenario.convention)[name]
    if scenario.start is not None:
        assert all(math.isfinite(c) and abs(c) < 100 for c in scenario.start)


def test_repeated_parameters_take_the_last_value():
    scenario, _ = from_query({"steps": ["10", "20"]})
    assert scenario.steps == 20


def test_runs_keep_their_order_and_may_repeat():
    scenario, notices = from_query({"opt": "adam,sgd,adam"})
    assert [r.optimizer for r in scenario.runs] == ["adam", "sgd", "adam"] and notices == []
    assert scenario.optimizers == ("adam", "sgd")


def test_the_labs_limits_lie_within_the_engines_ranges():
    for name, (low, high) in LIMITS.items():
        assert low < high and HYPERS[name].contains(low) and HYPERS[name].contains(high)


def test_a_surfaces_own_runs_and_advice_are_what_the_lab_opens_with(monkeypatch):
    """A surface may carry its lesson's runs (``Surface.runs``) and advice per optimizer
    (``Surface.defaults``): a new lab, a run added, and a link's runs take them."""
    from dataclasses import replace

    advised = replace(surfaces.get("bowl"), defaults={"nesterov": {"lr": 0.02, "momentum": 0.8}},
                      runs=(("sgd", {"lr": 0.1}), ("nesterov", {})))
    monkeypatch.setitem(surfaces.SURFACES, "bowl", advised)
    assert recommended("bowl", "nesterov") == {"lr": 0.02, "momentum": 0.8}
    assert recommended("bowl", "adam") == OPTIMIZERS["adam"].defaults("keras")
    scenario = Scenario(surface="bowl")
    assert [r.hyper for r in scenario.runs] == [{"lr": 0.1}, {"lr": 0.02, "momentum": 0.8}]
    assert to_query(scenario) == {"surface": "bowl"}
    assert from_query({"surface": "bowl", "opt": "nesterov"})[0].runs[0].hyper == {"lr": 0.02, "momentum": 0.8}
    assert from_query({"surface": "bowl", "nesterov.lr": "0.05"})[0].runs[1].hyper == {"lr": 0.05, "momentum": 0.8}

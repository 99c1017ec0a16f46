"""Lab scenarios and their links: the round trip, and what a tampered link can and cannot do."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.scenario import LIMITS, MAX_STEPS, VIEWS, Scenario, from_query, to_query


def _value(name):
    low, high = LIMITS[name]
    if name in ("lr", "epsilon"):
        return st.floats(max(low, 1e-9), high).map(lambda v: float(f"{v:.6g}"))
    return st.floats(low, high).map(lambda v: float(f"{v:.6g}"))


@st.composite
def scenarios(draw):
    optimizers = tuple(draw(st.lists(st.sampled_from(list(OPTIMIZERS)), min_size=1, max_size=8, unique=True)))
    convention = draw(st.sampled_from(["keras", "torch"]))
    same_lr = draw(st.booleans())
    scenario = Scenario(
        surface=draw(st.sampled_from(list(surfaces.SURFACES))),
        optimizers=optimizers,
        hyper={},
        same_lr=same_lr,
        lr=draw(_value("lr")) if same_lr else Scenario.lr,  # the shared α is part of the link only when used
        steps=draw(st.integers(1, MAX_STEPS)),
        start=draw(st.none() | st.tuples(st.floats(-2, 2), st.floats(-2, 2)).map(
            lambda p: (float(f"{p[0]:.5g}"), float(f"{p[1]:.5g}")))),
        convention=convention,
        view=draw(st.sampled_from(VIEWS)),
        present=draw(st.booleans()),
    )
    for optimizer in optimizers:
        names = draw(st.lists(st.sampled_from(OPTIMIZERS[optimizer].hyper), unique=True))
        scenario = scenario.with_settings(optimizer, **{n: draw(_value(n)) for n in names})
    return scenario


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


def test_settings_merge_defaults_overrides_and_the_shared_rate():
    scenario = Scenario(optimizers=("adam",), hyper={"adam": {"beta1": 0.5}})
    assert scenario.settings("adam") == {"lr": 0.001, "beta1": 0.5, "beta2": 0.999, "epsilon": 1e-7}
    shared = Scenario(optimizers=("adam", "sgd"), same_lr=True, lr=0.3)
    assert shared.settings("adam")["lr"] == shared.settings("sgd")["lr"] == 0.3
    assert Scenario(convention="torch", hyper={}).settings("nadam")["momentum_decay"] == 0.004


@pytest.mark.parametrize(
    "query, notice",
    [
        ({"surface": "bowel"}, "Unknown surface 'bowel' ignored"),
        ({"opt": "adam,adamm"}, "Unknown optimizer 'adamm' ignored"),
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
    for optimizer in scenario.optimizers:
        for name, value in scenario.settings(optimizer).items():
            low, high = LIMITS[name]
            assert low <= value <= high or value == OPTIMIZERS[optimizer].defaults(scenario.convention)[name]
    if scenario.start is not None:
        assert all(math.isfinite(c) and abs(c) < 100 for c in scenario.start)


def test_repeated_parameters_take_the_last_value():
    scenario, _ = from_query({"steps": ["10", "20"]})
    assert scenario.steps == 20


def test_optimizers_are_deduplicated_and_keep_their_order():
    scenario, notices = from_query({"opt": "adam,sgd,adam"})
    assert scenario.optimizers == ("adam", "sgd") and notices == []


def test_the_labs_limits_lie_within_the_engines_ranges():
    for name, (low, high) in LIMITS.items():
        assert low < high and HYPERS[name].contains(low) and HYPERS[name].contains(high)

"""The article's claims, held to the engine: every preset's claim holds, with room to spare."""

import itertools

import numpy as np
import pytest

from optviz import presets, trace
from optviz.presets import PRESETS, VIEWS, crossings

ARTICLE_FIGURES = {2, 3, 4, 5, 7, 9, 11, 12}
BALL_FIGURES = {2, 3, 5, 7}


def test_every_figure_of_the_article_has_a_preset():
    assert {p.number for p in PRESETS.values()} == ARTICLE_FIGURES
    assert all(key == f"fig{p.number}" for key, p in PRESETS.items())


@pytest.mark.parametrize("key", PRESETS)
def test_claim_holds(key):
    verdict = PRESETS[key].verdict()
    assert verdict, verdict.evidence


@pytest.mark.parametrize("key", PRESETS)
def test_claim_holds_with_each_alpha_ten_percent_off(key):
    """Not on a knife edge: every run's α 10% lower or higher, in every combination."""
    preset = PRESETS[key]
    for scales in itertools.product((0.9, 1.1), repeat=len(preset.runs)):
        verdict = preset.verdict(scales)
        assert verdict, f"α × {scales}: {verdict.evidence}"


@pytest.mark.parametrize("key", PRESETS)
def test_preset_is_well_formed(key):
    preset = PRESETS[key]
    assert preset.convention == "keras" and preset.caption.endswith(".")
    assert preset.views and set(preset.views) <= set(VIEWS)
    assert all("lr" in r.hyper for r in preset.runs)
    assert ("ball" in preset.views) == (preset.direction is not None)
    hash(preset)  # a cache key
    if preset.number in BALL_FIGURES:
        assert "ball" in preset.views


@pytest.mark.parametrize("key", PRESETS)
def test_every_view_draws(key):
    preset = PRESETS[key]
    traces = preset.traces()
    for view in preset.views:
        fig = preset.figure(view, traces)
        assert fig.layout.title.text.startswith(f"Fig. {preset.number}: ") and "$" not in fig.layout.title.text
    with pytest.raises(ValueError, match="unknown view"):
        preset.figure("pie", traces)


def test_fig5_and_fig7_start_alike():
    gd, (momentum, gd_again) = PRESETS["fig5"].runs[0], PRESETS["fig7"].runs
    assert PRESETS["fig5"].start == PRESETS["fig7"].start and PRESETS["fig5"].surface == PRESETS["fig7"].surface
    assert gd == gd_again and momentum.hyper["lr"] == gd.hyper["lr"] and momentum.hyper["momentum"] == 0.9


def test_fig11_and_fig12_race_the_same_gd():
    assert PRESETS["fig11"].runs[0] == PRESETS["fig12"].runs[1]
    assert PRESETS["fig11"].start == PRESETS["fig12"].start


# --- the captions' caveats are true too --------------------------------------------------------


@pytest.mark.parametrize("lr", [0.005, 0.05])
def test_momentum_does_not_always_escape(lr):
    preset = PRESETS["fig7"]
    run_ = trace(preset.surface, "momentum", start=preset.start, steps=preset.steps, lr=lr, momentum=0.9)
    minimum, _ = run_.arrival()
    assert minimum is not None and minimum.kind == "local"


def test_nesterov_is_not_faster_everywhere():
    runs = [trace("rosenbrock", name, steps=3000, lr=0.001, momentum=0.9) for name in ("momentum", "nesterov")]
    (_, momentum), (_, nesterov) = (r.arrival() for r in runs)
    assert nesterov >= momentum


def test_nesterov_takes_about_half_the_steps():
    momentum, nesterov = PRESETS["fig9"].traces()
    assert 0.4 <= nesterov.arrival()[1] / momentum.arrival()[1] <= 0.65


def test_adagrad_beats_gd_at_its_best_constant_alpha():
    """The fig12 race is fair: no constant α lets GD come within 0.01 as soon as AdaGrad does."""
    preset = PRESETS["fig12"]
    adagrad, _ = preset.traces()
    (_, fast) = adagrad.arrival()
    best = min(
        trace(preset.surface, "sgd", start=preset.start, steps=preset.steps, lr=lr).arrival()[1] or np.inf
        for lr in np.linspace(0.05, 0.495, 40)
    )
    assert fast < best / 2


# --- the checks can fail ---------------------------------------------------------------------------


def test_checks_reject_what_the_claim_denies():
    bowl = PRESETS["fig2"]
    assert not bowl.check([trace("bowl", "sgd", start=bowl.start, steps=bowl.steps, lr=1.2)])
    assert not PRESETS["fig3"].check([trace("bowl", "sgd", start=(-0.6, 0.45), steps=6, lr=0.3)])
    fig5 = PRESETS["fig5"]
    assert not fig5.check([trace(fig5.surface, "momentum", start=fig5.start, steps=fig5.steps, lr=0.02)])
    momentum, nesterov = PRESETS["fig9"].traces()
    assert not PRESETS["fig9"].check([nesterov, momentum])
    gd = PRESETS["fig11"]
    assert not gd.check([trace(gd.surface, "sgd", start=gd.start, steps=gd.steps, lr=0.2)])
    adagrad, gd_run = PRESETS["fig12"].traces()
    assert not PRESETS["fig12"].check([gd_run, adagrad])
    very_high, high, low, good = PRESETS["fig4"].traces()
    assert not PRESETS["fig4"].check([very_high, high, good, low])


def test_crossings_ignore_round_off():
    assert crossings([1.0, -1.0, 1.0, -1e-9, 1e-9], 1e-3) == 2


def test_get_names_the_known_presets():
    assert presets.get("fig9") is PRESETS["fig9"]
    with pytest.raises(ValueError, match="fig2"):
        presets.get("fig1")

"""Many lines stay apart: in colour, under the commonest colour blindness, and in greyscale.

Deuteranopia is simulated with Machado, Oliveira & Fernandes's matrix (2009, severity 1.0), in
linear RGB; colours are compared by their distance in CIELAB (ΔE*ab, 1976), where about 2.3 is
just noticeable and 10 is plainly different.
"""

import itertools

import numpy as np
import pytest

from optviz import plots, trace
from optviz.optimizers import OPTIMIZERS
from optviz.plots.surface import LEVEL_LINE, SURFACE_COLORS
from optviz.plots.theme import DASHES, PALETTE, SYMBOLS, styles

DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ rgb / WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour: str, deuteranope: bool = False) -> np.ndarray:
    rgb = linear(colour)
    return lab(np.clip(DEUTERANOPIA @ rgb, 0, 1) if deuteranope else rgb)


ARTICLE = list(OPTIMIZERS)[:8]
SURFACE = [c for _, c in SURFACE_COLORS] + [LEVEL_LINE]


def test_the_simulation_is_sane():
    assert np.allclose(seen("#ffffff", True), seen("#ffffff"), atol=0.5)  # white stays white
    red, green = seen("#ff0000", True), seen("#00ff00", True)
    assert np.linalg.norm(red - green) < 0.5 * np.linalg.norm(seen("#ff0000") - seen("#00ff00"))


@pytest.mark.parametrize("deuteranope", [False, True], ids=["trichromat", "deuteranope"])
def test_the_eight_optimizers_colours_stay_apart(deuteranope):
    colours = [plots.color(name) for name in ARTICLE]
    gaps = {(a, b): np.linalg.norm(seen(plots.color(a), deuteranope) - seen(plots.color(b), deuteranope))
            for a, b in itertools.combinations(ARTICLE, 2)}
    assert len(set(colours)) == 8
    assert min(gaps.values()) >= (20 if not deuteranope else 15), min(gaps, key=gaps.get)


def test_no_colour_turns_grey_on_the_grey_surface_for_a_deuteranope():
    for name in ARTICLE:
        simulated = seen(plots.color(name), deuteranope=True)
        assert np.hypot(*simulated[1:]) >= 25, f"{name} loses its colour"
        assert min(np.linalg.norm(simulated - seen(grey)) for grey in SURFACE) >= 15, name


def test_no_run_is_drawn_in_black_the_colour_of_the_minima():
    for colour in PALETTE:
        assert seen(colour)[0] >= 25, colour


def test_eight_runs_differ_by_dash_and_marker_as_well_as_colour():
    """In greyscale colour may not tell runs apart: each run's (dash, marker) pair is its own,
    and no two runs share a marker shape."""
    runs = [trace("bowl", name, steps=3) for name in ARTICLE]
    looks = styles(runs)
    assert len({line["dash"] for line, _ in looks}) == min(8, len(DASHES))
    assert len({marker["symbol"] for _, marker in looks}) == 8 <= len(SYMBOLS)
    assert [line["color"] for line, _ in looks] == [plots.color(name) for name in ARTICLE]


def test_runs_of_one_optimizer_share_its_hue_and_differ_by_line():
    runs = [trace("bowl", "sgd", steps=3, lr=lr) for lr in (0.01, 0.1, 0.3, 0.9)]
    looks = styles(runs)
    assert {line["color"] for line, _ in looks} == {plots.color("sgd")}
    assert len({(line["dash"], marker["symbol"]) for line, marker in looks}) == 4


def test_every_optimizer_of_the_registry_has_a_colour_of_its_own():
    colours = {name: plots.color(name) for name in OPTIMIZERS}
    gaps = {(a, b): np.linalg.norm(seen(colours[a]) - seen(colours[b])) for a, b in itertools.combinations(colours, 2)}
    assert min(gaps.values()) >= 12, min(gaps, key=gaps.get)
    assert all(seen(colour)[0] >= 25 for colour in colours.values())  # none is black


def test_a_new_optimizer_takes_a_colour_no_other_has(monkeypatch):
    """Dropping a module into the registry: the article's eight keep theirs, and no two share."""
    from optviz.plots import theme

    grown = dict(OPTIMIZERS, **{f"new{k}": OPTIMIZERS["adam"] for k in range(12)})
    monkeypatch.setattr(theme, "OPTIMIZERS", grown)
    colours = theme._colours()
    assert len(set(colours.values())) == len(grown)
    assert [colours[name] for name in ARTICLE] == [plots.color(name) for name in ARTICLE]

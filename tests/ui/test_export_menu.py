"""The Export menu of a figure (ui.common.show): GIF and MP4 for an animation, or why not."""

import pytest
from streamlit.testing.v1 import AppTest

from ui import common

SCRIPT = """
from optviz import plots, trace
from ui.common import show

runs = [trace("bowl", "sgd", steps=20, lr=0.1)]
show(plots.race_animation(runs) if ANIMATED else plots.contour(runs), "figure")
"""


def menu(animated: bool) -> AppTest:
    common.animation_export_problem.clear()
    at = AppTest.from_string(SCRIPT.replace("ANIMATED", str(animated)), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def labels(at) -> list:
    return [button.proto.label for button in at.get("download_button")]


def test_an_animation_offers_gif_and_mp4_and_a_still_figure_does_not(monkeypatch):
    monkeypatch.setattr(common.export, "animation_export_problem", lambda format: None)
    assert {"GIF", "MP4"} <= set(labels(menu(True)))
    assert not {"GIF", "MP4"} & set(labels(menu(False)))


def test_without_chromium_the_menu_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    at = menu(True)
    assert not {"GIF", "MP4"} & set(labels(at))
    assert any(caption.value.startswith("GIF and MP4 unavailable: no Chromium") for caption in at.caption)
    common.animation_export_problem.clear()


@pytest.fixture(autouse=True)
def fresh_checks():
    yield
    common.animation_export_problem.clear()
    common.static_export_problem.clear()

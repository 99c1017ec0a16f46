"""The app in a real browser: Debian's Chromium driven by Playwright against a live server.

Few and slow (marked ``browser``): deselect them with ``pytest -m "not browser"``.
"""

import time
from pathlib import Path

import pytest

from benchmarks.server import CHART, app_server, browser, chromium, legend_text

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def server():
    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -r requirements-dev.txt)")
    with app_server() as running:
        yield running.url


def test_moving_the_alpha_slider_with_the_keyboard_redraws_the_chart(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as chromium_browser:
        page = chromium_browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{server}/?opt=adam&adam.lr=0.001&steps=200")
        page.wait_for_selector(CHART, timeout=60_000)
        assert "Adam (α=0.001," in legend_text(page)
        slider = page.get_by_role("slider", name="α: Adam")
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => [...document.querySelectorAll('.legendtext')]"
                               ".some(e => e.textContent.startsWith('Adam (α=0.0015,'))", timeout=30_000)
        time.sleep(0.5)  # let the other charts settle before the picture
        page.screenshot(path=ARTIFACTS / "lab.png")
        assert "adam.lr=0.0015" in page.url
        assert (ARTIFACTS / "lab.png").stat().st_size > 10_000

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


def test_the_race_page_from_a_link_fits_the_screen(server):
    """A short race opened from its link: whole epochs on the axes, every column of the standings in
    view at 1280 × 720 and 1920 × 1080 (it trains once, then the store shows it at once)."""
    ARTIFACTS.mkdir(exist_ok=True)
    link = "/race?opt=sgd,adam&epochs=2&seed=7"
    with browser() as chromium_browser:
        for width, height in ((1280, 720), (1920, 1080)):
            page = chromium_browser.new_page(viewport={"width": width, "height": height})
            page.goto(server + link)
            start = page.get_by_role("button", name="Start")
            page.wait_for_selector("text=Training race", timeout=60_000)
            page.wait_for_selector('button:has-text("Start"), button:has-text("Run again")', timeout=60_000)
            if start.count():
                start.click()
            page.wait_for_selector("text=Finished in", timeout=180_000)
            page.wait_for_selector(".x3tick text", timeout=30_000)
            table = page.locator('[data-testid="stDataFrame"]')
            table.wait_for(timeout=30_000)
            table.scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=ARTIFACTS / f"race-{width}x{height}.png")
            scroll = page.evaluate("() => { const s = document.querySelector('[data-testid=\"stDataFrame\"] "
                                   ".dvn-scroller'); return [s.scrollWidth, s.clientWidth] }")
            assert scroll[0] <= scroll[1], f"the standings scroll sideways at {width} × {height}: {scroll}"
            ticks = page.evaluate("() => [...document.querySelectorAll('.x3tick text, .x4tick text')]"
                                  ".map(e => e.textContent)")
            assert ticks and all(tick.isdigit() for tick in ticks), ticks
            assert "opt=sgd%2Cadam" in page.url or "opt=sgd,adam" in page.url
            page.close()

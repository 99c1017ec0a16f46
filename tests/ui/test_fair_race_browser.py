"""The race page's Fair race section in a real browser: a tiny sweep picked with the widgets, started,
trained on the server's local Dask cluster and drawn. Screenshots at 1280 × 720 and 1920 × 1080 go
to artifacts/ (look at them)."""

import tempfile
import time
from pathlib import Path

import pytest

from benchmarks.server import CHART, app_server, browser, chromium, legend_text
from optviz.paths import cache_dir

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SIZES = [(1280, 720), (1920, 1080)]
TITLES = "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .gtitle')].map(t => t.textContent)"


@pytest.fixture(scope="module")
def server():
    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -r requirements-dev.txt)")
    with tempfile.TemporaryDirectory() as store:  # a store of its own; the kernels from the usual cache
        env = {"OPTVIZ_CACHE_DIR": store, "NUMBA_CACHE_DIR": str(cache_dir()), "OPTVIZ_SWEEP_WORKERS": "1"}
        with app_server(env=env) as running:
            yield running.url


def _choose(page, label: str, options: list[str]) -> None:
    """Empty a multiselect, then pick ``options`` from its list, each after the page has rerun."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text=label)
    box.get_by_label("Clear all").click()
    box.locator('[aria-label^="Remove "]').first.wait_for(state="detached", timeout=30_000)
    for option in options:
        box.get_by_role("combobox").click()
        box.get_by_role("combobox").fill(option)  # the list shows the first options only
        page.get_by_role("option", name=option, exact=True).click()
        box.get_by_label(f"Remove {option}").wait_for(timeout=30_000)
        page.keyboard.press("Escape")
        time.sleep(1)  # the rerun


def _lowest(page, label: str) -> None:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")
    time.sleep(0.5)


def test_a_sweep_picked_and_started_in_the_browser_fills_in_and_fits_the_screen(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as chromium_browser:
        for index, (width, height) in enumerate(SIZES):
            page = chromium_browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{server}/race")
            page.get_by_text("The fair race: each optimizer at its own α").wait_for(timeout=90_000)
            _choose(page, "Optimizers to sweep", ["GD", "Adam"])
            _choose(page, "α grid", ["0.001", "0.1"])
            _lowest(page, "Seeds per α")
            _lowest(page, "Epochs per run")
            if index == 0:  # the second size finds it finished in the store
                page.get_by_role("button", name="Run the sweep").click()
            page.get_by_text("Finished: 4 runs").wait_for(timeout=180_000)
            page.wait_for_function(f"() => ({TITLES})().filter(t => t.startsWith('The race')).length == 2",
                                   timeout=60_000)
            titles = page.evaluate(TITLES)
            assert "Final validation accuracy against α (1 seed)" in titles, titles
            assert [t for t in titles if t.startswith("The race")] == [
                "The race at each one's best α (mean over 1 seed)", "The race at the article's α = 0.001"], titles
            legends = legend_text(page)
            assert "GD" in legends and "Adam" in legends
            sweep_chart = page.locator(CHART).filter(has=page.locator(".gtitle", has_text="against α")).first
            sweep_chart.scroll_into_view_if_needed()
            box = sweep_chart.bounding_box()
            assert box["width"] >= 600 and box["y"] >= 0 and box["y"] + box["height"] <= height + 1, box
            time.sleep(1)
            page.screenshot(path=ARTIFACTS / f"fair-race-{width}x{height}.png")
            page.get_by_text("The article's conclusions, checked on each").scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=ARTIFACTS / f"fair-race-conclusions-{width}x{height}.png")
            scroll = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"] .dvn-scroller')]"
                                   ".map(s => [s.scrollWidth, s.clientWidth])")
            assert scroll and all(wide <= shown for wide, shown in scroll), scroll
            page.close()
    for width, height in SIZES:
        for name in ("fair-race", "fair-race-conclusions"):
            assert (ARTIFACTS / f"{name}-{width}x{height}.png").stat().st_size > 10_000

"""The Maps page in a real browser: hover names a cell, a click draws its run, the link opens it in
the lab. Screenshots at 1280 × 720 and 1920 × 1080 go to artifacts/ (look at them)."""

import re
import time
from pathlib import Path

import pytest

from benchmarks.server import CHART, app_server, browser, chromium, legend_text

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PICKED_RUN = ("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .gtitle')]"
              ".some(t => t.textContent.startsWith('The picked'))")


@pytest.fixture(scope="module")
def server():
    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -r requirements-dev.txt)")
    with app_server() as running:
        yield running.url


def _hover_and_click(page, chart, x_share: float, y_share: float) -> str:
    """Hover a point of a map, then click it; the hover text it showed."""
    area = chart.locator(".nsewdrag").first.bounding_box()
    x, y = area["x"] + area["width"] * x_share, area["y"] + area["height"] * y_share
    page.mouse.move(x, y)
    page.wait_for_selector(".hovertext", timeout=10_000)
    said = page.locator(".hovertext").first.text_content()
    page.mouse.click(x, y)
    page.wait_for_function(PICKED_RUN, timeout=60_000)
    return said


def test_a_click_on_the_stability_map_draws_that_run_and_opens_it_in_the_lab(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as chromium_browser:
        page = chromium_browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{server}/maps?size=100")
        page.wait_for_selector(CHART, timeout=120_000)
        chart = page.locator(CHART).first
        chart.scroll_into_view_if_needed()
        said = _hover_and_click(page, chart, 0.6, 0.5)
        assert re.match(r"α=[\d.e-]+, β=[\d.]+(reached|diverged|reached no)", said), said
        page.wait_for_function("() => location.search.includes('cell=')", timeout=30_000)
        time.sleep(1)  # let the charts settle before the picture
        page.screenshot(path=ARTIFACTS / "maps-1280x720.png")
        page.get_by_text("The dashed line is the edge theory gives").scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=ARTIFACTS / "maps-picked-1280x720.png")
        assert "Momentum (α=" in legend_text(page)
        href = page.get_by_role("link", name="Open in the lab").get_attribute("href")
        assert href.startswith("lab?") and "opt=momentum" in href
        lab = chromium_browser.new_page(viewport={"width": 1280, "height": 720})
        lab.goto(f"{server}/{href}")
        lab.wait_for_selector(CHART, timeout=120_000)
        alpha = re.search(r"momentum\.lr=([^&]+)", href)[1]
        lab.wait_for_function("a => [...document.querySelectorAll('.legendtext')]"
                              ".some(e => e.textContent.startsWith('Momentum (α=' + a))",
                              arg=alpha[:4], timeout=60_000)
        assert not lab.locator('[data-testid="stAlert"]').count(), "the lab took the link without a notice"
    for name in ("maps-1280x720", "maps-picked-1280x720"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name


def test_the_article_basins_side_by_side_in_full_hd(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as chromium_browser:
        page = chromium_browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{server}/maps?kind=basins&surface=multi_minima&optimizer=sgd&versus=momentum&steps=200"
                  "&sgd.lr=0.02&momentum.lr=0.02&size=150")
        page.wait_for_selector(CHART, timeout=120_000)
        chart = page.locator(CHART).first
        chart.scroll_into_view_if_needed()
        said = _hover_and_click(page, chart, 0.9, 0.5)  # the right valley, in GD's map
        assert said.startswith("start (") and "GD: reached the local minimum" in said, said
        time.sleep(1)
        page.screenshot(path=ARTIFACTS / "maps-1920x1080.png")
        page.get_by_role("link", name="Open in the lab").scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=ARTIFACTS / "maps-basins-picked-1920x1080.png")
        assert page.get_by_text("the claim holds").count() >= 1
        assert "GD (α=0.02)" in legend_text(page) and "Momentum (α=0.02" in legend_text(page)
    for name in ("maps-1920x1080", "maps-basins-picked-1920x1080"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000, name

"""The app in a real browser: Debian's Chromium driven by Playwright against a live server.

Few and slow (marked ``browser``): deselect them with ``pytest -m "not browser"``. One server and
one browser serve them all; every page is seen at 1280 × 720 (a common projector) and at
1920 × 1080, measured, and saved to ``artifacts/`` to be looked at. Every request any page makes
is recorded: all must go to the app's own address (the app works offline).
"""

import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from benchmarks.server import CHART, app_server, browser, chromium, legend_text
from optviz.presets import PRESETS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SIZES = [(1280, 720), (1920, 1080)]
SMALLEST_PLOT = (400, 280)
#: The step a figure's step slider shows ("step 12").
STEP = "() => document.querySelector('.slider-group > text.slider-label').textContent"

#: Every chart's plot areas (a cartesian subplot's drag box, a 3D scene), legend, title and colour
#: bars, as page rectangles {left, top, right, bottom}.
MEASURE = """() => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(chart => ({
    chart: box(chart),
    plots: [...chart.querySelectorAll('.nsewdrag.drag, .gl-container > div')].map(box),
    legend: chart.querySelector('.legend') ? box(chart.querySelector('.legend')) : null,
    title: chart.querySelector('.gtitle') ? box(chart.querySelector('.gtitle')) : null,
    colorbars: [...chart.querySelectorAll('.colorbar')].map(box),
    controls: [...chart.querySelectorAll('.updatemenu-container, .slider-container')].map(box),
  }));
}"""

#: Every chart has finished drawing: each has plot areas, none of them empty (a chart the page is
#: still replacing after a rerun measures 0 × 0).
DRAWN = f"""() => ({MEASURE})().every(chart => chart.plots.length > 0 &&
  chart.plots.every(plot => plot.right - plot.left > 0 && plot.bottom - plot.top > 0))"""


@pytest.fixture(scope="module")
def server():
    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -r requirements-dev.txt)")
    with app_server() as running:
        yield running.url


@pytest.fixture(scope="module")
def requests_made():
    return []


@pytest.fixture(scope="module")
def chromium_browser(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as launched:
        yield launched


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def page(chromium_browser, requests_made, request):
    width, height = request.param
    opened = chromium_browser.new_page(viewport={"width": width, "height": height})
    opened.on("request", lambda sent: requests_made.append(sent.url))
    yield opened
    opened.close()


def _open(page, url: str, charts: int = 2):
    page.goto(url)
    page.wait_for_function(f"() => document.querySelectorAll('{CHART}').length >= {charts}", timeout=90_000)
    time.sleep(1.0)  # let Plotly finish its layout


def _shot(page, name: str, whole: bool = False) -> None:
    """The screen as a teacher sees it (``whole``: the whole page, scrolled)."""
    size = page.viewport_size
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    if whole:  # Streamlit scrolls its main block, not the document: show it all in a taller window
        tall = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": max(tall, size["height"])})
        time.sleep(1.0)
    page.screenshot(path=path)
    page.set_viewport_size(size)
    assert path.stat().st_size > 10_000


def _check_charts(page, where: str) -> list:
    """No plot area smaller than SMALLEST_PLOT, legends below or inside their plots, titles whole."""
    charts = page.evaluate(MEASURE)
    assert charts, where
    for index, chart in enumerate(charts):
        name = f"{where}, chart {index + 1}"
        assert chart["plots"], name
        for plot in chart["plots"]:
            size = (plot["right"] - plot["left"], plot["bottom"] - plot["top"])
            assert size[0] >= SMALLEST_PLOT[0] - 1 and size[1] >= SMALLEST_PLOT[1] - 1, (name, size)
        legend = chart["legend"]
        if legend:
            for plot in chart["plots"]:
                below = legend["top"] >= plot["bottom"] - 1
                inside = all(plot[k] <= legend[k] + 1 if k in ("left", "top") else legend[k] <= plot[k] + 1
                             for k in ("left", "top", "right", "bottom"))
                apart = legend["right"] <= plot["left"] or legend["bottom"] <= plot["top"]
                assert below or inside or apart, (name, "the legend takes the plot's room", legend, plot)
        if chart["title"]:
            assert chart["title"]["right"] <= chart["chart"]["right"] + 1, (name, "title cut")
    return charts


def _visible(box, page) -> bool:
    size = page.viewport_size
    return box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= size["height"] + 1 and \
        box["right"] <= size["width"] + 1


def _view(page, name: str, charts: int = 2) -> None:
    """Switch the lab's view and wait until its figure is drawn."""
    page.get_by_role("radio", name=name, exact=True).click()
    page.wait_for_function(f"() => document.querySelectorAll('{CHART}').length >= {charts}", timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    time.sleep(1.5)


def _check_main_figure(page, view: str) -> dict:
    """The view switch, the main figure's plot and its play/step controls are on the screen at once."""
    main = _check_charts(page, f"lab, {view}")[0]
    switch = page.evaluate("() => { const r = document.querySelector('[data-testid=\"stButtonGroup\"]')"
                           ".getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }")
    assert _visible(switch, page), "the view switch"
    for plot in main["plots"]:
        assert _visible(plot, page), (view, "the main figure's plot", plot)
    for control in main["controls"]:
        assert _visible(control, page), (view, "its play/step controls", control)
    if view != "steps":  # the step-through's table of numbers continues below
        assert _visible(main["chart"], page), (view, "the whole main figure")
    _shot(page, f"lab-{view}")
    return main


SURFACE = ("() => ({images: document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .imagelayer image').length,"
           " bars: document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .colorbar').length,"
           " lines: document.querySelector('[data-testid=\"stPlotlyChart\"] .scatterlayer .trace')"
           ".querySelectorAll('path.js-line').length,"
           f" step: ({STEP})()}})")


def test_the_lab_fits_the_screen_in_every_view(server, page):
    """Map, Animation (played: the surface stays), Step by step (stepped), 3D."""
    _open(page, f"{server}/?opt=sgd,momentum,rmsprop,adam&steps=120")
    _check_main_figure(page, "contour")

    _view(page, "Animation")
    assert len(_check_main_figure(page, "animation")["controls"]) == 2
    before = page.evaluate(SURFACE)
    assert before["images"] >= 1 and before["bars"] >= 1 and before["lines"] >= 10, before
    page.locator(".updatemenu-button", has_text="Play").first.click()
    time.sleep(2.5)
    after = page.evaluate(SURFACE)
    assert after["step"] != before["step"], "the animation plays"
    assert (after["images"], after["bars"], after["lines"]) == (before["images"], before["bars"], before["lines"]), \
        "the surface, its level lines and its colour bar stay while it plays"
    assert page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0, \
        "Play does not scroll the map away"
    _shot(page, "animation-playing")

    _view(page, "Step by step")
    assert len(_check_main_figure(page, "steps")["controls"]) == 2
    for button, shown in (("▶", "step 2"), ("▶", "step 3"), ("◀", "step 2")):
        page.locator(".updatemenu-button", has_text=button).first.click()
        page.wait_for_function(f"() => ({STEP})().trim() === '{shown}'", timeout=10_000)
    _shot(page, "steps-step-2")

    _view(page, "3D")
    _check_main_figure(page, "surface")


def test_presentation_mode_shows_whole_axes_and_colour_bars(server, page):
    _open(page, f"{server}/?present=1&surface=himmelblau")
    main = _check_charts(page, "presentation")[0]
    ticks = page.evaluate("() => { const r = document.querySelector('[data-testid=\"stPlotlyChart\"] .xaxislayer-above')"
                          ".getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }")
    assert _visible(ticks, page), "the x axis and its labels"
    assert main["colorbars"] and all(_visible(bar, page) for bar in main["colorbars"])
    assert _visible(main["chart"], page)
    _shot(page, "present")


def test_every_figure_of_the_article_fits(server, page):
    _open(page, f"{server}/gallery", charts=1)
    for key, preset in PRESETS.items():
        page.get_by_role("radio", name=f"Fig. {preset.number}", exact=True).click()
        page.wait_for_function(
            "([title, charts]) => [...document.querySelectorAll('h3')].some(h => h.textContent.startsWith(title))"
            " && document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= charts"
            " && [...document.querySelectorAll('.gtitle')].every(t => t.textContent.startsWith(title))",
            arg=[f"Fig. {preset.number}:", len(preset.views)], timeout=60_000)
        time.sleep(0.8)
        _check_charts(page, f"figures page, {key}")
        _shot(page, f"figures-{key}", whole=True)


def test_moving_the_alpha_slider_with_the_keyboard_redraws_the_chart(server, chromium_browser, requests_made):
    page = chromium_browser.new_page(viewport={"width": 1280, "height": 720})
    page.on("request", lambda sent: requests_made.append(sent.url))
    _open(page, f"{server}/?opt=adam&adam.lr=0.001&steps=200")
    assert "Adam (α=0.001," in legend_text(page)
    slider = page.get_by_role("slider", name="α: Adam")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => [...document.querySelectorAll('.legendtext')]"
                           ".some(e => e.textContent.startsWith('Adam (α=0.0015,'))", timeout=30_000)
    assert "adam.lr=0.0015" in page.url
    page.close()


def test_the_race_page_from_a_link_fits_the_screen(server, chromium_browser, requests_made):
    """A short race opened from its link: whole epochs on the axes, every column of the standings in
    view at 1280 × 720 and 1920 × 1080 (it trains once, then the store shows it at once)."""
    link = "/race?opt=sgd,adam&epochs=2&seed=7"
    for width, height in SIZES:
        page = chromium_browser.new_page(viewport={"width": width, "height": height})
        page.on("request", lambda sent: requests_made.append(sent.url))
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


def test_every_request_goes_to_the_app_itself(server, requests_made):
    """Runs last in this module (pytest keeps file order): every page above has been recorded."""
    assert len(requests_made) > 20
    own = urlparse(server).netloc
    elsewhere = sorted({url for url in requests_made if urlparse(url).scheme in ("http", "https", "ws", "wss")
                        and urlparse(url).netloc != own})
    assert not elsewhere, elsewhere

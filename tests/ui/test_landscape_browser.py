"""The race page's Landscape section in a real browser: a finished race's landscape from a link,
as a map, in 3D and along straight lines. Screenshots at 1280 × 720 and 1920 × 1080 go to
artifacts/ (look at them)."""

import time
from pathlib import Path

import pytest

from benchmarks.server import app_server, browser, chromium, legend_text
from optviz.race import jobs
from optviz.race.landscape import Settings
from optviz.race.training import RaceConfig

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
RACE = RaceConfig(optimizers=("sgd", "adam", "rmsprop"), epochs=2, data="embedded")
SETTINGS = Settings(plane="endpoints", through=("adam", "sgd"), grid=31, images=500)
LINK = "race?opt=sgd,adam,rmsprop&epochs=2&plane=endpoints&through=adam,sgd&grid=31&images=500"
MAP_TITLE = "The training loss on the plane through the solutions of Adam and GD"


def _finished(look, what):
    deadline = time.monotonic() + 120
    while (job := look()).running:
        assert time.monotonic() < deadline, f"{what} did not finish"
        time.sleep(0.1)
    assert job.state == "finished", job.reason
    return job


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a store that holds the race and its landscape, drawn here beforehand."""
    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium); browser tests skipped")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install -r requirements-dev.txt)")
    cache = tmp_path_factory.mktemp("cache")
    store = jobs.Store(cache / "races.sqlite")
    store.start(RACE)
    race = _finished(lambda: store.watch(RACE.key()), "the race")
    landscapes = jobs.Landscapes(store)
    landscapes.start(race, SETTINGS)
    _finished(lambda: landscapes.job(RACE, SETTINGS), "the landscape")
    with app_server(env={"OPTVIZ_CACHE_DIR": str(cache)}) as running:
        yield running.url


def _tab(page, name):
    """Open a tab, its chart at the top of the window for the picture."""
    tab = page.get_by_role("tab", name=name)
    tab.click()
    time.sleep(1.5)  # the chart of a tab is drawn when the tab opens
    tab.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(0.5)


def test_the_landscape_of_a_race_in_the_browser(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser() as chromium_browser:
        for width, height in ((1280, 720), (1920, 1080)):
            page = chromium_browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{server}/{LINK}")
            page.wait_for_function("t => [...document.querySelectorAll('.gtitle')].some(e => e.textContent === t)",
                                   arg=MAP_TITLE, timeout=120_000)
            explanation = page.get_by_text("The plane through the common first weights and the final weights of Adam "
                                           "and GD")
            explanation.scroll_into_view_if_needed()
            assert "lie exactly on it" in explanation.text_content()
            assert {"GD", "Adam", "RMSProp"} <= set(legend_text(page).split("|"))
            page.screenshot(path=ARTIFACTS / f"landscape-explained-{width}x{height}.png")
            _tab(page, "Map")
            page.screenshot(path=ARTIFACTS / f"landscape-map-{width}x{height}.png")
            _tab(page, "3D")
            page.screenshot(path=ARTIFACTS / f"landscape-3d-{width}x{height}.png")
            _tab(page, "Straight lines")
            assert "Adam (t = 0) to GD (t = 1)" in legend_text(page)
            page.screenshot(path=ARTIFACTS / f"landscape-lines-{width}x{height}.png")
            assert not page.locator('[data-testid="stException"]').count()
            page.close()
    for view in ("explained", "map", "3d", "lines"):
        for size in ("1280x720", "1920x1080"):
            assert (ARTIFACTS / f"landscape-{view}-{size}.png").stat().st_size > 10_000, (view, size)

"""How long a teacher waits for a 200 × 200 map to be redrawn, measured in a real browser.

    python -m benchmarks.maps_latency [--moves 20] [--clicks 10] [--url http://127.0.0.1:8501]

Debian's Chromium, driven by Playwright, opens the Maps page (Momentum on the ravine over α × β,
200 × 200 cells, 500 steps). Then:

* it presses the right arrow on the Steps slider ``--moves`` times: each press asks for a map the
  server has not computed yet (501 steps, 502, …), and is timed from the key press until the map's
  subtitle in the browser says the new number of steps: the server has run 40,000 runs, drawn the
  figure, and the browser has drawn it;
* it clicks ``--clicks`` cells of the map, each timed from the click until the map outlines the
  picked cell and the picked run is drawn beside it.

Without ``--url`` it starts the app itself on a free loopback port. It prints the median and the
95th percentile of each; the goal is a median of at most 500 ms.
"""

import argparse
import statistics
import time

from benchmarks.server import CHART, app_server, browser

GOAL_MS = 500
#: The map's own chart, and whether the text of its subtitle (or any text of it) includes ``arg``.
_SHOWS = ("arg => [...(document.querySelector('[data-testid=\"stPlotlyChart\"]')?.querySelectorAll('text') ?? [])]"
          ".some(t => t.textContent.includes(arg))")
_PICKED = ("() => { const gd = document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
           " const p = gd?.data.find(t => t.name === 'picked'); return p ? `${p.x[0]},${p.y[0]}` : ''; }")
_RUN_DRAWN = ("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .gtitle')]"
              ".some(t => t.textContent === 'The picked run')")


def _summary(name: str, times: list) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    median = statistics.median(times) * 1000
    return (f"{len(times)} {name}: median {median:.0f} ms, p95 {p95 * 1000:.0f} ms, min {times[0] * 1000:.0f} ms, "
            f"max {times[-1] * 1000:.0f} ms (goal: median ≤ {GOAL_MS} ms, {'met' if median <= GOAL_MS else 'NOT met'})")


def measure(url: str, moves: int, clicks: int, direction: int = 1) -> tuple:
    """Slider moves (right, or left with ``direction`` -1: maps no earlier measure computed) and
    clicks, timed."""
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/maps")
        page.wait_for_selector(CHART, timeout=120_000)
        page.wait_for_function(_SHOWS, arg="500 steps", timeout=120_000)
        slider = page.get_by_role("slider", name="Steps")
        slider.focus()
        redraws = []
        for move in range(1, moves + 1):
            began = time.perf_counter()
            page.keyboard.press("ArrowRight" if direction > 0 else "ArrowLeft")
            page.wait_for_function(_SHOWS, arg=f"{500 + direction * move} steps", timeout=60_000, polling="raf")
            redraws.append(time.perf_counter() - began)
        area = page.locator(CHART).first.locator(".nsewdrag").first.bounding_box()
        picks = []
        for click in range(clicks):
            before = page.evaluate(_PICKED)
            x = area["x"] + area["width"] * (0.15 + 0.7 * click / max(1, clicks - 1))
            y = area["y"] + area["height"] * (0.8 - 0.6 * click / max(1, clicks - 1))
            page.mouse.move(x, y)
            page.wait_for_timeout(50)  # the hover settles on a cell, as a hand would
            began = time.perf_counter()
            page.mouse.click(x, y)
            page.wait_for_function(f"before => ({_PICKED})() !== before && ({_RUN_DRAWN})()", arg=before,
                                   timeout=60_000, polling="raf")
            picks.append(time.perf_counter() - began)
        return redraws, picks


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--clicks", type=int, default=10)
    parser.add_argument("--url", help="an app already running; default: start one")
    args = parser.parse_args(argv)
    if args.url:
        redraws, picks = measure(args.url, args.moves, args.clicks)
    else:
        with app_server() as server:
            measure(server.url, 2, 2, direction=-1)  # warm the server, its kernels and the browser's cache
            redraws, picks = measure(server.url, args.moves, args.clicks)
    print("A 200 × 200 stability map (Momentum on the ravine, 500 steps) in Chromium:")
    print("  " + _summary("Steps slider moves, key press to the new map drawn", redraws))
    print("  " + _summary("clicks on a cell, to the cell outlined and its run drawn", picks))


if __name__ == "__main__":
    main()

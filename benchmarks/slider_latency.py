"""How long a student waits after moving a slider, measured in a real browser.

    python -m benchmarks.slider_latency [--moves 30] [--url http://127.0.0.1:8501]

Debian's Chromium, driven by Playwright, opens the lab (four optimizers, one shared α slider),
then presses an arrow key on the α slider ``--moves`` times, alternating right and left. Each
move is timed from the key press until every chart's legend shows the new α: the page has rerun
on the server and the browser has drawn the new trajectories. Without ``--url`` it starts the app
itself on a free loopback port. It prints the median and the 95th percentile.
"""

import argparse
import statistics
import time

from benchmarks.server import CHART, app_server, browser
from optviz.plots import number
from optviz.scenario import LR_GRID

START = LR_GRID.index(0.001)


def measure(url: str, moves: int) -> list:
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/?lr={LR_GRID[START]}")
        page.wait_for_selector(CHART, timeout=120_000)
        slider = page.get_by_role("slider", name="α (all optimizers)")
        slider.focus()
        times, index = [], START
        for move in range(moves):
            key, index = ("ArrowRight", index + 1) if move % 2 == 0 else ("ArrowLeft", index - 1)
            shown = f"(α={number(LR_GRID[index])}"
            began = time.perf_counter()
            page.keyboard.press(key)
            page.wait_for_function(
                "shown => { const legends = [...document.querySelectorAll('.legendtext')]"
                ".map(e => e.textContent).filter(t => t.includes('(α='));"
                " return legends.length > 0 && legends.every(t => t.includes(shown + ',') || t.includes(shown + ')')); }",
                arg=shown, timeout=30_000, polling="raf")
            times.append(time.perf_counter() - began)
        return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--url", help="an app already running; default: start one")
    args = parser.parse_args(argv)
    if args.url:
        times = measure(args.url, args.moves)
    else:
        with app_server() as server:
            measure(server.url, 2)  # warm the server and the browser cache
            times = measure(server.url, args.moves)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"{len(times)} slider moves, key press to redrawn charts: median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (goals: median ≤ 250 ms, p95 ≤ 500 ms); "
          f"min {times[0] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()

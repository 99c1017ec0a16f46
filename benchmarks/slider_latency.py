"""How long a student waits after moving a slider, measured in a real browser.

    python -m benchmarks.slider_latency [--runs 3] [--moves 40] [--url http://127.0.0.1:8501]

Debian's Chromium, driven by Playwright, opens the lab (four optimizers, one shared α slider) at
1280 × 720, then presses an arrow key on the α slider ``--moves`` times, alternating right and
left, in each of ``--runs`` runs (a fresh page each). Each move is timed from the key press until
every chart's legend shows the new α: the page has rerun on the server and the browser has drawn
the new trajectories. Without ``--url`` it starts the app itself on a free loopback port. It
prints the median and the 95th percentile of each run and of all moves.
"""

import argparse
import contextlib
import statistics
import time

from benchmarks.server import CHART, app_server, browser
from optviz.plots import number
from optviz.scenario import LR_GRID

START = LR_GRID.index(0.001)


def measure(url: str, moves: int) -> list:
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 720})
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


def summary(times: list) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return (f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; min {times[0] * 1000:.0f} ms, "
            f"max {times[-1] * 1000:.0f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--moves", type=int, default=40)
    parser.add_argument("--url", help="an app already running; default: start one")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(app_server()).url
        measure(url, 2)  # warm the server and the browser cache
        every = []
        for run in range(args.runs):
            times = measure(url, args.moves)
            every += times
            print(f"run {run + 1}: {len(times)} slider moves, key press to redrawn charts: {summary(times)}")
    print(f"all {len(every)} moves: {summary(every)} (goals: median ≤ 250 ms, p95 ≤ 450 ms)")


if __name__ == "__main__":
    main()

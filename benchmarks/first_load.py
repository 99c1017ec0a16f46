"""How long the first chart takes after ``streamlit run app.py``, in a browser already open.

    python -m benchmarks.first_load [--runs 3] [--cold]

Each run starts the app afresh, opens the lab in Debian's Chromium as soon as the server answers
its health check, and times until the map is drawn, from the launch of ``streamlit run``. Warm
(the default): with the kernels already in the disk cache, as on every start after the first on a
machine. ``--cold``: with an empty cache of its own each time, as the very first start on a fresh
machine, which compiles what the first page needs. Prints each run and the median.
"""

import argparse
import statistics
import tempfile
import time

from benchmarks.server import CHART, app_server, browser

GOALS = {False: 5.0, True: 30.0}  # seconds from `streamlit run` to the first chart


def first_chart(chromium, env=None) -> tuple[float, float]:
    """Seconds from the launch to the first chart, and from the server's first answer to it."""
    with app_server(timeout=180.0, env=env) as server:
        up = time.perf_counter()
        page = chromium.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(server.url)
        page.wait_for_selector(CHART, timeout=180_000)
        drawn = time.perf_counter()
        page.close()
    return drawn - server.launched, drawn - up


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="an empty kernel cache each time (a fresh machine)")
    args = parser.parse_args(argv)
    times = []
    with browser() as chromium:
        if not args.cold:
            first_chart(chromium)  # fill the cache once, as the machine's first start did
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as cache:
                total, after_up = first_chart(chromium, {"OPTVIZ_CACHE_DIR": cache} if args.cold else None)
            times.append(total)
            print(f"first chart {total:.2f} s after `streamlit run` ({after_up:.2f} s after the server was up)")
    goal = GOALS[args.cold]
    median = statistics.median(times)
    print(f"median {median:.2f} s over {len(times)} {'cold' if args.cold else 'warm'} starts "
          f"(goal ≤ {goal:.0f} s: {'met' if median <= goal else 'MISSED'})")


if __name__ == "__main__":
    main()

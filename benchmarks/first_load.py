"""How long the first chart takes after ``streamlit run app.py``, in a browser already open.

    python -m benchmarks.first_load [--runs 3]

Each run starts the app afresh (with the kernels already in the disk cache, as after the first
start on a machine), waits until the server answers its health check, then opens the lab in
Debian's Chromium and times until the map is drawn. Prints each run and the median.
"""

import argparse
import statistics
import time

from benchmarks.server import CHART, app_server, browser


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = []
    with browser() as chromium:
        for _ in range(args.runs):
            with app_server() as server:
                page = chromium.new_page(viewport={"width": 1600, "height": 1000})
                began = time.perf_counter()
                page.goto(server.url)
                page.wait_for_selector(CHART, timeout=120_000)
                times.append(time.perf_counter() - began)
                page.close()
            print(f"first chart {times[-1]:.2f} s after the server was up")
    print(f"median {statistics.median(times):.2f} s over {len(times)} fresh starts (goal ≤ 5 s)")


if __name__ == "__main__":
    main()

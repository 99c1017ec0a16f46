"""How long a step of the step-through takes to show, measured in a real browser.

    python -m benchmarks.step_latency [--steps 40] [--url http://127.0.0.1:8501]

Debian's Chromium, driven by Playwright, opens the lab's *Step by step* view (four optimizers) at
1280 × 720 and presses its ▶ button ``--steps`` times. Each step is timed inside the page, from
the click until the figure shows the next step's numbers and has painted (the browser redraws
the figure from its own frames: no server round trip). As the baseline, the same page moves the
step inspector's *Step t* slider (a rerun of the page on the server, as any Streamlit widget
does) as many times, timed from the key press until its numbers show. It prints both medians and
95th percentiles.
"""

import argparse
import contextlib
import statistics

from benchmarks.server import CHART, app_server, browser

#: Click ▶ and wait, in the page, until the slider says the next step and a frame has painted.
CLICK_NEXT = """async () => {
  const label = () => document.querySelector('.slider-group > text.slider-label').textContent.trim();
  const before = label();
  const next = [...document.querySelectorAll('.updatemenu-button')].find(b => b.textContent.includes('▶'));
  const began = performance.now();
  next.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  while (label() === before) await new Promise(r => requestAnimationFrame(r));
  await new Promise(r => requestAnimationFrame(r));
  return [performance.now() - began, label()];
}"""


def _summary(times: list) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms"


def measure(url: str, steps: int) -> tuple[list, list]:
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/?view=steps")
        page.wait_for_selector(CHART, timeout=120_000)
        page.wait_for_selector(".updatemenu-button", timeout=60_000)
        client = []
        for expected in range(2, steps + 2):
            milliseconds, shown = page.evaluate(CLICK_NEXT)
            assert shown == f"step {expected}", shown
            client.append(milliseconds)

        page.get_by_text("Step inspector", exact=True).first.click()
        slider = page.get_by_role("slider", name="Step t")
        slider.wait_for(timeout=60_000)
        slider.focus()
        server = []
        for move in range(steps):
            key, step = ("ArrowRight", 2) if move % 2 == 0 else ("ArrowLeft", 1)
            began = page.evaluate("() => performance.now()")
            page.keyboard.press(key)
            page.wait_for_function(
                "t => [...document.querySelectorAll('.katex annotation')].some(e => e.textContent.startsWith("
                "'\\\\theta_{' + t + '}'))",
                arg=str(step), timeout=30_000, polling="raf")
            server.append(page.evaluate("() => performance.now()") - began)
        return client, server


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--url", help="an app already running; default: start one")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(app_server()).url
        measure(url, 3)  # warm the server and the browser cache
        client, server = measure(url, args.steps)
    print(f"{len(client)} steps of the step-through, click to painted: {_summary(client)} (goal: median ≤ 100 ms)")
    print(f"baseline, the step inspector's slider (a server rerun): {_summary(server)}")


if __name__ == "__main__":
    main()

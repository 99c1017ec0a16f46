"""Start the app on a free loopback port, and Debian's Chromium headless, for tests and benchmarks.

Chromium is the system's (``apt-get install chromium``): never one downloaded by Playwright. Its
flags keep it offline and quiet (no background traffic, no sandbox in a container) and keep
pages that are not in front from being throttled, as several pages may be open at once.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
    "--disable-background-timer-throttling",
]


def chromium() -> str | None:
    """The system's Chromium, or None."""
    for name in (os.environ.get("BROWSER_PATH"), "/usr/bin/chromium", "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    launched: float  # time.perf_counter() when `streamlit run` was started


@contextlib.contextmanager
def app_server(timeout: float = 120.0, script: Path = ROOT / "app.py", env=None):
    """Run ``streamlit run app.py`` (or ``script``) on 127.0.0.1 and yield it once it answers its
    health check; ``env`` replaces variables of this process's environment (OPTVIZ_CACHE_DIR, say)."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
    launched = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the app stopped: {process.stderr.read().decode()[-2000:]}")
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app did not answer on {url} within {timeout:.0f} s")
            time.sleep(0.2)
        yield Server(url, process.pid, launched)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def browser():
    """A headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


CHART = '[data-testid="stPlotlyChart"] .main-svg'


def legend_text(page) -> str:
    """Every legend entry of the page's charts, as one string."""
    return page.evaluate("() => [...document.querySelectorAll('.legendtext')].map(e => e.textContent).join('|')")

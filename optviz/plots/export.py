"""Figures out of optviz: PNG and SVG for slides, standalone HTML, and the data as CSV.

PNG and SVG are drawn by kaleido in a headless Chromium. Starting one costs about three
seconds, so one is kept per process and every export goes through it; without a Chromium,
:func:`static_export_problem` says why, and the app falls back to the chart's own camera button
(see ``optviz.plots.theme.plotly_config``), which needs no server at all. HTML and CSV need nothing.
"""

import csv
import io
import os
import shutil
import stat
import threading
from functools import cache

import plotly.io as pio

from optviz.plots.theme import IMAGE_SCALE, SLIDE, figure_name, finite_steps, labels, plotly_config
from optviz.paths import cache_dir

#: Chromium's own background traffic and first-run work, switched off: the export is offline and
#: sandboxes are unavailable in containers (the flags of ../shared/notes/stack.md §3). With no
#: GPU, WebGL (the 3D view) needs the software renderer, which Chromium no longer picks by itself:
#: without the last two flags a 3D figure exports as a blank image.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


class StaticExportUnavailable(RuntimeError):
    """PNG/SVG export cannot run here; the message says why and what to use instead."""


def find_browser() -> str | None:
    """The Chromium to draw with: ``BROWSER_PATH``, else /usr/bin/chromium, else one on PATH."""
    given = os.environ.get("BROWSER_PATH")
    if given:
        return given if os.access(given, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return next(filter(None, map(shutil.which, BROWSER_NAMES)), None)


def static_export_problem() -> str | None:
    """Why PNG/SVG export is unavailable, or None if it should work."""
    if find_browser() is None:
        where = f"BROWSER_PATH={os.environ['BROWSER_PATH']!r} is not executable" if os.environ.get("BROWSER_PATH") \
            else f"none of BROWSER_PATH, /usr/bin/chromium, {', '.join(BROWSER_NAMES)} was found"
        return f"no Chromium for static export ({where}); use the chart's camera button to download an image"
    return None


def _wrapper(browser: str) -> str:
    """A script that starts ``browser`` with our flags: kaleido takes a path, not flags."""
    folder = cache_dir() / "browser"
    folder.mkdir(exist_ok=True)
    script = folder / "chromium"
    text = f'#!/bin/sh\nexec "{browser}" {" ".join(CHROMIUM_FLAGS)} "$@"\n'
    if not script.exists() or script.read_text() != text:
        partial = folder / f"chromium.{os.getpid()}"
        partial.write_text(text)
        partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        partial.replace(script)  # atomic: another process may be starting the same script
    return str(script)


_lock = threading.Lock()  # kaleido's server answers in order, not per caller: one call at a time


@cache
def _server() -> None:
    """Start this process's kaleido server once (its Chromium lives until the process exits)."""
    import kaleido

    problem = static_export_problem()
    if problem:
        raise StaticExportUnavailable(problem)
    kaleido.start_sync_server(path=_wrapper(find_browser()), mathjax=False, silence_warnings=True)


def _image(fig, format, width, height, scale) -> bytes:
    import kaleido

    width, height = width or fig.layout.width or SLIDE[0], height or fig.layout.height or SLIDE[1]
    with _lock:
        _server()
        return kaleido.calc_fig_sync(fig.to_plotly_json(),
                                     opts=dict(format=format, width=width, height=height, scale=scale))


def to_png(fig, *, width=None, height=None, scale=IMAGE_SCALE) -> bytes:
    """The figure as a PNG, ``scale`` times its layout size (default: a 16:9 slide, 1280 × 720)."""
    return _image(fig, "png", width, height, scale)


def to_svg(fig, *, width=None, height=None) -> bytes:
    """The figure as an SVG, for slides that scale it freely."""
    return _image(fig, "svg", width, height, 1)


def to_html(fig) -> str:
    """A standalone page with plotly.js inside: it opens offline, animations and all, and its
    camera button downloads an SVG, so a slide gets a vector figure with no Chromium anywhere."""
    return pio.to_html(fig, include_plotlyjs=True, full_html=True, include_mathjax=False,
                       config=plotly_config(fig, image="svg"))


def traces_csv(traces) -> str:
    """Every step of every run, one row each: run, optimizer, step, x, y, loss.

    Runs are named by their legend text; a diverged run stops at its last finite point.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "optimizer", "step", "x", "y", "loss"])
    for trace, label in zip(traces, labels(traces)):
        for step in range(finite_steps(trace)):
            x, y = trace.path[step]
            writer.writerow([label, trace.optimizer, step, repr(float(x)), repr(float(y)), repr(float(trace.loss[step]))])
    return out.getvalue()


RACE_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds")


def race_csv(results: dict) -> str:
    """The training race, one row per value: optimizer, epoch, metric, value.

    Epoch k's metrics have epoch = k; the smoothed within-epoch loss is metric "smoothed_loss"
    at its own position in epochs.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["optimizer", "epoch", "metric", "value"])
    for optimizer, result in results.items():
        for metric in RACE_METRICS:
            for epoch, value in enumerate(getattr(result, metric), start=1):
                writer.writerow([optimizer, epoch, metric, repr(float(value))])
        for position, value in result.smoothed:
            writer.writerow([optimizer, repr(float(position)), "smoothed_loss", repr(float(value))])
    return out.getvalue()


def filename(fig, extension: str) -> str:
    """The download name of the figure's file: its title, slugged, with ``extension``."""
    return f"{figure_name(fig)}.{extension.lstrip('.')}"

"""Figures out of optviz: PNG and SVG for slides, GIF and MP4 of an animation, standalone HTML,
and the data as CSV.

PNG and SVG are drawn by kaleido in a headless Chromium. Starting one costs about three
seconds, so one is kept per process and every export goes through it; without a Chromium,
:func:`static_export_problem` says why, and the app falls back to the chart's own camera button
(see ``optviz.plots.theme.plotly_config``), which needs no server at all. HTML and CSV need nothing.

An animation (a figure with Plotly frames) exports as a still of its last frame, without its
Play/Pause buttons and step slider (:func:`still`), and as a GIF or an MP4 of all its frames.
Chromium draws what stays the same once (the surface, axes, colour bar, legend) and
:mod:`optviz.plots.raster` draws the moving runs on it frame by frame, at the pixels Chromium would
use; an animation whose frames change anything else is drawn by Chromium frame by frame, which is
exact but tens of times slower (``python -m benchmarks.animation_export`` measures both). MP4 is
encoded by the ffmpeg that the imageio-ffmpeg package ships.
"""

import base64
import csv
import io
import json
import os
import shutil
import stat
import tempfile
import threading
from functools import cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image, ImageDraw, ImageFont

from optviz.plots.raster import Area, Painter, drawable, rgba
from optviz.plots.theme import IMAGE_SCALE, SLIDE, figure_from, figure_name, finite_steps, labels, plotly_config
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


def _render(spec: dict, format: str, size: tuple, scale: float = 1) -> bytes:
    """A figure spec drawn by Chromium: "png", "svg", or "json" (Plotly's full figure, every default
    filled in, with the margins it computed)."""
    import kaleido

    with _lock:
        _server()
        return kaleido.calc_fig_sync(spec, opts=dict(format=format, width=size[0], height=size[1], scale=scale))


def _size(layout, width=None, height=None) -> tuple:
    """The figure's size in layout pixels: as asked, else its own, else a 16:9 slide."""
    return width or layout.get("width") or SLIDE[0], height or layout.get("height") or SLIDE[1]


def _image(fig, format, width, height, scale) -> bytes:
    spec = still(fig).to_plotly_json()
    return _render(spec, format, _size(spec["layout"], width, height), scale)


def to_png(fig, *, width=None, height=None, scale=IMAGE_SCALE) -> bytes:
    """The figure as a PNG, ``scale`` times its layout size (default: a 16:9 slide, 1280 × 720);
    an animation as its last frame."""
    return _image(fig, "png", width, height, scale)


def to_svg(fig, *, width=None, height=None) -> bytes:
    """The figure as an SVG, for slides that scale it freely; an animation as its last frame."""
    return _image(fig, "svg", width, height, 1)


# ---------------------------------------------------------------------------------------------
# Animations: a still, a GIF, an MP4.

#: How long a GIF rests on its last frame before it starts again (seconds): long enough to read
#: where every run ended.
GIF_HOLD = 2.0
#: Milliseconds per frame when the figure's Play button does not say.
FRAME_MS = 60


def still(fig, frame: int = -1) -> go.Figure:
    """An animation stopped at one of its frames (the last by default), without its Play/Pause
    buttons and step slider: what a slide shows. A figure without frames comes back as it is."""
    if not fig.frames:
        return fig
    spec = fig.to_plotly_json()
    frames = spec.pop("frames")
    return figure_from(_at_frame(_without_controls(spec), frames[frame]))


def _without_controls(spec: dict) -> dict:
    layout = {k: v for k, v in spec["layout"].items() if k not in ("updatemenus", "sliders")}
    return {**spec, "layout": layout}


def _updates(frame: dict) -> dict:
    """Trace index → what the frame sets on that trace (a frame that names no traces sets the first ones)."""
    data = frame.get("data") or []
    named = frame.get("traces")
    return dict(zip(named if named is not None else range(len(data)), data))


def _merge(base, update):
    """``update`` laid over ``base`` as Plotly applies a frame: nested settings merged, values replaced."""
    if not (isinstance(base, dict) and isinstance(update, dict)):
        return update
    return {**base, **{key: _merge(base.get(key), value) for key, value in update.items()}}


def _at_frame(spec: dict, frame: dict) -> dict:
    """The spec as it looks once ``frame`` has been applied to it."""
    data = list(spec["data"])
    for index, update in _updates(frame).items():
        data[index] = _merge(data[index], update)
    return {**spec, "data": data, "layout": _merge(spec["layout"], frame.get("layout") or {})}


def animation_export_problem(format: str) -> str | None:
    """Why an animation cannot be exported as ``format`` ("gif" or "mp4") here, or None."""
    if format not in ("gif", "mp4"):
        raise ValueError(f"unknown animation format {format!r}; choose gif or mp4")
    if find_browser() is None:
        return ("no Chromium on the server to draw the frames (install chromium, or set BROWSER_PATH); the "
                "Interactive HTML plays the animation in any browser")
    if format == "mp4":
        try:
            import imageio_ffmpeg

            imageio_ffmpeg.get_ffmpeg_exe()
        except (ImportError, RuntimeError) as error:
            return f"no ffmpeg to encode it ({error}); pip install imageio-ffmpeg, or export a GIF"
    return None


class Movie:
    """The frames of an animation as images, each drawn on demand (:meth:`frame`).

    ``fast`` says whether the moving runs are drawn by :mod:`optviz.plots.raster` over one
    background Chromium drew; when the frames change what it cannot draw, ``fast`` is False, the
    reason is in ``slow_because``, and Chromium draws every frame.
    """

    def __init__(self, fig, *, scale: float = 1.0):
        spec = fig.to_plotly_json()
        frames = spec.pop("frames", None)
        if not frames:
            raise ValueError("not an animation: the figure has no frames")
        self.scale = scale
        self.ms = _frame_ms(spec["layout"])
        self._captions = _captions(spec["layout"], frames)
        self.spec = _without_controls(spec)
        self.size = _size(self.spec["layout"])
        self._updates = [_updates(frame) for frame in frames]
        self._frames = frames
        full = _decoded(json.loads(_render(self.spec, "json", self.size)))
        self.full_data, self.layout = full["data"], full["layout"]
        self.slow_because = None
        self.painter = None
        try:
            self._prepare()
        except _Slow as reason:
            self.slow_because = str(reason)

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def fast(self) -> bool:
        return self.slow_because is None

    def frame(self, index: int) -> Image.Image:
        """Frame ``index`` as an RGB image, with its step written where the slider showed it."""
        if self.fast:
            image = self.painter.paint([self._resolved(i, self._updates[index].get(i, {})) for i in self.drawn])
        else:
            png = _render(_at_frame(self.spec, self._frames[index]), "png", self.size, self.scale)
            image = Image.open(io.BytesIO(png)).convert("RGB")
        self._caption(image, index)
        return image

    # -- the fast way: one background, the moving traces drawn per frame ------------------------

    def _prepare(self) -> None:
        if any(frame.get("layout") for frame in self._frames):
            raise _Slow("a frame changes the layout")
        layout = self.layout
        # A trace a frame restates as it is (the surface, say, so the browser keeps drawing it) does not move.
        moving = {index for update in self._updates for index, change in update.items()
                  if any(self.spec["data"][index].get(key) != value for key, value in change.items())}
        if not moving:
            raise _Slow("its frames move no trace")
        if len({trace.get("zorder", 0) for trace in self.full_data}) > 1:
            raise _Slow("traces are layered by zorder")
        for index in moving:
            kind = self.full_data[index]["type"]
            if kind != "scatter":
                raise _Slow(f"a frame moves a {kind} trace")
        # Plotly draws scatter traces above every other kind, in their order: the first moving one
        # and every scatter trace after it are drawn here, the rest is the background.
        first = min(moving)
        self.drawn = [i for i in range(first, len(self.full_data)) if self.full_data[i]["type"] == "scatter"]
        axes = {(self.full_data[i]["xaxis"], self.full_data[i]["yaxis"]) for i in self.drawn}
        if len(axes) > 1:
            raise _Slow("the moving traces lie on several subplots")
        for index in self.drawn:
            for update in [{}, *(u[index] for u in self._updates if index in u)]:
                problem = drawable(self._resolved(index, update))
                if problem:
                    raise _Slow(f"trace {index} has {problem}")
        (xaxis, yaxis), = axes
        background, under = self._backgrounds(layout, xaxis, yaxis)
        render = [Image.open(io.BytesIO(_render(spec, "png", self.size, self.scale))).convert("RGB")
                  for spec in (background, under)]
        above = np.any(np.asarray(render[0]) != np.asarray(render[1]), axis=2)
        self.painter = Painter(render[0], Area.of(layout, xaxis, yaxis, self.scale), self.scale, keep=above)

    def _backgrounds(self, layout, xaxis, yaxis) -> tuple:
        """The figure without the drawn traces (legend entries kept), at the axes and margins Plotly
        computed for the whole figure; and the same without what Plotly draws above the traces
        (legend, annotations, axis lines, colour bars), whose difference marks those pixels."""
        data = [{**trace, "x": [None], "y": [None]} if index in self.drawn else trace
                for index, trace in enumerate(self.spec["data"])]
        fixed = dict(self.spec["layout"])
        fixed["margin"] = {**layout["computed"]["margin"], "autoexpand": False}
        for kind, name in (("xaxis", xaxis), ("yaxis", yaxis)):
            key = kind + name[1:]
            fixed[key] = {**fixed.get(key, {}), "range": layout[key]["range"], "autorange": False}
        background = {**self.spec, "data": data, "layout": fixed}
        bare = {**fixed, "showlegend": False, "annotations": [],
                "shapes": [s for s in fixed.get("shapes", []) if s.get("layer") == "below"],
                "images": [i for i in fixed.get("images", []) if i.get("layer") == "below"]}
        for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
            bare[key] = {**bare.get(key, {}), "showline": False}
        plain = [{**trace, "showscale": False} if self.full_data[index].get("showscale") else trace
                 for index, trace in enumerate(data)]
        return background, {**background, "data": plain, "layout": bare}

    def _resolved(self, index: int, update: dict) -> dict:
        """Trace ``index`` at a frame: its style in Plotly's full form with the frame's changes over
        it, and its points from the frame, else from the figure."""
        trace = _merge(self.full_data[index], update)
        base = self.spec["data"][index]
        trace["x"], trace["y"] = (_array(update.get(axis, base.get(axis, ()))) for axis in ("x", "y"))
        return trace

    # -- the step under each frame ----------------------------------------------------------------

    def _caption(self, image: Image.Image, index: int) -> None:
        """The slider's "step N" for this frame, where the slider wrote it (right-aligned at its end)."""
        caption = self._captions[index]
        if caption is None:
            return
        text, (x, y), size, colour = caption
        margin, (width, height) = self.layout["computed"]["margin"], self.size
        inner_w, inner_h = width - margin["l"] - margin["r"], height - margin["t"] - margin["b"]
        point = (self.scale * (margin["l"] + x * inner_w), self.scale * (margin["t"] + (1 - y) * inner_h))
        ImageDraw.Draw(image).text(point, text, fill=colour, font=_font(round(size * self.scale)), anchor="ra")


class _Slow(Exception):
    """Why an animation's frames must each be drawn by Chromium."""


def _frame_ms(layout: dict) -> float:
    """Milliseconds per frame, as the figure's Play button plays it."""
    for menu in layout.get("updatemenus", ()):
        for button in menu.get("buttons", ()):
            args = button.get("args") or []
            if button.get("method") == "animate" and args and args[0] is None and len(args) > 1:
                return float(args[1].get("frame", {}).get("duration", FRAME_MS)) or FRAME_MS
    return FRAME_MS


def _captions(layout: dict, frames: list) -> list:
    """For each frame, what the step slider says at it: (text, paper position, font size, colour), or None."""
    for slider in layout.get("sliders", ()):
        shown = slider.get("currentvalue", {})
        if shown.get("visible", True) is False:
            continue
        labels = {step["args"][0][0]: step.get("label", "") for step in slider.get("steps", ())
                  if step.get("method") == "animate" and step.get("args") and step["args"][0]}
        font = {**layout.get("font", {}), **shown.get("font", {})}
        place = (slider.get("x", 0) + slider.get("len", 1), slider.get("y", 0))
        colour = rgba(font.get("color", "#444444"))[:3]
        return [(f"{shown.get('prefix', '')}{labels[f.get('name')]}{shown.get('suffix', '')}", place,
                 font.get("size", 14), colour) if f.get("name") in labels else None for f in frames]
    return [None] * len(frames)


@cache
def _font(size: int):
    """The figures' sans-serif (Liberation Sans stands in for Arial, as it does in Chromium here)."""
    for name in ("LiberationSans-Regular.ttf", "Arial.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _array(values) -> np.ndarray:
    """Coordinates as floats, with a missing value (None) as NaN."""
    values = _decoded(values)
    if isinstance(values, (list, tuple)):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def _decoded(value):
    """Plotly's JSON with its typed arrays ({"bdata", "dtype"}) as numpy arrays."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"])
            return array.reshape([int(n) for n in str(value.get("shape", len(array))).split(",")])
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def to_gif(fig, *, scale: float = 1.0, hold: float = GIF_HOLD) -> bytes:
    """An animation as a looping GIF at ``scale`` × its layout size (1280 × 720 for a slide),
    at the speed its Play button plays it, resting ``hold`` seconds on the last frame."""
    movie = Movie(fig, scale=scale)
    last = movie.frame(len(movie) - 1)  # every run drawn in full: its colours make the palette
    palette = _Palette(last.quantize(255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    frames = [palette.indexed(movie.frame(i)) for i in range(len(movie) - 1)] + [palette.indexed(last)]
    durations = [round(movie.ms)] * (len(frames) - 1) + [round(movie.ms + 1000 * hold)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


class _Palette:
    """Each colour of an image mapped to its nearest colour of one palette, remembered.

    Pillow's own mapping onto a given palette is approximate (it turned the page's white into a
    grey), and one palette for every frame keeps colours from flickering between frames.
    """

    def __init__(self, quantized: Image.Image):
        self.palette = quantized.getpalette()[:3 * 256]
        self.colours = np.asarray(self.palette, dtype=np.int32).reshape(-1, 3)
        self.nearest = np.full(1 << 24, -1, dtype=np.int16)  # by colour, filled as colours turn up

    def indexed(self, image: Image.Image) -> Image.Image:
        # Each pixel as one number, 0xBBGGRR: the bytes of RGBX read as little-endian words, less X.
        packed = np.asarray(image.convert("RGBX")).view("<u4")[..., 0] & 0xFFFFFF
        found = self.nearest[packed]
        missing = np.unique(packed[found < 0])
        for chunk in np.array_split(missing, max(1, len(missing) // 4096)):
            colours = np.stack([chunk & 255, (chunk >> 8) & 255, chunk >> 16], axis=1).astype(np.int32)
            distances = ((colours[:, None, :] - self.colours[None, :, :]) ** 2).sum(axis=2)
            self.nearest[chunk] = distances.argmin(axis=1)
        if len(missing):
            found = self.nearest[packed]
        out = Image.fromarray(found.astype(np.uint8), "P")
        out.putpalette(self.palette)
        return out


def to_mp4(fig, *, scale: float = 1.5) -> bytes:
    """An animation as an H.264 MP4 (plays in PowerPoint, Keynote and browsers) at ``scale`` × its
    layout size (1920 × 1080 for a slide), at the speed its Play button plays it."""
    import imageio_ffmpeg

    movie = Movie(fig, scale=scale)
    first = movie.frame(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "animation.mp4"
        writer = imageio_ffmpeg.write_frames(str(path), first.size, fps=1000 / movie.ms, codec="libx264",
                                             quality=7, macro_block_size=2, ffmpeg_log_level="error",
                                             output_params=["-preset", "veryfast", "-movflags", "+faststart"])
        writer.send(None)
        try:
            for index in range(len(movie)):
                writer.send((first if index == 0 else movie.frame(index)).tobytes())
        finally:
            writer.close()
        return path.read_bytes()


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

"""Scatter traces drawn by hand onto a picture of their figure, where Chromium draws them.

An animation's frames differ only in a few scatter traces (the paths and the balls): the surface,
axes, colour bar and legend are the same in every frame. Rendering each frame in Chromium costs
0.3-1 s, so :mod:`optviz.plots.export` has Chromium draw that background once and this module
draws the moving traces on it, frame by frame, with Pillow. To look the same, it draws what
plotly.js draws, at the pixels it uses:

* the plot area from Plotly's own computed layout (its margins after automargin, its axes'
  domains after ``scaleanchor``), and a linear or log axis mapping data to pixels;
* lines with plotly.js's widths and dash patterns (solid, dot, dash, longdash, dashdot,
  longdashdot, or "5px,10px"), cut at gaps, clipped to the plot area;
* markers with plotly.js's symbol geometry (circle, square, diamond, cross, x, triangles,
  pentagon, hexagon, star, and their "-open" forms), fill, outline and opacity;
* supersampled, so edges are smoothed as a browser smooths them.

Anything else (text, fills, splines, colour scales, other symbols) is not drawn here:
:func:`drawable` says so, and the caller renders such frames in Chromium instead.
tests/plots/test_export.py holds the drawing to Chromium's render of the same frame.
"""

import math
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor, ImageDraw

#: Drawn at this many times the output resolution, then averaged down: anti-aliased edges. Images
#: at 1.5 × the layout size or more (1920 × 1080 for a slide) have pixels small enough for 2.
SUPERSAMPLE = 3

_SQRT2, _SQRT3 = math.sqrt(2.0), math.sqrt(3.0)


# ---------------------------------------------------------------------------------------------
# Colours, symbols, dashes: plotly.js's definitions.


def rgba(text) -> tuple:
    """A CSS colour as (r, g, b, alpha) with alpha in [0, 1]: names, #hex, rgb() and rgba()."""
    found = re.fullmatch(r"\s*rgba\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\)\s*", str(text))
    if found:
        r, g, b, a = map(float, found.groups())
        return round(r), round(g), round(b), a
    r, g, b, a = ImageColor.getcolor(str(text), "RGBA")
    return r, g, b, a / 255


def _star(r):
    s = 1.4 * r
    return [(0.225 * s, -0.309 * s), (0.951 * s, -0.309 * s), (0.363 * s, 0.118 * s), (0.588 * s, 0.809 * s),
            (0.0, 0.382 * s), (-0.588 * s, 0.809 * s), (-0.363 * s, 0.118 * s), (-0.951 * s, -0.309 * s),
            (-0.225 * s, -0.309 * s), (0.0, -s)]


def _x(r):
    a = 0.8 * r / _SQRT2
    steps = [(a, a), (a, -a), (-a, -a), (a, -a), (-a, -a), (-a, a), (-a, -a), (-a, a), (a, a), (-a, a), (a, a)]
    points = [(0.0, a)]
    for dx, dy in steps:
        points.append((points[-1][0] + dx, points[-1][1] + dy))
    return points


def _cross(r):
    a, b = 0.4 * r, 1.2 * r
    return [(b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a), (-a, -b), (a, -b), (a, -a),
            (b, -a)]


#: Each symbol's outline around its centre, for a marker of radius r (half its size), in pixels
#: with y pointing down, as plotly.js's symbol table draws them. The circle is drawn as a circle.
SYMBOLS = {
    "circle": None,
    "square": lambda r: [(r, r), (-r, r), (-r, -r), (r, -r)],
    "diamond": lambda r: [(1.3 * r, 0.0), (0.0, 1.3 * r), (-1.3 * r, 0.0), (0.0, -1.3 * r)],
    "cross": _cross,
    "x": _x,
    "triangle-up": lambda r: [(-2 * r / _SQRT3, r / 2), (2 * r / _SQRT3, r / 2), (0.0, -r)],
    "triangle-down": lambda r: [(-2 * r / _SQRT3, -r / 2), (2 * r / _SQRT3, -r / 2), (0.0, r)],
    "triangle-left": lambda r: [(r / 2, -2 * r / _SQRT3), (r / 2, 2 * r / _SQRT3), (-r, 0.0)],
    "triangle-right": lambda r: [(-r / 2, -2 * r / _SQRT3), (-r / 2, 2 * r / _SQRT3), (r, 0.0)],
    "pentagon": lambda r: [(0.951 * r, -0.309 * r), (0.588 * r, 0.809 * r), (-0.588 * r, 0.809 * r),
                           (-0.951 * r, -0.309 * r), (0.0, -r)],
    "hexagon": lambda r: [(_SQRT3 / 2 * r, -r / 2), (_SQRT3 / 2 * r, r / 2), (0.0, r), (-_SQRT3 / 2 * r, r / 2),
                          (-_SQRT3 / 2 * r, -r / 2), (0.0, -r)],
    "star": _star,
}


def _symbol(name) -> tuple[str, bool] | None:
    """(shape, open) for a symbol name this module draws, else None."""
    if not isinstance(name, str):
        return None
    shape, opened = (name[:-5], True) if name.endswith("-open") else (name, False)
    return (shape, opened) if shape in SYMBOLS else None


def dash_pattern(dash, width: float) -> list:
    """The dash pattern plotly.js strokes a line of ``width`` px with: lengths on, off, on, … in px
    (empty for a solid line)."""
    unit = max(width, 3.0)
    named = {"solid": [], "dot": [1, 1], "dash": [3, 3], "longdash": [5, 5], "dashdot": [3, 1, 1, 1],
             "longdashdot": [5, 2, 1, 2]}
    if dash in named:
        return [unit * n for n in named[dash]]
    lengths = [float(part.strip().removesuffix("px")) for part in str(dash).split(",")]
    return lengths * 2 if len(lengths) % 2 else lengths  # SVG repeats an odd list to make it even


def _is_dash(dash) -> bool:
    try:
        dash_pattern(dash, 1.0)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Which traces can be drawn here.


def _scalar_or_list(value, check) -> bool:
    values = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
    return all(check(v) for v in values)


def _color(value) -> bool:
    try:
        rgba(value)
        return True
    except (ValueError, TypeError):
        return False


def drawable(trace: dict) -> str | None:
    """None if :class:`Painter` draws this trace (in Plotly's full form: every default filled in)
    as plotly.js does; else what it cannot draw."""
    if trace.get("type", "scatter") != "scatter":
        return f"a {trace.get('type')} trace"
    if trace.get("visible", True) is not True:
        return None
    mode = set(str(trace.get("mode", "lines")).split("+")) - {"none"}
    if mode - {"lines", "markers"}:
        return f"mode {trace.get('mode')!r}"
    if trace.get("fill", "none") != "none":
        return f"fill {trace.get('fill')!r}"
    if trace.get("cliponaxis", True) is not True:
        return "markers drawn outside the plot area"
    line, marker = trace.get("line", {}), trace.get("marker", {})
    if "lines" in mode:
        if line.get("shape", "linear") != "linear":
            return f"line shape {line.get('shape')!r}"
        if not _color(line.get("color")) or not _is_dash(line.get("dash", "solid")):
            return f"line colour {line.get('color')!r} or dash {line.get('dash')!r}"
    if "markers" in mode:
        if not _scalar_or_list(marker.get("symbol", "circle"), _symbol):
            return f"marker symbol {marker.get('symbol')!r}"
        if not _scalar_or_list(marker.get("color"), _color):
            return f"marker colour {marker.get('color')!r}"
        if marker.get("angle", 0) != 0 or marker.get("gradient", {}).get("type", "none") != "none":
            return "a rotated or gradient-filled marker"
        if not _scalar_or_list(marker.get("line", {}).get("color", "#444"), _color):
            return f"marker outline colour {marker.get('line', {}).get('color')!r}"
    return None


# ---------------------------------------------------------------------------------------------
# Where data lands in the image.


@dataclass(frozen=True)
class Area:
    """One subplot's plot area in the image (pixels, y down) and its axes' ranges."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple
    y_range: tuple
    x_log: bool = False
    y_log: bool = False

    @classmethod
    def of(cls, layout: dict, xaxis: str = "x", yaxis: str = "y", scale: float = 1.0) -> "Area":
        """The area of the subplot on axes ``xaxis``/``yaxis`` in an image of the figure drawn at
        ``scale``, from Plotly's full layout (with its ``computed`` margins)."""
        margin = layout["computed"]["margin"]
        inner_w = layout["width"] - margin["l"] - margin["r"]
        inner_h = layout["height"] - margin["t"] - margin["b"]
        ax, ay = layout[_axis_key("xaxis", xaxis)], layout[_axis_key("yaxis", yaxis)]
        for axis in (ax, ay):
            if axis.get("type", "linear") not in ("linear", "log"):
                raise ValueError(f"a {axis.get('type')} axis is not drawn here")
        (x0, x1), (y0, y1) = ax["domain"], ay["domain"]
        return cls(left=scale * (margin["l"] + x0 * inner_w), top=scale * (margin["t"] + (1 - y1) * inner_h),
                   width=scale * (x1 - x0) * inner_w, height=scale * (y1 - y0) * inner_h,
                   x_range=tuple(ax["range"]), y_range=tuple(ay["range"]),
                   x_log=ax.get("type") == "log", y_log=ay.get("type") == "log")

    def pixels(self, x, y) -> np.ndarray:
        """(n, 2) image coordinates of the points (x, y); NaN where a value is missing or not positive on a log axis."""
        u, v = (self._along(np.asarray(values, dtype=np.float64), log)
                for values, log in ((x, self.x_log), (y, self.y_log)))
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return np.column_stack([self.left + (u - x0) / (x1 - x0) * self.width,
                                self.top + (y1 - v) / (y1 - y0) * self.height])

    @staticmethod
    def _along(values, log):
        if not log:
            return values
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(values), np.nan)


def _axis_key(kind: str, name: str) -> str:
    """"x2" → "xaxis2"; "x" → "xaxis"."""
    return kind + name[1:]


# ---------------------------------------------------------------------------------------------
# Drawing.


class Painter:
    """Draws scatter traces over one plot area of a background image, frame after frame.

    ``background`` is the figure drawn without the traces to be painted; ``keep`` (optional, a
    boolean array of the image's size) marks pixels drawn above the traces in Plotly (the axis
    lines, a legend inside the plot area) that must stay as they are in ``background``.
    """

    def __init__(self, background: Image.Image, area: Area, scale: float, keep=None, supersample=None):
        self.background = background.convert("RGB")
        self.area, self.scale = area, scale
        self.k = supersample or (SUPERSAMPLE if scale < 1.5 else 2)
        width, height = self.background.size
        left, top = max(0, math.floor(area.left)), max(0, math.floor(area.top))
        right = min(width, math.ceil(area.left + area.width))
        bottom = min(height, math.ceil(area.top + area.height))
        self.box = (left, top, right, bottom)
        self.under = self.background.crop(self.box)
        self.big = self.under.resize((self.under.width * self.k, self.under.height * self.k), Image.Resampling.NEAREST)
        # How much of each pixel of the box the plot area covers (its edges fall between pixels),
        # less what is drawn above the traces: where the painted traces show.
        xs, ys = np.arange(left, right) + 0.5, np.arange(top, bottom) + 0.5
        cover_x = np.clip(np.minimum(xs + 0.5, area.left + area.width) - np.maximum(xs - 0.5, area.left), 0, 1)
        cover_y = np.clip(np.minimum(ys + 0.5, area.top + area.height) - np.maximum(ys - 0.5, area.top), 0, 1)
        cover = np.outer(cover_y, cover_x)
        if keep is not None:
            cover = np.where(keep[top:bottom, left:right], 0.0, cover)
        self.mask = Image.fromarray(np.round(cover * 255).astype(np.uint8), "L")

    def paint(self, traces) -> Image.Image:
        """The background with ``traces`` (Plotly's full form, x and y as arrays) drawn over it, in order."""
        work = self.big.copy()
        for trace in traces:
            self._trace(work, trace)
        drawn = Image.composite(work.reduce(self.k), self.under, self.mask)
        frame = self.background.copy()
        frame.paste(drawn, self.box[:2])
        return frame

    # -- one trace ------------------------------------------------------------------------------

    def _to_work(self, points: np.ndarray) -> np.ndarray:
        """Image coordinates to the supersampled canvas's (Pillow puts a pixel's centre at an integer)."""
        return (points - self.box[:2]) * self.k - 0.5

    def _trace(self, work: Image.Image, trace: dict) -> None:
        if trace.get("visible", True) is not True:
            return
        mode = str(trace.get("mode", "lines"))
        opacity = float(trace.get("opacity", 1.0))
        points = self._to_work(self.area.pixels(trace["x"], trace["y"]))
        translucent = opacity < 1 or self._translucent(trace, mode)
        canvas = Image.new("RGBA", work.size, (0, 0, 0, 0)) if translucent else work
        draw = ImageDraw.Draw(canvas, "RGBA")
        if "lines" in mode:
            self._lines(draw, points, trace["line"])
        if "markers" in mode:
            self._markers(draw, points, trace["marker"])
        if translucent:
            alpha = canvas.getchannel("A").point(lambda a: round(a * opacity))
            work.paste(canvas.convert("RGB"), mask=alpha)

    @staticmethod
    def _translucent(trace, mode) -> bool:
        colours = []
        if "lines" in mode:
            colours.append(trace["line"]["color"])
        if "markers" in mode:
            marker = trace["marker"]
            colours += np.atleast_1d(marker["color"]).tolist() + np.atleast_1d(marker["line"]["color"]).tolist()
            if float(marker.get("opacity", 1.0)) < 1:
                return True
        return any(rgba(c)[3] < 1 for c in colours)

    def _lines(self, draw, points, line) -> None:
        width = float(line.get("width", 2)) * self.scale
        if width <= 0:
            return
        colour = _fill(line["color"])
        dashes = dash_pattern(line.get("dash", "solid"), width / self.scale)
        pattern = [length * self.scale * self.k for length in dashes]
        pad = width * self.k
        bounds = (-pad, -pad, self.big.width + pad, self.big.height + pad)
        for run in _runs(points):
            for piece in _pieces(run, pattern, bounds):
                draw.line([tuple(p) for p in piece], fill=colour, width=max(1, round(width * self.k)), joint="curve")

    def _markers(self, draw, points, marker) -> None:
        count = len(points)
        sizes = np.broadcast_to(np.asarray(marker.get("size", 6), dtype=np.float64), (count,))
        symbols = np.broadcast_to(np.asarray(marker.get("symbol", "circle"), dtype=object), (count,))
        fills = np.broadcast_to(np.asarray(marker["color"], dtype=object), (count,))
        outline = marker.get("line", {})
        strokes = np.broadcast_to(np.asarray(outline.get("color", "#444"), dtype=object), (count,))
        stroke_width = float(outline.get("width", 0)) * self.scale * self.k
        alpha = float(marker.get("opacity", 1.0))
        width, height = self.big.size
        for (x, y), size, name, fill, stroke in zip(points, sizes, symbols, fills, strokes):
            r = size / 2 * self.scale * self.k
            if not (-2 * r <= x <= width + 2 * r and -2 * r <= y <= height + 2 * r):  # also False for NaN
                continue
            shape, opened = _symbol(name)
            colour = _fill(fill, alpha)
            if opened:  # plotly.js: no fill, an outline in the marker's colour, at least 1 px wide
                _shape(draw, shape, x, y, r, None, colour, stroke_width or self.scale * self.k)
            else:
                _shape(draw, shape, x, y, r, colour, _fill(stroke, alpha), stroke_width)


def _fill(colour, alpha=1.0) -> tuple:
    r, g, b, a = rgba(colour)
    return r, g, b, round(255 * a * alpha)


def _shape(draw, shape, x, y, r, fill, stroke, stroke_width) -> None:
    """One marker, its outline centred on its edge as SVG strokes it."""
    half = stroke_width / 2
    if shape == "circle":
        if fill is not None:
            draw.ellipse((x - r - half, y - r - half, x + r + half, y + r + half), fill=stroke if half else fill)
            if half:
                draw.ellipse((x - r + half, y - r + half, x + r - half, y + r - half), fill=fill)
        elif half:
            draw.ellipse((x - r - half, y - r - half, x + r + half, y + r + half), outline=stroke,
                         width=max(1, round(stroke_width)))
        return
    outline = [(x + dx, y + dy) for dx, dy in SYMBOLS[shape](r)]
    if fill is not None:
        draw.polygon(outline, fill=fill)
    if half:
        draw.line(outline + outline[:2], fill=stroke, width=max(1, round(stroke_width)), joint="curve")


def _runs(points: np.ndarray) -> list:
    """The stretches of a path between its missing points (Plotly leaves gaps, it does not connect them)."""
    finite = np.isfinite(points).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    return [points[start:stop] for start, stop in zip(edges[::2], edges[1::2])]


def _pieces(points: np.ndarray, pattern: list, bounds: tuple) -> list:
    """The visible parts of a polyline: dashed by ``pattern`` (its phase carried across vertices, as
    SVG dashes a path), and cut to ``bounds`` (a path may run off to 1e190 when a run diverges)."""
    x0, y0, x1, y1 = bounds
    inside = ((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)).all()
    if not pattern and inside:
        return [points] if len(points) > 1 else []
    period = float(sum(pattern))
    pieces, current, travelled = [], [], 0.0
    for a, b in zip(points[:-1], points[1:]):
        delta = b - a
        length = float(math.hypot(*delta))
        window = _clip(a, delta, bounds) if length > 0 else None
        if window is None:
            if current:
                pieces.append(current)
            current = []
            travelled += length
            continue
        start, stop = window[0] * length, window[1] * length
        while start < stop:
            if pattern:
                on, end = _dash_at(pattern, period, travelled + start)
                end = min(stop, max(end - travelled, start + 1e-9 * period))  # always onwards, despite round-off
            else:
                on, end = True, stop
            if on:
                if not current or start > 0:
                    if current:
                        pieces.append(current)
                    current = [a + delta * (start / length)]
                current.append(a + delta * (end / length))
            elif current:
                pieces.append(current)
                current = []
            start = end
        if stop < length and current:
            pieces.append(current)
            current = []
        travelled += length
    if current:
        pieces.append(current)
    return [piece for piece in pieces if len(piece) > 1]


def _dash_at(pattern, period, distance) -> tuple[bool, float]:
    """Whether the dash is on at ``distance`` along the path, and where that stretch ends."""
    cycle = math.floor(distance / period) * period
    position = distance - cycle
    edge = 0.0
    for index, length in enumerate(pattern):
        edge += length
        if position < edge:
            return index % 2 == 0, cycle + edge
    return True, cycle + period + pattern[0]  # round-off at the end of a cycle: the next one's first dash


def _clip(a, delta, bounds):
    """The part (t0, t1) of the segment a + t·delta, 0 ≤ t ≤ 1, inside ``bounds`` (Liang–Barsky), or None."""
    x0, y0, x1, y1 = bounds
    low, high = 0.0, 1.0
    for p, q in ((-delta[0], a[0] - x0), (delta[0], x1 - a[0]), (-delta[1], a[1] - y0), (delta[1], y1 - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return None
    return low, high

"""Plotly figures: data in, ``go.Figure`` out, one look everywhere.

Every builder sets the :data:`THEME` template on its figure, so what a teacher exports is what
the class saw. (Streamlit restyles charts unless told not to: show them with
``st.plotly_chart(fig, theme=None, config=plotly_config(fig))``.)

Each optimizer keeps one colour in every figure, picked by its place in the registry; every run
also has its own dash and marker shape, by its place in the figure, so that runs stay apart in
greyscale and for colour-blind eyes, and several runs of one optimizer share its hue but not its
line. Legends name the hyper-parameters that set runs apart. Titles are plain text, because LaTeX
does not render in offline image export; equations belong beside the plot.

The browser gets no more data than a figure needs: long paths are thinned (keeping the first,
the last and the divergence points), grids are 80-140 points a side and stored as float32.
Paths stay float64, because a diverging run's last finite points overflow float32.

Every figure is built as a plain Plotly spec (dicts, lists, numpy arrays) and wrapped once, at the
end, without validation (:func:`figure_from`): Plotly's property validation and its copies of
the template cost 10-50 times more than the figure itself, and the page rebuilds every figure at
each slider move of each student. The price is that nothing checks the spec's names and values
for us: tests/test_figures.py re-validates every builder's output and compares.
"""

import re
import unicodedata

import numpy as np
import plotly.graph_objects as go

from optviz.optimizers import HYPERS, LIBRARIES, OPTIMIZERS

#: One colour per optimizer, in registry order. Each keeps its colour under the commonest colour
#: blindness (deuteranopia, simulated in tests/plots/test_palette.py), stays apart from the grey
#: surface and from the others there, and none is black, the colour of the minima: Okabe & Ito's
#: blue, vermillion, sky blue and orange, then Paul Tol's green, a brown, a salmon and a lavender
#: (ordered so that the pairs the article compares, Momentum and NAG say, look least alike).
PALETTE = ("#0072B2", "#D55E00", "#56B4E9", "#E69F00", "#117733", "#8C510A", "#D6604D", "#8073AC")
#: Every run of a figure gets its own dash and marker shape, by its place among the runs: eight of
#: each, so that eight runs differ by their line alone, also where a curve shows no markers.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "12px,3px,2px,3px,2px,3px", "2px,7px")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon", "cross")
#: Markers shown along a long line: enough to tell its shape, few enough to leave the line readable.
MARKERS_ALONG = 12

#: A 16:9 slide, in layout pixels: the size of exported and downloaded images.
SLIDE = (1280, 720)
#: Downloaded PNGs are this many times the layout size: sharp on a projector.
IMAGE_SCALE = 3

PATH_POINTS = 500  # a drawn path, at most
CURVE_POINTS = 1000  # a curve against step, at most
FRAMES = 100  # an animation, at most
DOTS_UP_TO = 80  # shorter paths show each step as a dot: the steps themselves are the lesson


THEME = go.layout.Template(
    layout=dict(
        font=dict(family="Arial, Liberation Sans, DejaVu Sans, sans-serif", size=18, color="#222222"),
        title=dict(font=dict(size=22), x=0.02, xanchor="left"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        margin=dict(l=80, r=30, t=70, b=70),
        legend=dict(bgcolor="rgba(255,255,255,0.85)", bordercolor="#cccccc", borderwidth=1, font=dict(size=16)),
        hoverlabel=dict(font=dict(size=16)),
        xaxis=dict(showline=True, linecolor="#444444", mirror=True, ticks="outside", gridcolor="#e6e6e6",
                   zeroline=False, exponentformat="power", automargin=True, title=dict(standoff=12)),
        yaxis=dict(showline=True, linecolor="#444444", mirror=True, ticks="outside", gridcolor="#e6e6e6",
                   zeroline=False, exponentformat="power", automargin=True, title=dict(standoff=12)),
        scene=dict(
            xaxis=dict(backgroundcolor="white", gridcolor="#dddddd", tickfont=dict(size=13)),
            yaxis=dict(backgroundcolor="white", gridcolor="#dddddd", tickfont=dict(size=13)),
            zaxis=dict(backgroundcolor="white", gridcolor="#dddddd", tickfont=dict(size=13)),
            camera=dict(eye=dict(x=-1.2, y=-1.3, z=0.85)),
        ),
    ),
    data=dict(scatter=[go.Scatter(line=dict(width=3))]),
)
#: :data:`THEME` as the plain dict the browser gets, built once. An unvalidated figure applies no
#: template by itself, so every spec carries this one as ``layout.template`` (``go.Figure`` copies
#: its layout, so no figure shares, or can change, this dict).
THEME_SPEC = THEME.to_plotly_json()

_SUBSCRIPTS = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# ---------------------------------------------------------------------------------------------
# Colours, labels, thinning: the rules every figure shares.


def color(optimizer: str) -> str:
    """The optimizer's colour, from its place in the registry, so a new one needs no entry here:
    the article's eight take :data:`PALETTE`, every other optimizer a colour of its own."""
    return _COLOURS[optimizer]


def _lab_to_hex(lightness: float, a: float, b: float) -> str:
    """A CIELAB colour (D65) as sRGB hex, clipped into the gamut."""
    fy = (lightness + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    xyz = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * np.array([0.95047, 1.0, 1.08883])
    rgb = np.clip(np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]) @ xyz,
                  0, 1)
    srgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{round(255 * c):02X}" for c in srgb)


def _hex_to_lab(colour: str) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    rgb = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _colours() -> dict:
    """Every registry entry's colour. The article's eight keep :data:`PALETTE`; each other one, in
    registry order, takes the saturated colour (mid lightness: never black, never the surface's
    grey) farthest in CIELAB from every colour taken so far, so no two ever share one."""
    names = list(OPTIMIZERS)
    taken = {name: PALETTE[i] for i, name in enumerate(names[:len(PALETTE)])}
    candidates = [_lab_to_hex(lightness, 55 * np.cos(hue), 55 * np.sin(hue))
                  for lightness in (38, 52, 66) for hue in np.radians(np.arange(0, 360, 12))]
    lab = {c: _hex_to_lab(c) for c in [*candidates, *taken.values()]}  # each colour converted once
    seen = [lab[c] for c in taken.values()]
    for name in names[len(PALETTE):]:
        free = [c for c in candidates if c not in taken.values()]
        best = max(free, key=lambda c: min(np.linalg.norm(lab[c] - other) for other in seen))
        taken[name] = best
        seen.append(lab[best])
    return taken


_COLOURS = _colours()


def symbol(name: str) -> str:
    """A hyper-parameter's symbol in the article's notation, as plain text (β₁, not \\beta_1):
    legends and exported images cannot render LaTeX."""
    return latex_text(HYPERS[name].symbol or name)


def latex_text(latex: str) -> str:
    """A quantity's name in the article's notation as plain text, for tables and legends that do
    not render LaTeX: ``\\hat m_t`` → m̂ₜ, ``\\theta_{t-1}`` → θₜ₋₁, ``\\alpha_t`` → αₜ."""
    text = re.sub(r"\\hat\s*\{?([^{}\s_]+)\}?", lambda m: m[1] + "\u0302", latex)
    text = re.sub(r"\\(?:var)?([a-zA-Z]+)\s*", lambda m: _greek(m[1]), text)
    return re.sub(r"_\{([^{}]*)\}|_(\w)", lambda m: (m[1] or m[2]).translate(_SUBSCRIPTS), text)


def _greek(name: str) -> str:
    try:
        return unicodedata.lookup(f"GREEK SMALL LETTER {name.upper()}")
    except KeyError:
        return name


def number(value: float) -> str:
    """A hyper-parameter value as a person writes it: 0.001, 0.9, 12, 1e-7."""
    text = f"{value:.4g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: f"e{'-' if m[1] == '-' else ''}{m[2]}", text)


def run_label(optimizer: str, hyper: dict, shown=None, notes=()) -> str:
    """The one legend formatter: "Adam (α=0.001, β₁=0.9, β₂=0.999)", then any notes.

    ``shown`` lists the hyper-parameters to print (default: all of ``hyper``), in ``hyper``'s order.
    """
    keys = [k for k in hyper if shown is None or k in shown]
    settings = ", ".join(f"{symbol(k)}={number(hyper[k])}" for k in keys)
    text = OPTIMIZERS[optimizer].title + (f" ({settings})" if settings else "")
    return ", ".join([text, *notes])


def labels(traces) -> list:
    """Legend text for each run, enough to tell every run apart.

    α and the betas are always shown; the quiet ones (ε, s₀, ψ) when they are not the default or
    differ between runs of that optimizer; then the convention or the start point if those are
    what differs; and a diverged run says when.
    """
    texts = []
    for trace in traces:
        siblings = [t for t in traces if t.optimizer == trace.optimizer]
        defaults = OPTIMIZERS[trace.optimizer].defaults(trace.convention)
        varying = {k for k in trace.hyper if len({t.hyper.get(k) for t in siblings}) > 1}
        shown = {k for k, v in trace.hyper.items() if not HYPERS[k].quiet or k in varying or v != defaults.get(k)}
        notes = []
        if len({t.convention for t in siblings}) > 1:
            notes.append(LIBRARIES[trace.convention])
        if len({tuple(t.path[0]) for t in siblings}) > 1:
            notes.append(f"from ({number(trace.path[0, 0])}, {number(trace.path[0, 1])})")
        if trace.diverged_at is not None:
            notes.append(f"diverged at step {trace.diverged_at}")
        texts.append(run_label(trace.optimizer, trace.hyper, shown, notes))
    return texts


def styles(runs) -> list:
    """The line and marker of each run (anything with an ``optimizer``): its optimizer's colour,
    and the dash and marker shape of its place among the runs."""
    styles = []
    for place, run in enumerate(runs):
        colour = color(run.optimizer)
        styles.append((dict(color=colour, dash=DASHES[place % len(DASHES)]),
                       dict(color=colour, symbol=SYMBOLS[place % len(SYMBOLS)])))
    return styles


def thin(count: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` evenly spread points out of ``count``.

    The first and the last are always among them: a reader looks for where a run starts and
    where it ends (or, thinned up to its last finite point, where it diverged).
    """
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def finite_steps(trace) -> int:
    """How many leading points of the path are finite: all of them unless the run diverged."""
    return trace.diverged_at if trace.diverged_at is not None else len(trace.path)


def plain(values, span: float = 1.0) -> list:
    """Numbers for an animation frame, as a list rounded to 1e-6 of ``span``: Plotly's encoder
    spends half a millisecond on every numpy array, and a figure with 100 frames has hundreds."""
    decimals = max(0, 6 - int(np.floor(np.log10(span)))) if span > 0 else 6
    return [None if not np.isfinite(v) else v for v in np.round(np.asarray(values, dtype=np.float64), decimals).tolist()]


def drawn_steps(trace, limit: int = PATH_POINTS) -> np.ndarray:
    """The steps to draw of a run: its finite part, thinned, ending at its last finite point."""
    return thin(finite_steps(trace), limit)



# ---------------------------------------------------------------------------------------------
# Specs: every builder fills one and wraps it once.


def new_spec(title: str, **layout) -> dict:
    """An empty figure spec with the theme and a title; builders append to its ``data``."""
    return {"data": [], "layout": {"template": THEME_SPEC, "title": {"text": title}, **layout}}


def figure_from(spec: dict) -> go.Figure:
    """The figure of a finished spec, built without Plotly's validation.

    ``_validate=False`` is a private argument of ``go.Figure``, but a long-standing one (Plotly 4
    to 7; requirements.txt pins plotly<8: check it again before lifting the pin). Animation
    frames are not covered by it, and validating them costs ~0.5 s for 100 frames, so they are
    attached as unvalidated ``go.Frame`` objects through the figure's private ``_frame_objs``,
    which is what the ``frames`` setter assigns after validating. The figure keeps validation off,
    so later ``update_layout``/``add_trace`` calls on it are not validated either.
    """
    frames = spec.pop("frames", None)
    fig = go.Figure(spec, _validate=False)
    if frames:
        fig._frame_objs = tuple(go.Frame(frame, _validate=False) for frame in frames)
    return fig



def marked_line(steps: np.ndarray, marker: dict, size: int = 7, along: bool = True) -> dict:
    """``mode`` and ``marker`` of a run's line: every step a dot on a short run (the steps are the
    lesson); on a long one, ``along`` it a few of its marker shape, so that it can be told apart
    without colour (Plotly picks them at each redraw: curves redrawn at every slider move, which
    differ by dash already, go without)."""
    if len(steps) <= DOTS_UP_TO:
        return dict(mode="lines+markers", marker=dict(size=size, **marker))
    if not along:
        return dict(mode="lines")
    return dict(mode="lines+markers", marker=dict(size=size, maxdisplayed=MARKERS_ALONG, **marker))



# ---------------------------------------------------------------------------------------------
# Showing a figure.


def figure_name(fig: go.Figure) -> str:
    """A file name for the figure, from its title: "fig-2-gd-descends-the-convex-bowl"."""
    title = fig.layout.title.text or "optviz"
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "optviz"


def plotly_config(fig: go.Figure, image: str = "png") -> dict:
    """The Plotly ``config`` of a shown figure: the camera button downloads a slide-sized image,
    a PNG at 3× (sharp on a projector) or an SVG, named after the figure and made in the browser
    with no server involved; no Plotly logo; and the mouse wheel scrolls the page instead of zooming
    (the modebar zooms)."""
    return {
        "displaylogo": False,
        "scrollZoom": False,  # the mouse wheel scrolls the page, also over a 3D chart
        "toImageButtonOptions": {"format": image, "filename": figure_name(fig), "scale": IMAGE_SCALE,
                                 "width": SLIDE[0], "height": SLIDE[1]},
    }

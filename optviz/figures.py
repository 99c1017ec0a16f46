"""Plotly figures: data in, ``go.Figure`` out, one look everywhere.

Every builder sets the :data:`THEME` template on its figure, so what a teacher exports is what
the class saw. (Streamlit restyles charts unless told not to: show them with
``st.plotly_chart(fig, theme=None, config=plotly_config(fig))``.)

Each optimizer keeps one colour in every figure, picked by its place in the registry; several
runs of the same optimizer differ by line dash, and their legends by the hyper-parameters that
set them apart. Titles are plain text, because LaTeX does not render in offline image export;
equations belong beside the plot.

The browser gets no more data than a figure needs: long paths are thinned (keeping the first,
the last and the divergence points), grids are 80-140 points a side and stored as float32.
Paths stay float64, because a diverging run's last finite points overflow float32.

Every figure is built as a plain Plotly spec (dicts, lists, numpy arrays) and wrapped once, at the
end, without validation (:func:`_figure_from`): Plotly's property validation and its copies of
the template cost 10-50 times more than the figure itself, and the page rebuilds every figure at
each slider move of each student. The price is that nothing checks the spec's names and values
for us: tests/test_figures.py re-validates every builder's output and compares.
"""

import re
import unicodedata
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

import surfaces
from optviz.optimizers import OPTIMIZERS, RANGES

#: Okabe & Ito's colour-blind-safe palette without its yellow (unreadable on white), then
#: Paul Tol's wine: one colour per optimizer, in registry order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255")
#: How several runs of one optimizer are told apart in one figure: by dash and by marker shape.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon")
#: A light, grey contour scale: every palette colour stands out on it.
SURFACE_COLORS = [[0.0, "#ffffff"], [0.5, "#dfe2e7"], [1.0, "#a3abb7"]]

#: A 16:9 slide, in layout pixels: the size of exported and downloaded images.
SLIDE = (1280, 720)
#: Downloaded PNGs are this many times the layout size: sharp on a projector.
IMAGE_SCALE = 3

GRID = 140  # contour grid, points a side
GRID_3D = 80  # the 3D surface needs fewer: it is shaded, not outlined
PATH_POINTS = 500  # a drawn path, at most
CURVE_POINTS = 1000  # a curve against step, at most
FRAMES = 100  # an animation, at most
DOTS_UP_TO = 80  # shorter paths show each step as a dot: the steps themselves are the lesson

#: Shown in a legend only when they differ from their default or between runs: they rarely
#: matter, and a legend that lists everything is read by no one.
QUIET = frozenset({"epsilon", "initial_accumulator", "momentum_decay"})
CONVENTION_NAMES = {"keras": "Keras", "torch": "PyTorch"}

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
            camera=dict(eye=dict(x=-1.5, y=-1.6, z=1.1)),
        ),
    ),
    data=dict(scatter=[go.Scatter(line=dict(width=3))]),
)
#: :data:`THEME` as the plain dict the browser gets, built once. An unvalidated figure applies no
#: template by itself, so every spec carries this one as ``layout.template`` (``go.Figure`` copies
#: its layout, so no figure shares, or can change, this dict).
THEME_SPEC = THEME.to_plotly_json()

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# ---------------------------------------------------------------------------------------------
# Colours, labels, thinning: the rules every figure shares.


def color(optimizer: str) -> str:
    """The optimizer's colour, from its place in the registry, so a new one needs no entry here."""
    return PALETTE[list(OPTIMIZERS).index(optimizer) % len(PALETTE)]


def symbol(name: str) -> str:
    """A hyper-parameter's symbol in the article's notation, as plain text (β₁, not \\beta_1):
    legends and exported images cannot render LaTeX."""
    latex = RANGES[name].symbol or name
    text = re.sub(r"\\(?:var)?([a-zA-Z]+)", lambda m: _greek(m[1]), latex)
    return re.sub(r"_\{?(\d+)\}?", lambda m: m[1].translate(_SUBSCRIPTS), text)


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
        defaults = OPTIMIZERS[trace.optimizer].defaults[trace.convention]
        varying = {k for k in trace.hyper if len({t.hyper.get(k) for t in siblings}) > 1}
        shown = {k for k, v in trace.hyper.items() if k not in QUIET or k in varying or v != defaults.get(k)}
        notes = []
        if len({t.convention for t in siblings}) > 1:
            notes.append(CONVENTION_NAMES.get(trace.convention, trace.convention))
        if len({tuple(t.path[0]) for t in siblings}) > 1:
            notes.append(f"from ({number(trace.path[0, 0])}, {number(trace.path[0, 1])})")
        if trace.diverged_at is not None:
            notes.append(f"diverged at step {trace.diverged_at}")
        texts.append(run_label(trace.optimizer, trace.hyper, shown, notes))
    return texts


def _styles(traces) -> list:
    """The line and marker of each run: the optimizer's colour, and a dash and a marker shape
    per repeat of that optimizer."""
    seen = {}
    styles = []
    for trace in traces:
        repeat = seen.get(trace.optimizer, 0)
        seen[trace.optimizer] = repeat + 1
        colour = color(trace.optimizer)
        styles.append((dict(color=colour, dash=DASHES[repeat % len(DASHES)]),
                       dict(color=colour, symbol=SYMBOLS[repeat % len(SYMBOLS)])))
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


def _drawn(trace, limit: int = PATH_POINTS) -> np.ndarray:
    """The steps to draw of a run: its finite part, thinned, ending at its last finite point."""
    return thin(finite_steps(trace), limit)


# ---------------------------------------------------------------------------------------------
# Surfaces: which one, which window, and how its height is shown.


def _surface(traces, surface):
    """The surface the figure draws: the one given, else the runs' own (they must share one)."""
    names = {t.surface for t in traces}
    if surface is None:
        if len(names) != 1:
            raise ValueError(f"give the surface, or runs on one surface (got {sorted(names) or 'none'})")
        surface = names.pop()
    surface = surfaces.get(surface) if isinstance(surface, str) else surface
    if names - {surface.name}:
        raise ValueError(f"runs on {sorted(names)} cannot be drawn on {surface.name!r}")
    return surface


def lowest(surface) -> float:
    """J at the surface's global minimum."""
    return min(m.value for m in surface.global_minima)


def _excess(surface) -> str:
    """How the text calls the loss above the minimum: J itself when the minimum is 0."""
    return "J" if lowest(surface) == 0 else "J − J_min"


class _Height:
    """The height a figure shows for J on a surface: J itself, or log10(J − J_min + δ) where the
    surface asks for log levels (its interesting part lies close to the floor).

    δ is the smallest positive J − J_min on the grid: the grid resolves nothing lower, and
    anything lower (a path near the minimum) is drawn at that floor.
    """

    def __init__(self, surface, grid_values):
        self.log = surface.log_levels
        self.floor = lowest(surface)
        excess = grid_values - self.floor
        positive = excess[excess > 0]
        self.delta = float(positive.min()) if positive.size else 1.0
        self.title = f"{_excess(surface)} (log scale)" if self.log else "J"
        self.hover = f"log₁₀({_excess(surface)})" if self.log else "J"

    def __call__(self, values):
        values = np.asarray(values, dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)  # an overflowed loss is a gap
        if not self.log:
            return values
        return np.log10(np.maximum(values - self.floor, 0.0) + self.delta)

    def colorbar(self, heights) -> dict:
        """A slim bar under the plot, leaving the right side to the legend; ticks in J's own
        units (decades 10ⁿ for a log height)."""
        bar = dict(orientation="h", x=1.0, xanchor="right", y=-0.16, yanchor="top", len=0.45, thickness=12,
                   title=dict(text=self.title, side="top", font=dict(size=16)), tickfont=dict(size=14))
        if self.log:
            decades = np.arange(np.floor(np.nanmin(heights)), np.ceil(np.nanmax(heights)) + 1)
            bar.update(tickvals=decades.tolist(), ticktext=[_power_of_ten(d) for d in decades])
        return bar


def _power_of_ten(exponent: float) -> str:
    return "10" + str(int(exponent)).translate(_SUPERSCRIPTS)


@lru_cache(maxsize=64)
def _grid(surface, domain, resolution):
    """The surface's heights on a grid, computed once per surface, window and resolution: a rerun
    that moves a slider redraws the runs, not the surface. The arrays are read-only: shared."""
    xs, ys, values = surfaces.grid(surface, resolution, domain)
    height = _Height(surface, values)
    arrays = xs, ys, height(values).astype(np.float32)
    for array in arrays:
        array.flags.writeable = False
    return (*arrays, height)


def _window(surface, domain):
    return domain or surface.domain


# ---------------------------------------------------------------------------------------------
# The map: contour, paths, markers.


def _spec(title: str, **layout) -> dict:
    """An empty figure spec with the theme and a title; builders append to its ``data``."""
    return {"data": [], "layout": {"template": THEME_SPEC, "title": {"text": title}, **layout}}


def _figure_from(spec: dict) -> go.Figure:
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


def _contour_trace(xs, ys, heights, height, scale=True) -> dict:
    trace = dict(
        type="contour", x=xs.astype(np.float32), y=ys.astype(np.float32), z=heights,
        colorscale=SURFACE_COLORS, ncontours=22, line=dict(color="#7a8290", width=1),
        showscale=scale, name="surface", showlegend=False,
        hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{height.hover} = %{{z:.3g}}<extra></extra>",
    )
    if scale:
        trace["colorbar"] = height.colorbar(heights)
    return trace


def _minima_traces(surface) -> list:
    """Filled stars for the global minima, open ones for the local: the deepest are solid. Where
    there are dozens (Rastrigin's egg box) they are drawn small, so the paths stay visible."""
    out = []
    for kind, marker in (("global", "star"), ("local", "star-open")):
        found = [m for m in surface.minima if m.kind == kind]
        if found:
            out.append(dict(
                type="scatter", x=[m.x for m in found], y=[m.y for m in found], mode="markers",
                name=f"{kind} minimum",
                marker=dict(symbol=marker, size=20 if len(found) <= 12 else 9, color="#000000",
                            line=dict(width=1.5, color="#000000")),
                hovertemplate=f"{kind} minimum<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            ))
    return out


def _marker_key() -> list:
    """Legend entries for the start and end markers, which every run shares."""
    return [
        dict(type="scatter", x=[None], y=[None], mode="markers", name="start",
             marker=dict(symbol="circle-open", size=14, color="#555555", line=dict(width=3))),
        dict(type="scatter", x=[None], y=[None], mode="markers", name="end",
             marker=dict(symbol="circle", size=12, color="#555555", line=dict(width=1.5, color="white"))),
    ]


def _run_markers(trace, x, y, colour, group) -> list:
    """Start, then end or divergence: a divergence mark sits at the last finite point, with its step."""
    last = finite_steps(trace) - 1
    # Plain floats, as validation used to make them: the same JSON, and no numpy scalars in the spec.
    (x0, y0), (x1, y1) = (float(x[0]), float(y[0])), (float(x[-1]), float(y[-1]))
    start = dict(
        type="scatter", x=[x0], y=[y0], mode="markers", legendgroup=group, showlegend=False, name="start",
        marker=dict(symbol="circle-open", size=14, color=colour, line=dict(width=3)),
        hovertemplate="start<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
    )
    if trace.diverged_at is None:
        end = dict(
            type="scatter", x=[x1], y=[y1], mode="markers", legendgroup=group, showlegend=False, name="end",
            marker=dict(symbol="circle", size=12, color=colour, line=dict(width=1.5, color="white")),
            hovertemplate=f"end, step {last}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        )
    else:
        end = dict(
            type="scatter", x=[x1], y=[y1], mode="markers+text", legendgroup=group, showlegend=False,
            name="diverged", marker=dict(symbol="x", size=18, color=colour, line=dict(width=1, color="white")),
            text=[f"diverged at step {trace.diverged_at}"], textposition="top center",
            textfont=dict(color=colour, size=16),
            hovertemplate=f"last finite point, step {last}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        )
    return [start, end]


def _map_axes(x0, x1, y0, y1) -> dict:
    """Axes of a map of the surface: fixed to the window, and at equal scale, because only then
    does each GD step cross the contours at right angles, as it does on the real surface."""
    return dict(xaxis=dict(title=dict(text="x"), range=[x0, x1], autorange=False, constrain="domain"),
                yaxis=dict(title=dict(text="y"), range=[y0, y1], autorange=False, constrain="domain",
                           scaleanchor="x", scaleratio=1))


def _mode(steps: np.ndarray) -> str:
    return "lines+markers" if len(steps) <= DOTS_UP_TO else "lines"


def contour(traces, surface=None, *, domain=None, title=None, resolution=GRID) -> go.Figure:
    """The surface from above with every run: its path, start, end or divergence mark, and the
    known minima (global filled, local open). ``domain`` overrides the surface's window."""
    surface = _surface(traces, surface)
    (x0, x1), (y0, y1) = _window(surface, domain)
    xs, ys, heights, height = _grid(surface, domain, resolution)
    spec = _spec(title or f"{surface.title}: trajectories", margin=dict(b=150), **_map_axes(x0, x1, y0, y1))
    data = spec["data"]
    data.append(_contour_trace(xs, ys, heights, height))
    for trace, text, (line, marker) in zip(traces, labels(traces), _styles(traces)):
        steps = _drawn(trace)
        x, y = trace.path[steps, 0], trace.path[steps, 1]
        data.append(dict(
            type="scatter", x=x, y=y, mode=_mode(steps), name=text, legendgroup=text, line=line,
            marker=dict(size=7, **marker), customdata=steps,
            hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
        ))
        data += _run_markers(trace, x, y, line["color"], text)
    data += _minima_traces(surface) + (_marker_key() if traces else [])
    return _figure_from(spec)


def surface_3d(traces, surface=None, *, domain=None, title=None, resolution=GRID_3D) -> go.Figure:
    """The surface in 3D with each path drawn on it (lifted a little, so it stays visible), cut
    where it leaves the window."""
    surface = _surface(traces, surface)
    (x0, x1), (y0, y1) = _window(surface, domain)
    xs, ys, heights, height = _grid(surface, domain, resolution)
    low, high = float(heights.min()), float(heights.max())
    lift = 0.02 * (high - low)
    spec = _spec(title or f"{surface.title} in 3D", scene=dict(
        xaxis=dict(title=dict(text="x"), range=[x0, x1]), yaxis=dict(title=dict(text="y"), range=[y0, y1]),
        zaxis=dict(title=dict(text=height.title), range=[low, high + 2 * lift]), aspectmode="manual",
        aspectratio=dict(x=1.2, y=1.2, z=0.7),
    ))
    data = spec["data"]
    data.append(dict(
        type="surface", x=xs.astype(np.float32), y=ys.astype(np.float32), z=heights, colorscale=SURFACE_COLORS,
        showscale=False, opacity=0.92, name="surface",
        contours=dict(z=dict(show=True, color="#7a8290", width=1)),
        hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>{height.hover} = %{{z:.3g}}<extra></extra>",
    ))
    for trace, text, (line, _) in zip(traces, labels(traces), _styles(traces)):
        steps = _drawn(trace)
        x, y = trace.path[steps, 0], trace.path[steps, 1]
        # WebGL draws nothing at all if one point is astronomically far: cut paths at the window.
        outside = (x < x0) | (x > x1) | (y < y0) | (y > y1)
        x, y, z = (np.where(outside, np.nan, v) for v in (x, y, height(trace.loss[steps]) + lift))
        data.append(dict(
            type="scatter3d", x=x, y=y, z=z, mode="lines", name=text, legendgroup=text,
            line=dict(width=7, **line), customdata=steps,
            hovertemplate="step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
        ))
        data.append(dict(
            type="scatter3d", x=[float(x[0]), float(x[-1])], y=[float(y[0]), float(y[-1])],
            z=[float(z[0]), float(z[-1])], mode="markers", legendgroup=text, showlegend=False,
            name="start and end",
            marker=dict(size=[7, 6], color=line["color"],
                        symbol=["circle-open", "x" if trace.diverged_at else "circle"]),
        ))
    return _figure_from(spec)


# ---------------------------------------------------------------------------------------------
# Curves against step.


def _positive(values: np.ndarray, scale: float) -> np.ndarray:
    """Values for a log axis: non-finite ones become gaps, and anything below the round-off of
    float64 at ``scale`` is drawn at that floor (0 itself cannot be drawn on a log axis)."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.maximum(values, np.finfo(np.float64).eps * max(1.0, abs(scale)))


#: On a log axis, a run that blows up leaves through the top, this many times above the highest
#: start, instead of squeezing every other run into a flat line at the bottom.
HEADROOM = 1e4


def _lines(traces, texts, values, log, axes=("x", "y"), legend=True) -> tuple:
    """One line per run of ``values(trace)`` against step, and the y range a log axis needs."""
    data, drawn, starts = [], [], []
    for trace, text, (line, marker) in zip(traces, texts, _styles(traces)):
        steps = thin(finite_steps(trace), CURVE_POINTS)
        y = values(trace)[steps]
        drawn.append(y)
        starts.append(y[0])
        data.append(dict(
            type="scatter", x=steps, y=y, mode=_mode(steps), name=text, legendgroup=text, showlegend=legend,
            line=line, marker=dict(size=7, **marker), xaxis=axes[0], yaxis=axes[1],
            hovertemplate="step %{x}<br>%{y:.4g}<extra></extra>",
        ))
    shown = np.concatenate(drawn) if drawn else np.empty(0)
    if not (log and np.isfinite(shown).any()):
        return data, None
    top = min(np.nanmax(shown), np.nanmax(starts) * HEADROOM)
    return data, [float(np.log10(np.nanmin(shown)) - 0.3), float(np.log10(top) + 0.3)]


def _curves(traces, texts, values, y_title, log, title) -> go.Figure:
    """One line per run of ``values(trace)`` against step, on a log or a linear axis."""
    spec = _spec(title, xaxis=dict(title=dict(text="step")),
                 yaxis=dict(title=dict(text=y_title), type="log" if log else "linear"))
    spec["data"], y_range = _lines(traces, texts, values, log)
    if y_range:
        spec["layout"]["yaxis"]["range"] = y_range
    return _figure_from(spec)


def _loss_values(traces, log):
    """The loss to plot and its axis title: J − J_min on a log axis (J can be negative, and its
    approach to the minimum spans decades), or J itself on a linear one."""
    surface = _surface(traces, None)
    if not log:
        return (lambda t: np.where(np.isfinite(t.loss), t.loss, np.nan)), "J"
    floor = lowest(surface)
    return (lambda t: _positive(t.loss - floor, floor)), f"{_excess(surface)} (log scale)"


def loss_curves(traces, *, log=True, title=None) -> go.Figure:
    """The loss of each run against step."""
    values, y_title = _loss_values(traces, log)
    return _curves(traces, labels(traces), values, y_title, log, title or "Loss against step")


def learning_rates(traces, names=None, *, log=False, title=None) -> go.Figure:
    """The article's figure 4: the loss of one optimizer at several α, each run named by how its
    α compares ("very high", "good", …). Linear by default, as the article draws it."""
    if len({t.optimizer for t in traces}) > 1:
        raise ValueError("learning_rates compares one optimizer at several α")
    texts = labels(traces)
    if names:
        texts = [f"{name}: {text}" for name, text in zip(names, texts)]
    values, y_title = _loss_values(traces, log)
    return _curves(traces, texts, values, y_title, log, title or "Loss against step at several learning rates")


def _distance(surface):
    """A run's distance to the nearest known minimum at each step: the minimum it heads for can
    change on the way, so each step is measured to whichever is nearest."""
    minima = np.array([(m.x, m.y) for m in surface.minima])

    def distance(trace):
        gaps = trace.path[:, None, :] - minima[None, :, :]
        return _positive(np.hypot(gaps[..., 0], gaps[..., 1]).min(axis=1), 1.0)

    return distance


DISTANCE_TITLE = "distance to nearest minimum (log)"


def distance_curves(traces, *, title=None) -> go.Figure:
    """Each run's distance to the nearest known minimum against step (log scale)."""
    return _curves(traces, labels(traces), _distance(_surface(traces, None)), DISTANCE_TITLE, True,
                   title or "Distance to the nearest minimum")


def progress(traces, *, title=None) -> go.Figure:
    """The loss and the distance to the nearest minimum against step, side by side in one chart
    (one chart redraws faster than two when a slider moves), with one legend for both."""
    loss, loss_title = _loss_values(traces, True)
    texts = labels(traces)
    spec = _spec(
        title or "Loss and distance to the nearest minimum",
        xaxis=dict(title=dict(text="step"), domain=[0.0, 0.42]),
        yaxis=dict(title=dict(text=loss_title), type="log", dtick=1),
        xaxis2=dict(title=dict(text="step"), domain=[0.6, 1.0], anchor="y2"),
        yaxis2=dict(title=dict(text=DISTANCE_TITLE), type="log", anchor="x2", dtick=1),
    )
    for panel, values in ((1, loss), (2, _distance(_surface(traces, None)))):
        suffix = "" if panel == 1 else "2"
        data, y_range = _lines(traces, texts, values, True, (f"x{suffix}", f"y{suffix}"), legend=panel == 1)
        spec["data"] += data
        if y_range:
            spec["layout"][f"yaxis{suffix}"]["range"] = y_range
    return _figure_from(spec)


# ---------------------------------------------------------------------------------------------
# The race, played in the browser.


def race_animation(traces, surface=None, *, domain=None, title=None, frames=FRAMES,
                   resolution=GRID) -> go.Figure:
    """The runs move together step by step, with play/pause and a step slider. The browser plays
    the frames itself: no server round trip per step. Long runs are shown at ``frames`` evenly
    spaced steps; a diverged run stops at its last finite point, marked with an x."""
    surface = _surface(traces, surface)
    (x0, x1), (y0, y1) = _window(surface, domain)
    xs, ys, heights, height = _grid(surface, domain, resolution)
    spec = _spec(title or f"{surface.title}: the race", **_map_axes(x0, x1, y0, y1))
    data = spec["data"]
    data.append(_contour_trace(xs, ys, heights, height, scale=False))
    moving = []
    for trace, text, (line, _) in zip(traces, labels(traces), _styles(traces)):
        moving += [len(data), len(data) + 1]  # its trail and its ball
        start = trace.path[:1]
        data.append(dict(type="scatter", x=start[:, 0], y=start[:, 1], mode="lines", name=text, legendgroup=text,
                         line=line))
        data.append(dict(type="scatter", x=start[:, 0], y=start[:, 1], mode="markers", legendgroup=text,
                         showlegend=False, name="ball",
                         marker=dict(size=16, color=line["color"], line=dict(width=2, color="white"))))

    data += _minima_traces(surface)
    shown = thin(max(len(t.path) for t in traces), frames)
    spec["frames"] = [dict(data=_frame(traces, shown, step), name=str(step), traces=list(moving))
                      for step in shown]
    spec["layout"].update(
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.12, xanchor="left", yanchor="top",
                          showactive=False, buttons=[
                              dict(label="▶ Play", method="animate",
                                   args=[None, dict(frame=dict(duration=60, redraw=False), fromcurrent=True,
                                                    transition=dict(duration=0), mode="immediate")]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                      transition=dict(duration=0), mode="immediate")]),
                          ])],
        sliders=[dict(active=0, x=0.22, len=0.78, y=-0.08, yanchor="top",
                      currentvalue=dict(prefix="step ", xanchor="right", font=dict(size=16)),
                      steps=[dict(label=str(step), method="animate",
                                  args=[[str(step)], dict(frame=dict(duration=0, redraw=False),
                                                          transition=dict(duration=0), mode="immediate")])
                             for step in shown])],
        margin=dict(b=150),
    )
    return _figure_from(spec)


def _frame(traces, shown, step) -> list:
    """Each run's trail and ball at ``step`` (clamped to its last finite point)."""
    data = []
    for trace in traces:
        last = finite_steps(trace) - 1
        now = min(int(step), last)
        trail = np.unique(np.minimum(shown[shown <= step], last))
        stopped = trace.diverged_at is not None and step > last
        data.append(dict(type="scatter", x=trace.path[trail, 0], y=trace.path[trail, 1]))
        data.append(dict(type="scatter", x=trace.path[[now], 0], y=trace.path[[now], 1],
                         marker=dict(symbol="x" if stopped else "circle")))
    return data


# ---------------------------------------------------------------------------------------------
# The ball on a curve: the article's 1D pictures (figures 2, 3, 5, 7).


def _toward_minimum(surface, start) -> np.ndarray:
    """From the start toward the nearest global minimum, the way the ball is meant to roll."""
    target = min(surface.global_minima, key=lambda m: np.hypot(m.x - start[0], m.y - start[1]))
    direction = np.array([target.x, target.y]) - start
    return direction if np.hypot(*direction) > 0 else np.array([1.0, 0.0])


def _segment(start, direction, domain) -> tuple:
    """The stretch of the line start + s·direction inside the window's box, as (s_min, s_max)."""
    low, high = -np.inf, np.inf
    for axis, (lo, hi) in enumerate(domain):
        if direction[axis] == 0:
            continue
        a, b = (lo - start[axis]) / direction[axis], (hi - start[axis]) / direction[axis]
        low, high = max(low, min(a, b)), min(high, max(a, b))
    return low, high


def ball(traces, direction=None, surface=None, *, domain=None, title=None, resolution=400) -> go.Figure:
    """The loss along the line through the first run's start in ``direction`` (default: toward
    the nearest global minimum), with each run's steps as dots on that curve.

    A path that leaves the line is projected onto it, and the figure then says by how much, so a
    2D run is never passed off as a 1D one.
    """
    surface = _surface(traces, surface)
    origin = traces[0].path[0]
    d = np.asarray(direction if direction is not None else _toward_minimum(surface, origin), dtype=np.float64)
    d = d / np.hypot(*d)
    low, high = _segment(origin, d, _window(surface, domain))
    s = np.linspace(low, high, resolution)
    curve = surfaces.evaluate(surface, origin[0] + s * d[0], origin[1] + s * d[1])
    spec = _spec(
        title or f"{surface.title}: the loss along a line",
        xaxis=dict(title=dict(text=f"along the line from ({number(origin[0])}, {number(origin[1])}) "
                                   f"toward ({number(d[0])}, {number(d[1])})"),
                   range=[float(low), float(high)]),
        yaxis=dict(title=dict(text="J")),
    )
    data = spec["data"]
    data.append(dict(type="scatter", x=s, y=curve.astype(np.float32), mode="lines", name="J along the line",
                     line=dict(color="#777777", width=2.5), hoverinfo="skip"))
    off_line = 0.0
    for trace, text, (line, marker) in zip(traces, labels(traces), _styles(traces)):
        steps = _drawn(trace)
        offsets = trace.path[steps] - origin
        along = offsets @ d
        off_line = max(off_line, float(np.abs(offsets[:, 0] * d[1] - offsets[:, 1] * d[0]).max()))
        on_curve = surfaces.evaluate(surface, origin[0] + along * d[0], origin[1] + along * d[1])
        data.append(dict(
            type="scatter", x=along, y=on_curve, mode="lines+markers", name=text, legendgroup=text,
            line=dict(width=1.5, **line), marker=dict(size=11, **marker),
            customdata=steps, hovertemplate="step %{customdata}<br>J=%{y:.4g}<extra></extra>",
        ))
        data += _run_markers(trace, along, on_curve, line["color"], text)
    data += _marker_key()
    if off_line > 1e-9 * (high - low):
        spec["layout"]["annotations"] = [dict(
            text=f"steps projected onto the line; the paths leave it by up to {number(off_line)}",
            xref="paper", yref="paper", x=0, y=1.0, xanchor="left", yanchor="bottom",
            showarrow=False, font=dict(size=15, color="#555555"),
        )]
    return _figure_from(spec)


# ---------------------------------------------------------------------------------------------
# The training race on Fashion-MNIST.

_RACE_PANELS = (("loss", "training loss"), ("val_loss", "validation loss"),
                ("accuracy", "training accuracy"), ("val_accuracy", "validation accuracy"))
#: The gaps between the race's 2 × 2 panels, as fractions of the plot area.
_RACE_SPACING = (0.09, 0.12)  # horizontal, vertical


def _race_layout() -> dict:
    """The axes and panel titles of the race's 2 × 2 grid, as ``make_subplots(rows=2, cols=2,
    shared_xaxes=True, ...)`` lays them out (tests/test_figures.py holds it to that): panel k is
    row k // 2, column k % 2, on axes x{k+1}/y{k+1} ("x"/"y" for the first); each column's
    upper panel follows its lower one's x range and leaves the tick labels to it."""
    def domains(spacing):
        size = (1.0 - spacing) / 2
        return [(0.0, size), (size + spacing, min(size + spacing + size, 1.0))]

    columns, rows = domains(_RACE_SPACING[0]), domains(_RACE_SPACING[1])[::-1]  # rows top down
    layout, annotations = {}, []
    for panel, (_, name) in enumerate(_RACE_PANELS):
        row, col = divmod(panel, 2)
        suffix = str(panel + 1) if panel else ""
        x_domain, y_domain = columns[col], rows[row]
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", domain=list(x_domain))
        layout[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=list(y_domain))
        if row == 0:
            layout[f"xaxis{suffix}"].update(matches=f"x{panel + 3}", showticklabels=False)
        annotations.append(dict(font=dict(size=16), showarrow=False, text=name, x=sum(x_domain) / 2.0,
                                xanchor="center", xref="paper", y=y_domain[1], yanchor="bottom", yref="paper"))
    layout["annotations"] = annotations
    return layout


def training_race(results: dict, *, hyper=None, title=None) -> go.Figure:
    """Training and validation loss and accuracy against epoch, one colour per optimizer, with
    the smoothed within-epoch training loss as a thin line in the training-loss panel.

    ``results`` maps each optimizer to its lists (one entry per finished epoch, so they may be
    partial while the race runs); epoch k's values sit at x = k, the end of that epoch, and the
    smoothed loss at its own position in epochs. ``hyper`` (optimizer → hyper-parameters) puts
    the settings in the legend.

    The figure is a plain spec with the grid's axes written out, not a ``make_subplots`` figure,
    so ``add_trace(..., row=, col=)`` does not work on it: give ``xaxis``/``yaxis`` instead.
    """
    spec = _spec(title or "The training race on Fashion-MNIST", **_race_layout())
    layout, data = spec["layout"], spec["data"]
    for col in (1, 2):
        layout[f"xaxis{col + 2}"]["title"] = dict(text="epoch")
    layout["yaxis"]["title"] = dict(text="loss")
    layout["yaxis3"]["title"] = dict(text="accuracy")
    for optimizer, result in results.items():
        colour = color(optimizer)
        notes = [f"diverged at step {result['diverged_at']}"] if result.get("diverged_at") is not None else []
        text = run_label(optimizer, (hyper or {}).get(optimizer, {}), notes=notes)
        for panel, (metric, _) in enumerate(_RACE_PANELS):
            values = np.asarray(result.get(metric, []), dtype=np.float64)
            suffix = str(panel + 1) if panel else ""
            data.append(dict(
                type="scatter", x=np.arange(1, len(values) + 1), y=values, mode="lines+markers", name=text,
                legendgroup=optimizer, showlegend=panel == 0, line=dict(color=colour),
                marker=dict(size=7, color=colour),
                hovertemplate=f"epoch %{{x}}<br>%{{y:.4g}}<extra>{OPTIMIZERS[optimizer].title}</extra>",
                xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            ))
        smoothed = np.asarray(result.get("smoothed") or np.empty((0, 2)), dtype=np.float64).reshape(-1, 2)
        rows = thin(len(smoothed), CURVE_POINTS)
        data.append(dict(
            type="scatter", x=smoothed[rows, 0], y=smoothed[rows, 1], mode="lines", legendgroup=optimizer,
            showlegend=False, name=f"{OPTIMIZERS[optimizer].title}, smoothed within epochs", opacity=0.55,
            line=dict(color=colour, width=1.5), hoverinfo="skip", xaxis="x", yaxis="y",
        ))
    return _figure_from(spec)


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
    with no server involved; no Plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": image, "filename": figure_name(fig), "scale": IMAGE_SCALE,
                                 "width": SLIDE[0], "height": SLIDE[1]},
    }

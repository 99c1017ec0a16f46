"""The Maps page: for which settings an optimizer converges, and from which starts it reaches which minimum.

A stability map runs one optimizer with every cell of a grid over one or two of its
hyper-parameters; a basin map runs one or two optimizers from every start of a grid over the
surface. A click on a cell draws that run on the surface beside the map, with a link that opens it
in the lab. The page is a function of one :class:`MapView`: the widgets make it, and its query
string is the page's URL, so a link reopens exactly this map; a link is read strictly (see
:func:`from_query`) and can never ask for more work than :data:`MAX_WORK`.

Every optimizer of the registry and every hyper-parameter it takes can be an axis: the widgets,
ranges and checks come from the registry's table of hyper-parameters (``optviz.optimizers.HYPERS``).
"""

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import partial
from urllib.parse import urlencode

import numpy as np
import streamlit as st

import surfaces
from optviz import plots
from optviz.engine import maps
from optviz.optimizers import HYPERS, LIBRARIES, OPTIMIZERS, resolve
from optviz.plots import maps as map_plots
from optviz.presets import PRESETS
from optviz.scenario import Scenario, run
from optviz.scenario import to_query as lab_query
from ui.common import KEEP, notices, show, stops, traced

KINDS = {"stability": "Stability map", "basins": "Basin map"}
#: Cells a side.
SIZES = (50, 100, 150, 200, 300)
MAX_STEPS = 5000
#: Cells × steps a map may take: about half a second on two cores, whatever a link or a widget asks.
MAX_WORK = 200_000_000
#: Maps with more work than this show a progress bar while they run.
PROGRESS_WORK = 40_000_000
#: Maps kept on the server for the next rerun or the next student (a 200 × 200 map is about 2 MB).
RECENT_MAPS = 16
NONE = "none"  # the y axis of a 1 × N strip, and "no second optimizer" on a basin map


@dataclass(frozen=True)
class MapView:
    """Everything that decides what the Maps page shows."""

    kind: str = "stability"
    surface: str = "ravine"
    optimizer: str = "momentum"
    versus: str | None = None  # a basin map's second optimizer, on the same grid
    convention: str = "keras"
    x: tuple = ("lr", 0.001, 10.0)  # a stability map's axes: (name, low, high)
    y: tuple | None = ("momentum", 0.0, 0.99)
    #: optimizer -> {hyper-parameter: value}, only where it differs from the convention's default
    hyper: dict = field(default_factory=dict)
    size: int = 200
    steps: int = 500
    start: tuple | None = None  # a stability map's start; None: the surface's own
    cell: tuple | None = None  # the picked (row, column)

    @property
    def optimizers(self) -> tuple:
        return (self.optimizer,) if self.kind == "stability" or self.versus is None else (self.optimizer, self.versus)

    @property
    def axes(self) -> tuple:
        return (self.x,) if self.y is None else (self.x, self.y)

    def settings(self, optimizer: str) -> dict:
        """The optimizer's hyper-parameters on this map: its own, without the axes of a stability map."""
        own = resolve(optimizer, self.convention, **self.hyper.get(optimizer, {}))
        if self.kind == "stability":
            for name, _, _ in self.axes:
                own.pop(name, None)
        return own

    @property
    def start_point(self) -> tuple:
        return self.start if self.start is not None else surfaces.get(self.surface).start

    @property
    def shape(self) -> tuple:
        """(rows, columns)."""
        return (1 if self.kind == "stability" and self.y is None else self.size), self.size

    @property
    def work(self) -> int:
        rows, columns = self.shape
        return rows * columns * self.steps * len(self.optimizers)


# ---------------------------------------------------------------------------------------------
# The link: the view as query parameters, and back.


def to_query(view: MapView) -> dict:
    """The view as query parameters (strings), leaving out what equals the default view."""
    default = MapView()
    query = {}
    for name in ("kind", "surface", "optimizer", "convention", "size", "steps"):
        if getattr(view, name) != getattr(default, name):
            query[name] = str(getattr(view, name))
    if view.kind == "basins" and view.versus:
        query["versus"] = view.versus
    if view.kind == "stability":
        for which in ("x", "y"):
            axis = getattr(view, which)
            if axis != getattr(default, which):
                query[which] = NONE if axis is None else ":".join([axis[0], _number(axis[1]), _number(axis[2])])
        if view.start is not None:
            query["start"] = ",".join(map(_number, view.start))
    for optimizer in view.optimizers:
        query.update({f"{optimizer}.{name}": _number(value) for name, value in view.hyper.get(optimizer, {}).items()})
    if view.cell is not None:
        query["cell"] = f"{view.cell[0]},{view.cell[1]}"
    return query


def _number(x: float) -> str:
    return repr(float(x)).removesuffix(".0")


def from_query(query: dict) -> tuple[MapView, list[str]]:
    """The view a link describes, and a notice for everything in it that was not used as is.

    Nothing a link says is trusted: unknown names are ignored, numbers are clamped to what the
    widgets allow, and the work is bounded (steps are lowered to fit :data:`MAX_WORK`).
    """
    said = {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(query).items()}
    notes, values = [], {}
    for name, allowed in (("kind", KINDS), ("surface", surfaces.SURFACES), ("optimizer", OPTIMIZERS)):
        if name in said:
            value = said.pop(name)
            if value in allowed:
                values[name] = value
            else:
                notes.append(f"Unknown {name} {value!r} ignored; the choices are: {', '.join(allowed)}.")
    view = replace(MapView(), **values)
    if "versus" in said:
        versus = said.pop("versus")
        if view.kind != "basins" or versus not in OPTIMIZERS:
            notes.append(f"versus={versus!r} ignored: a second optimizer goes on a basin map, and must be one of "
                         f"{', '.join(OPTIMIZERS)}.")
        else:
            view = replace(view, versus=versus)
    conventions = _conventions(view)
    if "convention" in said:
        convention = said.pop("convention")
        if convention in conventions:
            view = replace(view, convention=convention)
        else:
            notes.append(f"Unknown convention {convention!r} ignored; here the choices are: {', '.join(conventions)}.")
    elif view.convention not in conventions:
        view = replace(view, convention=conventions[0])
    given = {which: said.pop(which) for which in ("x", "y") if which in said}
    axes = {which: _axis_from(view, which, raw, notes) for which, raw in given.items()}
    view = replace(view, **{k: v for k, v in axes.items() if v != "ignored"})
    if view.y is not None and view.y[0] == view.x[0] and "y" in given:
        notes.append(f"y={given['y']!r} ignored: both axes would be {view.x[0]}.")
    view = _fit_axes(view)
    if "size" in said:
        raw = said.pop("size")
        size = _clamped(raw, "size", min(SIZES), max(SIZES), notes, integer=True)
        if size is not None:
            view = replace(view, size=min(SIZES, key=lambda s: abs(s - size)))
            if view.size != size:
                notes.append(f"size={raw} is not one of {', '.join(map(str, SIZES))}; {view.size} was used.")
    if "steps" in said:
        steps = _clamped(said.pop("steps"), "steps", 1, MAX_STEPS, notes, integer=True)
        view = view if steps is None else replace(view, steps=steps)
    if "start" in said:
        view = _start_from(view, said.pop("start"), notes)
    hyper = {}
    for key in [k for k in said if "." in k]:
        optimizer, name = key.split(".", 1)
        raw = said.pop(key)
        if optimizer not in view.optimizers or name not in OPTIMIZERS[optimizer].defaults(view.convention):
            notes.append(f"Parameter {key!r} ignored: no optimizer on this map takes it.")
            continue
        value = _clamped(raw, key, *HYPERS[name].lab, notes)
        if value is not None:
            hyper.setdefault(optimizer, {})[name] = value
    view = with_settings(view, hyper)
    if "cell" in said:
        view = _cell_from(view, said.pop("cell"), notes)
    for key in said:
        notes.append(f"Unknown parameter {key!r} ignored.")
    if view.work > MAX_WORK:
        steps = max(1, MAX_WORK // (view.work // view.steps))
        notes.append(f"{view.steps:,} steps on this map is more work than the page allows; {steps:,} were used.")
        view = replace(view, steps=steps)
    return view, notes


def with_settings(view: MapView, hyper: dict) -> MapView:
    """A copy with these hyper-parameters, storing only what differs from the convention's defaults."""
    kept = {}
    for optimizer in view.optimizers:
        defaults = OPTIMIZERS[optimizer].defaults(view.convention)
        own = {k: v for k, v in {**view.hyper.get(optimizer, {}), **hyper.get(optimizer, {})}.items()
               if k in defaults and v != defaults[k]}
        if own:
            kept[optimizer] = own
    return replace(view, hyper=kept)


def _conventions(view: MapView) -> list:
    """The conventions every optimizer of the view has."""
    return [c for c in OPTIMIZERS[view.optimizer].conventions if all(c in OPTIMIZERS[o].conventions
                                                                      for o in view.optimizers)]


def _takes(view: MapView) -> list:
    return list(OPTIMIZERS[view.optimizer].defaults(view.convention))


def default_range(name: str) -> tuple:
    """An axis over the widgets' whole range (from its smallest positive stop on a log scale)."""
    spec = HYPERS[name]
    low, high = spec.lab
    if spec.scale == "log" and low <= 0:
        low = min(s for s in spec.stops if s > 0)
    return name, low, high


def _fit_axes(view: MapView) -> MapView:
    """Axes the optimizer takes: the view's own where it does, else its first hyper-parameters."""
    takes = _takes(view)
    x = view.x if view.x[0] in takes else default_range(takes[0])
    y = view.y
    if y is not None and (y[0] not in takes or y[0] == x[0]):
        others = [name for name in takes if name != x[0]]
        y = default_range(others[0]) if others else None
    return replace(view, x=x, y=y)


def _axis_from(view: MapView, which: str, raw: str, notes: list):
    """The axis ``name:low:high`` of a link (None for no y axis), or "ignored" with a notice."""
    if which == "y" and raw == NONE:
        return None
    parts = raw.split(":")
    takes = _takes(view)
    if len(parts) != 3 or parts[0] not in takes:
        notes.append(f"{which}={raw!r} ignored: an axis is name:low:high, with a name {view.optimizer} takes "
                     f"({', '.join(takes)}).")
        return "ignored"
    name = parts[0]
    low, high = (_clamped(part, f"{which} axis's {name}", *default_range(name)[1:], notes) for part in parts[1:])
    if low is None or high is None or not low < high:
        notes.append(f"{which}={raw!r} ignored: its range must go from low to high.")
        return "ignored"
    return name, low, high


def _start_from(view: MapView, raw: str, notes: list) -> MapView:
    try:
        x, y = (float(part) for part in raw.split(","))
    except ValueError:
        notes.append(f"start={raw!r} is not two numbers 'x,y'; the surface's own start was used.")
        return view
    if not (math.isfinite(x) and math.isfinite(y)):
        notes.append(f"start={raw!r} is not finite; the surface's own start was used.")
        return view
    (x0, x1), (y0, y1) = surfaces.get(view.surface).domain
    start = (min(max(x, x0), x1), min(max(y, y0), y1))
    if start != (x, y):
        notes.append(f"start={raw} lies outside the surface's window; ({start[0]:g}, {start[1]:g}) was used.")
    return replace(view, start=start)


def _cell_from(view: MapView, raw: str, notes: list) -> MapView:
    rows, columns = view.shape
    try:
        row, column = (int(part) for part in raw.split(","))
    except ValueError:
        row = column = -1
    if not (0 <= row < rows and 0 <= column < columns):
        notes.append(f"cell={raw!r} ignored: a cell is 'row,column' within the {rows} × {columns} map.")
        return view
    return replace(view, cell=(row, column))


def _clamped(raw, name: str, low: float, high: float, notes: list, integer: bool = False):
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isnan(value) or (integer and not math.isfinite(value)):
        notes.append(f"{name}={raw!r} is not a number; ignored.")
        return None
    if integer and value != int(value):
        notes.append(f"{name}={raw} is not a whole number; {int(value)} was used.")
    value = int(value) if integer else value
    clamped = min(max(value, low), high)
    if clamped != value:
        notes.append(f"{name}={raw} is outside [{low:g}, {high:g}]; {clamped:g} was used.")
    return clamped


def lab_link(surface: str, runs: dict, start, steps: int, convention: str) -> str:
    """The lab's link for these runs ({optimizer: hyper-parameters}) from ``start``."""
    scenario = Scenario(surface=surface, runs=tuple(run(optimizer, **settings) for optimizer, settings in runs.items()),
                        steps=steps, start=tuple(start), convention=convention)
    return f"lab?{urlencode(lab_query(scenario))}"


# ---------------------------------------------------------------------------------------------
# What the article's figures claim, against a basin map.


def article_notes(basin_maps) -> list:
    """``(holds, text)`` for each figure of the article whose claim is about a run of one of these
    basin maps (the same surface, optimizer, settings, steps and convention): whether the claim
    holds from the figure's start, and where the runs end from every start of the map. A claim
    that holds from one start need not hold from the others."""
    found = []
    for b in basin_maps:
        minima = surfaces.get(b.surface).minima
        for preset in PRESETS.values():
            claimed = preset.runs[0]  # the run the caption is about; the others are for contrast
            if ((preset.surface, preset.steps, preset.convention, claimed.optimizer) !=
                    (b.surface, b.steps, b.convention, b.optimizer)
                    or resolve(claimed.optimizer, preset.convention, **claimed.hyper) != b.hyper):
                continue
            holds = bool(preset.verdict())
            ends = [f"in the {m.kind} minimum ({plots.number(m.x)}, {plots.number(m.y)}) from {share:.0%}"
                    for share, m in ((np.mean(b.minimum == i), m) for i, m in enumerate(minima)) if share > 0]
            if (b.minimum < 0).any():
                ends.append(f"in none from {np.mean(b.minimum < 0):.0%}")
            found.append((holds, f"**Fig. {preset.number}: {preset.title}.** From the figure's start "
                                 f"({plots.number(preset.start[0])}, {plots.number(preset.start[1])}) the claim "
                                 f"{'holds' if holds else 'does not hold'}. From the {b.minimum.size:,} starts of this "
                                 f"map, {OPTIMIZERS[b.optimizer].title} ends {', '.join(ends)} of them."))
    return found


# ---------------------------------------------------------------------------------------------
# The page.


def _key(name: str) -> str:
    return f"maps.{name}"


def _hyper_key(optimizer: str, name: str) -> str:
    return _key(f"{optimizer}.{name}")


def _range_keys(name: str) -> tuple:
    """The widgets of an axis's range: where it starts and where it ends."""
    return _key(f"axis.{name}.from"), _key(f"axis.{name}.to")


def load(view: MapView, messages=()) -> None:
    """Put a view into the widgets (from a link on a session's first run, or from a button)."""
    state = st.session_state
    state[_key("notices")] = list(messages)
    state.update({_key("kind"): view.kind, _key("surface"): view.surface, _key("optimizer"): view.optimizer,
                  _key("versus"): view.versus or NONE, _key("convention"): view.convention,
                  _key("size"): view.size, _key("steps"): view.steps, _key("x"): view.x[0],
                  _key("y"): NONE if view.y is None else view.y[0], _key("cell"): view.cell})
    state[_key("start_x")], state[_key("start_y")] = map(float, view.start_point)
    for name, *ends in view.axes:
        state.update(zip(_range_keys(name), ends))
    for optimizer in view.optimizers:
        state.update({_hyper_key(optimizer, name): value
                      for name, value in resolve(optimizer, view.convention, **view.hyper.get(optimizer, {})).items()})


def _ready() -> None:
    """Every widget the current choices show has a value: an optimizer's defaults, an axis's full range."""
    state = st.session_state
    view = _view_of_widgets(partial=True)
    for optimizer in view.optimizers:
        for name, value in OPTIMIZERS[optimizer].defaults(view.convention).items():
            state.setdefault(_hyper_key(optimizer, name), value)
    for name in _takes(view):
        for key, end in zip(_range_keys(name), default_range(name)[1:]):
            state.setdefault(key, end)


def _view_of_widgets(partial: bool = False) -> MapView:
    """The view the widgets describe (``partial``: before the hyper-parameter widgets have values)."""
    state = st.session_state
    versus = state[_key("versus")]
    view = MapView(kind=state[_key("kind")], surface=state[_key("surface")], optimizer=state[_key("optimizer")],
                   versus=None if versus == NONE else versus, convention=state[_key("convention")],
                   size=state[_key("size")], steps=state[_key("steps")], cell=state.get(_key("cell")))
    if partial:
        return view
    x, y = state[_key("x")], state[_key("y")]
    start = (state[_key("start_x")], state[_key("start_y")])
    view = replace(view, x=_range_of(x), y=None if y == NONE else _range_of(y),
                   start=None if start == tuple(surfaces.get(view.surface).start) else start)
    return with_settings(view, {o: {name: state[_hyper_key(o, name)] for name in
                                    OPTIMIZERS[o].defaults(view.convention)} for o in view.optimizers})


def _changed_choice() -> None:
    """After a new optimizer, convention or kind: conventions and axes that fit it, and no picked cell."""
    state = st.session_state
    view = _view_of_widgets(partial=True)
    conventions = _conventions(view)
    if state[_key("convention")] not in conventions:
        state[_key("convention")] = conventions[0]
    view = replace(view, convention=state[_key("convention")])
    fitted = _fit_axes(replace(view, x=(state[_key("x")], 0, 1),
                               y=None if state[_key("y")] == NONE else (state[_key("y")], 0, 1)))
    state[_key("x")], state[_key("y")] = fitted.x[0], NONE if fitted.y is None else fitted.y[0]
    _forget_cell()


def _changed_surface() -> None:
    state = st.session_state
    state[_key("start_x")], state[_key("start_y")] = map(float, surfaces.get(state[_key("surface")]).start)
    _forget_cell()


def _forget_cell() -> None:
    st.session_state[_key("cell")] = None


def _article_basins() -> None:
    """The article's figures 5 and 7 as one basin map: GD and Momentum from every start."""
    preset = PRESETS["fig7"]
    momentum, gd = preset.runs
    view = MapView(kind="basins", surface=preset.surface, optimizer=gd.optimizer, versus=momentum.optimizer,
                   convention=preset.convention, steps=preset.steps, size=200)
    load(with_settings(view, {gd.optimizer: gd.hyper, momentum.optimizer: momentum.hyper}))


def _value_widget(key: str, name: str, label: str, *, positive: bool = False, on_change=None) -> None:
    """A widget for one value of a hyper-parameter, moving as its table says: over its stops (the
    positive ones only for an end of a log axis), or in steps across the lab's range."""
    spec = HYPERS[name]
    if spec.scale == "log":
        grid = [s for s in spec.stops if s > 0 or not positive]
        st.select_slider(label, stops(grid, st.session_state[key]), key=key, format_func=plots.number,
                         on_change=on_change, **KEEP)
    else:
        decimals = max(0, -math.floor(math.log10(spec.step)))
        st.slider(label, *map(float, spec.lab), key=key, step=spec.step, format=f"%.{decimals}f", on_change=on_change,
                  **KEEP)


def _range_of(name: str) -> tuple:
    """An axis as its widgets set it, low end first whichever way they were dragged."""
    return name, *sorted(st.session_state[key] for key in _range_keys(name))


def _title(name: str) -> str:
    return f"{plots.symbol(name)}: {HYPERS[name].meaning}"


def _controls() -> None:
    state = st.session_state
    st.segmented_control("Map", list(KINDS), key=_key("kind"), format_func=KINDS.get, required=True,
                         on_change=_changed_choice, **KEEP)
    st.selectbox("Surface", list(surfaces.SURFACES), key=_key("surface"), on_change=_changed_surface,
                 format_func=lambda name: surfaces.get(name).title, **KEEP)
    basins = state[_key("kind")] == "basins"
    st.selectbox("Optimizer", list(OPTIMIZERS), key=_key("optimizer"), format_func=lambda o: OPTIMIZERS[o].title,
                 on_change=_changed_choice, **KEEP)
    if basins:
        st.selectbox("Beside it", [NONE, *OPTIMIZERS], key=_key("versus"), on_change=_changed_choice,
                     format_func=lambda o: "nothing" if o == NONE else OPTIMIZERS[o].title, **KEEP,
                     help="A second optimizer on the same grid of starts, with a map of where the two differ.")
    view = _view_of_widgets(partial=True)
    st.radio("Convention", _conventions(view), key=_key("convention"), horizontal=True, format_func=LIBRARIES.get,
             on_change=_changed_choice, **KEEP)
    st.select_slider("Cells a side", SIZES, key=_key("size"), on_change=_forget_cell, **KEEP)
    st.slider("Steps", 1, MAX_STEPS, key=_key("steps"), **KEEP)
    axes = []
    if not basins:
        takes = _takes(view)
        st.selectbox("Across (x)", takes, key=_key("x"), format_func=_title, on_change=_forget_cell, **KEEP)
        others = [NONE, *(name for name in takes if name != state[_key("x")])]
        if state[_key("y")] not in others:
            state[_key("y")] = NONE
        st.selectbox("Up (y)", others, key=_key("y"), on_change=_forget_cell, **KEEP,
                     format_func=lambda n: "nothing: a strip over x" if n == NONE else _title(n))
        axes = [state[_key("x")]] + ([] if state[_key("y")] == NONE else [state[_key("y")]])
        for name in axes:
            for key, end in zip(_range_keys(name), ("from", "to")):
                _value_widget(key, name, f"{plots.symbol(name)} {end}", positive=True, on_change=_forget_cell)
        (x0, x1), (y0, y1) = surfaces.get(state[_key("surface")]).domain
        left, right = st.columns(2)
        left.number_input("Start x", min_value=x0, max_value=x1, key=_key("start_x"), format="%.4g", **KEEP)
        right.number_input("Start y", min_value=y0, max_value=y1, key=_key("start_y"), format="%.4g", **KEEP)
    for optimizer in view.optimizers:
        entry = OPTIMIZERS[optimizer]
        fixed = [name for name in entry.defaults(view.convention) if name not in axes]
        if fixed:
            with st.expander(entry.title, expanded=True):
                for name in fixed:
                    _value_widget(_hyper_key(optimizer, name), name, _title(name))
    st.button("The article's figures 5 and 7, from every start", on_click=_article_basins,
              icon=":material/photo_library:", help="GD and Momentum on the two valleys, with the figures' settings: "
                                                   "from which starts does Momentum reach the deeper one?")


class _Recent:
    """The maps computed last on this server, shared by every session: a class moving a slider
    back and forth asks for the same few maps. (Not ``st.cache_data``: it would replay the progress
    bar, which lives outside the cached call.)"""

    def __init__(self, size: int):
        self.size, self.maps, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: tuple, compute):
        with self.lock:
            if key in self.maps:
                self.maps.move_to_end(key)
                return self.maps[key]
        found = compute()
        with self.lock:
            self.maps[key] = found
            while len(self.maps) > self.size:
                self.maps.popitem(last=False)
        return found


@st.cache_resource(show_spinner=False)
def _recent() -> _Recent:
    return _Recent(RECENT_MAPS)


def _computed(view: MapView) -> list:
    """The view's maps, remembered, with a progress bar while a large one runs."""
    bar = st.empty() if view.work > PROGRESS_WORK else None

    def one(optimizer):
        def progress(fraction, text):
            bar.progress(min(1.0, fraction), text=f"{OPTIMIZERS[optimizer].title}: {text}")

        common = dict(size=view.size, steps=view.steps, convention=view.convention, **view.settings(optimizer))
        if view.kind == "stability":
            call = partial(maps.stability, view.surface, optimizer, x=view.x, y=view.y,
                           start=tuple(view.start_point), **common)
        else:
            call = partial(maps.basins, view.surface, optimizer, **common)
        key = (call.func.__name__, call.args, tuple(call.keywords.items()))  # the call is its own key
        return _recent().get(key, partial(call, progress=progress if bar else None))

    try:
        return [one(optimizer) for optimizer in view.optimizers]
    finally:
        if bar:
            bar.empty()


def _pick(key: str, m) -> None:
    """A click on a map picks the cell under it (the chart's selection, read in its callback)."""
    points = st.session_state[key].selection.points
    if points:
        st.session_state[_key("cell")] = map_plots.cell_at(m, points[0]["x"], points[0]["y"])


def _stability_view(view: MapView, m) -> None:
    """The map across the page; below it the picked run on the surface, and where theory's line
    comes from."""
    show(map_plots.stability_map(m, picked=view.cell), "maps-stability", csv=lambda: map_plots.map_csv(m),
         height=560, on_select=lambda: _pick("maps-stability", m))
    left, right = st.columns(2, gap="medium")
    with right:
        found = maps.theory(m)
        if found:
            known, lam = found
            st.caption(f"The dashed line is the edge theory gives: {known.formula} with λ_max = {plots.number(lam)}, "
                       f"the largest eigenvalue of the surface's Hessian ({surfaces.get(m.surface).title} is a "
                       f"quadratic): {known.source}.")
    with left:
        if view.cell is None:
            st.info("Click a cell of the map to see its run on the surface.", icon=":material/touch_app:")
            return
        settings = m.settings(*view.cell)
        run = traced(m.surface, m.optimizer, tuple(m.start), m.steps, m.convention, tuple(settings.items()))
        _picked_runs(view, [m], [run], {m.optimizer: settings}, m.start)


def _picked_runs(view: MapView, found, runs, settings: dict, start) -> None:
    """The picked cell's runs on the surface, what each did, and a link to them in the lab."""
    show(map_plots.picked_runs(runs, view.surface, "The picked " + ("run" if view.kind == "stability" else "start")),
         "maps-run", height=480)
    for m in found:
        st.markdown(f"**{OPTIMIZERS[m.optimizer].title}**, {map_plots.where(m, *view.cell)}: "
                    f"{map_plots.describe(m, *view.cell)}.")
    st.link_button("Open in the lab", lab_link(view.surface, settings, start, view.steps, view.convention),
                   icon=":material/science:", help="The lab, in a new tab, with these runs from this start.")


def _basins_view(view: MapView, found) -> None:
    """One map beside the picked start's runs; or two maps across the page, then where they differ
    beside the picked start's runs."""
    cell = view.cell
    csv = lambda: map_plots.map_csv(*found)  # noqa: E731 (made only when downloaded)
    if len(found) == 2:
        show(map_plots.basin_comparison(*found, picked=cell), "maps-basins", csv=csv, height=680,
             on_select=lambda: _pick("maps-basins", found[0]))
    for holds, note in article_notes(found):
        (st.info if holds else st.warning)(note, icon=":material/photo_library:")
    left, right = st.columns(2, gap="medium")
    with left:
        if len(found) == 2:
            show(map_plots.basin_difference(*found, picked=cell), "maps-difference", height=560, csv=csv,
                 on_select=lambda: _pick("maps-difference", found[0]))
        else:
            show(map_plots.basin_map(found[0], picked=cell), "maps-basins", csv=csv, height=560,
                 on_select=lambda: _pick("maps-basins", found[0]))
    with right:
        if cell is None:
            st.info("Click a start on the map to see its runs on the surface.", icon=":material/touch_app:")
            return
        start = found[0].start(*cell)
        runs = [traced(b.surface, b.optimizer, start, b.steps, b.convention, tuple(b.hyper.items())) for b in found]
        _picked_runs(view, found, runs, {b.optimizer: b.hyper for b in found}, start)


def page() -> None:
    state = st.session_state
    if _key("kind") not in state:  # a new session: the URL decides where it starts
        load(*from_query(st.query_params.to_dict()))
    _ready()
    with st.sidebar:
        _controls()
    view = _view_of_widgets()
    query = to_query(view)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
    st.title(KINDS[view.kind] + "s")
    notices(state.pop(_key("notices"), []))
    if view.kind == "stability":
        st.caption("For which settings does it work at all? Each cell is one run from the same start, with that "
                   "cell's settings: blue where it reached a minimum (darker: sooner), vermillion where it diverged, "
                   "grey where it did neither in the steps it had.")
    else:
        st.caption("From which start does it reach which minimum? Each cell is one run from that start: coloured by "
                   "the minimum it reaches (paler: later), white where it reaches none.")
    if view.work > MAX_WORK:
        st.error(f"This map asks for {view.work:,} run-steps; the page allows {MAX_WORK:,}. Lower the steps or the "
                 "cells a side.", icon=":material/block:")
        return
    try:
        found = _computed(view)
    except ValueError as error:
        st.error(f"This map cannot be computed: {error}", icon=":material/block:")
        return
    if view.kind == "stability":
        _stability_view(view, found[0])
    else:
        _basins_view(view, found)
    st.caption("This page's address is a link to exactly this map, and to the picked cell.")

"""The surface lab: race optimizers on a surface, drag α and β, read the update rules, share a link.

The page is a function of one :class:`~optviz.scenario.Scenario`: the widgets make it, the
figures are drawn from it, and its query string is the page's URL, so a link reopens exactly
this lab. Every number comes from the engine (``optviz``); this module only lays it out.

The lab races a list of runs, and an optimizer may run several times (four α of GD, say). Each
run has an id that names its widgets: the optimizer's name for its first run ("adam.lr"), then
"adam-2", "adam-3", …. Every widget keeps its value for the whole session (``ui.common.KEEP``),
also while it is hidden (the shared α on) and while another page is open.

The main figure is sized to the window (``FIT``): at 1280 × 720 it shows whole, with the view
switch above it and its own controls, and it grows on a larger screen.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import surfaces
from optviz import plots
from optviz.engine.trajectory import REACHED, inspect_step
from optviz.engine.tuning import DEFAULT_OBJECTIVE, OBJECTIVES, starts_around, tune
from optviz.optimizers import CONVENTIONS, HYPERS, LIBRARIES, OPTIMIZERS
from optviz.plots import export
from optviz.plots.steps import MAP_HEIGHT, STEP_FRAMES, table_pixels
from optviz.plots.tuning import tuning_curves
from optviz.scenario import (LR_GRID, MAX_RUNS, MAX_STEPS, VIEWS, Run, Scenario, default_runs, follows, from_query,
                             recommended, snapped, start_grid, start_window, to_query)
from ui import warmup
from ui.common import KEEP, chart, export_menu, hyper_widget, notices, show, stops, traced

VIEW_NAMES = {"contour": "Map", "surface": "3D", "animation": "Animation", "steps": "Step by step"}
MAP_GRID = 100  # map points a side: the browser redraws the map faster than at the default 140
#: The page's room above the main figure (its padding, the title row, the lesson), in pixels, and
#: the least height of the figure: it takes the rest of the window's height (and the step-through
#: its table of numbers under that).
FIT = {"lab": (176, 440), "present": (124, 460)}
STYLE = """<style>
.stMainBlockContainer {{ padding: 4rem 1.5rem 2rem 1.5rem; }}
.st-key-main-figure {{ flex: 0 0 auto !important;
                       height: max({low}px, calc(100vh - {above}px + {below}px)) !important; }}
</style>"""
TUNING_STARTS = {1: "from this start", 9: "from 9 starts around it"}
#: Each view's main figure, from the runs and the surface.
MAIN_FIGURES = {
    "contour": lambda traces, surface: plots.contour(traces, surface, resolution=MAP_GRID),
    "surface": plots.surface_3d,
    "animation": lambda traces, surface: plots.race_animation(traces, surface, resolution=MAP_GRID),
    "steps": lambda traces, surface: plots.step_through(traces, surface, resolution=MAP_GRID),
}


def _key(run_id: str, name: str) -> str:
    return f"{run_id}.{name}"


def _optimizer(run_id: str) -> str:
    return run_id.split("-")[0]


def _new_id(optimizer: str, taken) -> str:
    """An id for another run of ``optimizer``: its name, else its name and the first free number."""
    if optimizer not in taken:
        return optimizer
    return next(f"{optimizer}-{n}" for n in range(2, MAX_RUNS + 2) if f"{optimizer}-{n}" not in taken)


def _set_run(run_id: str, settings: dict) -> None:
    for name, value in settings.items():
        st.session_state[_key(run_id, name)] = value


def load(scenario: Scenario, messages=()) -> None:
    """Put a scenario into the widgets (from a link on a session's first run, or from a preset)."""
    state = st.session_state
    state.link_notices = list(messages)
    state.update(surface=scenario.surface, steps=scenario.steps, convention=scenario.convention, view=scenario.view,
                 same_lr=scenario.same_lr, lr=scenario.lr, present=scenario.present, pick_start=False)
    state.start_x, state.start_y = map(float, scenario.start_point)
    _load_runs(scenario.runs)


def _load_runs(runs) -> None:
    ids = []
    for run in runs:
        ids.append(_new_id(run.optimizer, ids))
        _set_run(ids[-1], run.hyper)
    st.session_state.runs = ids


def _runs() -> tuple:
    """The runs the widgets describe."""
    state = st.session_state
    return tuple(Run(_optimizer(i), tuple((name, state[_key(i, name)]) for name in _taken(_optimizer(i))))
                 for i in state.runs)


def _taken(optimizer: str) -> tuple:
    """The hyper-parameters a run of ``optimizer`` takes in the convention it follows in the lab."""
    return tuple(OPTIMIZERS[optimizer].defaults(follows(optimizer, st.session_state.convention)))


def _scenario() -> Scenario:
    """The scenario the widgets describe."""
    state = st.session_state
    surface = surfaces.get(state.surface)
    start = (state.start_x, state.start_y)
    return Scenario(
        surface=state.surface, runs=_runs(), same_lr=state.same_lr, lr=state.lr if state.same_lr else Scenario.lr,
        steps=state.steps, convention=state.convention, view=state.view, present=state.present,
        start=None if start == surface.start else start,
    )


def _follow(old_surface: str, old_convention: str) -> None:
    """A new surface or convention: every setting still at the old recommendation moves to the new
    one, and runs still the old surface's own become the new surface's."""
    state = st.session_state
    if _runs() == Scenario(surface=old_surface, convention=old_convention).runs:
        _load_runs(default_runs(state.surface, state.convention))
        return
    for run_id in state.runs:
        optimizer = _optimizer(run_id)
        old = recommended(old_surface, optimizer, old_convention)
        new = recommended(state.surface, optimizer, state.convention)
        for name, value in new.items():  # also those the new convention takes and the old did not
            if state.get(_key(run_id, name)) in (None, old.get(name)):
                state[_key(run_id, name)] = value


def _follow_convention() -> None:
    state = st.session_state
    _follow(state.surface, state.previous_convention)


def _follow_surface() -> None:
    state = st.session_state
    _follow(state.previous_surface, state.convention)
    state.start_x, state.start_y = map(float, surfaces.get(state.surface).start)


def _add_run() -> None:
    """The optimizer picked in "Add a run" joins with the surface's recommended settings."""
    state = st.session_state
    optimizer, state.add_run = state.add_run, None
    if optimizer and len(state.runs) < MAX_RUNS:
        run_id = _new_id(optimizer, state.runs)
        _set_run(run_id, recommended(state.surface, optimizer, state.convention))
        state.runs = [*state.runs, run_id]


def _copy_run(run_id: str) -> None:
    """Another run of the same optimizer, just after it, with α two stops up the slider."""
    state = st.session_state
    if len(state.runs) >= MAX_RUNS:
        return
    optimizer = _optimizer(run_id)
    copy = _new_id(optimizer, state.runs)
    settings = {name: state[_key(run_id, name)] for name in _taken(optimizer)}
    higher = [lr for lr in LR_GRID if lr > settings["lr"]]
    settings["lr"] = higher[min(1, len(higher) - 1)] if higher else settings["lr"]
    _set_run(copy, settings)
    place = state.runs.index(run_id) + 1
    state.runs = [*state.runs[:place], copy, *state.runs[place:]]


def _remove_run(run_id: str) -> None:
    st.session_state.runs = [i for i in st.session_state.runs if i != run_id]


def _start_picking() -> None:
    st.session_state.clicked = None  # a new pick: any point may be clicked, also the last one


def _controls() -> None:
    state = st.session_state
    state.previous_surface, state.previous_convention = state.surface, state.convention
    st.selectbox("Surface", list(surfaces.SURFACES), key="surface", on_change=_follow_surface,
                 format_func=lambda name: surfaces.get(name).title, **KEEP)
    st.slider("Steps", 1, MAX_STEPS, key="steps", **KEEP)
    (x0, x1), (y0, y1) = start_window(surfaces.get(state.surface))
    left, right = st.columns(2)
    left.number_input("Start x", min_value=x0, max_value=x1, key="start_x", format="%.4g", **KEEP)
    right.number_input("Start y", min_value=y0, max_value=y1, key="start_y", format="%.4g", **KEEP)
    st.toggle("Pick the start on the map", key="pick_start", on_change=_start_picking, **KEEP,
              help="Then click on the map where the runs should start. (Off by default: the click targets "
                   "make every redraw slower.)")
    st.radio("Convention", CONVENTIONS, key="convention", horizontal=True, on_change=_follow_convention,
             format_func=LIBRARIES.get, help="Whose update rules and defaults the runs follow. An optimizer that "
             "library lacks follows its own first library, and its run says so.", **KEEP)
    st.toggle("Same α for all", key="same_lr", **KEEP)
    if state.same_lr:
        st.select_slider("α (all optimizers)", stops(LR_GRID, state.lr), key="lr", format_func=plots.number,
                         **KEEP)
    st.markdown(f"**Runs** ({len(state.runs)} of at most {MAX_RUNS})")
    counts = {}
    for run_id in state.runs:
        optimizer = _optimizer(run_id)
        counts[optimizer] = counts.get(optimizer, 0) + 1
        title = OPTIMIZERS[optimizer].title + (f" ({counts[optimizer]})" if counts[optimizer] > 1 else "")
        with st.expander(title, expanded=len(state.runs) <= 2):
            followed = follows(optimizer, state.convention)
            if followed != state.convention:
                st.caption(f"{LIBRARIES[state.convention]} has no {OPTIMIZERS[optimizer].title}: this run follows "
                           f"{LIBRARIES[followed]}.")
            for name in _taken(optimizer):
                if name == "lr" and state.same_lr:
                    continue
                _hyper_widget(run_id, title, name)
            with st.container(horizontal=True, gap="small"):
                st.button("Copy", key=f"copy-{run_id}", on_click=_copy_run, args=(run_id,), icon=":material/add:",
                          disabled=len(state.runs) >= MAX_RUNS, width="content",
                          help="Another run of this optimizer, just after this one: the same settings, α two "
                               "stops larger on its slider.")
                st.button("Remove", key=f"remove-{run_id}", on_click=_remove_run, args=(run_id,),
                          icon=":material/delete:", width="content")
    st.selectbox("Add a run", list(OPTIMIZERS), index=None, key="add_run", on_change=_add_run,
                 format_func=lambda o: OPTIMIZERS[o].title, placeholder="Add an optimizer…",
                 disabled=len(state.runs) >= MAX_RUNS,
                 help="It joins with this surface's recommended settings.")


def _hyper_widget(run_id: str, title: str, name: str) -> None:
    label = f"α: {title}" if name == "lr" else f"{plots.symbol(name)}: {HYPERS[name].meaning}"
    hyper_widget(label, _key(run_id, name), name)


def _traces(scenario: Scenario, record_state: bool = False) -> list:
    return [traced(scenario.surface, run.optimizer, tuple(scenario.start_point), scenario.steps,
                   follows(run.optimizer, scenario.convention), tuple(scenario.settings(index).items()), record_state)
            for index, run in enumerate(scenario.runs)]


def _count(value) -> str:
    return "—" if value is None else str(int(value))


def results(traces) -> pd.DataFrame:
    """A row per run: its final loss, the minimum it reached and from which step, or where it diverged."""
    rows = []
    for trace, label in zip(traces, plots.labels(traces)):
        minimum, step = trace.arrival() if trace.diverged_at is None else (None, None)
        rows.append({
            "run": label,
            "final loss J": plots.number(trace.loss[-1]) if np.isfinite(trace.loss[-1]) else "—",
            "minimum reached": minimum.kind if minimum else "none",
            "from step": _count(step),
            "diverged at step": _count(trace.diverged_at),
        })
    return pd.DataFrame(rows)


def _equations(scenario: Scenario) -> None:
    for optimizer in scenario.optimizers:
        entry = OPTIMIZERS[optimizer]
        spec = entry.conventions[follows(optimizer, scenario.convention)]
        st.markdown(f"**{entry.title}** ({entry.year}), as `{spec.call}` computes it, with "
                    "$g_t = \\nabla J(\\theta_{t-1})$")
        for line in spec.latex:
            st.latex(line)
        st.caption(entry.differences)


@st.cache_data(max_entries=64, show_spinner=False)
def _inspected(surface, optimizer, start, steps, convention, settings, t):
    run = traced(surface, optimizer, start, steps, convention, settings, record_state=True)
    return run.diverged_at, inspect_step(run, t) if run.diverged_at is None or t < run.diverged_at else None


def _inspector(scenario: Scenario, labels) -> None:
    """One step of one run: every quantity with its numbers (optviz.engine.trajectory.inspect_step)."""
    left, right = st.columns([1, 2])
    index = left.selectbox("Run", range(len(scenario.runs)), format_func=labels.__getitem__, key="inspect_run")
    index = min(index or 0, len(scenario.runs) - 1)
    step = right.slider("Step t", 1, scenario.steps, key="inspect_step") if scenario.steps > 1 else 1
    optimizer = scenario.runs[index].optimizer
    diverged, inspected = _inspected(scenario.surface, optimizer, tuple(scenario.start_point), scenario.steps,
                                     follows(optimizer, scenario.convention), tuple(scenario.settings(index).items()),
                                     step)
    if inspected is None:
        st.info(f"This run diverged at step {diverged}: there is nothing finite to inspect from there on.")
        return
    quantities, agrees = inspected
    st.table(pd.DataFrame([(plots.latex_text(k), *(plots.number(v) for v in np.broadcast_to(v, 2)))
                           for k, v in quantities.items()], columns=["quantity", "x", "y"]), hide_index=True)
    before, taken, after = quantities[r"\theta_{t-1}"], quantities["step"], quantities[r"\theta_t"]
    numbers = [f"({plots.number(v[0])},\\ {plots.number(v[1])})" for v in (before, taken, after)]
    st.latex(rf"\theta_{{{step}}} = {numbers[0]} - {numbers[1]} = {numbers[2]}")
    if agrees:
        st.caption("The readable rule above and the compiled kernel agree at this step.")
    else:
        st.error("The readable reference rule and the compiled kernel disagree at this step.")


def _tuning_key(scenario: Scenario) -> tuple:
    """What a tuning depends on: all but the runs' α (which it sets)."""
    others = tuple((r.optimizer, tuple((k, v) for k, v in r.settings if k != "lr")) for r in scenario.runs)
    return scenario.surface, scenario.steps, tuple(scenario.start_point), scenario.convention, others


@st.cache_data(max_entries=32, show_spinner=False)
def _tuned(surface, optimizer, starts, steps, convention, settings, objective):
    return tune(surface, optimizer, LR_GRID, starts=starts, steps=steps, convention=convention, objective=objective,
                **dict(settings))


def _tune(scenario: Scenario) -> None:
    """Give every run the α of the slider's grid that the chosen objective prefers."""
    state = st.session_state
    starts = starts_around(scenario.start_point, surfaces.get(scenario.surface), state.tuning_starts)
    tunings = []
    for run_id, run in zip(state.runs, scenario.runs):
        settings = tuple((k, v) for k, v in run.settings if k != "lr")
        tuning = _tuned(scenario.surface, run.optimizer, starts, scenario.steps,
                        follows(run.optimizer, scenario.convention), settings, state.tuning_objective)
        tunings.append(tuning)
        if tuning.lr is not None:
            state[_key(run_id, "lr")] = tuning.lr
    state.same_lr = False
    tuned = replace(scenario, same_lr=False, runs=_runs())
    state.tuned = (_tuning_key(tuned), tunings)


def _tuning(scenario: Scenario, labels) -> None:
    state = st.session_state
    left, middle, right = st.columns([2, 2, 1.4], vertical_alignment="bottom")
    left.selectbox("Objective", list(OBJECTIVES), index=list(OBJECTIVES).index(DEFAULT_OBJECTIVE),
                   format_func=OBJECTIVES.get, key="tuning_objective", **KEEP)
    middle.selectbox("Starts", list(TUNING_STARTS), format_func=TUNING_STARTS.get, key="tuning_starts", **KEEP)
    right.button("Tune α for every run", on_click=_tune, args=(scenario,), icon=":material/tune:")
    st.caption(f"Each run tries every α of the slider's grid ({plots.number(LR_GRID[0])} to "
               f"{plots.number(LR_GRID[-1])}) for the same {scenario.steps} steps (the Steps slider) and keeps the "
               "one with the lowest score; an α whose run diverges, ends above its start or leaves the window is "
               "never chosen.")
    key, tunings = state.get("tuned", (None, None))
    if key != _tuning_key(scenario):
        return
    failed = [label for label, t in zip(labels, tunings) if t.lr is None]
    if failed:
        st.warning("No α of the grid may be chosen for " + "; ".join(failed) + ": each diverges, ends above its "
                   "start, leaves the window or, for the steps objective, never reaches a minimum. Its α is kept.")
    show(tuning_curves(tunings, labels), "tuning-curves", height=520)


def page() -> None:
    state = st.session_state
    if "surface" not in state:  # a new session: the URL decides where it starts
        load(*from_query(st.query_params.to_dict()))
    state.update(state.pop("pending", {}))
    present = state.present
    above, low = FIT["present" if present else "lab"]
    if state.view == "steps":  # the step-through's map is laid out for MAP_HEIGHT, its numbers under it
        below = table_pixels(len(state.runs))
        low = max(low, MAP_HEIGHT) + below
    else:
        below = 0
    st.html(STYLE.format(above=above, low=low, below=below))
    if not present:
        with st.sidebar:
            _controls()
    scenario = _scenario()
    query = to_query(scenario)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)

    surface = surfaces.get(scenario.surface)
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        names = ", ".join(OPTIMIZERS[o].title for o in scenario.optimizers)
        st.markdown(f"#### {surface.title}: {names}" if present and names else f"#### {surface.title}", width="content")
        view = st.segmented_control("View", VIEWS, key="view", format_func=VIEW_NAMES.get, required=True,
                                    label_visibility="collapsed", **KEEP)
    notices(state.pop("link_notices", []))  # shown until the next change
    if not present:
        st.caption(surface.lesson)
    if not scenario.runs:
        st.info("Add a run in the sidebar.")
        return
    warmup.ensure(scenario.optimizers)
    traces = _traces(scenario, record_state=view == "steps")
    labels = plots.labels(traces)
    csv = lambda: export.traces_csv(traces)  # noqa: E731 (made only when downloaded)
    fig = MAIN_FIGURES[view](traces, surface)
    picking = view == "contour" and not present and state.pick_start
    shown = _clickable(plots.contour(traces, surface, resolution=MAP_GRID), surface) if picking else fig
    with st.container(key="main-figure"):  # as tall as the window allows (STYLE)
        event = chart(shown, f"main-{view}", selectable=picking, height="stretch")
    export_menu(fig, f"main-{view}", csv=csv)
    if picking:
        _click_to_start(event, surface)
    if view == "steps" and max(t.steps for t in traces) > STEP_FRAMES:
        st.caption(f"The step-through covers the first {STEP_FRAMES} steps; the step inspector below shows any step.")
    progress = plots.progress(traces)
    show(progress, "progress", csv=csv, height=int(progress.layout.height))
    if present:
        return

    st.subheader("Results")
    st.table(results(traces), border="horizontal", hide_index=True)
    st.caption(f"A run has reached a minimum from the step after which it stays within {REACHED:g} of it (the "
               "article's figures use the same rule).")
    if st.toggle("Tune α", key="tuning", help="Each run's best α of the slider's grid, by an objective you pick, "
                                            "with the whole curve behind the choice.", **KEEP):
        _tuning(scenario, labels)
    if st.toggle("Update rules", key="rules", help="Each optimizer's update, in the article's notation, and where "
                                                   "Keras and PyTorch differ.", **KEEP):
        _equations(scenario)
    if st.toggle("Step inspector", key="inspect", help="Every quantity of one step of one run, with its "
                                                       "numbers.", **KEEP):
        _inspector(scenario, labels)
    st.caption("This page's address is a link to exactly this lab; add `&present=1` to show the figures only.")


def _clickable(fig, surface):
    """Invisible points over the map, on the grid of starts it may pick, so that a click anywhere
    on it selects a place to start."""
    xs, ys = start_grid(surface)
    x, y = np.meshgrid(xs, ys)
    fig.add_scatter(x=x.ravel(), y=y.ravel(), mode="markers", marker=dict(size=12, opacity=0), showlegend=False,
                    hovertemplate="start here: (%{x:.3g}, %{y:.3g})<extra></extra>", name="start")
    return fig


def _click_to_start(event, surface) -> None:
    """A click on the map moves the start there (once per click: the selection outlives reruns)."""
    points = event.selection.points
    xs, ys = start_grid(surface)
    clicked = (snapped(points[0]["x"], xs), snapped(points[0]["y"], ys)) if points else None
    if clicked and clicked != st.session_state.get("clicked"):
        st.session_state.clicked = clicked
        # The start widgets are drawn already: their new values wait for the next run (see page()).
        st.session_state.pending = {"start_x": clicked[0], "start_y": clicked[1], "pick_start": False}
        st.rerun()

"""The surface lab: race optimizers on a surface, drag α and β, read the update rules, share a link.

The page is a function of one :class:`~optviz.scenario.Scenario`: the widgets make it, the
figures are drawn from it, and its query string is the page's URL, so a link reopens exactly
this lab. Every number comes from the engine (``optviz``); this module only lays it out.

Every widget keeps its value for the whole session (``ui.common.KEEP``), also while it is hidden
(an optimizer unticked, the shared α on) and while another page is open.
"""

import numpy as np
import pandas as pd
import streamlit as st

import surfaces
from optviz import plots
from optviz.plots import export
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.scenario import (LIMITS, LR_GRID, MAX_STEPS, VIEWS, Scenario, from_query, start_window,
                             to_query)
from optviz.engine.trajectory import best_lr, inspect_step
from ui import warmup
from ui.common import KEEP, beta_slider, notices, show, stops, traced

EPSILON_GRID = (0.0, *(10.0 ** e for e in range(-12, 1)))
VIEW_NAMES = {"contour": "Map", "surface": "3D", "animation": "Animation"}
TOLERANCE = 0.01  # of the window's width: "reached" a minimum
MAP_GRID = 100  # contour points a side: the browser redraws the map faster than at the default 140


def _key(optimizer: str, name: str) -> str:
    return f"{optimizer}.{name}"


def load(scenario: Scenario, messages=()) -> None:
    """Put a scenario into the widgets (from a link on a session's first run, or from a preset)."""
    state = st.session_state
    state.link_notices = list(messages)
    state.update(surface=scenario.surface, optimizers=list(scenario.optimizers), steps=scenario.steps,
                 convention=scenario.convention, view=scenario.view, same_lr=scenario.same_lr, lr=scenario.lr,
                 present=scenario.present, pick_start=False)
    state.start_x, state.start_y = map(float, scenario.start_point)
    for optimizer in OPTIMIZERS:
        for name, value in scenario.own_settings(optimizer).items():
            state[_key(optimizer, name)] = value


def _scenario() -> Scenario:
    """The scenario the widgets describe."""
    state = st.session_state
    surface = surfaces.get(state.surface)
    start = (state.start_x, state.start_y)
    scenario = Scenario(
        surface=state.surface, optimizers=tuple(state.optimizers), hyper={}, same_lr=state.same_lr,
        lr=state.lr if state.same_lr else Scenario.lr, steps=state.steps, convention=state.convention,
        view=state.view, present=state.present, start=None if start == surface.start else start,
    )
    for optimizer in scenario.optimizers:
        values = {name: state[_key(optimizer, name)] for name in OPTIMIZERS[optimizer].hyper}
        scenario = scenario.with_settings(optimizer, **values)
    return scenario


def _follow_convention() -> None:
    """Switching Keras/PyTorch moves every setting still at the old default to the new default."""
    state = st.session_state
    old = "torch" if state.convention == "keras" else "keras"
    for optimizer, entry in OPTIMIZERS.items():
        for name in entry.hyper:
            key = _key(optimizer, name)
            if state.get(key) == entry.defaults(old).get(name):
                state[key] = entry.defaults(state.convention).get(name, state.get(key))


def _follow_surface() -> None:
    state = st.session_state
    state.start_x, state.start_y = map(float, surfaces.get(state.surface).start)


def _start_picking() -> None:
    st.session_state.clicked = None  # a new pick: any point may be clicked, also the last one


def _controls() -> None:
    state = st.session_state
    st.selectbox("Surface", list(surfaces.SURFACES), key="surface", on_change=_follow_surface,
                 format_func=lambda name: surfaces.get(name).title, **KEEP)
    st.multiselect("Optimizers", list(OPTIMIZERS), key="optimizers", format_func=lambda o: OPTIMIZERS[o].title,
                   **KEEP)
    st.slider("Steps", 1, MAX_STEPS, key="steps", **KEEP)
    (x0, x1), (y0, y1) = start_window(surfaces.get(state.surface))
    left, right = st.columns(2)
    left.number_input("Start x", min_value=x0, max_value=x1, key="start_x", format="%.4g", **KEEP)
    right.number_input("Start y", min_value=y0, max_value=y1, key="start_y", format="%.4g", **KEEP)
    st.toggle("Pick the start on the map", key="pick_start", on_change=_start_picking, **KEEP,
              help="Then click on the map where the runs should start. (Off by default: the click targets "
                   "make every redraw slower.)")
    st.radio("Convention", ["keras", "torch"], key="convention", horizontal=True, on_change=_follow_convention,
             format_func={"keras": "Keras", "torch": "PyTorch"}.get, **KEEP)
    st.toggle("Same α for all", key="same_lr", **KEEP)
    if state.same_lr:
        st.select_slider("α (all optimizers)", stops(LR_GRID, state.lr), key="lr", format_func=plots.number,
                         **KEEP)
    for optimizer in state.optimizers:
        entry = OPTIMIZERS[optimizer]
        with st.expander(entry.title, expanded=len(state.optimizers) <= 2):
            for name in entry.hyper:
                if name == "lr" and state.same_lr:
                    continue
                _hyper_widget(optimizer, name)


def _hyper_widget(optimizer: str, name: str) -> None:
    key, label = _key(optimizer, name), f"{plots.symbol(name)} ({HYPERS[name].meaning})"
    value = st.session_state[key]
    if name == "lr":
        st.select_slider(f"α: {OPTIMIZERS[optimizer].title}", stops(LR_GRID, value), key=key,
                         format_func=plots.number, **KEEP)
    elif name == "epsilon":
        st.select_slider(label, stops(EPSILON_GRID, value), key=key, format_func=plots.number, **KEEP)
    elif name in ("initial_accumulator", "momentum_decay"):
        st.number_input(label, *LIMITS[name], key=key, format="%.4g", **KEEP)
    else:
        beta_slider(label, key, *LIMITS[name])


def _traces(scenario: Scenario) -> list:
    return [traced(scenario.surface, optimizer, tuple(scenario.start_point), scenario.steps, scenario.convention,
                   tuple(scenario.settings(optimizer).items()))
            for optimizer in scenario.optimizers]


def _results(scenario: Scenario, traces) -> pd.DataFrame:
    surface = surfaces.get(scenario.surface)
    tolerance = TOLERANCE * (surface.domain[0][1] - surface.domain[0][0])
    rows = []
    for trace, label in zip(traces, plots.labels(traces)):
        minimum, step = trace.arrival(tolerance) if trace.diverged_at is None else (None, None)
        rows.append({
            "run": label,
            "final loss": float(trace.loss[-1]),
            "minimum reached": minimum.kind if minimum else "none",
            f"first step within {plots.number(tolerance)}": step,
            "diverged at step": trace.diverged_at,
        })
    return pd.DataFrame(rows)


def _equations(scenario: Scenario) -> None:
    for optimizer in scenario.optimizers:
        entry = OPTIMIZERS[optimizer]
        st.markdown(f"**{entry.title}** ({entry.year}), {'PyTorch' if scenario.convention == 'torch' else 'Keras'} "
                    "convention, with $g_t = \\nabla J(\\theta_{t-1})$")
        for line in entry.conventions[entry.convention_for(scenario.convention)].latex:
            st.latex(line)
        st.caption(entry.differences)


@st.cache_data(max_entries=64, show_spinner=False)
def _inspected(surface, optimizer, start, steps, convention, settings, t):
    run = traced(surface, optimizer, start, steps, convention, settings, record_state=True)
    return run.diverged_at, inspect_step(run, t) if run.diverged_at is None or t < run.diverged_at else None


def _inspector(scenario: Scenario) -> None:
    """One step of one optimizer: every quantity with its numbers (optviz.engine.trajectory.inspect_step)."""
    left, right = st.columns([1, 2])
    optimizer = left.selectbox("Optimizer", scenario.optimizers, format_func=lambda o: OPTIMIZERS[o].title,
                               key="inspect_optimizer")
    step = right.slider("Step t", 1, scenario.steps, key="inspect_step") if scenario.steps > 1 else 1
    diverged, inspected = _inspected(scenario.surface, optimizer, tuple(scenario.start_point), scenario.steps,
                                     scenario.convention, tuple(scenario.settings(optimizer).items()), step)
    if inspected is None:
        st.info(f"This run diverged at step {diverged}: there is nothing finite to inspect from there on.")
        return
    quantities, agrees = inspected
    st.dataframe(pd.DataFrame([(f"${k}$", *np.broadcast_to(v, 2)) for k, v in quantities.items()],
                              columns=["quantity", "x", "y"]), hide_index=True, width="stretch")
    before, taken, after = quantities[r"\theta_{t-1}"], quantities["step"], quantities[r"\theta_t"]
    numbers = [f"({plots.number(v[0])},\\ {plots.number(v[1])})" for v in (before, taken, after)]
    st.latex(rf"\theta_{{{step}}} = {numbers[0]} - {numbers[1]} = {numbers[2]}")
    if agrees:
        st.caption("The readable rule above and the compiled kernel agree at this step.")
    else:
        st.error("The readable reference rule and the compiled kernel disagree at this step.")


def _tune(scenario: Scenario) -> None:
    """Give each optimizer the α of the slider's grid whose run ends lowest (a fair comparison)."""
    state = st.session_state
    picked = []
    for optimizer in scenario.optimizers:
        settings = {k: v for k, v in scenario.settings(optimizer).items() if k != "lr"}
        lr, loss = best_lr(scenario.surface, optimizer, LR_GRID, scenario.start_point, scenario.steps,
                           scenario.convention, **settings)
        state[_key(optimizer, "lr")] = lr
        picked.append(f"{OPTIMIZERS[optimizer].title}: α = {plots.number(lr)} (final loss {plots.number(loss)})")
    state.same_lr = False
    state.tuned = picked


def page() -> None:
    state = st.session_state
    if "surface" not in state:  # a new session: the URL decides where it starts
        load(*from_query(st.query_params.to_dict()))
    state.update(state.pop("pending", {}))
    present = state.present
    if not present:
        with st.sidebar:
            _controls()
    scenario = _scenario()
    query = to_query(scenario)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)

    surface = surfaces.get(scenario.surface)
    titles = ", ".join(OPTIMIZERS[o].title for o in scenario.optimizers)
    st.title(f"{surface.title}: {titles}" if present else surface.title)
    notices(state.pop("link_notices", []))  # shown until the next change
    if not present:
        st.caption(surface.lesson)
    view = st.segmented_control("View", VIEWS, key="view", format_func=VIEW_NAMES.get, required=True,
                                label_visibility="collapsed", **KEEP)
    if not scenario.optimizers:
        st.info("Pick at least one optimizer in the sidebar.")
        return
    warmup.ensure(scenario.optimizers)
    traces = _traces(scenario)
    csv = lambda: export.traces_csv(traces)  # noqa: E731 (made only when downloaded)
    if view == "contour":
        fig = plots.contour(traces, surface, resolution=MAP_GRID)
        picking = not present and state.pick_start
        event = show(_clickable(fig, surface) if picking else fig, "map", csv=csv, selectable=picking, height=640)
        if picking:
            _click_to_start(event)
    elif view == "surface":
        show(plots.surface_3d(traces, surface), "surface3d", csv=csv, height=640)
    else:
        show(plots.race_animation(traces, surface), "animation", csv=csv, height=680)
    show(plots.progress(traces), "progress", csv=csv, height=460)
    if present:
        return

    st.subheader("Results")
    st.table(_results(scenario, traces), border="horizontal", hide_index=True)
    left, right = st.columns([1, 3])
    left.button("Tune α for each optimizer", on_click=_tune, args=(scenario,),
                help="Runs every α of the slider's grid for each optimizer, from this start, and keeps the one "
                     "with the lowest final loss.")
    if state.get("tuned"):
        right.success("Picked by final loss after the same number of steps: " + "; ".join(state.pop("tuned")))
    if st.toggle("Update rules", key="rules", help="Each optimizer's update, in the article's notation, and where "
                                                   "Keras and PyTorch differ.", **KEEP):
        _equations(scenario)
    if st.toggle("Step inspector", key="inspect", help="Every quantity of one step of one optimizer, with its "
                                                       "numbers.", **KEEP):
        _inspector(scenario)
    st.caption("This page's address is a link to exactly this lab; add `&present=1` to show the figures only.")


def _clickable(fig, surface, count: int = 40):
    """Invisible points over the map, so that a click anywhere on it selects a place to start."""
    (x0, x1), (y0, y1) = surface.domain
    x, y = np.meshgrid(np.linspace(x0, x1, count, dtype=np.float32), np.linspace(y0, y1, count, dtype=np.float32))
    fig.add_scatter(x=x.ravel(), y=y.ravel(), mode="markers", marker=dict(size=12, opacity=0), showlegend=False,
                    hovertemplate="start here: (%{x:.3g}, %{y:.3g})<extra></extra>", name="start")
    return fig


def _click_to_start(event) -> None:
    """A click on the map moves the start there (once per click: the selection outlives reruns)."""
    points = event.selection.points
    clicked = (float(points[0]["x"]), float(points[0]["y"])) if points else None
    if clicked and clicked != st.session_state.get("clicked"):
        st.session_state.clicked = clicked
        # The start widgets are drawn already: their new values wait for the next run (see page()).
        st.session_state.pending = {"start_x": clicked[0], "start_y": clicked[1], "pick_start": False}
        st.rerun()

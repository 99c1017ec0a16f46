"""The article's figures: each preset with its claim, checked on the engine, and a way into the lab."""

import streamlit as st

from optviz.plots import export
from optviz.optimizers import OPTIMIZERS
from optviz.presets import PRESETS
from optviz.scenario import Scenario
from ui import lab, warmup
from ui.common import show

VIEW_TITLES = {"ball": "As the article draws it: the loss along a line", "contour": "On the surface, from above",
               "loss_curves": "Loss against step", "distance_curves": "Distance to the minimum",
               "race_animation": "Step by step", "learning_rates": "Loss against step", "surface_3d": "In 3D"}


def scenario(preset) -> tuple[Scenario, str]:
    """The lab scenario closest to a preset, and what the lab cannot show of it ("" if nothing)."""
    first = {}
    for run in preset.runs:
        first.setdefault(run.optimizer, run)
    note = ""
    if len(first) < len(preset.runs):
        kept = [r for r in preset.runs if r.name == "good α"] or [preset.runs[0]]
        first = {kept[0].optimizer: kept[0]}
        note = (f"The lab races one run per optimizer, so Fig. {preset.number}'s {len(preset.runs)} runs of "
                f"{OPTIMIZERS[kept[0].optimizer].title} open as the {kept[0].name or 'first'} one: drag α to see the "
                "others.")
    result = Scenario(surface=preset.surface, optimizers=tuple(first), hyper={}, steps=preset.steps,
                      start=tuple(preset.start), convention=preset.convention)
    for optimizer, run in first.items():
        result = result.with_settings(optimizer, **run.hyper)
    return result, note


@st.cache_data(max_entries=16, show_spinner=False)
def _computed(key: str):
    preset = PRESETS[key]
    traces = preset.traces()
    return traces, preset.check(traces)


def page(lab_page) -> None:
    st.title("The article's figures")
    st.caption("Each figure of the article, recomputed by optviz: the claim its caption makes, and whether it "
               "holds on the trajectories the engine computes.")
    keys = list(PRESETS)
    key = st.segmented_control("Figure", keys, default=keys[0], key="preset", required=True,
                               format_func=lambda k: f"Fig. {PRESETS[k].number}", label_visibility="collapsed")
    preset = PRESETS[key]
    warmup.ensure(run.optimizer for run in preset.runs)
    traces, verdict = _computed(preset.key)
    st.subheader(f"Fig. {preset.number}: {preset.title}")
    st.markdown(preset.caption)
    (st.success if verdict else st.error)(("The claim holds: " if verdict else "The claim does not hold: ")
                                           + verdict.evidence)
    if st.button("Open in the lab", icon=":material/science:", type="primary"):
        opened, note = scenario(preset)
        lab.load(opened, [note] if note else [])
        st.switch_page(lab_page)
    csv = lambda: export.traces_csv(traces)  # noqa: E731 (made only when downloaded)
    side_by_side, below = preset.views[:2], preset.views[2:]  # the first two views side by side, then the rest
    for column, view in zip(st.columns(len(side_by_side)), side_by_side):
        with column:
            st.markdown(f"**{VIEW_TITLES.get(view, view)}**")
            show(preset.figure(view, traces), f"{preset.key}-{view}", csv=csv, height=480)
    for view in below:
        st.markdown(f"**{VIEW_TITLES.get(view, view)}**")
        show(preset.figure(view, traces), f"{preset.key}-{view}", csv=csv, height=560)

"""The article's figures: each preset with its claim, checked on the engine, and a way into the lab."""

import streamlit as st

from optviz.plots import export
from optviz.presets import PRESETS
from optviz.scenario import Scenario
from ui import lab, warmup
from ui.common import show

VIEW_TITLES = {"ball": "As the article draws it: the loss along a line", "contour": "On the surface, from above",
               "loss_curves": "Loss against step", "distance_curves": "Distance to the minimum",
               "race_animation": "Step by step", "learning_rates": "Loss against step", "surface_3d": "In 3D"}
#: The views sit side by side where two fit at this width at least, else one above the other.
VIEW_WIDTH = 600
STYLE = f"""<style>
.stMainBlockContainer {{ padding: 4rem 1.5rem 2rem 1.5rem; }}
.st-key-views {{ flex-wrap: wrap !important; }}
.st-key-views > div {{ flex: 1 1 {VIEW_WIDTH}px !important; min-width: min({VIEW_WIDTH}px, 100%) !important; }}
</style>"""


def scenario(preset) -> Scenario:
    """The lab scenario of a preset: its surface, start, steps and every one of its runs."""
    return Scenario(surface=preset.surface, runs=preset.runs, steps=preset.steps, start=tuple(preset.start),
                    convention=preset.convention)


@st.cache_data(max_entries=16, show_spinner=False)
def _computed(key: str):
    preset = PRESETS[key]
    traces = preset.traces()
    return traces, preset.check(traces)


def page(lab_page) -> None:
    st.html(STYLE)
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
        lab.load(scenario(preset))
        st.switch_page(lab_page)
    csv = lambda: export.traces_csv(traces)  # noqa: E731 (made only when downloaded)
    with st.container(horizontal=True, key="views", gap="medium"):
        for view in preset.views:
            with st.container():
                st.markdown(f"**{VIEW_TITLES.get(view, view)}**")
                show(preset.figure(view, traces), f"{preset.key}-{view}", csv=csv, height=500)

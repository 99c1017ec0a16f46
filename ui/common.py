"""What the pages share: cached engine calls, showing a figure with its exports, and notices."""

import re

import streamlit as st

import optviz
from optviz import plots
from optviz.plots import export


@st.cache_data(max_entries=256, show_spinner=False)
def traced(surface: str, optimizer: str, start: tuple, steps: int, convention: str, settings: tuple,
           record_state: bool = False):
    """One run, remembered: a rerun that changes one optimizer's α recomputes that run only."""
    return optviz.trace(surface, optimizer, start=start, steps=steps, convention=convention,
                        record_state=record_state, **dict(settings))


@st.cache_resource(show_spinner=False)
def static_export_problem() -> str | None:
    """Why PNG/SVG cannot be made on the server (no Chromium), or None; checked once per process."""
    return export.static_export_problem()


def show(fig, key: str, *, csv=None, height: int | str = "content", selectable: bool = False, on_select=None):
    """A figure in the page, themed as exported, with a popover to download it.

    ``csv`` is the figure's data as CSV text (or a callable making it). PNG and SVG come from the
    server when it has a Chromium, and always from the chart's own camera button (PNG at 3×), at
    the figure's own slide size: ``height`` sizes the chart on the page only. A click on a point
    reruns the page if ``selectable``, or calls ``on_select`` first (the selection is then in
    ``st.session_state[key]``).
    """
    event = st.plotly_chart(
        fig, theme=None, config=plots.plotly_config(fig), key=key, height=height,
        on_select=on_select or ("rerun" if selectable else "ignore"), selection_mode="points",
    )
    with st.popover("Export", icon=":material/download:"):
        problem = static_export_problem()
        if problem:
            st.caption(f"PNG/SVG from the server are unavailable ({problem}); the camera icon on the chart "
                       "downloads a 3× PNG from the browser.")
        else:
            st.download_button("PNG (3×)", data=lambda: export.to_png(fig), file_name=export.filename(fig, "png"),
                               mime="image/png", key=f"{key}-png", on_click="ignore")
            st.download_button("SVG", data=lambda: export.to_svg(fig), file_name=export.filename(fig, "svg"),
                               mime="image/svg+xml", key=f"{key}-svg", on_click="ignore")
        st.download_button("Interactive HTML", data=lambda: export.to_html(fig),
                           file_name=export.filename(fig, "html"), mime="text/html", key=f"{key}-html",
                           on_click="ignore")
        if csv is not None:
            st.download_button("Data (CSV)", data=csv, file_name=export.filename(fig, "csv"), mime="text/csv",
                               key=f"{key}-csv", on_click="ignore")
    return event


#: Widgets keep their values for the whole session: while hidden (an optimizer unticked) and while
#: another page is open.
KEEP = dict(persist_state="session")


def stops(grid, value) -> list:
    """A log slider's stops, with the current value among them: a link or a preset may carry a value
    between the stops, and it is kept as it is, not rounded to the nearest stop."""
    return sorted({*grid, value})


def beta_slider(label: str, key: str, low: float, high: float) -> None:
    """A β-like slider: fine enough to reach 0.999 (and 0.9999 when the range goes that far)."""
    step = 0.0001 if high > 0.999 else 0.001
    st.slider(label, low, high, key=key, step=step, format="%.4f" if step < 0.001 else "%.3f", **KEEP)


#: Markdown's punctuation (and Streamlit's: colours, icons, LaTeX): escaped in text that came from a link.
_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def notices(messages) -> None:
    """What a link asked for that was not used as is: shown, never raised, and shown as the plain
    text it is (a link's words are never rendered as markup: no link, no formula, no formatting)."""
    for message in messages:
        st.warning(_MARKUP.sub(r"\\\1", message), icon=":material/link_off:")

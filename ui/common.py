"""What the pages share: cached engine calls, showing a figure with its exports, and notices."""

import math
import re
from functools import lru_cache
from pathlib import Path

import streamlit as st

import optviz
from optviz import plots
from optviz.optimizers import HYPERS
from optviz.plots import export


@lru_cache(maxsize=256)
def traced(surface: str, optimizer: str, start: tuple, steps: int, convention: str, settings: tuple,
           record_state: bool = False):
    """One run, remembered: a rerun that changes one run's α recomputes that run only. Shared by
    every session as it is (read-only), not copied: a 5,000-step run costs less to compute than
    ``st.cache_data`` spends copying it."""
    run = optviz.trace(surface, optimizer, start=start, steps=steps, convention=convention,
                       record_state=record_state, **dict(settings))
    for array in (run.path, run.loss, *(run.state or {}).values()):
        array.flags.writeable = False
    return run


@st.cache_resource(show_spinner=False)
def static_export_problem() -> str | None:
    """Why PNG/SVG cannot be made on the server (no Chromium), or None; checked once per process."""
    return export.static_export_problem()


def show(fig, key: str, *, csv=None, height: int | str = "content", selectable: bool = False, on_select=None):
    """A figure in the page, themed as exported, with a popover to download it under it."""
    event = chart(fig, key, height=height, selectable=selectable, on_select=on_select)
    export_menu(fig, key, csv=csv)
    return event


def chart(fig, key: str, *, height: int | str = "content", selectable: bool = False, on_select=None):
    """A figure in the page, themed as exported; ``height`` sizes the chart on the page only. A click
    on a point reruns the page if ``selectable``, or calls ``on_select`` first (the selection is
    then in ``st.session_state[key]``)."""
    return st.plotly_chart(
        fig, theme=None, config=plots.plotly_config(fig), key=key, height=height,
        on_select=on_select or ("rerun" if selectable else "ignore"), selection_mode="points",
    )


def export_menu(fig, key: str, *, csv=None) -> None:
    """A popover to download a figure: ``csv`` is its data as CSV text (or a callable making it).
    PNG and SVG come from the server when it has a Chromium, and always from the chart's own
    camera button (PNG at 3×), at the figure's own slide size."""
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
        if fig.frames:
            _animation_downloads(fig, key)
        st.download_button("Interactive HTML", data=lambda: export.to_html(fig),
                           file_name=export.filename(fig, "html"), mime="text/html", key=f"{key}-html",
                           on_click="ignore")
        if csv is not None:
            st.download_button("Data (CSV)", data=csv, file_name=export.filename(fig, "csv"), mime="text/csv",
                               key=f"{key}-csv", on_click="ignore")


@st.cache_resource(show_spinner=False)
def animation_export_problem(format: str) -> str | None:
    """Why an animation cannot be made into ``format`` (gif, mp4) on the server, or None; checked once."""
    return export.animation_export_problem(format)


def _animation_downloads(fig, key: str) -> None:
    """GIF and MP4 of an animation for slides, made when asked for (a few seconds each)."""
    missing = {}
    for format, mime, make in (("gif", "image/gif", export.to_gif), ("mp4", "video/mp4", export.to_mp4)):
        problem = animation_export_problem(format)
        if problem:
            missing.setdefault(problem, []).append(format.upper())
        else:
            st.download_button(format.upper(), data=lambda make=make: make(fig), file_name=export.filename(fig, format),
                               mime=mime, key=f"{key}-{format}", on_click="ignore")
    for problem, formats in missing.items():
        st.caption(f"{' and '.join(formats)} unavailable: {problem}.")


#: Widgets keep their values for the whole session: while hidden (an optimizer unticked) and while
#: another page is open.
KEEP = dict(persist_state="session")


def stops(grid, value) -> list:
    """A log slider's stops, with the current value among them: a link or a preset may carry a value
    between the stops, and it is kept as it is, not rounded to the nearest stop."""
    return sorted({*grid, value})


def hyper_widget(label: str, key: str, name: str) -> None:
    """The widget of hyper-parameter ``name`` as its table describes it (``optviz.optimizers.HYPERS``):
    a slider over its stops for a log scale, in its steps for a linear one, over its lab range."""
    hyper = HYPERS[name]
    if hyper.scale == "log":
        st.select_slider(label, stops(hyper.stops, st.session_state[key]), key=key, format_func=plots.number, **KEEP)
        return
    decimals = max(0, -math.floor(math.log10(hyper.step)))
    st.slider(label, *map(float, hyper.lab), key=key, step=hyper.step, format=f"%.{decimals}f", **KEEP)


#: Notices shown one by one; the rest are counted (a link may carry hundreds of unknown keys).
MAX_NOTICES = 5
#: Characters shown of one notice (a link may carry 100 KB in one value).
MAX_NOTICE_CHARS = 300




def notices(messages) -> None:
    """What a link asked for that was not used as is: shown, never raised.

    A notice quotes the link, which anyone can write, so it is shown as it is, never as Markdown (a
    link, an image or an icon in it stays text), and cut to :data:`MAX_NOTICE_CHARS`; beyond
    :data:`MAX_NOTICES`, the rest are counted.
    """
    messages = list(messages)
    for message in messages[:MAX_NOTICES]:
        st.warning(literal(message), icon=":material/link_off:")
    if len(messages) > MAX_NOTICES:
        st.warning(f"And {len(messages) - MAX_NOTICES} more parts of this link were not used as they are.",
                   icon=":material/link_off:")


def literal(text: str) -> str:
    """Markdown that shows ``text`` as it is, as one line of code, cut to :data:`MAX_NOTICE_CHARS`.

    A code span is the one place Markdown draws no link, image, icon or formula; line breaks and
    other control characters are written as escapes, since a blank line would end the span.
    """
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    if len(text) > MAX_NOTICE_CHARS:
        text = text[:MAX_NOTICE_CHARS - 1] + "…"
    fence = "`" * (1 + max(map(len, re.findall("`+", text)), default=0))  # longer than any run of ` inside
    return f"{fence} {text} {fence}"


#: A path in a text the server wrote (a data directory, a file in it, the store), absolute or from ~.
SERVER_PATH = re.compile(r"(?<![\w.:/])[~/][^\s'\"(),;:]*")


def public(text: str) -> str:
    """A text from the server as visitors may read it: each path cut to its last name, so that it
    names the file or directory and not where it lies on the server."""
    return SERVER_PATH.sub(lambda path: Path(path.group()).name or path.group(), text)

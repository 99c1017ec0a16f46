"""The race page's *Landscape* section: the finished race's loss on a plane through weight space,
with every optimizer's path on it, drawn in the background (``optviz.race.jobs.Landscapes``).

Its settings travel in the page's link beside the race's (:func:`to_query`, :func:`from_query`),
only where they differ from the defaults, so that a race's link stays as short as it was.
"""

import streamlit as st

from optviz.optimizers import OPTIMIZERS
from optviz.plots import landscape as figures
from optviz.race import jobs
from optviz.race.landscape import GRID, IMAGES, PLANES, Settings, explain
from ui.common import KEEP, public, show

#: How often a landscape being computed is looked at again (seconds).
REFRESH_SECONDS = 1.0
PLANE_NAMES = {"pca": "The paths' two main directions (PCA)", "endpoints": "Through the start and two solutions",
               "random": "Two random directions around a solution"}
GRIDS = (11, 21, 31, 41, 51, 75, 101)
IMAGE_COUNTS = (250, 500, 1000, 2000, 5000)
LOSS_NAMES = {"train": "Training images", "val": "Validation images"}
#: The link's keys: plane, through (optimizers, comma-separated), grid, images, loss.
DEFAULTS = {"plane": "pca", "through": "", "grid": GRID, "images": IMAGES, "loss": "train"}
CHOICES = {"plane": PLANES, "grid": GRIDS, "images": IMAGE_COUNTS, "loss": tuple(LOSS_NAMES)}
STATE_NOTICES = {"cancelled": st.warning, "failed": st.error, "interrupted": st.error}


def _key(name: str) -> str:
    return f"landscape.{name}"


def race_part(query: dict) -> dict:
    """A link without this section's keys: what the race's reader reads."""
    return {key: value for key, value in query.items() if key not in DEFAULTS}


def from_query(query: dict) -> list[str]:
    """Set the section's widgets from a link; a notice for every value that was not used."""
    state, messages = st.session_state, []
    for name, default in DEFAULTS.items():
        raw = query.get(name)
        raw = raw[-1] if isinstance(raw, list) else raw
        value = default
        if raw is not None and name == "through":
            names = [part for part in raw.split(",") if part]
            value = [part for part in names if part in OPTIMIZERS][:2]
            if len(value) < len(names):
                messages.append(f"through={raw!r}: a landscape goes through one or two optimizers of the race; "
                                f"{', '.join(value) or 'its first two'} used.")
        elif raw is not None:
            allowed = CHOICES[name]
            value = next((choice for choice in allowed if str(choice) == raw), None)
            if value is None:
                messages.append(f"{name}={raw!r} is not one of {', '.join(map(str, allowed))}; {default} was used.")
                value = default
        state[_key(name)] = value if name != "through" or value != "" else []
    return messages


def to_query() -> dict:
    """The section's settings for the page's link, those that differ from the defaults."""
    state, query = st.session_state, {}
    for name, default in DEFAULTS.items():
        value = state.get(_key(name), default)
        value = ",".join(value) if name == "through" else value
        if value != default:
            query[name] = str(value)
    return query


def section(store: jobs.Store, race: jobs.Job) -> None:
    """The section for the finished race ``race``: its settings, and its landscape if drawn."""
    st.subheader("Landscape")
    st.caption("The trained network's loss on a plane through its weight space, with every optimizer's path (its "
               "weights at the start, three times in the first epoch and after every epoch) drawn where it meets "
               "the plane.")
    try:
        settings = _controls(race.config.optimizers).for_race(race.config.optimizers)
    except ValueError as error:
        st.error(f"This landscape cannot be drawn: {error}.", icon=":material/block:")
        return
    landscapes = jobs.Landscapes(store)
    drawn = landscapes.job(race.config, settings)
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Draw the landscape", type="primary", icon=":material/landscape:",
                   disabled=drawn is not None and drawn.state in ("running", "finished")):
        try:
            drawn = landscapes.start(race, settings)
        except jobs.Refused as refusal:
            st.error(str(refusal), icon=":material/block:")
    if right.button("Cancel", icon=":material/stop:", key=_key("cancel"), disabled=drawn is None or not drawn.running):
        landscapes.cancel(race.config, settings)
    live = drawn is not None and drawn.running
    st.fragment(_view, run_every=REFRESH_SECONDS if live else None)(landscapes, race.config, settings, live)


def _controls(optimizers) -> Settings:
    state = st.session_state
    for name, default in DEFAULTS.items():
        state.setdefault(_key(name), [] if name == "through" else default)
    state[_key("through")] = [name for name in state[_key("through")] if name in optimizers][:2]
    if not state[_key("through")]:
        state[_key("through")] = list(optimizers[:2])
    plane, through, loss = st.columns([2, 2, 1])
    plane.selectbox("Plane", PLANES, key=_key("plane"), format_func=PLANE_NAMES.get, **KEEP)
    through.multiselect("Through", list(optimizers), key=_key("through"), max_selections=2,
                        format_func=lambda name: OPTIMIZERS[name].title, **KEEP,
                        help="The two solutions the plane goes through (a random plane is centred on the first "
                             "one's), and the two the straight line between solutions joins.")
    loss.radio("Loss on", list(LOSS_NAMES), key=_key("loss"), format_func=LOSS_NAMES.get, **KEEP)
    grid, images = st.columns(2)
    grid.select_slider("Grid points a side", GRIDS, key=_key("grid"), **KEEP)
    images.select_slider("Images of each set", IMAGE_COUNTS, key=_key("images"), **KEEP,
                         help="The loss is measured on a fixed sample of the training images and one of the "
                              "validation images, this many of each.")
    return Settings(plane=state[_key("plane")], through=tuple(state[_key("through")]), grid=state[_key("grid")],
                    images=state[_key("images")])


def _view(landscapes: jobs.Landscapes, race, settings: Settings, live: bool) -> None:
    """The landscape's state and figures, redrawn while it is computed."""
    try:
        drawn = landscapes.job(race, settings)
    except jobs.StoreError as error:
        st.error(f"The landscape cannot be shown: {error}")
        return
    if drawn is None:
        st.info("Press Draw the landscape to compute it on the server: a 51 × 51 grid on 1,000 images of each set "
                "takes some 15 seconds here.")
        return
    if live and not drawn.running:
        st.rerun()  # once, so that the buttons change and the refreshing stops
    if drawn.running:
        doing = "Stopping…" if drawn.cancelling else f"Computing the landscape: {drawn.progress:.0%}."
        st.progress(drawn.progress, text=doing)
        return
    if drawn.state != "finished":

        STATE_NOTICES[drawn.state](f"{public(drawn.reason)} Press Draw the landscape to compute it again.",
                                   icon=":material/info:")
        return
    result, which = drawn.result, st.session_state[_key("loss")]
    st.markdown(explain(result))
    held = ", ".join(f"{OPTIMIZERS[name].title} {share:.0%}" for name, share in result.explained["paths"].items())
    st.caption(f"Each path's movement the plane holds: {held}. Computed in {result.seconds:.1f} s on "
               f"{result.images['train']:,} training and {result.images['val']:,} validation images.")
    csv = lambda: figures.landscape_csv(result)  # made only when downloaded
    on_map, in_3d, lines = st.tabs(["Map", "3D", "Straight lines"])
    with on_map:
        show(figures.landscape_contour(result, which), "landscape-map", csv=csv, height=620)
    with in_3d:
        show(figures.landscape_3d(result, which), "landscape-3d", csv=csv, height=620)
    with lines:
        st.caption("The loss along the straight line from the first weights (t = 0) through each optimizer's solution "
                   "(t = 1), as Goodfellow et al. drew it, and between two solutions: a bump between them is a "
                   "barrier the straight line crosses.")
        show(figures.landscape_lines(result, which), "landscape-lines", csv=csv, height=580)

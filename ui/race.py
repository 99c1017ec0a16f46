"""The training race: the article's figure 16 trained live on the real network, its conclusions checked.

The race runs as a background job in ``optviz.race.jobs``; this page only makes its configuration
from the widgets, starts or cancels it, and draws what the store holds. The curves refresh in a
fragment while the race runs, so the rest of the page (and the server) stays still.
"""

import re
from dataclasses import replace
from pathlib import Path

import streamlit as st

from optviz import plots
from optviz.plots import export
from optviz.race import conclusions, jobs
from optviz.optimizers import OPTIMIZERS
from optviz.scenario import LIMITS, LR_GRID
from optviz.race.training import ARTICLE_HYPER, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_SEED, RaceConfig
from ui.common import KEEP, beta_slider, show, stops

#: How often the live curves are redrawn while a race runs (seconds). The article's race on the
#: full set writes a point of its smoothed loss about every second and ends an epoch every 15-20 s
#: here; every redraw costs the server some 40 ms per viewer, and a class has many.
REFRESH_SECONDS = 2.0
BATCH_SIZES = tuple(size for size in (8, 16, 32, 64, 128, 256, 512, 1024) if size <= MAX_BATCH_SIZE)
#: The article's figure 16: all eight optimizers with its settings (RaceConfig's defaults); the data
#: is the page's choice, the embedded subset until the user picks the full set.
ARTICLE = RaceConfig(data="embedded")
DATA_NAMES = {"embedded": "Embedded subset", "auto": "Full Fashion-MNIST"}
VERDICTS = {True: ":green[:material/check_circle: holds]", False: ":red[:material/cancel: does not hold]",
            None: ":gray[:material/help: cannot tell]"}
COLUMNS = {**{name: st.column_config.NumberColumn(format="%.4f") for name in
              ("validation accuracy", "validation loss", "training accuracy", "training loss")},
           "seconds per epoch": st.column_config.NumberColumn(format="%.2f")}
STATE_NOTICES = {"cancelled": st.warning, "failed": st.error, "interrupted": st.error}
#: A path in a text the server wrote (a data directory, a file in it, the store), absolute or from ~.
SERVER_PATH = re.compile(r"(?<![\w.:/])[~/][^\s'\"(),;:]*")


@st.cache_resource(show_spinner=False)
def _store(path: str) -> jobs.Store:
    """One store per file and server process (keyed by the path, so tests can each have their own)."""
    return jobs.Store(path)


@st.cache_data(ttl=600, show_spinner=False)
def _data_sources() -> tuple[dict, str]:
    """Looked up once in a while: finding the full set reads 30 MB."""
    return jobs.data_sources()


def _public(text: str) -> str:
    """A text from the server as visitors may read it: each path cut to its last name, so that it
    names the file or directory and not where it lies on the server."""
    return SERVER_PATH.sub(lambda path: Path(path.group()).name or path.group(), text)


def _store_failed(error: jobs.StoreError) -> None:
    st.error(f"Races cannot be started or shown now: {_public(str(error))}. The surface lab and the article's "
             "figures work as before.", icon=":material/database:")


def _key(name: str) -> str:
    return f"race.{name}"


def _tuned(optimizer: str) -> list:
    """The hyper-parameters the page offers: α and the betas, the ones the article sets."""
    return [name for name in ARTICLE_HYPER if name in OPTIMIZERS[optimizer].hyper]


def _load(config: RaceConfig) -> None:
    """Put a race's settings into the widgets (the article's on a first visit, or the race in the way)."""
    state = st.session_state
    state.update({_key("data"): config.data, _key("optimizers"): list(config.optimizers), _key("epochs"): config.epochs,
                  _key("batch_size"): config.batch_size, _key("seed"): config.seed})
    for optimizer in OPTIMIZERS:
        hyper = (config if optimizer in config.optimizers else ARTICLE).hyper_for(optimizer)
        state.update({_key(f"{optimizer}.{name}"): hyper[name] for name in _tuned(optimizer)})


def _article() -> None:
    _load(replace(ARTICLE, data=st.session_state[_key("data")]))


def _controls(sources: dict) -> None:
    state = st.session_state
    settings = ", ".join(f"{plots.symbol(name)} {plots.number(value)}" for name, value in ARTICLE_HYPER.items())
    st.button("The article's figure 16", icon=":material/restart_alt:", on_click=_article,
              help=f"All {len(ARTICLE.optimizers)} optimizers with the article's settings: {settings}, batch "
                   f"{ARTICLE.batch_size}, {ARTICLE.epochs} epochs.")
    st.radio("Data", list(sources), key=_key("data"), format_func=DATA_NAMES.get,
             captions=[_public(source) for source in sources.values()], **KEEP)
    if len(sources) == 1:
        st.caption("The full set is not on this server: put its four IDX files in ~/.keras/datasets/fashion-mnist "
                   "or a directory named by OPTVIZ_DATA_DIR.")
    st.multiselect("Optimizers", list(OPTIMIZERS), key=_key("optimizers"), format_func=lambda o: OPTIMIZERS[o].title,
                   **KEEP)
    st.slider("Epochs", 1, MAX_EPOCHS, key=_key("epochs"), **KEEP)
    left, right = st.columns(2)
    left.selectbox("Batch size", BATCH_SIZES, key=_key("batch_size"), **KEEP)
    right.number_input("Seed", 0, MAX_SEED, key=_key("seed"), **KEEP)
    for optimizer in state[_key("optimizers")]:
        with st.expander(OPTIMIZERS[optimizer].title, expanded=False):
            for name in _tuned(optimizer):
                key, label = _key(f"{optimizer}.{name}"), f"{plots.symbol(name)}: {OPTIMIZERS[optimizer].title}"
                if name == "lr":
                    st.select_slider(label, stops(LR_GRID, state[key]), key=key, format_func=plots.number, **KEEP)
                else:
                    beta_slider(label, key, *LIMITS[name])


def _config() -> RaceConfig:
    state = st.session_state
    optimizers = tuple(state[_key("optimizers")])
    return RaceConfig(optimizers=optimizers, data=state[_key("data")], epochs=state[_key("epochs")],
                      batch_size=state[_key("batch_size")], seed=state[_key("seed")],
                      hyper={o: {name: state[_key(f"{o}.{name}")] for name in _tuned(o)} for o in optimizers})


def page() -> None:
    state = st.session_state
    st.title("Training race")
    st.caption(f"The article's figure 16, trained here and now: the article's network (hidden layers of "
               f"{' and '.join(map(str, ARTICLE.hidden))} units) learns Fashion-MNIST with each optimizer, on the same "
               "minibatches from the same first weights.")
    sources, data_notice = _data_sources()
    if data_notice:
        st.warning(f"The full set is not offered: {_public(data_notice)}", icon=":material/folder_off:")
    if _key("optimizers") not in state:  # a new session
        _load(ARTICLE)
    if state[_key("data")] not in sources:
        state[_key("data")] = "embedded"
    with st.sidebar:
        _controls(sources)
    if not state[_key("optimizers")]:
        st.info("Pick at least one optimizer in the sidebar.")
        return
    try:
        config = _config()
    except ValueError as error:
        st.error(f"These settings cannot be raced: {error}")
        return
    try:
        store = _store(str(jobs.default_path()))
        if store.notice:
            st.warning(_public(store.notice), icon=":material/build:")
        _race(store, config)
    except jobs.StoreError as error:
        _store.clear()  # the next run opens the file again, moving it aside if it is damaged
        _store_failed(error)


def _race(store: jobs.Store, config: RaceConfig) -> None:
    key = config.key()
    job = store.watch(key)
    left, right, _ = st.columns([1, 1, 4])
    done = job is not None and job.state in ("running", "finished")
    if left.button("Start", type="primary", icon=":material/play_arrow:", disabled=done,
                   help="A finished race is kept: change a setting (the seed, say) for a new one." if done else None):
        try:
            job = store.start(config)
        except jobs.Refused as refusal:
            st.error(str(refusal), icon=":material/block:")
            if refusal.job is not None:
                st.button("Watch the running race", on_click=_load, args=(refusal.job.config,))
    if right.button("Cancel", icon=":material/stop:", disabled=job is None or not job.running):
        store.cancel(key)
    live = job is not None and job.running
    st.fragment(_view, run_every=REFRESH_SECONDS if live else None)(store, key, live)


def _view(store: jobs.Store, key: str, live: bool) -> None:
    """The race's state, curves, standings and the article's conclusions, redrawn while it runs."""
    try:
        job = store.watch(key)
    except jobs.StoreError as error:
        _store_failed(error)
        return
    if job is None:
        st.info("Press Start to train these settings. The race runs on the server: you can leave this page open "
                "and watch, and anyone who picks the same settings watches the same race.")
        return
    if live and not job.running:
        st.rerun()  # redraw the whole page once: the buttons change and the refreshing stops
    _status(job)
    results = job.results
    epochs = max(result.epochs for result in results.values())
    subset = "the full set" if job.config.data == "auto" else "the embedded subset"
    figure = plots.training_race(results, hyper={o: {n: job.config.hyper_for(o)[n] for n in _tuned(o)}
                                                   for o in job.config.optimizers},
                                   title=f"The training race on Fashion-MNIST ({subset})")
    show(figure, "race", csv=lambda: export.race_csv(results), height=640)
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Standings" + (f" after epoch {epochs}" if job.running else ""))
        st.dataframe(conclusions.standings(results), hide_index=True, width="stretch", column_config=COLUMNS)
    with right:
        so_far = f", so far (after epoch {epochs} of {job.config.epochs})" if job.running else ""
        st.subheader("The article's conclusions")
        st.caption(f"Each as the article states it, then the precise check, on this run{so_far}.")
        for number, conclusion in enumerate(conclusions.conclusions(results), start=1):
            st.markdown(f"**{number}. {conclusion.claim}** {VERDICTS[conclusion.holds]}")
            st.caption(f"{conclusion.test} {conclusion.evidence}")


def _status(job: jobs.Job) -> None:
    source = f"Data: {_public(job.source)}." if job.source else "Loading the data…"
    if job.running:
        doing = "Stopping…" if job.cancelling else f"Training: {job.progress:.0%} of {job.config.epochs} epochs."
        st.progress(job.progress, text=f"{doing} {source}")
    elif job.state == "finished":
        st.success(f"Finished in {job.ended - job.started:.0f} s. {source}", icon=":material/flag:")
    else:
        STATE_NOTICES[job.state](f"{_public(job.reason)} The epochs it finished are kept below; press Start to train "
                                 f"it again from the beginning. {source}", icon=":material/info:")

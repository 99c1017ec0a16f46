"""The training race: the article's figure 16 trained live on the real network, its conclusions checked.

The race runs as a background job in ``optviz.race.jobs``; this page only makes its configuration
from the widgets, starts or cancels it, and draws what the store holds. The curves refresh in a
fragment while the race runs, so the rest of the page (and the server) stays still.
"""

from dataclasses import replace

import streamlit as st

from optviz import plots
from optviz.plots import export
from optviz.race import conclusions, jobs
from optviz.optimizers import HYPERS, OPTIMIZERS
from optviz.scenario import LIMITS
from optviz.race.training import ARTICLE_HYPER, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_OPTIMIZERS, MAX_SEED, RaceConfig
from ui import fair_race, landscape
from ui.common import KEEP, hyper_widget, notices, public, show

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
#: The standings' columns, labelled short enough that all of them fit a 1280-pixel screen.
COLUMNS = {**{name: st.column_config.NumberColumn(label, format="%.4f") for name, label in
              (("validation accuracy", "val. accuracy"), ("validation loss", "val. loss"),
               ("training accuracy", "train accuracy"), ("training loss", "train loss"))},
           "seconds per epoch": st.column_config.NumberColumn("s / epoch", format="%.2f"),
           "diverged at step": st.column_config.NumberColumn("diverged at step", format="%d")}
#: What a link may say of a race, besides each optimizer's hyper-parameters ("adam.lr=0.01"), and
#: the app's own parameters, which are not the race's to read (the page keeps "present" in its link).
LINK_DATA = {"embedded": "embedded", "full": "auto"}
APP_PARAMETERS = ("present", "embed", "embed_options")
RUN_AGAIN_HELP = ("Trains these settings again from the first step, live, for the class to watch: the same seed "
                  "gives the same curves, only the seconds per epoch change. The finished race stays on screen "
                  "until the new run starts.")
STATE_NOTICES = {"cancelled": st.warning, "failed": st.error, "interrupted": st.error}


@st.cache_resource(show_spinner=False)
def _store(path: str) -> jobs.Store:
    """One store per file and server process (keyed by the path, so tests can each have their own)."""
    return jobs.Store(path)


@st.cache_data(ttl=600, show_spinner=False)
def _data_sources() -> tuple[dict, str]:
    """Looked up once in a while: finding the full set reads 30 MB."""
    return jobs.data_sources()


def _store_failed(error: jobs.StoreError) -> None:
    st.error(f"Races cannot be started or shown now: {public(str(error))}. The surface lab and the article's "
             "figures work as before.", icon=":material/database:")


def _key(name: str) -> str:
    return f"race.{name}"


def _tuned(optimizer: str) -> list:
    """The hyper-parameters the page offers: those the legends show (α, the betas, …: not the quiet
    ones, such as ε), as the race's convention takes them."""
    taken = OPTIMIZERS[optimizer].defaults(RaceConfig.convention)
    return [name for name in taken if not HYPERS[name].quiet]


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


def to_query(config: RaceConfig) -> dict:
    """The race's settings as a link's query parameters, leaving out what equals the article's figure 16."""
    query = {}
    if config.optimizers != ARTICLE.optimizers:
        query["opt"] = ",".join(config.optimizers)
    if config.data != ARTICLE.data:
        query["data"] = next(name for name, data in LINK_DATA.items() if data == config.data)
    for name, key in (("epochs", "epochs"), ("batch_size", "batch"), ("seed", "seed")):
        if getattr(config, name) != getattr(ARTICLE, name):
            query[key] = str(getattr(config, name))
    for optimizer in config.optimizers:
        mine, article = config.hyper_for(optimizer), ARTICLE.hyper_for(optimizer)
        query.update({f"{optimizer}.{name}": repr(mine[name]) for name in _tuned(optimizer)
                      if mine[name] != article[name]})
    return query


def from_query(query, sources) -> tuple[RaceConfig, list[str]]:
    """The race a link describes, and a notice for everything in it that was not used as is.

    ``sources`` are the data this server offers (``jobs.data_sources()``). Nothing a link says is
    raised: what cannot be used is left at the article's setting, what is out of range is clamped.
    """
    messages = []
    query = {key: (value[-1] if isinstance(value, list) else value) for key, value in dict(query).items()
             if key not in APP_PARAMETERS}
    values = {}
    if "opt" in query:
        raw = query.pop("opt")
        names = [name for name in raw.split(",") if name]
        unknown = [name for name in names if name not in OPTIMIZERS]
        known = tuple(dict.fromkeys(name for name in names if name in OPTIMIZERS))
        if unknown:
            messages.append(f"Unknown optimizer {', '.join(map(repr, unknown))} ignored; the optimizers are: "
                            f"{', '.join(OPTIMIZERS)}.")
        if len(known) < len(names) - len(unknown):
            messages.append("An optimizer named twice in opt is raced once.")
        if len(known) > MAX_OPTIMIZERS:
            messages.append(f"A race takes at most {MAX_OPTIMIZERS} optimizers; the first {MAX_OPTIMIZERS} were used.")
            known = known[:MAX_OPTIMIZERS]
        if known:
            values["optimizers"] = known
        else:
            messages.append(f"opt={raw!r} names no optimizer; the article's are raced.")
    if "data" in query:
        raw = query.pop("data")
        data = LINK_DATA.get(raw)
        if data is None:
            messages.append(f"data={raw!r} is neither {' nor '.join(LINK_DATA)}; the embedded subset is used.")
        elif data not in sources:
            messages.append("The full Fashion-MNIST set is not on this server; the embedded subset is used.")
        else:
            values["data"] = data
    for name, key, low, high in (("epochs", "epochs", 1, MAX_EPOCHS), ("seed", "seed", 0, MAX_SEED)):
        if key in query:
            values[name] = _whole(query.pop(key), key, low, high, getattr(ARTICLE, name), messages)
    if "batch" in query:
        raw = query.pop("batch")
        batch = _whole(raw, "batch", 1, MAX_BATCH_SIZE, ARTICLE.batch_size, messages)
        if batch not in BATCH_SIZES:
            messages.append(f"batch={raw} is not one of {', '.join(map(str, BATCH_SIZES))}; {ARTICLE.batch_size} "
                            "was used.")
            batch = ARTICLE.batch_size
        values["batch_size"] = batch
    optimizers = values.get("optimizers", ARTICLE.optimizers)
    hyper = {}
    for key in [key for key in query if "." in key]:
        optimizer, name = key.split(".", 1)
        raw = query.pop(key)
        if optimizer not in optimizers or name not in _tuned(optimizer):
            messages.append(f"Parameter {key!r} ignored: no optimizer in the race takes it here.")
            continue
        value = _number(raw, key, *LIMITS[name], messages)
        if value is not None:
            hyper.setdefault(optimizer, {})[name] = value
    messages += [f"Unknown parameter {key!r} ignored." for key in query]
    try:
        return replace(ARTICLE, **values, hyper=hyper), messages
    except ValueError as error:
        return ARTICLE, [*messages, f"The link's race cannot be trained ({error}); the article's figure 16 is shown."]


def _whole(raw, key, low, high, default, messages) -> int:
    try:
        value = int(raw)
    except ValueError:
        messages.append(f"{key}={raw!r} is not a whole number; {default} was used.")
        return default
    clamped = min(max(value, low), high)
    if clamped != value:
        messages.append(f"{key}={raw} is outside [{low}, {high}]; {clamped} was used.")
    return clamped


def _number(raw, key, low, high, messages) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if value != value:  # NaN, or not a number at all
        messages.append(f"{key}={raw!r} is not a number; ignored.")
        return None
    clamped = min(max(value, low), high)
    if clamped != value:
        messages.append(f"{key}={raw} is outside [{low:g}, {high:g}]; {clamped:g} was used.")
    return clamped


def _controls(sources: dict) -> None:
    state = st.session_state
    settings = ", ".join(f"{plots.symbol(name)} {plots.number(value)}" for name, value in ARTICLE_HYPER.items())
    st.button("The article's figure 16", icon=":material/restart_alt:", on_click=_article,
              help=f"All {len(ARTICLE.optimizers)} optimizers with the article's settings: {settings}, batch "
                   f"{ARTICLE.batch_size}, {ARTICLE.epochs} epochs.")
    st.radio("Data", list(sources), key=_key("data"), format_func=DATA_NAMES.get,
             captions=[public(source) for source in sources.values()], **KEEP)
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
                hyper_widget(f"{plots.symbol(name)}: {OPTIMIZERS[optimizer].title}", _key(f"{optimizer}.{name}"), name)


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
        st.warning(f"The full set is not offered: {public(data_notice)}", icon=":material/folder_off:")
    if _key("optimizers") not in state:  # a new session: the link decides, else the article's figure 16
        link = st.query_params.to_dict()
        config, state[_key("link_notices")] = from_query(landscape.race_part(link), sources)
        state[_key("link_notices")] += landscape.from_query(link)
        _load(config)
    if state[_key("data")] not in sources:
        state[_key("data")] = "embedded"
    with st.sidebar:
        _controls(sources)
    notices(state.pop(_key("link_notices"), []))  # shown until the next change
    if not state[_key("optimizers")]:
        st.info("Pick at least one optimizer in the sidebar.")
        return
    try:
        config = _config()
    except ValueError as error:
        st.error(f"These settings cannot be raced: {error}")
        return
    query = {**to_query(config), **landscape.to_query(),
             **({"present": st.query_params["present"]} if "present" in st.query_params else {})}
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)
    try:
        store = _store(str(jobs.default_path()))
        if store.notice:
            st.warning(public(store.notice), icon=":material/build:")
        _race(store, config)
        fair_race.section(store, config.data)
    except jobs.StoreError as error:
        _store.clear()  # the next run opens the file again, moving it aside if it is damaged
        _store_failed(error)


def _race(store: jobs.Store, config: RaceConfig) -> None:
    key = config.key()
    job = store.watch(key)
    left, right, _ = st.columns([1, 1, 3])
    finished = job is not None and job.state == "finished"
    if finished:
        asked = left.button("Run again", type="primary", icon=":material/replay:", help=RUN_AGAIN_HELP)
    else:
        asked = left.button("Start", type="primary", icon=":material/play_arrow:",
                            disabled=job is not None and job.running)
    if asked:
        try:
            job = store.start(config, again=finished)
        except jobs.Refused as refusal:
            st.error(str(refusal), icon=":material/block:")
            if refusal.job is not None:
                st.button("Watch the running race", on_click=_load, args=(refusal.job.config,))
    if right.button("Cancel", icon=":material/stop:", disabled=job is None or not job.running):
        store.cancel(key)
    live = job is not None and job.running
    st.fragment(_view, run_every=REFRESH_SECONDS if live else None)(store, key, live)
    if job is not None and job.state == "finished":
        landscape.section(store, job)


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
    st.subheader("Standings" + (f" after epoch {epochs}" if job.running else ""))
    st.dataframe(conclusions.standings(results), hide_index=True, width="stretch", column_config=COLUMNS)
    so_far = f", so far (after epoch {epochs} of {job.config.epochs})" if job.running else ""
    st.subheader("The article's conclusions")
    st.caption(f"Each as the article states it, then the precise check, on this run{so_far}.")
    for number, conclusion in enumerate(conclusions.conclusions(results), start=1):
        st.markdown(f"**{number}. {conclusion.claim}** {VERDICTS[conclusion.holds]}")
        st.caption(f"{conclusion.test} {conclusion.evidence}")


def _status(job: jobs.Job) -> None:
    source = f"Data: {public(job.source)}." if job.source else "Loading the data…"
    if job.running:
        doing = "Stopping…" if job.cancelling else f"Training: {job.progress:.0%} of {job.config.epochs} epochs."
        st.progress(job.progress, text=f"{doing} {source}")
    elif job.state == "finished":
        st.success(f"Finished in {job.ended - job.started:.0f} s. {source} Press Run again to watch it train live.",
                   icon=":material/flag:")
    else:
        STATE_NOTICES[job.state](f"{public(job.reason)} The epochs it finished are kept below; press Start to train "
                                 f"it again from the beginning. {source}", icon=":material/info:")

"""The race page's *Fair race* section: each optimizer at its own best α, found by an α sweep on a
Dask cluster, beside the article's race where all share α = 0.001, with the article's conclusions
checked on each.

The sweep runs on the server's cluster (``optviz.race.sweep.start``: a local one, or the scheduler
the server's environment names; never one a page or a link names); this section only makes its
settings from the widgets, starts, resumes or cancels it, and draws what the store holds, redrawn
in a fragment while it runs.
"""

import math

import pandas as pd
import streamlit as st

from optviz import plots
from optviz.optimizers import ARTICLE, HYPERS, OPTIMIZERS
from optviz.race import conclusions, jobs, sweep
from optviz.race.training import MAX_EPOCHS
from ui.common import KEEP, public, show

#: How often the section is redrawn while its sweep runs (seconds): a run of the article's network
#: on the embedded subset for 20 epochs takes 3-4 s on a core here.
REFRESH_SECONDS = 2.0
#: The α a teacher may pick: the lab's stops up to 1 (beyond, every optimizer here diverges).
LR_CHOICES = tuple(lr for lr in HYPERS["lr"].stops if lr <= 1.0)
MAX_SEEDS = 5
VERDICT_TEXT = {True: "✓ holds", False: "✗ does not hold", None: "? cannot tell"}
STATE_NOTICES = {"cancelled": st.warning, "failed": st.error, "interrupted": st.error}


def _key(name: str) -> str:
    return f"fair.{name}"


def section(store: jobs.Store, data: str) -> None:
    """The section, for a race page whose data source is ``data`` ("embedded" or "auto")."""
    state = st.session_state
    st.header("The fair race: each optimizer at its own α", divider="gray")
    st.caption(f"The article gives all its optimizers α = {plots.number(sweep.ARTICLE_LR)}, which starves some of "
               "them. Here each optimizer trains at every α of a grid, over several seeds, on the server's Dask "
               "cluster; each keeps the α with the best mean final validation accuracy, and the race at those α "
               "stands beside the article's, with its conclusions checked on both.")
    if _key("optimizers") not in state:
        state.update({_key("optimizers"): list(ARTICLE), _key("lrs"): list(sweep.DEFAULT_LRS), _key("seeds"): 3,
                      _key("epochs"): 20})
    left, right = st.columns([3, 2])
    left.multiselect("Optimizers to sweep", list(OPTIMIZERS), key=_key("optimizers"),
                     format_func=lambda o: OPTIMIZERS[o].title, **KEEP)
    right.multiselect("α grid", LR_CHOICES, key=_key("lrs"), format_func=plots.number, **KEEP)
    left, right = st.columns(2)
    left.slider("Seeds per α", 1, MAX_SEEDS, key=_key("seeds"), **KEEP,
                help="Each seed draws other first weights and other minibatches: the band shows their spread.")
    right.slider("Epochs per run", 1, MAX_EPOCHS, key=_key("epochs"), **KEEP)
    if not state[_key("optimizers")] or not state[_key("lrs")]:
        st.info("Pick at least one optimizer and one α.")
        return
    try:
        config = sweep.SweepConfig(optimizers=tuple(state[_key("optimizers")]), lrs=tuple(state[_key("lrs")]),
                                   seeds=tuple(range(state[_key("seeds")])), epochs=state[_key("epochs")], data=data)
    except ValueError as error:
        st.error(f"This sweep cannot be run: {error}")
        return
    sweeps = jobs.Sweeps(store)
    job = sweeps.get(config.key())
    runs = len(config.runs())
    partial = job is not None and not job.running and len(job.runs) < runs
    if job is None or partial:
        asked = st.button("Resume" if partial else "Run the sweep", type="primary", icon=":material/play_arrow:",
                          key=_key("start"), help=f"{runs} trainings: {len(config.optimizers)} optimizers × "
                                                  f"{len(config.lrs)} α × {len(config.seeds)} seeds."
                                                  + (f" The {len(job.runs)} finished are kept." if partial else ""))
        if asked:
            try:
                sweep.start(store, config)
            except jobs.Refused as refusal:
                st.error(str(refusal), icon=":material/block:")
            except ValueError:  # the server's own setting: its log says what, visitors need not
                sweep.log.exception("the server's sweep setting cannot be used")
                st.error("This server's Dask setting cannot be used; its log says why.", icon=":material/dns:")
            job = sweeps.get(config.key())
    if job is not None and job.running and st.button("Cancel", icon=":material/stop:", key=_key("cancel")):
        sweeps.cancel(config.key())
    live = job is not None and job.running
    st.fragment(_view, run_every=REFRESH_SECONDS if live else None)(sweeps, config, live)


def _view(sweeps: jobs.Sweeps, config: sweep.SweepConfig, live: bool) -> None:
    """The sweep's state, its curves against α, the two races and their conclusions."""
    job = sweeps.get(config.key())
    if job is None:
        st.info("Press *Run the sweep* to train every optimizer at every α of the grid. The sweep runs on the "
                "server and keeps every run it finishes: it goes on when this page is closed, and resumes where it "
                "stopped after a restart.")
        return
    if live and not job.running:
        st.rerun()  # redraw the whole section once: the buttons change and the refreshing stops
    results = list(job.runs.values())
    _status(job, config, len(results))
    if not results:
        return
    rows, best = sweep.points(config, results), sweep.best(config, results)
    seeds = _count(len(config.seeds), "seed")
    subset = "the full set" if config.data == "auto" else "the embedded subset"
    st.caption(f"After {_count(config.epochs, 'epoch')} on {subset}; the line is the mean over {seeds}, the band "
               "their range, a cross an α where a seed diverged.")
    figure = plots.sweep_curves(rows, best=best, article_lr=sweep.ARTICLE_LR,
                                title=f"Final validation accuracy against α ({seeds})")
    show(figure, "fair-sweep", height=520)
    st.dataframe(_table(config, rows, best), hide_index=True, width="stretch")
    tuned = {optimizer: point.lr for optimizer, point in best.items() if point is not None}
    races = {f"At each one's best α (mean over {seeds})": tuned}
    if sweep.ARTICLE_LR in config.lrs:
        races[f"At the article's α = {plots.number(sweep.ARTICLE_LR)}"] = dict.fromkeys(config.optimizers,
                                                                                         sweep.ARTICLE_LR)
    else:
        st.caption(f"Add α = {plots.number(sweep.ARTICLE_LR)} to the grid to see the article's race beside the "
                   "tuned one.")
    races = {name: (lrs, sweep.race_at(config, results, lrs)) for name, lrs in races.items()}
    st.subheader("The race at the tuned α" + (" beside the article's" if len(races) > 1 else ""))
    for number, (tab, (name, (lrs, race))) in enumerate(zip(st.tabs(list(races)), races.items())):
        with tab:
            figure = plots.training_race(race, hyper={o: {"lr": lrs[o]} for o in race},
                                         title=f"The race {name[0].lower()}{name[1:]}")
            show(figure, f"fair-race-{number}", height=600)
    st.subheader("The article's conclusions, checked on each")
    checked = {name: conclusions.conclusions(race) for name, (_, race) in races.items()}
    st.table(pd.DataFrame([{"conclusion": f"{number}. {claims[0].claim}",
                            **{name: VERDICT_TEXT[claim.holds] for name, claim in zip(races, claims)}}
                           for number, claims in enumerate(zip(*checked.values()), start=1)]).set_index("conclusion"))
    with st.expander("The checks and their evidence"):
        for number, claims in enumerate(zip(*checked.values()), start=1):
            st.markdown(f"**{number}. {claims[0].claim}** {claims[0].test}")
            for name, claim in zip(races, claims):
                st.caption(f"{name}: {VERDICT_TEXT[claim.holds]}. {claim.evidence}")


def _table(config: sweep.SweepConfig, rows: dict, best: dict) -> list:
    """Each optimizer's best α, its mean and spread over the seeds, and its result at the article's α."""
    table = []
    for optimizer in sorted(config.optimizers, key=lambda o: -best[o].mean if best[o] else math.inf):
        point = best[optimizer]
        article = next((p for p in rows[optimizer] if p.lr == sweep.ARTICLE_LR and p.accuracies), None)
        table.append({"optimizer": OPTIMIZERS[optimizer].title,
                      "best α": plots.number(point.lr) if point else "—",
                      "val. accuracy (mean)": point.mean if point else None,
                      "± sd over seeds": point.std if point else None,
                      f"at α = {plots.number(sweep.ARTICLE_LR)}": None if article is None or article.diverged
                      else article.mean})
    return table


def _status(job: jobs.SweepJob, config: sweep.SweepConfig, done: int) -> None:
    total = len(config.runs())
    where = f"On {job.cluster}; data: {job.source}."
    if job.running:
        doing = "Stopping…" if job.cancelling else (
            f"{done} of {total} runs trained." if done else "Starting the cluster and sending it the data…")
        st.progress(done / total, text=f"{doing} {where}")
    elif job.state == "finished":
        st.success(f"Finished: {total} runs in {_duration(job.ended - job.started)}. {where}", icon=":material/flag:")
    else:
        STATE_NOTICES[job.state](f"{public(job.reason)} {done} of {total} runs are kept; press Resume to train the others. "
                                 f"{where}", icon=":material/info:")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'s' if number != 1 else ''}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"

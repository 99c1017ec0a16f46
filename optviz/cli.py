"""``python -m optviz …``: the engine from a terminal.

Each sub-command is one small function here that parses nothing itself: ``main`` builds the
parser, and each command reads its arguments and calls the engine.
"""

import argparse
import errno
import json
import math
import os
import stat
import sys
from pathlib import Path

from optviz.optimizers import ARTICLE, CONVENTIONS, HYPERS, OPTIMIZERS


def _trace(args) -> int:
    import surfaces
    from optviz.engine.trajectory import trace

    hyper = {name: getattr(args, name) for name in HYPERS if getattr(args, name) is not None}
    start = tuple(args.start) if args.start else None
    t = trace(args.surface, args.optimizer, start=start, steps=args.steps, convention=args.convention, **hyper)
    if args.json:
        _write_json({"surface": t.surface, "optimizer": t.optimizer, "convention": t.convention, "hyper": t.hyper,
                     "path": t.path.tolist(), "loss": t.loss.tolist(), "diverged_at": t.diverged_at}, sys.stdout)
        print()
        return 0
    surface = surfaces.get(t.surface)
    settings = ", ".join(f"{k}={v:g}" for k, v in t.hyper.items())
    print(f"{OPTIMIZERS[t.optimizer].title} on {surface.title}, {t.convention} convention ({settings})")
    print(f"start        ({t.path[0, 0]:.6g}, {t.path[0, 1]:.6g}), loss {t.loss[0]:.6g}")
    if t.diverged_at is not None:
        print(f"diverged     at step {t.diverged_at}: the position overflowed")
        last = t.diverged_at - 1
        print(f"last finite  step {last}: ({t.path[last, 0]:.6g}, {t.path[last, 1]:.6g}), loss {t.loss[last]:.6g}")
        return 0
    minimum, distance = t.nearest_minimum()
    print(f"after {t.steps:<6} ({t.final[0]:.6g}, {t.final[1]:.6g}), loss {t.loss[-1]:.6g}")
    print(f"nearest      {minimum.kind} minimum ({minimum.x:.6g}, {minimum.y:.6g}), J = {minimum.value:.6g}, "
          f"at distance {distance:.3g}")
    return 0


def _train(args) -> int:
    from optviz.optimizers import get
    from optviz.race.training import RaceConfig

    names = _names(args.optimizers)
    hyper = {}
    for key in HYPERS:  # a flag applies to every optimizer of the race that takes it
        if getattr(args, key) is not None:
            takers = [name for name in names if key in get(name).hyper]
            if not takers:
                raise ValueError(f"none of {', '.join(names)} takes --{key.replace('_', '-')}")
            for name in takers:
                hyper.setdefault(name, {})[key] = getattr(args, key)
    config = RaceConfig(optimizers=names, hyper=hyper, convention=args.convention, epochs=args.epochs,
                        batch_size=args.batch_size, seed=args.seed, hidden=_hidden(args.hidden), data=args.data)
    if not args.json:
        _race(config)
        return 0
    try:  # before the race, which may take many minutes: a path that cannot be written fails now
        output = _Output(args.json)
    except OSError as error:
        print(f"error: cannot write {args.json} ({error.strerror or error})", file=sys.stderr)
        return 2
    try:
        document = _race(config)
        try:
            output.write(document)
        except OSError as error:
            print(f"error: cannot write {args.json} ({error.strerror or error}); the curves are lost, the summary "
                  "above is all that is left", file=sys.stderr)
            return 2
    finally:
        output.close()
    print(f"curves written to {args.json}")
    return 0


def _names(text: str) -> tuple:
    """--optimizers: article, all, or names separated by commas."""
    return {"article": ARTICLE, "all": tuple(OPTIMIZERS)}.get(text) or tuple(n.strip() for n in text.split(","))


def _list(flag: str, text: str, kind, example: str) -> tuple:
    """A flag's values separated by commas, each a ``kind``; a ValueError naming the flag otherwise."""
    try:
        return tuple(kind(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{flag} takes values like {example}, got {text!r}") from None


def _hidden(text: str) -> tuple:
    """--hidden: the hidden layers' sizes, separated by commas."""
    try:
        return tuple(int(size) for size in text.split(","))
    except ValueError:
        raise ValueError(f"--hidden takes layer sizes like 300,100, got {text!r}") from None


def _lr_grid(text: str) -> tuple:
    """--lr-grid LO:HI:N: N values of α from LO to HI, evenly spaced on a log scale, to 3 digits."""
    parts = text.split(":")
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(f"--lr-grid takes LO:HI:N such as 1e-4:1e-1:7, got {text!r}") from None
    if not (0 < low < high and math.isfinite(high) and count >= 2) and not (0 < low == high and count == 1):
        raise ValueError(f"--lr-grid LO:HI:N needs 0 < LO < HI and N ≥ 2 values (or LO = HI and N = 1), got {text!r}")
    return tuple(float(f"{low * (high / low) ** (i / max(1, count - 1)):.3g}") for i in range(count))


def _sweep(args) -> int:
    from optviz.race import sweep

    if args.scheduler is not None and args.workers is not None:
        raise ValueError("--workers sizes the local cluster; a cluster given by --scheduler has its own workers")
    lrs = _lr_grid(args.lr_grid) if args.lr_grid else _list("--lr", args.lr, float, "1e-4,3e-4,1e-3")
    config = sweep.SweepConfig(optimizers=_names(args.optimizers), lrs=lrs,
                               seeds=_list("--seeds", args.seeds, int, "0,1,2"), convention=args.convention,
                               epochs=args.epochs, batch_size=args.batch_size,
                               hidden=_hidden(args.hidden), data=args.data)
    try:  # before the sweep, which may take hours: a path that cannot be written fails now
        output = _Output(args.json) if args.json else None
    except OSError as error:
        print(f"error: cannot write {args.json} ({error.strerror or error})", file=sys.stderr)
        return 2
    try:
        return _swept(args, config, output)
    finally:
        if output is not None:
            output.close()


def _swept(args, config, output) -> int:
    """Run the sweep on its cluster, print its table and write ``output``; the exit status."""
    from optviz.race import data, jobs, sweep

    plan = None
    try:
        with sweep.cluster(args.scheduler, args.workers) as (client, where):
            dataset = data.load(config.data, progress=data.text_progress())
            print(f"data: {dataset.source}; {len(dataset.y_train):,} training images, of which "
                  f"{len(dataset.y_train) // 12:,} held out for validation")
            for note in dataset.notes:
                print(f"  {note}")
            workers = len(client.scheduler_info()["workers"])
            print(f"cluster: {where}" + ("" if args.scheduler is None else f", {workers} workers connected now"
                                         + ("" if workers else ": the runs wait for one")))
            plan = sweep.begin(jobs.Store(), config, dataset, cluster=where)
            print(f"{plan.total} runs: {len(config.optimizers)} optimizers × {len(config.lrs)} α × "
                  f"{len(config.seeds)} seeds, {config.epochs} epoch{'s' * (config.epochs > 1)} each (batch {config.batch_size}, hidden "
                  f"{'-'.join(map(str, config.hidden))}); {len(plan.results)} already in the store, training "
                  f"{len(plan.todo)}")
            state = sweep.drive(plan, client, on_result=sweep.text_progress(plan))
    except (jobs.Refused, jobs.StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (sweep.SweepError, KeyboardInterrupt) as error:
        if plan is None:
            raise
        print(f"\n{'interrupted' if isinstance(error, KeyboardInterrupt) else f'error: {error}'}; "
              f"{len(plan.results)} of {plan.total} runs are kept in the store, and the same command trains the "
              "others", file=sys.stderr)
        return 130 if isinstance(error, KeyboardInterrupt) else 1
    print(f"\n{sweep.summary(config, plan.results.values())}")
    if state != "finished":
        print(f"the sweep was {state} after {len(plan.results)} of {plan.total} runs", file=sys.stderr)
    if output is not None:
        try:
            output.write(sweep.document(config, plan))
        except OSError as error:
            print(f"error: cannot write {args.json} ({error.strerror or error}); the runs are kept in the store",
                  file=sys.stderr)
            return 2
        print(f"runs written to {args.json}")
    return 0 if state == "finished" else 1


def _landscape(args) -> int:
    """Train the race through the store (or reuse the stored one), draw its landscape there too
    (or reuse it), print what the plane shows and write the JSON; the exit status."""
    from optviz.race import jobs
    from optviz.race.landscape import Settings, explain
    from optviz.race.training import RaceConfig

    config = RaceConfig(optimizers=_names(args.optimizers), epochs=args.epochs, seed=args.seed,
                        hidden=_hidden(args.hidden), data=args.data)
    through = tuple(name.strip() for name in args.through.split(",")) if args.through else ()
    settings = Settings(plane=args.plane, through=through, grid=args.grid, images=args.images)
    settings = settings.for_race(config.optimizers)  # a bad --through fails before the training
    try:
        output = _Output(args.json) if args.json else None
    except OSError as error:
        print(f"error: cannot write {args.json} ({error.strerror or error})", file=sys.stderr)
        return 2
    try:
        store = jobs.Store()
        race = _stored_race(store, config)
        if race.state != "finished":
            print(f"error: the race was {race.state}: {race.reason}", file=sys.stderr)
            return 1
        landscapes = jobs.Landscapes(store)
        drawn = landscapes.start(race, settings)
        if drawn.running:
            print(f"landscape: the {settings.plane} plane, a {settings.grid} × {settings.grid} grid on "
                  f"{settings.images:,} training and validation images each", file=sys.stderr)
        drawn = _waited(lambda: landscapes.job(config, settings), "landscape", lambda job: job.progress)
        if drawn.state != "finished":
            print(f"error: the landscape was {drawn.state}: {drawn.reason}", file=sys.stderr)
            return 1
        result = drawn.result
        print(explain(result))
        for name, points in result.paths.items():
            last = points[-1]
            print(f"  {name:<10} epoch {last['epoch']:<4} a {last['a']:9.3f}  b {last['b']:9.3f}  residual "
                  f"{last['residual']:.3f}  train loss {last['train_loss']:.4f}  (the plane there: "
                  f"{last['plane_train_loss']:.4f})")
        if output is not None:
            output.write(result.to_dict())
            print(f"landscape written to {args.json}")
        return 0
    except (jobs.Refused, jobs.StoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write {args.json} ({error.strerror or error})", file=sys.stderr)
        return 2
    finally:
        if output is not None:
            output.close()


def _stored_race(store, config):
    """The finished race of ``config`` with its checkpoints: the stored one, else trained now."""
    from optviz.race import jobs

    race = store.start(config)
    if race.state == "finished" and not jobs.Landscapes(store).checkpoints(race.key):
        race = store.start(config, again=True)  # older than the checkpoints the store keeps
    if race.running:
        print(f"training {', '.join(config.optimizers)} for {config.epochs} epochs (the race is kept in the store)",
              file=sys.stderr)
    return _waited(lambda: store.watch(race.key), "race", lambda job: job.progress)


def _waited(look, what, share, width=30):
    """Poll ``look()`` until its job stops running, drawing its progress; the job as it ended."""
    import time

    job, shown = look(), None
    while job.running:
        percent = round(100 * share(job))
        if percent != shown:
            filled = width * percent // 100
            print(f"\r{what} [{'#' * filled}{'.' * (width - filled)}] {percent:3d}%", end="", file=sys.stderr)
            shown = percent
        time.sleep(0.5)
        job = look()
    if shown is not None:
        print(file=sys.stderr)
    return job


class _Output:
    """Where ``train --json`` writes, opened before the race so that a path that cannot be written
    fails at once; what the user named is written, never replaced by something else.

    A regular file, or a new one, is written to a temporary file beside it that is renamed over it
    once whole: it holds all of the document or what it held before, and keeps its permissions (a
    file its owner may not write is refused, as the rename would get round that).
    Through a symbolic link that happens beside the file the link points to, so the link stays a
    link. A FIFO, a terminal or a device is written as a stream, as a shell's ``>`` would write it
    (opening a FIFO waits for its reader).
    """

    def __init__(self, path: str):
        try:
            mode = os.stat(path).st_mode  # of what a link points to
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if mode is not None and not stat.S_ISREG(mode):
            self.file, self.temporary = open(path, "w"), None
            return
        if mode is not None and not os.access(path, os.W_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        self.target = Path(os.path.realpath(path))
        self.temporary = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        descriptor = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        if mode is not None:
            os.fchmod(descriptor, stat.S_IMODE(mode))
        self.file = os.fdopen(descriptor, "w")

    def write(self, document: dict) -> None:
        _write_json(document, self.file, indent=1)
        self.file.close()
        if self.temporary is not None:
            os.replace(self.temporary, self.target)

    def close(self) -> None:
        """Close the file, and remove the temporary one if the document never took its place."""
        try:
            self.file.close()
        except OSError:  # a stream that refused its last bytes: write() has said so
            pass
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


def _write_json(document, out, **options) -> None:
    """Strict JSON: NaN and infinities (a diverged run's) are written as null, since JSON has no such
    numbers and strict parsers, JavaScript's ``JSON.parse`` among them, refuse them."""
    json.dump(_finite(document), out, allow_nan=False, **options)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _race(config) -> dict:
    """Train ``config`` with a progress bar, print the summary; return the document --json writes."""
    from optviz.race import data
    from optviz.race.training import run_race, summary, text_progress

    dataset = data.load(config.data, progress=data.text_progress())
    split = data.split(dataset)
    print(f"data: {dataset.source}; {len(split.y_train):,} training and {len(split.y_val):,} validation images")
    for note in dataset.notes:
        print(f"  {note}")
    print(f"training {', '.join(config.optimizers)} for {config.epochs} epochs (batch {config.batch_size}, hidden "
          f"{'-'.join(map(str, config.hidden))}, {config.convention} convention, seed {config.seed})")
    results = run_race(config, split, on_event=text_progress(config.epochs))
    print(f"\n{summary(results)}")
    return {"config": config.to_dict(),
            "data": {"source": dataset.source, "train": len(split.y_train), "val": len(split.y_val)},
            "results": {name: result.to_dict() for name, result in results.items()}}


def _bench(args) -> int:
    try:  # the benchmarks live beside the package, in a checkout of optviz
        from benchmarks import engine, maps, mlp
    except ImportError:
        print("error: the benchmarks are not here: run `python -m optviz bench` from a checkout of optviz",
              file=sys.stderr)
        return 2
    if args.mlp:
        mlp.main(quick=args.quick)
        return 0
    engine.main(quick=args.quick)
    print()
    maps.main(quick=args.quick)
    return 0


def _hyper_flags(command, help: str) -> None:
    """--lr, --momentum, … --momentum-decay: one flag per hyper-parameter name."""
    for name in HYPERS:
        command.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, help=help)


def _optimizers(args) -> int:
    """The registry, one optimizer a paragraph: what it is, its hyper-parameters, each library's call."""
    for name, entry in OPTIMIZERS.items():
        if args.name and name not in args.name:
            continue
        print(f"{name}: {entry.title} ({entry.year})")
        print(f"  takes {', '.join(entry.hyper)}; state {', '.join(entry.slots) or 'none'}")
        for convention, spec in entry.conventions.items():
            defaults = ", ".join(f"{key}={value:g}" for key, value in spec.defaults.items())
            print(f"  {convention:<6} {spec.call}: {defaults}")
    return 0


def parser() -> argparse.ArgumentParser:
    import surfaces

    top = argparse.ArgumentParser(prog="python -m optviz", description="optviz from the command line")
    commands = top.add_subparsers(dest="command", required=True)

    trace = commands.add_parser("trace", help="follow one optimizer on one surface")
    trace.add_argument("surface", choices=list(surfaces.SURFACES))
    trace.add_argument("optimizer", choices=list(OPTIMIZERS))
    trace.add_argument("--steps", type=int, default=200)
    trace.add_argument("--start", type=float, nargs=2, metavar=("X", "Y"), help="default: the surface's own start")
    trace.add_argument("--convention", choices=CONVENTIONS, default="keras")
    _hyper_flags(trace, "default: the convention's")
    trace.add_argument("--json", action="store_true", help="print the whole trace as JSON")
    trace.set_defaults(run=_trace)

    listing = commands.add_parser("optimizers", help="list the optimizers, their hyper-parameters and libraries")
    listing.add_argument("name", nargs="*", help="only these (default: all)")
    listing.set_defaults(run=_optimizers)

    bench = commands.add_parser("bench", help="measure the kernels and a stability map against NumPy, JAX + optax and torch.optim")
    bench.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    bench.add_argument("--mlp", action="store_true", help="the training race's MLP against PyTorch instead")
    bench.set_defaults(run=_bench)

    train = commands.add_parser("train", help="train the article's MLP on Fashion-MNIST with several optimizers")
    train.add_argument("--data", default="auto", help="a directory of the IDX files, auto (find or download "
                       "the full set, else the embedded subset) or embedded (default: auto)")
    train.add_argument("--optimizers", default="article", help="article (the article's eight, the default), all "
                       "(every optimizer of optviz), or a comma-separated list such as sgd,adam")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--hidden", default="300,100", help="hidden layer sizes, comma-separated")
    train.add_argument("--convention", choices=CONVENTIONS, default="keras")
    _hyper_flags(train, "for every optimizer that takes it (default: the article's, else the convention's)")
    train.add_argument("--json", metavar="OUT", help="write the config, the data source and every curve to OUT")
    train.set_defaults(run=_train)

    sweep = commands.add_parser("sweep", help="train the MLP at every α of a grid over several seeds, on a Dask "
                                "cluster, and find each optimizer's best α")
    sweep.add_argument("--data", default="auto", help="as for train (default: auto); the client loads it and ships "
                       "it to every worker")
    sweep.add_argument("--optimizers", default="article", help="as for train (default: article)")
    grid = sweep.add_mutually_exclusive_group()
    grid.add_argument("--lr", default="3e-4,1e-3,3e-3,1e-2,3e-2,1e-1", help="the α to try, comma-separated "
                      "(default: 3e-4,1e-3,3e-3,1e-2,3e-2,1e-1)")
    grid.add_argument("--lr-grid", metavar="LO:HI:N", help="N values of α from LO to HI on a log scale")
    sweep.add_argument("--seeds", default="0,1,2", help="comma-separated (default: 0,1,2)")
    sweep.add_argument("--epochs", type=int, default=20)
    sweep.add_argument("--batch-size", type=int, default=32)
    sweep.add_argument("--hidden", default="300,100", help="hidden layer sizes, comma-separated")
    sweep.add_argument("--convention", choices=CONVENTIONS, default="keras")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask scheduler (default: a local "
                       "cluster of one worker process per core)")
    sweep.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    sweep.add_argument("--json", metavar="OUT", help="write the settings, every run and each best α to OUT")
    sweep.set_defaults(run=_sweep)

    scape = commands.add_parser("landscape", help="the trained MLP's loss on a plane through weight space, with "
                                "every optimizer's path on it")
    scape.add_argument("--data", default="auto", choices=("auto", "embedded"), help="as for train (default: auto)")
    scape.add_argument("--optimizers", default="article", help="as for train (default: article)")
    scape.add_argument("--epochs", type=int, default=20)
    scape.add_argument("--seed", type=int, default=0)
    scape.add_argument("--hidden", default="300,100", help="hidden layer sizes, comma-separated")
    scape.add_argument("--plane", default="pca", choices=("endpoints", "pca", "random"), help="through the first "
                       "weights and two solutions, along the paths' two main directions, or two random "
                       "filter-normalized directions around a solution (default: pca)")
    scape.add_argument("--through", metavar="OPT,OPT", help="the optimizers whose solutions the plane goes "
                       "through (random: around the first one's; default: the race's first two)")
    scape.add_argument("--grid", type=int, default=51, help="points along each side (default: 51)")
    scape.add_argument("--images", type=int, default=1000, help="training and validation images the loss is "
                       "measured on, of each (default: 1000)")
    scape.add_argument("--json", metavar="OUT", help="write the grid, the paths and the lines to OUT")
    scape.set_defaults(run=_landscape)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

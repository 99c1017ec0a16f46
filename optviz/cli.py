"""``python -m optviz …``: the engine from a terminal.

Each sub-command is one small function here that parses nothing itself: ``main`` builds the
parser, and each command reads its arguments and calls the engine.
"""

import argparse
import json
import sys

from optviz.optimizers import CONVENTIONS, HYPER_NAMES, OPTIMIZERS


def _trace(args) -> int:
    import surfaces
    from optviz.trajectory import trace

    hyper = {name: getattr(args, name) for name in HYPER_NAMES if getattr(args, name) is not None}
    start = tuple(args.start) if args.start else None
    t = trace(args.surface, args.optimizer, start=start, steps=args.steps, convention=args.convention, **hyper)
    if args.json:
        json.dump(
            {
                "surface": t.surface, "optimizer": t.optimizer, "convention": t.convention, "hyper": t.hyper,
                "path": t.path.tolist(), "loss": t.loss.tolist(), "diverged_at": t.diverged_at,
            },
            sys.stdout,
        )
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


def _bench(args) -> int:
    from optviz import bench

    bench.main(quick=args.quick)
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
    for name in HYPER_NAMES:
        trace.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, help="default: the convention's")
    trace.add_argument("--json", action="store_true", help="print the whole trace as JSON")
    trace.set_defaults(run=_trace)

    bench = commands.add_parser("bench", help="measure the kernels against plain NumPy and torch.optim")
    bench.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    bench.set_defaults(run=_bench)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

"""How long each figure builder takes, for the inputs of a typical lab session.

    python -m benchmarks.figures_speed [--repeat 30] [--only contour,loss_curves] [--baseline OLD.py]

Every slider move reruns the page, and the page rebuilds its figures, so these times are paid
per student per move. Each builder is called ``--repeat`` times on the same input (the runs
are computed once, before timing); the best call is reported, because the machine is shared
and the best is the least noisy, with the median beside it. The ``to_json`` column is what
Streamlit then spends serializing the figure for the browser (``plotly.io.to_json``), which
the builder does not control but which the rerun pays too.

The inputs: four runs of 300 steps on Rosenbrock (GD at two α, one of which diverges, and Adam
at two α), as in the lab; the article's figure 4 (GD at four α on the plateau) for
``learning_rates``; and a training race of four optimizers, ten epochs each with a smoothed
within-epoch loss, for ``training_race``.

``--baseline`` times another version of optviz/figures.py in the same run, alternating calls, so
that both see the same load on a shared machine, e.g.::

    git show cc4d2e7~1:optviz/figures.py > /tmp/figures_old.py  # the builders before plain specs
    python -m benchmarks.figures_speed --baseline /tmp/figures_old.py
"""

import argparse
import importlib.util
import statistics
import time

import numpy as np
import plotly.io as pio

from optviz import plots, trace
from optviz.presets import PRESETS


def _inputs(figures=plots) -> dict:
    """Each builder of the ``figures`` module with its typical input, as a zero-argument call."""
    lab = [trace("rosenbrock", "sgd", steps=300, lr=0.001), trace("rosenbrock", "sgd", steps=300, lr=0.01),
           trace("rosenbrock", "adam", steps=300), trace("rosenbrock", "adam", steps=300, lr=0.05)]
    fig4 = PRESETS["fig4"]
    rates, names = fig4.traces(), [r.name for r in fig4.runs]
    epochs = 10
    race = {
        optimizer: {
            "loss": np.linspace(2.0, 0.3, epochs).tolist(), "accuracy": np.linspace(0.3, 0.9, epochs).tolist(),
            "val_loss": np.linspace(2.1, 0.4, epochs).tolist(),
            "val_accuracy": np.linspace(0.3, 0.85, epochs).tolist(),
            "diverged_at": None, "smoothed": [[i / 100, 2.0 - i / 600] for i in range(100 * epochs)],
        }
        for optimizer in ("sgd", "momentum", "rmsprop", "adam")
    }
    return {
        "contour": lambda: plots.contour(lab),
        "surface_3d": lambda: plots.surface_3d(lab),
        "loss_curves": lambda: plots.loss_curves(lab),
        "distance_curves": lambda: plots.distance_curves(lab),
        "race_animation": lambda: plots.race_animation(lab),
        "ball": lambda: plots.ball(lab),
        "learning_rates": lambda: plots.learning_rates(rates, names),
        "training_race": lambda: plots.training_race(race, hyper={o: {"lr": 0.001} for o in race}),
    }


def _load(path: str):
    """Another version of optviz/figures.py, loaded from ``path`` as a module of its own."""
    spec = importlib.util.spec_from_file_location("figures_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _times(calls, repeat: int) -> list:
    """Seconds per call of each of ``calls``, taking turns: one list per call."""
    found = [[] for _ in calls]
    for _ in range(repeat):
        for call, times in zip(calls, found):
            began = time.perf_counter()
            call()
            times.append(time.perf_counter() - began)
    return found


def _ms(times) -> str:
    return f"{1e3 * min(times):8.2f} {1e3 * statistics.median(times):8.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="calls per builder (default 30)")
    parser.add_argument("--only", default="", help="comma-separated builders to time (default: all)")
    parser.add_argument("--baseline", metavar="FILE", help="another figures.py to time alongside")
    args = parser.parse_args(argv)

    builders = _inputs()
    baseline = _inputs(_load(args.baseline)) if args.baseline else None
    chosen = [name for name in args.only.split(",") if name] or list(builders)
    unknown = set(chosen) - set(builders)
    if unknown:
        parser.error(f"unknown builder(s) {', '.join(sorted(unknown))}; choose from {', '.join(builders)}")

    print(f"ms per call, best and median of {args.repeat}")
    header = f"{'builder':<16} {'best':>8} {'median':>8}   {'to_json':>8}"
    if baseline:
        header += f"   {'baseline':>8} {'median':>8}   {'speed-up':>8}"
    print(header)
    for name in chosen:
        calls = [builders[name]] + ([baseline[name]] if baseline else [])
        for call in calls:
            call()  # warm-up: numba compilation, plotly's lazy imports and validator cache
        times = _times(calls, args.repeat)
        fig = builders[name]()
        (serialized,) = _times([lambda: pio.to_json(fig, validate=False)], max(3, args.repeat // 3))
        line = f"{name:<16} {_ms(times[0])}   {1e3 * min(serialized):8.2f}"
        if baseline:
            line += f"   {_ms(times[1])}   {min(times[1]) / min(times[0]):7.1f}×"
        print(line)


if __name__ == "__main__":
    main()

"""How long an animation takes to export as GIF and MP4, against drawing every frame in Chromium.

    python -m benchmarks.animation_export [--repeat 3] [--sample 10]

The input is the lab's opening race: four runs of 300 steps on Rosenbrock (GD and Momentum at
α = 0.001, RMSProp at 0.01, Adam at 0.05), animated as the lab animates it (100 frames). Chromium
is started before timing (it starts once per server process, about 3 s). Each export is made
``--repeat`` times; the best and the median are printed, because the machine is shared. The
baseline is the obvious way: every frame rendered by Chromium (kaleido), as a PNG at slide size;
``--sample`` frames are rendered, in the same run, and the time per frame is multiplied by the
number of frames.
"""

import argparse
import statistics
import time

from optviz import plots, trace
from optviz.plots import export

RUNS = (("sgd", 0.001), ("momentum", 0.001), ("rmsprop", 0.01), ("adam", 0.05))
STEPS = 300


def _timed(call, repeat: int) -> list:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=10, help="frames Chromium renders for the baseline")
    args = parser.parse_args(argv)
    for format in ("gif", "mp4"):
        problem = export.animation_export_problem(format)
        if problem:
            raise SystemExit(f"cannot measure {format}: {problem}")

    fig = plots.race_animation([trace("rosenbrock", name, steps=STEPS, lr=lr) for name, lr in RUNS])
    frames = len(fig.frames)
    began = time.perf_counter()
    export.to_png(fig, scale=1)  # starts Chromium
    print(f"Chromium started and drew one frame in {time.perf_counter() - began:.1f} s")
    print(f"the lab's race: {len(RUNS)} runs × {STEPS} steps on Rosenbrock, {frames} frames")

    movie = export.Movie(fig)
    why = movie.slow_because or "every frame changes scatter traces only"
    print(f"moving runs drawn by optviz: {movie.fast} ({why})")
    for name, call in (("GIF, 1280 × 720", lambda: export.to_gif(fig)),
                       ("MP4, 1920 × 1080", lambda: export.to_mp4(fig)),
                       ("MP4, 1280 × 720", lambda: export.to_mp4(fig, scale=1.0))):
        times = _timed(call, args.repeat)
        print(f"{name}: best {min(times):.1f} s, median {statistics.median(times):.1f} s (of {args.repeat})")

    shown = [round(i * (frames - 1) / max(1, args.sample - 1)) for i in range(args.sample)]
    per_frame = _timed(lambda: [export.to_png(export.still(fig, i), scale=1) for i in shown], 1)[0] / len(shown)
    drawn = _timed(lambda: [movie.frame(i) for i in range(frames)], 1)[0] / frames
    print(f"baseline, every frame drawn by Chromium: {per_frame:.2f} s a frame (of {len(shown)}), "
          f"so {per_frame * frames:.0f} s for the {frames} frames")
    print(f"one frame drawn by optviz over Chromium's background: {1000 * drawn:.0f} ms "
          f"({per_frame / drawn:.0f}× less than a Chromium render)")


if __name__ == "__main__":
    main()

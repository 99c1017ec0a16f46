"""A classroom of students moving sliders at once, driven at Streamlit's protocol level.

    python -m benchmarks.classroom [--sessions 20] [--moves 10] [--url http://127.0.0.1:8501]

Twenty real browsers would saturate two cores by themselves, so each student here is a websocket
session that speaks Streamlit's own messages: it loads the lab, then ``--moves`` times (a think
time of 0.5–1.5 s between moves) moves either the shared-α slider to any of its stops or the
*Steps* slider anywhere up to its maximum, and times each rerun, from the message it sends to the
end of the script run the server reports. Without ``--url`` it starts the app itself on a free
loopback port, and then the same crowd against a trivial one-chart page with the same two
sliders (``benchmarks/trivial_app.py``), the baseline. It prints the median and p95 rerun time,
the throughput, and the server's CPU time per rerun.
"""

import argparse
import asyncio
import random
import statistics
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.server import ROOT, app_server
from optviz.plots import number
from optviz.scenario import LR_GRID, MAX_STEPS

ALPHA, STEPS = "α (all optimizers)", "Steps"
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)


async def _run(socket, query: str, widgets=()) -> tuple[float, dict]:
    """One script run: send the rerun, read until it finishes; its duration and the widget ids seen."""
    message = BackMsg()
    message.rerun_script.query_string = query
    message.rerun_script.widget_states.widgets.extend(widgets)
    began = time.perf_counter()
    await socket.send(message.SerializeToString())
    ids = {}
    while True:
        reply = ForwardMsg()
        reply.ParseFromString(await socket.recv())
        if reply.WhichOneof("type") == "delta" and reply.delta.new_element.WhichOneof("type") == "slider":
            slider = reply.delta.new_element.slider
            ids[slider.label] = slider.id
        if reply.WhichOneof("type") == "script_finished" and reply.script_finished in FINISHED:
            return time.perf_counter() - began, ids


async def student(url: str, moves: int, times: list, seed: int) -> None:
    rng = random.Random(seed)
    host = url.removeprefix("http://")
    async with websockets.connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit"],
                                  origin=url, max_size=2**26) as socket:
        lr, steps = 0.001, 300
        _, ids = await _run(socket, f"lr={lr}")
        for _ in range(moves):
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            alpha = WidgetState(id=ids[ALPHA])
            length = WidgetState(id=ids[STEPS])
            if rng.random() < 0.5:
                lr = rng.choice(LR_GRID)
            else:
                steps = rng.randint(1, MAX_STEPS)
            alpha.string_array_value.data.append(number(lr))  # as the slider formats its options
            length.double_array_value.data.append(steps)
            seconds, _ = await _run(socket, f"lr={lr}&steps={steps}", [alpha, length])
            times.append(seconds)


def _server_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks of 10 ms


async def classroom(url: str, sessions: int, moves: int) -> list:
    times = []
    await asyncio.gather(*(student(url, moves, times, seed) for seed in range(sessions)))
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--url", help="an app already running; default: start one, then the baseline")
    args = parser.parse_args(argv)
    if args.url:
        report(args, "the app", args.url, None)
        return
    for name, script in (("the lab", ROOT / "app.py"), ("baseline, a one-chart page", ROOT / "benchmarks" / "trivial_app.py")):
        with app_server(script=script) as server:
            asyncio.run(classroom(server.url, 1, 1))  # warm the server: kernels loaded, caches filled
            report(args, name, server.url, server.pid)


def report(args, name: str, url: str, pid) -> None:
    cpu_before = _server_cpu(pid) if pid else None
    began = time.perf_counter()
    times = asyncio.run(classroom(url, args.sessions, args.moves))
    wall = time.perf_counter() - began
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"{name}: {args.sessions} sessions × {args.moves} moves of α or Steps: {len(times)} reruns in {wall:.1f} s")
    print(f"  rerun time: median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
          f"(goal for the lab: p95 ≤ 600 ms), max {times[-1] * 1000:.0f} ms")
    if cpu_before is not None:
        cpu = _server_cpu(pid) - cpu_before
        print(f"  server CPU: {cpu:.1f} s, {cpu / len(times) * 1000:.0f} ms per rerun")


if __name__ == "__main__":
    main()

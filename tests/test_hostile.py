"""Hostile input at every public entry point: the API, each command of the CLI, a link.

Each case asserts a clear error (the exception named, with words saying what was wrong) or a
notice, and nothing else: no other exception, no hang, no file touched but the one the user named.
"""

import math
import os
import re
import threading
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optviz
from optviz.cli import main
from optviz.engine import trajectory
from optviz.race.training import RaceConfig
from optviz.scenario import LIMITS, MAX_RUNS, MAX_STEPS, Scenario, from_query, recommended, start_window
from ui import common

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
#: No case may take longer (a hang is a failure, not a stuck suite).
SECONDS = 60.0


def finishes(call, seconds=SECONDS):
    """``call()``'s result, or its exception raised here; a failed test if it runs longer than ``seconds``."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 (handed to the test as it was raised)
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def files(folder: Path) -> dict:
    """Every file and folder under ``folder``, with what would show a change to it."""
    found = {}
    for path in [folder, *folder.rglob("*")]:
        status = path.lstat()
        found[path] = (status.st_mode, status.st_size, status.st_mtime_ns, status.st_ino)
    return found


# -- the API --------------------------------------------------------------------------------------

def traced(**kwargs):
    return lambda: optviz.trace(**{"surface": "bowl", "optimizer": "adam", "steps": 10, **kwargs})


def batch(**kwargs):
    return lambda: optviz.trace_batch(**{"surface": "bowl", "optimizer": "adam", "steps": 10, **kwargs})


def inspected(step, **kwargs):
    return lambda: trajectory.inspect_step(optviz.trace("bowl", "adam", steps=10, **kwargs), step)


def race(**kwargs):
    return lambda: RaceConfig(**{"optimizers": ("sgd", "adam"), "data": "embedded", **kwargs})


API = [
    # trace: what to follow
    ("surface unknown", traced(surface="bowel"), ValueError, "unknown surface 'bowel'"),
    ("surface a list", traced(surface=["bowl"]), ValueError, "unknown surface"),
    ("surface None", traced(surface=None), ValueError, "unknown surface"),
    ("surface huge", traced(surface="x" * 100_000), ValueError, "unknown surface"),
    ("optimizer unknown", traced(optimizer="adamm"), ValueError, "unknown optimizer 'adamm'"),
    ("optimizer a list", traced(optimizer=["adam"]), ValueError, "unknown optimizer"),
    ("convention unknown", traced(convention="jax"), ValueError, "unknown convention 'jax'"),
    ("convention a number", traced(convention=1), ValueError, "unknown convention 1"),
    # trace: the start
    ("start NaN", traced(start=(math.nan, 0.0)), ValueError, "must be finite"),
    ("start infinite", traced(start=(math.inf, 0.0)), ValueError, "must be finite"),
    ("start far out", traced(start=(1e7, 0.0)), ValueError, "within ±1e+06"),
    ("start complex", traced(start=(1 + 2j, 0.0)), ValueError, "real numbers"),
    ("start booleans", traced(start=(True, False)), ValueError, "real numbers"),
    ("start text", traced(start="ab"), ValueError, "real numbers"),
    ("start three numbers", traced(start=(1.0, 2.0, 3.0)), ValueError, "shape (K, 2)"),
    ("start one number", traced(start=5), ValueError, "shape (K, 2)"),
    ("start nested", traced(start=[[1.0, 2.0]]), ValueError, "shape (K, 2)"),
    # trace: the steps
    ("steps negative", traced(steps=-1), ValueError, "outside the allowed range"),
    ("steps too many", traced(steps=trajectory.MAX_STEPS + 1), ValueError, "outside the allowed range"),
    ("steps huge", traced(steps=10**30), ValueError, "outside the allowed range"),
    ("steps fractional", traced(steps=1.5), ValueError, "whole number"),
    ("steps a float", traced(steps=np.float64(10)), ValueError, "whole number"),
    ("steps text", traced(steps="10"), ValueError, "whole number"),
    ("steps True", traced(steps=True), ValueError, "whole number"),
    ("steps None", traced(steps=None), ValueError, "whole number"),
    # trace: the hyper-parameters
    ("lr negative", traced(lr=-1.0), ValueError, "outside its allowed range"),
    ("lr NaN", traced(lr=math.nan), ValueError, "outside its allowed range"),
    ("lr infinite", traced(lr=math.inf), ValueError, "outside its allowed range"),
    ("lr beyond any float", traced(lr=10**400), ValueError, "outside its allowed range"),
    ("lr True", traced(lr=True), ValueError, "must be a number, got True"),
    ("lr text", traced(lr="0.1"), ValueError, "must be a number, got '0.1'"),
    ("lr bytes", traced(lr=b"0.1"), ValueError, "must be a number"),
    ("lr complex", traced(lr=0.1 + 0j), ValueError, "must be a number"),
    ("lr None", traced(lr=None), ValueError, "must be a number"),
    ("lr a dict", traced(lr={"a": 1}), ValueError, "must be a number"),
    ("lr a list in trace", traced(lr=[0.1]), ValueError, "use trace_batch"),
    ("beta1 one", traced(beta1=1.0), ValueError, "outside its allowed range"),
    ("epsilon negative", traced(epsilon=-1.0), ValueError, "outside its allowed range"),
    ("unknown name", traced(bogus=1.0), ValueError, "takes no hyper-parameter bogus"),
    ("a name it does not take", traced(rho=0.9), ValueError, "takes no hyper-parameter rho"),
    # trace_batch
    ("no starts", batch(starts=[]), ValueError, "non-empty"),
    ("an empty start", batch(starts=[[]]), ValueError, "shape (K, 2)"),
    ("ragged starts", batch(starts=[[1.0, 2.0], [3.0]]), ValueError, "real numbers"),
    ("starts with None", batch(starts=[[None, 1.0]]), ValueError, "real numbers"),
    ("starts a dict", batch(starts={"a": 1}), ValueError, "real numbers"),
    ("starts complex", batch(starts=np.zeros((2, 2), complex)), ValueError, "real numbers"),
    ("an empty lr array", batch(lr=[]), ValueError, "at least one"),
    ("empty arrays", batch(lr=np.array([]), beta1=np.array([])), ValueError, "at least one"),
    ("an empty 2-D lr", batch(lr=[[]]), ValueError, "1-D array"),
    ("lengths that differ", batch(starts=[[0.0, 0.0]] * 3, lr=[0.1, 0.2]), ValueError, "one length"),
    ("lr a 2-D array", batch(starts=np.zeros((2, 2)), lr=np.full((2, 2), 0.1)), ValueError, "1-D array"),
    ("lr texts", batch(lr=["0.1", "0.2"]), ValueError, "1-D array"),
    ("lr booleans", batch(lr=[True, False]), ValueError, "1-D array"),
    ("lr out of range in an array", batch(lr=[0.1, -0.1]), ValueError, "lr=-0.1 is outside"),
    ("too many runs", batch(lr=np.full(trajectory.MAX_RUNS + 1, 0.1), record=False, steps=1), ValueError,
     "at most 1,000,000"),
    ("too much work", batch(lr=np.full(20_001, 0.1), record=False, steps=trajectory.MAX_STEPS), ValueError,
     "run-steps allowed"),
    ("too much to record", batch(lr=np.full(30_000, 0.1), steps=1000), ValueError, "MB allowed"),
    ("the state beyond the memory limit", batch(lr=np.full(200, 0.1), steps=trajectory.MAX_STEPS, record_state=True),
     ValueError, "MB allowed"),
    # inspect_step
    ("a step without recorded state", inspected(3), ValueError, "record_state=True"),
    ("a fractional step", inspected(1.5, record_state=True), ValueError, "whole number"),
    ("a step as text", inspected("3", record_state=True), ValueError, "whole number"),
    ("step True", inspected(True, record_state=True), ValueError, "whole number"),
    ("step None", inspected(None, record_state=True), ValueError, "whole number"),
    ("step 0", inspected(0, record_state=True), ValueError, "not a finite step"),
    ("a step after the last", inspected(11, record_state=True), ValueError, "not a finite step"),
    ("a huge step", inspected(10**30, record_state=True), ValueError, "not a finite step"),
    ("a step negative", inspected(-1, record_state=True), ValueError, "not a finite step"),
    ("not a trace", lambda: trajectory.inspect_step("a run", 1), TypeError, "takes a Trace"),
    # RaceConfig
    ("no optimizers", race(optimizers=()), ValueError, f"1 to {len(optviz.OPTIMIZERS)} optimizers"),
    ("optimizers a string", race(optimizers="adam"), ValueError, "a list of names"),
    ("optimizers a number", race(optimizers=5), ValueError, "a list of names"),
    ("an unknown optimizer", race(optimizers=("adam", "nope")), ValueError, "unknown optimizer 'nope'"),
    ("a list as a name", race(optimizers=[["adam"]]), ValueError, "unknown optimizer"),
    ("an optimizer twice", race(optimizers=("adam", "adam")), ValueError, "may not repeat"),
    ("one too many", race(optimizers=tuple(optviz.OPTIMIZERS) + ("sgd",)), ValueError,
     f"1 to {len(optviz.OPTIMIZERS)} optimizers"),
    ("hyper True", race(hyper={"adam": {"lr": True}}), ValueError, "must be a number"),
    ("hyper text", race(hyper={"adam": {"lr": "0.1"}}), ValueError, "must be a number"),
    ("hyper None", race(hyper={"adam": {"lr": None}}), ValueError, "must be a number"),
    ("hyper out of range", race(hyper={"adam": {"lr": -1.0}}), ValueError, "outside its allowed range"),
    ("hyper unknown", race(hyper={"adam": {"nope": 1.0}}), ValueError, "takes no hyper-parameter nope"),
    ("hyper for another", race(hyper={"nadam": {"lr": 0.1}}), ValueError, "not in the race"),
    ("hyper not a mapping", race(hyper="lr=0.1"), ValueError, "must map names to values"),
    ("hyper values not a mapping", race(hyper={"adam": 5}), ValueError, "must map names to values"),
    ("epochs 0", race(epochs=0), ValueError, "outside the allowed range"),
    ("epochs too many", race(epochs=51), ValueError, "outside the allowed range"),
    ("epochs fractional", race(epochs=1.5), ValueError, "whole number"),
    ("epochs True", race(epochs=True), ValueError, "whole number"),
    ("epochs text", race(epochs="3"), ValueError, "whole number"),
    ("batch 0", race(batch_size=0), ValueError, "outside the allowed range"),
    ("batch too big", race(batch_size=1025), ValueError, "outside the allowed range"),
    ("seed negative", race(seed=-1), ValueError, "outside the allowed range"),
    ("seed too big", race(seed=2**32), ValueError, "outside the allowed range"),
    ("no layers", race(hidden=()), ValueError, "1 to 4 layer sizes"),
    ("a layer of 0", race(hidden=(0,)), ValueError, "outside the allowed range"),
    ("a layer too wide", race(hidden=(5000,)), ValueError, "outside the allowed range"),
    ("layers as text", race(hidden="300"), ValueError, "whole number"),
    ("a fractional layer", race(hidden=[1.5]), ValueError, "whole number"),
    ("five layers", race(hidden=(8,) * 5), ValueError, "1 to 4 layer sizes"),
    ("too many parameters", race(hidden=(2048, 2048)), ValueError, "limit is 2,000,000 per model"),
    ("too much work", race(optimizers=tuple(optviz.OPTIMIZERS), hidden=(1024, 512), epochs=50), ValueError,
     "parameter-epochs"),
    ("data empty", race(data=""), ValueError, "data must be"),
    ("data None", race(data=None), ValueError, "data must be"),
    ("data a number", race(data=3), ValueError, "data must be"),
    ("convention unknown", race(convention="jax"), ValueError, "unknown convention"),
    ("settings unknown", lambda: RaceConfig.from_dict({"bogus": 1}), ValueError, "unknown race settings bogus"),
    ("settings not a dict", lambda: RaceConfig.from_dict(None), TypeError, "takes a dict"),
]


@pytest.mark.parametrize("call, error, message", [case[1:] for case in API], ids=[case[0] for case in API])
def test_the_api_refuses_bad_values_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        finishes(call)


# -- the CLI --------------------------------------------------------------------------------------

#: A train command that gets as far as training quickly, for the cases that fail after the parsing.
TRAIN = ["train", "--data", "embedded", "--optimizers", "sgd", "--epochs", "1", "--hidden", "4"]

CLI = [
    ("no command", [], "the following arguments are required"),
    ("an unknown command", ["frobnicate"], "invalid choice"),
    ("trace without a surface", ["trace"], "the following arguments are required"),
    ("trace an unknown surface", ["trace", "bowel", "adam"], "invalid choice: 'bowel'"),
    ("trace an unknown optimizer", ["trace", "bowl", "adamm"], "invalid choice: 'adamm'"),
    ("trace steps negative", ["trace", "bowl", "adam", "--steps", "-1"], "steps=-1 is outside"),
    ("trace steps not whole", ["trace", "bowl", "adam", "--steps", "1e9"], "invalid int value"),
    ("trace lr NaN", ["trace", "bowl", "adam", "--lr", "nan"], "lr=nan is outside"),
    ("trace lr infinite", ["trace", "bowl", "adam", "--lr", "inf"], "lr=inf is outside"),
    ("trace lr text", ["trace", "bowl", "adam", "--lr", "fast"], "invalid float value"),
    ("trace start NaN", ["trace", "bowl", "adam", "--start", "nan", "0"], "must be finite"),
    ("trace start far", ["trace", "bowl", "adam", "--start", "1e300", "0"], "within ±1e+06"),
    ("trace one coordinate", ["trace", "bowl", "adam", "--start", "1"], "expected 2 arguments"),
    ("trace a flag it does not take", ["trace", "bowl", "sgd", "--rho", "0.9"], "sgd takes no hyper-parameter rho"),
    ("trace a convention unknown", ["trace", "bowl", "adam", "--convention", "jax"], "invalid choice: 'jax'"),
    ("train an unknown optimizer", ["train", "--optimizers", "sgd,nope"], "unknown optimizer 'nope'"),
    ("train no optimizer", ["train", "--optimizers", ","], "unknown optimizer ''"),
    ("train epochs 0", ["train", "--epochs", "0"], "epochs=0 is outside"),
    ("train epochs too many", ["train", "--epochs", "1000"], "epochs=1000 is outside"),
    ("train batch 0", ["train", "--batch-size", "0"], "batch_size=0 is outside"),
    ("train seed negative", ["train", "--seed", "-1"], "seed=-1 is outside"),
    ("train hidden text", ["train", "--hidden", "a,b"], "--hidden takes layer sizes like 300,100"),
    ("train hidden empty", ["train", "--hidden", ""], "--hidden takes layer sizes like 300,100"),
    ("train hidden too big", ["train", "--hidden", "2048,2048"], "limit is 2,000,000 per model"),
    ("train lr out of range", ["train", "--lr", "1e9"], "outside its allowed range"),
    ("train a flag none takes", ["train", "--optimizers", "sgd", "--rho", "0.9"], "none of sgd takes --rho"),
    ("train data empty", ["train", "--data", ""], "data must be"),
    ("train data missing", [*TRAIN, "--data", "{tmp}/missing"], "directory {tmp}/missing cannot be used: not found"),
    ("train data a file", [*TRAIN, "--data", "{tmp}/named.txt"], "cannot be used: not a directory"),
    ("train data broken", [*TRAIN, "--data", "{tmp}/broken"], "broken/train-images-idx3-ubyte: bad IDX magic"),
    ("train json a directory", [*TRAIN, "--json", "{tmp}"], "Is a directory"),
    ("train json in no folder", [*TRAIN, "--json", "{tmp}/no/folder/out.json"], "No such file or directory"),
    ("bench an unknown flag", ["bench", "--fast"], "unrecognized arguments: --fast"),
]


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A working folder and home of their own, holding a file and a broken data directory a command
    may be pointed at; offline, with no data directory named in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "named.txt").write_text("a file the user keeps")
    (tmp_path / "broken").mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / "broken" / name).write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x00")
    return tmp_path


@pytest.mark.parametrize("argv, message", [case[1:] for case in CLI], ids=[case[0] for case in CLI])
def test_each_command_refuses_bad_arguments_with_exit_2_and_touches_no_file(sandbox, capsys, argv, message):
    argv = [arg.replace("{tmp}", str(sandbox)) for arg in argv]
    before = files(sandbox)

    def run():
        try:
            return main(argv)
        except SystemExit as leaving:  # argparse's own errors
            return leaving.code

    assert finishes(run) == 2
    err = capsys.readouterr().err
    assert message.replace("{tmp}", str(sandbox)) in err and "Traceback" not in err
    assert files(sandbox) == before


# -- a link ---------------------------------------------------------------------------------------

LINKS = [
    ("a Markdown link as a key", {"[click me](http://evil.example)": "1"}),
    ("a remote image as a value", {"steps": "![x](http://evil.example/x.png)"}),
    ("an icon and a formula", {"junk": ":material/home: $x^2$ :red[red]"}),
    ("HTML", {"<script>alert(1)</script>": "<img src=x onerror=alert(1)>"}),
    ("line breaks that would end a code span", {"adam.lr": "x\n\n[a](http://evil.example)"}),
    ("backticks", {"``x``": "`y`"}),
    ("300 unknown keys", {f"key{i}": str(i) for i in range(300)}),
    ("100 KB in one value", {"adam.lr": "9" * 100_000}),
    ("100 KB in one key", {"k" * 100_000: "1"}),
    ("steps beyond any float", {"steps": "1e400"}),
    ("steps minus infinity", {"steps": "-inf"}),
    ("lr below any float", {"lr": "1e-400"}),
    ("a start of three numbers", {"start": "1,2,3"}),
    ("a start not finite", {"start": "nan,inf"}),
    ("a start far out", {"start": "1e308,-1e308"}),
    ("a thousand commas", {"opt": "," * 1000}),
    ("an optimizer 5,000 times", {"opt": "adam," * 5000}),
    ("several values for one key", {"surface": ["bowl", "saddle"], "steps": ["1", "2"]}),
    ("empty keys and values", {"": "", "view": "", ".lr": "1", "adam.": "1", "adam.lr.x": "1"}),
    ("every key wrong at once", {"surface": "bowel", "opt": "adam,nope", "adam.lr": "NaN", "steps": "x",
                                 "start": "x,y", "view": "4d", "present": "maybe", "convention": "jax"}),
]


@pytest.mark.parametrize("query", [case[1] for case in LINKS], ids=[case[0] for case in LINKS])
def test_a_link_gives_a_scenario_within_the_labs_limits_and_notices(query):
    scenario, notices = finishes(lambda: from_query(query), seconds=5)
    assert isinstance(scenario, Scenario) and all(isinstance(notice, str) for notice in notices)
    assert 1 <= scenario.steps <= MAX_STEPS
    (x0, x1), (y0, y1) = start_window(optviz.SURFACES[scenario.surface])
    x, y = scenario.start_point
    assert x0 <= x <= x1 and y0 <= y <= y1
    assert 1 <= len(scenario.runs) <= MAX_RUNS
    for index, run in enumerate(scenario.runs):
        for name, value in scenario.settings(index).items():
            low, high = LIMITS[name]
            assert low <= value <= high or value == recommended(scenario.surface, run.optimizer, scenario.convention)[name]


def lab(query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("query", [LINKS[0][1], LINKS[1][1], LINKS[2][1], LINKS[4][1], LINKS[5][1]],
                         ids=[LINKS[i][0] for i in (0, 1, 2, 4, 5)])
def test_what_a_link_says_is_shown_as_text_never_as_markdown(query):
    at = lab(query)
    assert not at.exception
    quoted = [warning.value for warning in at.warning]
    assert quoted
    for value in quoted:
        fence = value[:len(value) - len(value.lstrip("`"))]
        assert fence and value.endswith(fence) and "\n" not in value  # one code span: literal text
        assert fence not in value[len(fence):-len(fence)]


def test_a_long_value_is_cut_and_many_notices_are_counted():
    at = lab({**{f"key{i}": str(i) for i in range(300)}, "adam.lr": "9" * 100_000})
    assert not at.exception
    shown = [warning.value for warning in at.warning]
    assert len(shown) == common.MAX_NOTICES + 1
    assert max(len(value) for value in shown) <= common.MAX_NOTICE_CHARS + 4
    assert shown[-1] == f"And {301 - common.MAX_NOTICES} more parts of this link were not used as they are."


@pytest.mark.browser
def test_a_hostile_link_draws_no_link_image_or_icon_in_the_page():
    """In a real browser: the notices of a link full of Markdown show its text, and draw nothing of it."""
    from benchmarks.server import CHART, app_server, browser, chromium

    if chromium() is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    pytest.importorskip("playwright")
    query = "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in {
        "[click me](http://evil.example)": "1", "steps": "![x](http://evil.example/x.png)",
        ":material/home: :red[red] $x^2$": "1"}.items())
    ARTIFACTS.mkdir(exist_ok=True)
    with app_server() as server, browser() as chromium_browser:
        for width, height in ((1280, 720), (1920, 1080)):
            page = chromium_browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{server.url}/?{query}")
            page.wait_for_selector(CHART, timeout=60_000)  # the whole lab drawn, the notices above it
            page.wait_for_timeout(1000)
            page.screenshot(path=ARTIFACTS / f"hostile-link-{width}x{height}.png")
            notices = page.locator('[data-testid="stAlertContentWarning"]')
            text = " ".join(notices.all_inner_texts())
            assert "[click me](http://evil.example)" in text and "![x](http://evil.example/x.png)" in text
            assert ":red[red] $x^2$" in text  # (Streamlit writes any ":material/" as ":material_", drawing nothing)
            assert notices.locator("a, img, .katex, .stMarkdownColoredText, [role=img]").count() == 0
            assert page.locator('a[href*="evil.example"], img[src*="evil.example"]').count() == 0
            page.close()
    assert os.path.getsize(ARTIFACTS / "hostile-link-1280x720.png") > 10_000

"""Tests for optviz.race.training (the race) and the ``train`` command."""

import errno
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optviz.cli import main
from optviz.engine import kernels
from optviz.optimizers import ARTICLE, OPTIMIZERS, check_convention, get
from optviz.race import data, training
from optviz.race.mlp import HIDDEN, MLP, parameter_count
from optviz.race.training import (
    MAX_BATCH_SIZE,
    MAX_EPOCHS,
    MAX_OPTIMIZERS,
    MAX_PARAMETERS,
    MAX_WORK,
    RaceConfig,
    RunResult,
    _Runner,
    run_race,
    summary,
)

ROOT = Path(__file__).resolve().parents[2]
FULL_DIR = ROOT.parent / "shared/data/fashion-mnist"
needs_full_set = pytest.mark.skipif(not FULL_DIR.is_dir(), reason=f"the full Fashion-MNIST set is not at {FULL_DIR}")


@pytest.fixture(scope="module")
def subset():
    return data.split(data.load("embedded"))


def tiny(**changes) -> RaceConfig:
    """A race that takes a fraction of a second: a 16-unit hidden layer on the embedded subset."""
    return RaceConfig(**{"optimizers": ("sgd", "adam"), "epochs": 1, "hidden": (16,), "data": "embedded", **changes})


def without_seconds(results):
    return {name: {k: v for k, v in r.to_dict().items() if k != "epoch_seconds"} for name, r in results.items()}


@pytest.mark.parametrize("name, convention", [(n, c) for n in OPTIMIZERS for c in OPTIMIZERS[n].conventions])
def test_a_step_is_the_engine_kernel_on_the_flat_parameters(name, convention, subset):
    """The race's step IS kernels.apply on the model's flat vector, its state carried between
    steps; and that moves the weights as the optimizer's readable reference says."""
    config = RaceConfig(optimizers=(name,), convention=convention)
    hyper = config.hyper_for(name)
    code = check_convention(convention)
    runner = _Runner(name, MLP((16,), seed=0), hyper, code, steps_per_epoch=10)
    twin = MLP((16,), seed=0)
    entry = get(name)
    row = tuple(np.float32(hyper.get(key, 0.0)) for key in entry.hyper)
    slots, clock = np.empty((len(entry.slots), twin.params.size), np.float32), np.empty(len(entry.clock), np.float32)
    kernels.start(name)(row, slots, clock)
    reference, state = twin.params.astype(np.float64), {}
    first_layer = runner.model.layers[0].W.copy()
    for t in range(1, 4):
        x, y = subset.x_train[32 * t:32 * (t + 1)], subset.y_train[32 * t:32 * (t + 1)]
        assert runner.step(x, y)
        twin.loss_and_gradient(x, y)
        gradient = twin.grads.astype(np.float64)
        kernels.apply(name)(code, row, twin.params, twin.grads, slots, clock)
        reference, state, _ = entry.reference(reference, gradient, state, t, hyper, convention)
        assert np.array_equal(runner.model.params, twin.params), f"step {t}"
        np.testing.assert_allclose(runner.model.params, reference, rtol=1e-5, atol=1e-6)
    assert runner.steps == 3
    assert not np.array_equal(runner.model.layers[0].W, first_layer)  # the layers' views moved too


def test_a_short_run_learns(subset):
    results = run_race(tiny(optimizers=("adam",), epochs=2, hidden=(64,)), subset)["adam"]
    assert results.loss[1] < results.loss[0]
    assert results.smoothed[-1][1] < results.smoothed[0][1] / 2
    assert results.val_accuracy[-1] > 0.7  # chance is 0.1
    assert results.diverged_at is None


def test_records_as_documented(subset):
    events = []
    results = run_race(tiny(epochs=2), subset, on_event=lambda name, record: events.append((name, record)))
    for name in ("sgd", "adam"):
        mine = [record for who, record in events if who == name]
        epochs = [r for r in mine if r["kind"] == "epoch"]
        steps = [r for r in mine if r["kind"] == "step"]
        assert [r["epoch"] for r in epochs] == [1, 2]
        assert set(epochs[0]) == {"kind", "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
        assert len(steps) >= 2 * 8  # several points per epoch
        positions = [r["epoch_position"] for r in steps]
        assert positions == sorted(positions) and 0 < positions[0] < 0.2 and positions[-1] <= 2
        assert results[name].smoothed == [[r["epoch_position"], r["loss"]] for r in steps]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert getattr(results[name], key) == [r[key] for r in epochs]
        assert results[name].epoch_seconds == [r["seconds"] for r in epochs]
        assert all(0 < r["val_accuracy"] <= 1 and r["seconds"] > 0 for r in epochs)
    assert list(results) == ["sgd", "adam"]
    json.dumps({name: result.to_dict() for name, result in results.items()})  # plain Python values only


def test_reproducible_from_config_and_seed(subset):
    first = run_race(tiny(), subset)
    assert without_seconds(run_race(tiny(), subset)) == without_seconds(first)
    assert without_seconds(run_race(tiny(seed=1), subset)) != without_seconds(first)


def test_same_initial_weights_and_same_minibatches_for_everyone(subset):
    """Momentum with β = 0 is SGD: in one race the two curves coincide exactly, and SGD's
    curve does not depend on who else races (the shuffles are the race's, not the optimizers')."""
    both = run_race(tiny(optimizers=("sgd", "momentum", "adam"), hyper={"momentum": {"momentum": 0.0}}), subset)
    alone = run_race(tiny(optimizers=("sgd",)), subset)
    assert without_seconds(both)["momentum"] == without_seconds(both)["sgd"] == without_seconds(alone)["sgd"]


def test_a_run_is_the_plain_loop_over_the_seeds_minibatches(subset):
    """Blocks or not, a run's epoch is its steps on the minibatches of the seed's shuffle, in
    order: the same numbers as a plain loop over them (the seed gives the first weights, then
    the shuffles)."""
    config = tiny(optimizers=("adam",), seed=3)
    result = run_race(config, subset)["adam"]
    weights_seed, shuffle_seed = np.random.SeedSequence(3).spawn(2)
    model = MLP(config.hidden, weights_seed)
    runner = _Runner("adam", model, config.hyper_for("adam"), check_convention("keras"), steps_per_epoch=1)
    order = np.random.default_rng(shuffle_seed).permutation(len(subset.y_train))
    for first in range(0, len(order), 32):
        assert runner.step(subset.x_train[order[first:first + 32]], subset.y_train[order[first:first + 32]])
    assert result.loss == [runner.loss_sum / runner.seen] and result.accuracy == [runner.correct / runner.seen]
    assert result.val_loss[0] == model.evaluate(subset.x_val, subset.y_val)[0]


def test_every_optimizer_races_and_each_run_is_the_run_it_would_be_alone(subset):
    """The whole registry in one race, in a convention some optimizers lack (they follow their
    first), the runs taking turns by blocks of minibatches: each one's results are exactly those
    of the same run alone."""
    config = tiny(optimizers=tuple(OPTIMIZERS), convention="optax", epochs=2)
    together = without_seconds(run_race(config, subset))
    for name in OPTIMIZERS:
        alone = without_seconds(run_race(tiny(optimizers=(name,), convention="optax", epochs=2), subset))
        assert together[name] == alone[name], name
        assert len(together[name]["val_loss"]) == 2 and together[name]["diverged_at"] is None


def test_a_diverging_run_is_marked_at_its_step_and_the_others_go_on(subset):
    """ReLU and a log-sum-exp loss keep this network finite on [0, 1] images even at lr 1000 (dead
    units stop it), so the images are scaled up a million times to make SGD overflow."""
    big = data.Split(subset.x_train * 1e6, subset.y_train, subset.x_val * 1e6, subset.y_val,
                     subset.x_test, subset.y_test)
    events = []
    config = tiny(hyper={"sgd": {"lr": 1000.0}}, epochs=2)
    results = run_race(config, big, on_event=lambda name, record: events.append((name, record)))
    step = results["sgd"].diverged_at
    assert step is not None and step > 0
    steps_per_epoch = math.ceil(len(big.y_train) / 32)
    sgd = [record for name, record in events if name == "sgd"]
    assert sgd[-1] == {"kind": "diverged", "step": step, "epoch_position": step / steps_per_epoch}
    assert [r for r in sgd if r["kind"] == "diverged"] == [sgd[-1]]
    assert results["sgd"].loss == []  # it diverged in its first epoch
    assert results["adam"].diverged_at is None and len(results["adam"].val_loss) == 2
    # and Adam's run beside a run that diverged is its run alone
    assert without_seconds(results)["adam"] == without_seconds(run_race(tiny(optimizers=("adam",), epochs=2), big))["adam"]


def test_should_stop_stops_at_once_and_keeps_the_finished_epochs(subset):
    """Polled before every minibatch of each of the two runs: the stop comes ten polls into the
    second epoch."""
    steps_per_epoch = math.ceil(len(subset.y_train) / 32)
    stop_at = 2 * steps_per_epoch + 10
    polls, log = 0, []  # the race's records and the stop, in the order they happened

    def should_stop():
        nonlocal polls
        polls += 1
        if polls == stop_at:
            log.append("stop")
        return polls >= stop_at

    results = run_race(tiny(epochs=3), subset, should_stop=should_stop, on_event=lambda name, record: log.append(record))
    assert polls == stop_at  # polled before every minibatch, not once after the True
    assert log[-1] == "stop"  # and nothing trained, evaluated or recorded after it
    for name in ("sgd", "adam"):
        assert len(results[name].val_accuracy) == 1 and results[name].diverged_at is None
    assert max(r.get("epoch_position", 0) for r in log[:-1]) < 1 + 10 / steps_per_epoch


def test_a_race_in_which_every_run_diverged_ends_at_once(subset):
    """No minibatch is gathered (nor should_stop polled) once no run is left to train."""
    big = data.Split(subset.x_train * 1e6, subset.y_train, subset.x_val * 1e6, subset.y_val,
                     subset.x_test, subset.y_test)
    polls = 0

    def should_stop():
        nonlocal polls
        polls += 1
        return False

    results = run_race(tiny(optimizers=("sgd",), hyper={"sgd": {"lr": 1000.0}}, epochs=5), big, should_stop=should_stop)
    step = results["sgd"].diverged_at
    assert step is not None and step < math.ceil(len(big.y_train) / 32)  # in its first epoch
    assert polls == step + 1  # the minibatches it trained on, and the one that gave a non-finite loss


BLAS_THREADS = """
import json, threadpoolctl
from optviz.race import data
from optviz.race.training import RaceConfig, run_race

def blas_threads():
    return {pool["filepath"]: pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"}

before, during = blas_threads(), []
config = RaceConfig(optimizers=("adam",), epochs=1, hidden=(16,), data="embedded")
run_race(config, data.split(data.load("embedded")), on_event=lambda name, record: during.append(blas_threads()))
print(json.dumps({"before": before, "during": during, "after": blas_threads()}))
"""


def test_blas_runs_on_one_thread_from_the_first_race_on_whatever_loaded_it():
    """In a fresh process, as a server's first race: the kernels load a BLAS of their own (SciPy's,
    through numba, when SciPy is installed), after the BLAS numpy brought; both are held to one
    thread during the race and after it, for good."""
    pytest.importorskip("threadpoolctl")
    out = subprocess.run([sys.executable, "-c", BLAS_THREADS], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["before"] and seen["during"]
    for threads in [*seen["during"], seen["after"]]:
        assert set(threads) >= set(seen["before"]) and set(threads.values()) == {1}, threads


def test_a_blas_that_went_back_to_more_threads_is_held_to_one_again_by_the_next_race(subset):
    """As a library loaded or reset since the last race would leave it."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]

    threadpoolctl.threadpool_limits(limits=2, user_api="blas")
    during = []
    run_race(tiny(optimizers=("adam",)), subset, on_event=lambda name, record: during.append(blas_threads()))
    assert during and all(set(threads) == {1} for threads in during)
    assert set(blas_threads()) == {1}


@pytest.mark.parametrize("changes, message", [
    ({"optimizers": ()}, f"1 to {MAX_OPTIMIZERS} optimizers"),
    ({"optimizers": ("sgd",) * (MAX_OPTIMIZERS + 1)}, f"1 to {MAX_OPTIMIZERS} optimizers"),
    ({"optimizers": ("adam", "adam")}, "may not repeat, got adam"),
    ({"optimizers": ("adamm",)}, "unknown optimizer 'adamm'; choose one of: sgd"),
    ({"optimizers": "adam"}, "optimizers must be a list of names"),
    ({"epochs": 0}, "epochs=0 is outside the allowed range [1, 50]"),
    ({"epochs": MAX_EPOCHS + 1}, "epochs=51 is outside"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"epochs": True}, "epochs must be a whole number"),
    ({"batch_size": 0}, "batch_size=0 is outside the allowed range [1, 1024]"),
    ({"batch_size": MAX_BATCH_SIZE + 1}, "batch_size=1025 is outside"),
    ({"seed": -1}, "seed=-1 is outside"),
    ({"hidden": ()}, "hidden must list 1 to 4 layer sizes"),
    ({"hidden": (8,) * 5}, "hidden must list 1 to 4 layer sizes"),
    ({"hidden": (3000,)}, "hidden layer size=3000 is outside the allowed range [1, 2048]"),
    ({"hidden": (0, 10)}, "hidden layer size=0 is outside"),
    ({"hidden": (2048, 2048)}, "hidden layers (2048, 2048) make a model of 5,824,522 parameters; the limit is "
                               "2,000,000 per model"),
    ({"optimizers": ARTICLE, "hidden": (1024, 1024), "epochs": 9},
     "8 optimizers × 1,863,690 parameters × 9 epochs is 134,185,680 parameter-epochs; the limit is 120,000,000"),
    ({"hidden": ("300",)}, "hidden layer size must be a whole number"),
    ({"convention": "jax"}, "unknown convention 'jax'; choose one of: keras, torch, optax"),
    ({"hyper": {"adam": {"lr": -1}}}, "is outside its allowed range (0, 1000]"),
    ({"hyper": {"adam": {"rho": 0.9}}}, "adam takes no hyper-parameter rho"),
    ({"hyper": {"nadam": {"lr": 0.1}}}, "given for 'nadam', which is not in the race"),
    ({"hyper": {"adam": {"lr": "fast"}}}, "hyper['adam']['lr'] must be a number"),
    ({"hyper": {"adam": 0.1}}, "hyper['adam'] must map names to values"),
    ({"hyper": "lr=0.1"}, "hyper must map names to values"),
    ({"data": 3}, "data must be 'auto', 'embedded' or a directory"),
])
def test_config_errors_say_what_is_wrong_and_what_is_allowed(changes, message):
    with pytest.raises(ValueError) as error:
        tiny(**changes)
    assert message in str(error.value)


def test_the_limits_admit_the_races_the_page_offers_and_models_up_to_their_size():
    longest = RaceConfig(epochs=MAX_EPOCHS, batch_size=MAX_BATCH_SIZE)  # the article's eight and network
    assert len(longest.optimizers) * parameter_count(HIDDEN) * MAX_EPOCHS <= MAX_WORK
    near_limit = (2048, 160, 160, 160)
    assert MAX_PARAMETERS - 20_000 < parameter_count(near_limit) <= MAX_PARAMETERS
    most = MAX_WORK // (8 * parameter_count(near_limit))  # 7 epochs
    assert RaceConfig(hidden=near_limit, epochs=most)
    with pytest.raises(ValueError, match="parameter-epochs; the limit is 120,000,000 per race"):
        RaceConfig(hidden=near_limit, epochs=most + 1)
    assert MAX_OPTIMIZERS == len(OPTIMIZERS) and MAX_BATCH_SIZE == 1024 and MAX_PARAMETERS == 2_000_000
    assert RaceConfig(optimizers=tuple(OPTIMIZERS), epochs=1)  # every optimizer of the registry at once


def test_canonical_form_and_key():
    config = tiny(hyper={"adam": {"lr": 0.01}})
    plain = config.to_dict()
    assert plain == json.loads(json.dumps(plain))
    assert plain["hyper"] == {"sgd": {"lr": 0.001},  # the article's lr, not Keras's SGD default of 0.01
                              "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}}
    assert RaceConfig.from_dict(plain).key() == config.key()
    assert len(config.key()) == 16 and int(config.key(), 16) >= 0
    assert tiny(hyper={"sgd": {"lr": 0.001}}).key() == tiny().key()  # a default spelled out
    assert hash(tiny(hyper={"adam": {"lr": 0.01}})) == hash(config) and tiny(hidden=[16]) == tiny()
    keys = {tiny(**change).key() for change in
            ({}, {"epochs": 2}, {"seed": 1}, {"batch_size": 64}, {"hidden": (17,)}, {"convention": "torch"},
             {"data": "auto"}, {"optimizers": ("adam", "sgd")}, {"hyper": {"adam": {"epsilon": 1e-8}}})}
    assert len(keys) == 9
    with pytest.raises(ValueError, match="unknown race settings epoch"):
        RaceConfig.from_dict({"epoch": 3})


def test_the_defaults_are_the_article_experiment():
    config = RaceConfig()
    assert config.optimizers == ARTICLE == ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax",
                                            "nadam")
    assert (config.epochs, config.batch_size, config.hidden, config.convention) == (20, 32, (300, 100), "keras")
    for name in config.optimizers:
        hyper = config.hyper_for(name)
        assert hyper["lr"] == 0.001
        assert all(hyper[key] == value for key, value in
                   {"momentum": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999}.items() if key in hyper)


def test_summary_sorts_by_validation_accuracy_and_lists_divergence_last():
    def result(val_accuracy, diverged_at=None):
        return RunResult(**{"loss": [1.0], "accuracy": [0.5], "val_loss": [1.0], "val_accuracy": [val_accuracy],
                "epoch_seconds": [1.0], "diverged_at": diverged_at, "smoothed": []})

    text = summary({"sgd": result(0.7), "nesterov": result(0.9, diverged_at=40), "adam": result(0.8)})
    names = [line.split()[0] for line in text.splitlines()[1:]]
    assert names == ["Adam", "GD", "Nesterov"] and "diverged at step 40" in text


def test_cli_train_writes_the_documented_json(tmp_path, capsys):
    out = tmp_path / "race.json"
    assert main(["train", "--data", "embedded", "--optimizers", "sgd,adam", "--epochs", "2", "--hidden", "16",
                 "--lr", "0.01", "--seed", "3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "data: embedded subset" in printed and "optimizer" in printed and str(out) in printed
    document = json.loads(out.read_text())
    assert set(document) == {"config", "data", "results"}
    assert document["config"]["hyper"]["sgd"] == {"lr": 0.01} and document["config"]["seed"] == 3
    assert document["data"]["source"].startswith("embedded") and document["data"]["val"] == 416
    for name in ("sgd", "adam"):
        result = document["results"][name]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds"):
            assert len(result[key]) == 2
        assert result["diverged_at"] is None and result["smoothed"]


def test_cli_train_checks_where_it_writes_before_training(tmp_path, capsys, monkeypatch):
    trained = []
    monkeypatch.setattr(training, "run_race", lambda *args, **kwargs: trained.append(args))
    for out, reason in ((tmp_path / "missing" / "race.json", "No such file or directory"),
                        (tmp_path, "Is a directory")):
        assert main(["train", "--data", "embedded", "--optimizers", "sgd", "--json", str(out)]) == 2
        assert capsys.readouterr().err == f"error: cannot write {out} ({reason})\n"
    assert trained == []


def test_cli_train_json_is_written_whole_or_not_at_all(tmp_path, capsys, monkeypatch):
    out = tmp_path / "race.json"
    out.write_text("an earlier race")
    command = ["train", "--data", "embedded", "--optimizers", "sgd", "--epochs", "1", "--hidden", "16", "--json",
               str(out)]

    def disk_full(document, file, **options):
        file.write('{"config": ')
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(json, "dump", disk_full)
        assert main(command) == 2
    assert f"error: cannot write {out} (No space left on device)" in capsys.readouterr().err
    assert out.read_text() == "an earlier race" and list(tmp_path.iterdir()) == [out]  # no temporary file left

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(training, "run_race", interrupted)
        with pytest.raises(KeyboardInterrupt):
            main(command)
    assert out.read_text() == "an earlier race" and list(tmp_path.iterdir()) == [out]

    assert main(command) == 0
    assert json.loads(out.read_text())["results"]["sgd"]["val_loss"] and list(tmp_path.iterdir()) == [out]


def test_cli_train_refuses_a_flag_no_optimizer_takes(capsys):
    assert main(["train", "--data", "embedded", "--optimizers", "sgd", "--beta1", "0.5"]) == 2
    assert "none of sgd takes --beta1" in capsys.readouterr().err


@needs_full_set
def test_one_epoch_of_adam_on_the_full_data():
    split = data.split(data.load(str(FULL_DIR), download=False))
    assert (len(split.y_train), len(split.y_val)) == (55_000, 5_000)
    result = run_race(RaceConfig(optimizers=("adam",), epochs=1), split)["adam"]
    assert result.val_accuracy[0] > 0.8  # the article's Adam: about 0.85 after one epoch


def test_cli_bench_runs_the_kernels_and_maps_benchmarks_or_the_mlp_one(monkeypatch):
    from benchmarks import engine as bench
    from benchmarks import maps as maps_bench
    from benchmarks import mlp as mlp_bench

    ran = []
    monkeypatch.setattr(mlp_bench, "main", lambda quick: ran.append(("mlp", quick)))
    monkeypatch.setattr(bench, "main", lambda quick: ran.append(("kernels", quick)))
    monkeypatch.setattr(maps_bench, "main", lambda quick: ran.append(("maps", quick)))
    assert main(["bench", "--mlp", "--quick"]) == 0 and main(["bench"]) == 0
    assert ran == [("mlp", True), ("kernels", False), ("maps", False)]

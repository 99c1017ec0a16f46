"""Tests for optviz.race.landscape: the planes, the loss on them, the paths drawn on them."""

import json
import sqlite3
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from optviz.cli import main
from optviz.race import data, jobs, landscape
from optviz.race.landscape import PlaneLoss, Settings, Stopped, compute
from optviz.race.mlp import MLP
from optviz.race.training import CHECKPOINTS_IN_FIRST_EPOCH, RaceConfig, run_race

HIDDEN = (16, 8)


@pytest.fixture(scope="module")
def split():
    return data.split(data.load("embedded"))


@pytest.fixture(scope="module")
def race(split):
    """A race of three optimizers that keeps its checkpoints, and those checkpoints."""
    config = RaceConfig(optimizers=("sgd", "adam", "rmsprop"), epochs=2, hidden=HIDDEN, data="embedded")
    on_event, checkpoints = landscape.collector()
    run_race(config, split, on_event=on_event, checkpoints=True)
    return config, checkpoints


def small(plane, **changes):
    return Settings(**{"plane": plane, "grid": 5, "images": 120, **changes})


def direct_loss(weights, x, labels):
    """The plain way: a network with these weights, its mean loss over the images."""
    loss, _ = MLP.of(np.asarray(weights, np.float32), HIDDEN).evaluate(x, labels)
    return loss


def test_the_race_keeps_the_first_weights_points_in_the_first_epoch_and_every_epoch(race):
    config, checkpoints = race
    assert set(checkpoints) == set(config.optimizers)
    for kept in checkpoints.values():
        assert [position for position, _ in kept] == [0, *CHECKPOINTS_IN_FIRST_EPOCH, 1, 2]
    first = [kept[0][1] for kept in checkpoints.values()]
    assert all(np.array_equal(first[0], weights) for weights in first[1:])
    assert not np.array_equal(checkpoints["adam"][-1][1], first[0])


def test_the_endpoints_plane_holds_its_three_points_and_the_grid_there_is_their_loss(race, split):
    config, checkpoints = race
    result = compute(config, checkpoints, split, small("endpoints", through=("adam", "sgd")))
    for name in ("adam", "sgd"):
        first, final = result.paths[name][0], result.paths[name][-1]
        assert first["residual"] <= 1e-6 and final["residual"] <= 1e-6
        assert (first["a"], first["b"]) == pytest.approx((0, 0), abs=1e-9)
        # on the plane, the plane's loss at the point is the network's own, to float32 rounding
        assert final["plane_train_loss"] == pytest.approx(final["train_loss"], rel=1e-5)
        assert final["plane_val_loss"] == pytest.approx(final["val_loss"], rel=1e-5)
    assert result.paths["adam"][-1]["b"] == pytest.approx(0, abs=1e-6)  # a points towards the first one's solution
    assert result.paths["rmsprop"][-1]["residual"] > 1e-3  # a third optimizer lies off it
    x, labels = landscape.sample(split, 120)["train"]
    assert result.paths["adam"][-1]["train_loss"] == pytest.approx(direct_loss(checkpoints["adam"][-1][1], x, labels),
                                                                   rel=1e-9)


@pytest.mark.parametrize("plane", landscape.PLANES)
def test_the_grid_is_the_loss_of_the_network_at_each_point(race, split, plane):
    """At a few grid points, the grid's value equals the loss of the network with weights
    origin + a·D₁ + b·D₂, evaluated the plain way."""
    config, checkpoints = race
    settings = small(plane).for_race(config.optimizers)
    result = compute(config, checkpoints, split, settings)
    paths = landscape._paths(config, checkpoints)
    origin, directions = {"endpoints": lambda: landscape.endpoints_plane(paths, settings.through),
                          "pca": lambda: landscape.pca_plane(paths),
                          "random": lambda: landscape.random_plane(paths, settings.through[0], HIDDEN,
                                                                   config.seed)}[plane]()
    sets = landscape.sample(split, 120)
    for row, column in [(0, 0), (2, 3), (4, 1)]:
        a, b = result.axes["a"][column], result.axes["b"][row]
        weights = origin.astype(np.float64) + a * directions[0] + b * directions[1]
        for which in ("train", "val"):
            assert result.loss(which)[row, column] == pytest.approx(direct_loss(weights, *sets[which]), rel=1e-4)


def test_the_batched_first_layer_equals_the_plain_evaluation(race, split):
    _, checkpoints = race
    origin = checkpoints["adam"][-1][1]
    rng = np.random.default_rng(3)
    directions = rng.standard_normal((2, origin.size)) * 0.05
    x, labels = landscape.sample(split, 300)["val"]
    points = np.array([(a, b) for a in (-1.0, 0.0, 0.5) for b in (-0.5, 0.0, 2.0)])  # 9: more than one batch
    batched = PlaneLoss(origin, directions, HIDDEN, x, labels).at(points)
    plain = [direct_loss(origin + a * directions[0].astype(np.float32) + b * directions[1].astype(np.float32),
                         x, labels) for a, b in points]
    np.testing.assert_allclose(batched, plain, rtol=1e-5)


def test_filter_normalization_holds_neuron_by_neuron(race):
    _, checkpoints = race
    paths = {name: kept for name, kept in checkpoints.items()}
    centre, directions = landscape.random_plane(paths, "adam", HIDDEN, seed=0)
    held = MLP.of(centre, HIDDEN)
    for direction in directions:
        moved = MLP.of(direction, HIDDEN)
        for layer, reference in zip(moved.layers[::2], held.layers[::2]):
            np.testing.assert_allclose(np.linalg.norm(layer.W, axis=0), np.linalg.norm(reference.W, axis=0),
                                       rtol=1e-6)
            assert not layer.b.any()
    assert not np.allclose(directions[0], directions[1])


def test_the_pca_plane_captures_more_of_the_paths_than_any_other_plane_through_the_start(race, split):
    config, checkpoints = race
    pca = compute(config, checkpoints, split, small("pca"))
    endpoints = compute(config, checkpoints, split, small("endpoints"))
    assert 0 < endpoints.explained["all"] < pca.explained["all"] <= 1
    # explained is the paths' squared distance from W₀ kept in the plane: 1 - residual² per checkpoint, weighted
    paths = landscape._paths(config, checkpoints)
    first = paths["sgd"][0][1].astype(np.float64)
    squared = [float(np.sum((w.astype(np.float64) - first) ** 2)) for kept in paths.values() for _, w in kept]
    residuals = [point["residual"] for points in pca.paths.values() for point in points]
    assert pca.explained["all"] == pytest.approx(
        sum(d * (1 - r ** 2) for d, r in zip(squared, residuals)) / sum(squared), rel=1e-9)
    assert set(pca.explained["paths"]) == set(config.optimizers)


def test_the_lines_run_from_the_first_weights_to_each_solution_and_between_two(race, split):
    config, checkpoints = race
    result = compute(config, checkpoints, split, small("pca", through=("adam", "rmsprop")))
    t = np.array(result.lines["t"])
    start, end = int(np.argmin(abs(t))), int(np.argmin(abs(t - 1)))
    assert t[start] == pytest.approx(0, abs=1e-12) and t[end] == pytest.approx(1)
    for name in config.optimizers:
        line = result.lines["from_start"][name]
        assert line["train"][start] == pytest.approx(result.paths[name][0]["train_loss"], rel=1e-5)
        assert line["val"][end] == pytest.approx(result.paths[name][-1]["val_loss"], rel=1e-5)
    between = result.lines["between"]
    assert between["optimizers"] == ["adam", "rmsprop"]
    assert between["train"][start] == pytest.approx(result.paths["adam"][-1]["train_loss"], rel=1e-5)
    assert between["train"][end] == pytest.approx(result.paths["rmsprop"][-1]["train_loss"], rel=1e-5)


def test_the_result_survives_its_json_form(race, split):
    config, checkpoints = race
    result = compute(config, checkpoints, split, small("random"))
    again = landscape.Landscape.from_dict(result.to_dict())
    np.testing.assert_array_equal(again.train_loss, result.train_loss)
    assert again.paths == result.paths and again.explained == result.explained
    assert len(result.axes["a"]) == 5 and result.train_loss.shape == (5, 5)
    assert "filter normalization" in landscape.explain(result)


def test_progress_rises_to_one_and_a_stop_is_prompt(race, split):
    config, checkpoints = race
    shares = []
    compute(config, checkpoints, split, small("pca"), progress=shares.append)
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    with pytest.raises(Stopped):
        compute(config, checkpoints, split, small("pca"), should_stop=lambda: True)


@pytest.mark.parametrize("settings, message", [
    (dict(plane="saddle"), "unknown plane 'saddle'; the planes are endpoints, pca, random"),
    (dict(grid=2), "grid=2 is outside the allowed range [5, 101]"),
    (dict(grid=5.5), "grid must be a whole number"),
    (dict(images=10**6), "images=1000000 is outside the allowed range"),
    (dict(through=("adam", "adam")), "through names 'adam' twice"),
    (dict(through=("adam", "sgd", "rmsprop")), "through takes one or two optimizers"),
    (dict(through=("newton",)), "unknown optimizer 'newton' in through"),
])
def test_bad_settings_are_refused_naming_what_is_wrong(settings, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        Settings(**settings)


def test_optimizers_not_in_the_race_are_refused(race, split):
    config, checkpoints = race
    with pytest.raises(ValueError, match="'adagrad' did not run in this race; through takes optimizers of the race: "
                                         "sgd, adam, rmsprop"):
        compute(config, checkpoints, split, small("endpoints", through=("adam", "adagrad")))
    with pytest.raises(ValueError, match="this race has only one"):
        Settings(plane="endpoints").for_race(("adam",))
    with pytest.raises(ValueError, match="the race kept no checkpoints of rmsprop"):
        compute(config, {name: kept for name, kept in checkpoints.items() if name != "rmsprop"}, split, small("pca"))


# -- in the race store ------------------------------------------------------------------------------


def store_race(store, **changes):
    """A tiny race trained to its end in ``store``."""
    config = RaceConfig(**{"optimizers": ("sgd", "adam"), "epochs": 2, "hidden": HIDDEN, "data": "embedded",
                           **changes})
    store.start(config)
    return wait(lambda: (job := store.job(config.key())) and not job.running and job)


def wait(until, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not (value := until()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def test_a_race_in_the_store_keeps_its_checkpoints_and_its_landscape(tmp_path, split):
    store = jobs.Store(tmp_path / "races.sqlite")
    race_job = store_race(store)
    assert race_job.state == "finished"
    landscapes = jobs.Landscapes(store)
    kept = landscapes.checkpoints(race_job.key)
    on_event, direct = landscape.collector()
    run_race(race_job.config, split, on_event=on_event, checkpoints=True)
    for name in race_job.config.optimizers:  # the weights as the race made them, to the last bit
        assert [p for p, _ in kept[name]] == [p for p, _ in direct[name]]
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(kept[name], direct[name]))
    settings = small("pca")
    started = landscapes.start(race_job, settings)
    assert started.state in ("running", "finished") and started.race == race_job.key
    job = wait(lambda: (job := landscapes.job(race_job.config, settings)) and not job.running and job)
    assert job.state == "finished" and job.progress == 1.0, job.reason
    np.testing.assert_array_equal(job.result.train_loss,
                                  compute(race_job.config, direct, split, settings).train_loss)
    assert landscapes.start(race_job, settings).key == job.key  # asked again: the stored one, not a new run
    assert jobs.Landscapes(jobs.Store(store.path)).job(race_job.config, settings).result.paths == job.result.paths


def test_a_cancelled_landscape_keeps_nothing(tmp_path, monkeypatch):
    store = jobs.Store(tmp_path / "races.sqlite")
    race_job = store_race(store)
    monkeypatch.setattr(jobs, "TICK_SECONDS", 0.01)
    computing = threading.Event()

    def endless(race, checkpoints, split, settings, *, progress, should_stop):
        while True:
            progress(0.5)
            computing.set()
            if should_stop():
                raise Stopped()
            time.sleep(0.005)

    monkeypatch.setattr(landscape, "compute", endless)
    landscapes, settings = jobs.Landscapes(store), small("random")
    landscapes.start(race_job, settings)
    assert computing.wait(10)
    assert wait(lambda: landscapes.job(race_job.config, settings).progress == 0.5)
    landscapes.cancel(race_job.config, settings)
    job = wait(lambda: (job := landscapes.job(race_job.config, settings)) and not job.running and job)
    assert (job.state, job.result, job.progress) == ("cancelled", None, 0.0)
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT result FROM landscapes").fetchall() == [(None,)]


def test_a_landscape_is_refused_for_a_race_it_cannot_draw(tmp_path, monkeypatch):
    store = jobs.Store(tmp_path / "races.sqlite")
    race_job = store_race(store)
    landscapes = jobs.Landscapes(store)
    with pytest.raises(ValueError, match="'rmsprop' did not run in this race"):
        landscapes.start(race_job, small("endpoints", through=("adam", "rmsprop")))
    with pytest.raises(jobs.Refused, match="of a finished race"):
        landscapes.start(replace(race_job, state="cancelled"), small("pca"))
    monkeypatch.setattr(jobs, "KEPT_CHECKPOINTS", 1)
    store_race(store, seed=1)  # the newer race keeps its checkpoints; the first one's go
    assert landscapes.checkpoints(race_job.key) == {}
    with pytest.raises(jobs.Refused, match="no longer kept"):
        landscapes.start(race_job, small("pca"))


def test_a_store_of_version_2_gains_the_landscapes_and_keeps_its_races_and_sweeps(tmp_path):
    path = tmp_path / "races.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(jobs._SCHEMA + jobs._SWEEP_SCHEMA)
        db.execute("PRAGMA user_version = 2")
        db.execute("INSERT INTO jobs (key, config, state, reason, source, run, pid, boot, started, heartbeat, viewed) "
                   "VALUES ('k', '{}', 'finished', '', 'embedded', 'r', 1, 'b', 0, 0, 0)")
        db.execute("INSERT INTO sweep_runs (sweep, key, result, finished) VALUES ('s', 'r', '{}', 0)")
    store = jobs.Store(path)
    assert store.notice == "" and not list(tmp_path.glob("*.damaged-*"))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == jobs.SCHEMA_VERSION == 3
        assert db.execute("SELECT key FROM jobs").fetchall() == [("k",)]
        assert db.execute("SELECT key FROM sweep_runs").fetchall() == [("r",)]
        assert db.execute("SELECT COUNT(*) FROM landscapes").fetchone() == (0,)
    assert jobs.Landscapes(store).checkpoints("k") == {}


# -- python -m optviz landscape ---------------------------------------------------------------------


def test_the_command_trains_the_race_in_the_store_and_writes_the_landscape(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "landscape.json"
    command = ["landscape", "--data", "embedded", "--optimizers", "sgd,adam,rmsprop", "--epochs", "1", "--hidden",
               "16,8", "--plane", "endpoints", "--through", "adam,sgd", "--grid", "7", "--images", "100",
               "--json", str(out)]
    assert main(command) == 0
    document = json.loads(out.read_text())
    assert document["plane"] == "endpoints" and document["through"] == ["adam", "sgd"]
    assert len(document["axes"]["a"]) == len(document["axes"]["b"]) == 7
    assert np.shape(document["train_loss"]) == np.shape(document["val_loss"]) == (7, 7)
    assert [point["epoch"] for point in document["paths"]["adam"]] == [0, *CHECKPOINTS_IN_FIRST_EPOCH, 1]
    for name in ("adam", "sgd"):
        assert document["paths"][name][-1]["residual"] <= 1e-6
    assert 0 < document["explained"]["all"] < 1
    assert "Adam and GD" in capsys.readouterr().out
    store = jobs.Store(tmp_path / "cache" / "races.sqlite")
    with sqlite3.connect(store.path) as db:  # both kept, so the same command again reuses them
        assert db.execute("SELECT state FROM jobs").fetchall() == [("finished",)]
        assert db.execute("SELECT state FROM landscapes").fetchall() == [("finished",)]


@pytest.mark.parametrize("flags, message", [
    (["--through", "adam,nadam"], "'nadam' did not run in this race"),
    (["--grid", "500"], "grid=500 is outside the allowed range [5, 101]"),
    (["--plane", "endpoints", "--optimizers", "adam"], "this race has only one"),
])
def test_the_command_refuses_bad_settings_before_training(tmp_path, monkeypatch, capsys, flags, message):
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["landscape", "--data", "embedded", "--optimizers", "sgd,adam", *flags]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "cache" / "races.sqlite").exists()

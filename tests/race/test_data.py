"""Tests for optviz.race.data: reading IDX files, finding a data source, downloading, splitting."""

import functools
import gzip
import hashlib
import http.server
import re
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from optviz.race import data
from optviz.race.data import (
    CLASSES,
    FILES,
    DataError,
    DataWarning,
    load,
    read_idx,
    split,
)

FULL_DIR = Path(__file__).resolve().parents[3] / "shared/data/fashion-mnist"
needs_full_set = pytest.mark.skipif(
    not FULL_DIR.is_dir(), reason=f"the full Fashion-MNIST set is not at {FULL_DIR}"
)


def idx_bytes(array, type_code=0x08):
    header = struct.pack(f">HBB{array.ndim}I", 0, type_code, array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path, array, **kwargs):
    raw = idx_bytes(array, **kwargs)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def write_set(directory, n_train=24, n_test=12, fill=0):
    """A small valid dataset whose pixels all equal ``fill``, so a test can tell sets apart."""
    directory.mkdir(parents=True, exist_ok=True)
    for images_name, labels_name, n in (
        (data.TRAIN_IMAGES, data.TRAIN_LABELS, n_train),
        (data.TEST_IMAGES, data.TEST_LABELS, n_test),
    ):
        write_idx(directory / images_name, np.full((n, 28, 28), fill, np.uint8))
        write_idx(directory / labels_name, np.arange(n) % 10)
    return directory


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every place load() looks, moved into tmp_path and empty; returns their directories."""
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPTVIZ_CACHE_DIR", str(cache))
    monkeypatch.delenv("OPTVIZ_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "BASE_URL", "http://127.0.0.1:9/never-used/")
    return {
        "env": tmp_path / "env",
        "keras": home / ".keras" / "datasets" / "fashion-mnist",
        "cache": cache / "fashion-mnist",
    }


# read_idx ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trips(tmp_path, name):
    array = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    result = read_idx(write_idx(tmp_path / name, array))
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, array)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6)))
def test_read_idx_round_trips_any_shape(tmp_path_factory, array):
    path = tmp_path_factory.mktemp("idx") / "any.gz"
    np.testing.assert_array_equal(read_idx(write_idx(path, array)), array)


def test_read_idx_result_is_read_only(tmp_path):
    result = read_idx(write_idx(tmp_path / "labels.gz", np.arange(10)))
    with pytest.raises(ValueError):
        result[0] = 1


def good_idx():
    return idx_bytes(np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256)


def corrupt_gzip():
    packed = bytearray(gzip.compress(good_idx()))
    packed[len(packed) // 2] ^= 0xFF
    return bytes(packed)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("truncated", good_idx()[:-100], "expected 1,568 bytes of data, got 1,468"),
        ("too-long", good_idx() + b"\0" * 3, "expected 1,568 bytes of data, got 1,571"),
        ("header-cut", good_idx()[:10], "ends inside it"),
        ("empty", b"", "too short"),
        ("bad-magic", b"\x01\x02" + good_idx()[2:], "bad IDX magic number 0x0102"),
        ("bad-type", good_idx()[:2] + b"\x0d" + good_idx()[3:], "type code 0x0d"),
    ],
)
@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gz"])
def test_read_idx_rejects_broken_files(tmp_path, name, content, message, compressed):
    path = tmp_path / (f"{name}.gz" if compressed else name)
    path.write_bytes(gzip.compress(content) if compressed else content)
    with pytest.raises(DataError, match=message) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "content",
    [corrupt_gzip(), gzip.compress(good_idx())[:-20], b"not gzip at all"],
    ids=["flipped-byte", "cut-short", "not-gzip"],
)
def test_read_idx_rejects_corrupt_gzip(tmp_path, content):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match="not a valid gzip stream") as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


def test_no_data_at_all_is_a_message_from_the_cli_not_a_traceback(places, monkeypatch, tmp_path, capsys):
    """DataError is a ValueError, so the CLI (and the race page) report it as they report bad settings."""
    from optviz.cli import main

    monkeypatch.setattr(data, "EMBEDDED_DIR", tmp_path / "no-subset-either")
    assert main(["train", "--optimizers", "sgd", "--epochs", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: no usable Fashion-MNIST data found") and "Traceback" not in error


# Finding a source -------------------------------------------------------------------------------


def test_search_order(places, monkeypatch):
    write_set(places["cache"], fill=3)
    assert load(download=False).source.startswith("optviz cache")

    write_set(places["keras"], fill=2)
    found = load(download=False)
    assert found.source.startswith("Keras cache ~/.keras/datasets/fashion-mnist")
    assert found.x_train[0, 0, 0] == 2

    write_set(places["env"], fill=1)
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(places["env"]))
    found = load(download=False)
    expected = f"directory {places['env']} named by OPTVIZ_DATA_DIR (24 train / 12 test)"
    assert found.source == expected
    assert found.notes == () and not found.embedded

    named = write_set(places["env"].parent / "named", n_train=36, fill=9)
    found = load(named, download=False)
    assert found.source == f"directory {named} (36 train / 12 test)"
    assert found.x_train.shape == (36, 28, 28) and found.y_test.shape == (12,)


def test_missing_sources_are_noted_quietly(places, recwarn):
    found = load(download=False)
    assert found.source.startswith("embedded subset inside optviz")
    notes = "\n".join(found.notes)
    assert "Keras cache ~/.keras/datasets/fashion-mnist: not found" in notes
    assert "optviz cache" in notes and "download=False" in notes
    assert not [w for w in recwarn if issubclass(w.category, DataWarning)]


def test_partial_directory_is_noted_as_missing_files(places):
    write_set(places["keras"])
    (places["keras"] / data.TEST_LABELS).unlink()
    found = load(download=False)
    assert f"missing {data.TEST_LABELS}" in found.notes[0]


def test_unpacked_files_are_read_too(places):
    places["keras"].mkdir(parents=True)
    for name in FILES:
        raw = np.arange(12) % 10 if "labels" in name else np.zeros((12, 28, 28))
        write_idx(places["keras"] / name.removesuffix(".gz"), raw)
    assert load(download=False).source.startswith("Keras cache")


def test_corrupt_source_is_skipped_with_its_error(places):
    write_set(places["keras"])
    broken = places["keras"] / data.TRAIN_IMAGES
    broken.write_bytes(broken.read_bytes()[:-50])
    write_set(places["cache"], fill=2)

    with pytest.warns(DataWarning, match="Keras cache"):
        found = load(download=False)
    assert found.source.startswith("optviz cache")
    assert len(found.notes) == 1
    assert "Keras cache ~/.keras/datasets/fashion-mnist: skipped" in found.notes[0]
    assert f"{broken}: not a valid gzip stream" in found.notes[0]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: write_idx(d / data.TRAIN_IMAGES, np.zeros((24, 28, 27))), r"\(N, 28, 28\)"),
        (lambda d: write_idx(d / data.TRAIN_LABELS, np.zeros((24, 2))), r"shape \(N,\)"),
        (lambda d: write_idx(d / data.TRAIN_LABELS, np.zeros(23)), "23 labels, but"),
        (lambda d: write_idx(d / data.TEST_LABELS, np.full(12, 10)), "label 10 is outside 0-9"),
    ],
    ids=["image-shape", "label-shape", "count-mismatch", "label-value"],
)
def test_wrongly_shaped_set_is_skipped_naming_the_file(places, damage, message):
    write_set(places["keras"])
    broken_file = damage(places["keras"])
    with pytest.warns(DataWarning):
        found = load(download=False)
    assert found.source.startswith("embedded subset")
    skipped = [note for note in found.notes if "skipped" in note]
    assert len(skipped) == 1 and skipped[0].startswith("Keras cache")
    assert f"{broken_file}: " in skipped[0]
    assert re.search(message, skipped[0])


def broken_sets():
    """Ways a directory of the four files can be unusable: (name, damage(directory), what the error says)."""
    def write(name, content):
        return lambda d: (d / name).write_bytes(content)

    return [
        ("nonexistent", lambda d: shutil.rmtree(d), "cannot be used: not found"),
        ("a file", lambda d: shutil.rmtree(d) or d.write_text("not a directory"), "cannot be used: not a directory"),
        ("missing file", lambda d: (d / data.TEST_LABELS).unlink(), f"cannot be used: missing {data.TEST_LABELS}"),
        ("truncated", write(data.TRAIN_IMAGES, gzip.compress(idx_bytes(np.zeros((24, 28, 28)))[:-50])),
         f"{data.TRAIN_IMAGES}: header says shape"),
        ("cut gzip", write(data.TRAIN_IMAGES, gzip.compress(idx_bytes(np.zeros((24, 28, 28))))[:-20]),
         f"{data.TRAIN_IMAGES}: not a valid gzip stream"),
        ("wrong magic", write(data.TEST_IMAGES, gzip.compress(b"\x01\x02" + idx_bytes(np.zeros((12, 28, 28)))[2:])),
         f"{data.TEST_IMAGES}: bad IDX magic number 0x0102"),
        ("zero bytes", write(data.TRAIN_LABELS, b""), f"{data.TRAIN_LABELS}: only 0 bytes"),
        ("mismatched", lambda d: write_idx(d / data.TRAIN_LABELS, np.zeros(23)), "23 labels, but"),
    ]


@pytest.mark.parametrize("damage, message", [case[1:] for case in broken_sets()],
                         ids=[case[0] for case in broken_sets()])
@pytest.mark.parametrize("named_by", ["argument", "OPTVIZ_DATA_DIR"])
def test_a_directory_the_user_names_is_used_or_refused_never_replaced(places, monkeypatch, damage, message,
                                                                      named_by):
    """Only "auto" falls back to other data; a directory named by the caller or by OPTVIZ_DATA_DIR
    that cannot be used is an error naming the file and what is wrong with it."""
    write_set(places["cache"])  # a usable set elsewhere, which must not be taken instead
    named = write_set(places["env"])
    damage(named)
    if named_by == "OPTVIZ_DATA_DIR":
        monkeypatch.setenv("OPTVIZ_DATA_DIR", str(named))
    with pytest.raises(DataError, match=re.escape(message)) as raised:
        load(named if named_by == "argument" else "auto", download=False)
    assert str(raised.value).startswith(f"directory {named}" + (" named by OPTVIZ_DATA_DIR" if named_by != "argument"
                                                                else ""))


def test_named_directory_accepts_tilde(places):
    write_set(Path.home() / "fmnist", fill=4)
    found = load("~/fmnist", download=False)
    assert found.source == "directory ~/fmnist (24 train / 12 test)"


def test_a_loaded_set_cannot_be_changed_by_those_who_share_it(places):
    found = load(download=False)
    with pytest.raises(AttributeError):
        found.source = "elsewhere"
    for array in (found.x_train, found.y_train, found.x_test, found.y_test):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


# Downloading ------------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A local HTTP server offering a small synthetic set, with data.MD5 set to its checksums."""
    served = write_set(tmp_path / "served", fill=7)
    handler = functools.partial(Quiet, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{httpd.server_port}/")
    md5 = {name: hashlib.md5((served / name).read_bytes()).hexdigest() for name in FILES}
    monkeypatch.setattr(data, "MD5", md5)
    yield served
    httpd.shutdown()
    httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_lands_in_the_cache_and_loads(places, server):
    calls = []
    found = load(progress=lambda done, total, name: calls.append((done, total, name)))
    assert found.source.startswith(f"downloaded from {data.BASE_URL} into")
    assert found.x_train[0, 0, 0] == 7
    assert sorted(path.name for path in places["cache"].iterdir()) == sorted(FILES)
    for name in FILES:
        finals = [call for call in calls if call[2] == name]
        size = (server / name).stat().st_size
        assert finals[0] == (0, size, name) and finals[-1] == (size, size, name)

    again = load()  # now the cache has it
    assert again.source.startswith("optviz cache")


def test_download_resumes_keeping_verified_files(places, server):
    write_set(places["cache"], fill=7)
    (places["cache"] / data.TRAIN_IMAGES).write_bytes(b"half a file")
    fetched = []
    with pytest.warns(DataWarning, match="optviz cache"):
        found = load(progress=lambda done, total, name: fetched.append(name))
    assert found.source.startswith("downloaded from")
    assert set(fetched) == {data.TRAIN_IMAGES}


@pytest.mark.parametrize("bad", [data.TRAIN_IMAGES, data.TEST_LABELS])
def test_checksum_mismatch_leaves_no_file_and_falls_through(places, server, monkeypatch, bad):
    monkeypatch.setitem(data.MD5, bad, "0" * 32)
    with pytest.warns(DataWarning, match="checksum mismatch"):
        found = load()
    assert found.source.startswith("embedded subset")
    assert f"{bad}: checksum mismatch" in found.notes[-1]
    cached = [path.name for path in places["cache"].iterdir()]
    assert bad not in cached
    assert not [name for name in cached if name.endswith(".part")]
    if bad == data.TRAIN_IMAGES:  # the first file: nothing at all was kept
        assert cached == []


def test_unreachable_server_gives_up_without_waiting_for_the_timeout(places, monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago, so nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{port}/")
    start = time.monotonic()
    found = load(timeout=60.0)
    assert time.monotonic() - start < 20.0  # a refused connection is an answer: nothing waits a minute
    assert found.source.startswith("embedded subset")
    assert "download" in found.notes[-1] and "failed" in found.notes[-1]
    assert list(places["cache"].iterdir()) == []


def test_silent_server_times_out(places, monkeypatch):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setattr(data, "BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        start = time.monotonic()
        found = load(timeout=1.0)
        assert time.monotonic() - start < 10.0  # without the timeout it would wait for ever
    assert found.source.startswith("embedded subset")
    assert "timed out" in found.notes[-1]


def test_hanging_name_lookup_gives_up_within_timeout(places, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(data.socket, "getaddrinfo", lambda *args, **kwargs: release.wait(120))
    monkeypatch.setattr(data, "BASE_URL", "http://fashion-mnist.invalid/")
    try:
        start = time.monotonic()
        found = load(timeout=1.0)
        assert time.monotonic() - start < 30.0  # the lookup hangs for two minutes
    finally:
        release.set()
    assert "could not resolve fashion-mnist.invalid within 1 s" in found.notes[-1]


def test_text_progress_draws_a_bar():
    class Stream(list):
        write = list.append

        def flush(self):
            pass

    stream = Stream()
    show = data.text_progress(stream)
    show(0, 2_000_000, "train.gz")
    show(1_000_000, 2_000_000, "train.gz")
    show(2_000_000, 2_000_000, "train.gz")
    text = "".join(stream)
    assert "\rtrain.gz [" + "#" * 15 + "." * 15 + "] 1.0/2.0 MB" in text
    assert text.endswith("] 2.0/2.0 MB\n")


# The embedded subset ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def embedded():
    return load("embedded")


def test_embedded_subset_loads_offline(embedded):
    assert embedded.source == "embedded subset inside optviz (5,000 train / 1,000 test)"
    assert embedded.notes == () and embedded.embedded
    assert embedded.x_train.shape == (5000, 28, 28) and embedded.x_train.dtype == np.uint8
    assert embedded.y_train.shape == (5000,)
    assert embedded.x_test.shape == (1000, 28, 28) and embedded.y_test.shape == (1000,)
    assert np.bincount(embedded.y_train, minlength=10).tolist() == [500] * 10
    assert np.bincount(embedded.y_test, minlength=10).tolist() == [100] * 10


def test_embedded_validation_prefix_is_balanced(embedded):
    first = embedded.y_train[: len(embedded.y_train) // 12]
    counts = np.bincount(first, minlength=10)
    assert counts.min() >= 40 and counts.max() <= 42


def test_embedded_subset_is_real_images(embedded):
    """Not blank or noise: the mean image of each class differs clearly from the others."""
    means = np.stack([embedded.x_train[embedded.y_train == c].mean(axis=0) for c in range(10)])
    assert 40 < embedded.x_train.mean() < 110
    distances = np.linalg.norm(means[:, None] - means[None], axis=(2, 3))
    assert distances[~np.eye(10, dtype=bool)].min() > 100


def test_embedded_subset_is_small_and_licensed():
    files = [data.EMBEDDED_DIR / name for name in FILES]
    assert sum(path.stat().st_size for path in files) <= 3_000_000
    notice = (data.EMBEDDED_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Copyright © 2017 Zalando SE" in notice and "MIT" in notice
    assert "subset of Fashion-MNIST" in notice


def test_embedded_when_nothing_else(places):
    found = load(download=False)
    assert found.source.startswith("embedded subset") and found.embedded


# split ------------------------------------------------------------------------------------------


def test_split_of_embedded(embedded):
    parts = split(embedded)
    assert parts.x_val.shape == (416, 784) and parts.x_train.shape == (4584, 784)
    assert parts.x_test.shape == (1000, 784)
    for array in (parts.x_train, parts.x_val, parts.x_test):
        assert array.dtype == np.float32
        assert array.min() >= 0.0 and array.max() <= 1.0
    for labels in (parts.y_train, parts.y_val, parts.y_test):
        assert labels.dtype == np.int64
    assert set(parts.y_val.tolist()) == set(range(10))
    assert repr(parts) == "Split(train=4,584, val=416, test=1,000)"


def synthetic(n_train=24, n_test=12):
    """A set whose training image i is filled with the value i, so slices are easy to check."""
    return data.FashionMNIST(
        x_train=np.repeat(np.arange(n_train, dtype=np.uint8), 28 * 28).reshape(n_train, 28, 28),
        y_train=np.arange(n_train, dtype=np.uint8) % 10,
        x_test=np.zeros((n_test, 28, 28), np.uint8),
        y_test=np.arange(n_test, dtype=np.uint8) % 10,
        source="synthetic",
    )


def test_split_takes_the_first_images_for_validation():
    parts = split(synthetic(), validation=5)
    np.testing.assert_array_equal(parts.x_val[:, 0] * 255, np.arange(5))
    np.testing.assert_array_equal(parts.x_train[:, 0] * 255, np.arange(5, 24))
    np.testing.assert_array_equal(parts.y_val, np.arange(5))
    assert split(synthetic()).x_val.shape == (2, 784)  # 24 // 12


def test_split_scales_like_keras():
    pixels = np.resize(np.arange(256, dtype=np.uint8), (1, 28, 28))
    ds = data.FashionMNIST(pixels, np.zeros(1, np.uint8), pixels, np.zeros(1, np.uint8), "x")
    expected = (pixels.reshape(1, 784) / 255.0).astype(np.float32)
    np.testing.assert_array_equal(split(ds, validation=0).x_test, expected)


@pytest.mark.parametrize("validation", [-1, 24])
def test_split_rejects_impossible_validation_sizes(validation):
    with pytest.raises(ValueError, match="validation"):
        split(synthetic(n_train=24), validation=validation)


def test_class_names_fit_the_images(embedded):
    """Named in label order: trousers are the narrowest images, the three kinds of shoe the flattest."""
    ink = embedded.x_train > 30
    width = [ink[embedded.y_train == label].any(axis=1).sum(axis=1).mean() for label in range(10)]
    height = [ink[embedded.y_train == label].any(axis=2).sum(axis=1).mean() for label in range(10)]
    assert len(CLASSES) == 10
    assert CLASSES[int(np.argmin(width))] == "Trouser"
    assert {CLASSES[label] for label in np.argsort(height)[:3]} == {"Sandal", "Sneaker", "Ankle boot"}


# The full set -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full():
    return load(FULL_DIR, download=False)


@needs_full_set
def test_full_set_loads_balanced(full):
    assert full.source == f"directory {FULL_DIR} (60,000 train / 10,000 test)"
    assert full.x_train.shape == (60000, 28, 28) and full.x_test.shape == (10000, 28, 28)
    assert np.bincount(full.y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(full.y_test, minlength=10).tolist() == [1000] * 10


@needs_full_set
def test_full_set_splits_like_the_article(full):
    parts = split(full)
    assert parts.x_train.shape == (55000, 784) and parts.x_val.shape == (5000, 784)
    assert parts.x_test.shape == (10000, 784)
    np.testing.assert_array_equal(parts.y_val, full.y_train[:5000])
    keras = (full.x_train[:5000].reshape(5000, 784) / 255.0).astype(np.float32)  # the article's X / 255.0
    np.testing.assert_array_equal(parts.x_val, keras)

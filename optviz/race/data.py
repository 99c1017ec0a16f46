"""Fashion-MNIST for the MLP part of optviz: find it, check it, and split it like the article does.

A classroom machine may have the full dataset in several places (the Keras cache, our own cache),
may or may not be online, and must still start when none of that works. So ``load("auto")`` tries
each place in turn, skips any that is missing or broken (saying why in ``notes``), and ends with a
small stratified subset that ships inside the package. A directory the user names (``data`` itself,
or ``$OPTVIZ_DATA_DIR``) is another matter: it is used or refused with a :class:`DataError` saying
which file is wrong and how, never quietly replaced by other data.

The files everywhere are the four standard IDX files, gzip-compressed, as published by Zalando
Research (MIT licence, Copyright © 2017 Zalando SE).
"""

import gzip
import hashlib
import http.client
import math
import os
import socket
import struct
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optviz.paths import cache_dir

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# The official location; tests point these at a local server. BASE_URL must end with "/".
BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MD5 = {
    TRAIN_IMAGES: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    TRAIN_LABELS: "25c81989df183df01b3e8a0aad5dffbe",
    TEST_IMAGES: "bef4ecab320f06d8554ea6380940ec79",
    TEST_LABELS: "bb300cfdad3c16e7a12a480ee83cd310",
}

EMBEDDED_DIR = Path(__file__).resolve().parent / "datasets" / "fashion-mnist"
IMAGE_SHAPE = (28, 28)

#: The embedded subset, as load() names it in notes and sources.
_EMBEDDED = "embedded subset inside optviz"
_IDX_UNSIGNED_BYTE = 0x08
_DOWNLOAD_CHUNK = 1 << 16


class DataError(ValueError):
    """A data file or set that cannot be used; the message names the file and the problem."""


class DataWarning(UserWarning):
    """A data source was broken and skipped (filter this category to silence it)."""


class _Unavailable(Exception):
    """A source that simply is not there (no files, no network): skipped without a warning."""


@dataclass(frozen=True, eq=False)
class FashionMNIST:
    """One loaded dataset and the story of how it was found.

    The arrays are read-only, so one loaded copy can be cached and shared (for example by
    Streamlit) without anyone changing it underneath the others. ``embedded`` says whether this
    is the small subset that ships with optviz (where ``load`` ends when nothing else works).
    """

    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    source: str
    notes: tuple[str, ...] = ()
    embedded: bool = False


@dataclass(frozen=True, eq=False)
class Split:
    """Arrays ready for the MLP: images flattened to 784 floats in [0, 1], integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        sizes = (len(self.y_train), len(self.y_val), len(self.y_test))
        return "Split(train={:,}, val={:,}, test={:,})".format(*sizes)


def read_idx(path) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) into a read-only uint8 array.

    Every check a damaged or half-downloaded file could fail is made here, so that callers can
    trust the shape, and the error says which file to delete or fetch again.
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(f"{path}: not a valid gzip stream ({error})") from error

    if len(raw) < 4:
        raise DataError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or ndim == 0:
        raise DataError(f"{path}: bad IDX magic number 0x{raw[:4].hex()}")
    if type_code != _IDX_UNSIGNED_BYTE:
        raise DataError(
            f"{path}: unsupported IDX type code 0x{type_code:02x} "
            f"(only unsigned byte, 0x{_IDX_UNSIGNED_BYTE:02x}, is supported)"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{path}: header announces {ndim} dimensions but the file ends inside it")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = math.prod(shape)
    actual = len(raw) - header_size
    if actual != expected:
        raise DataError(
            f"{path}: header says shape {shape}, so expected {expected:,} bytes of data, "
            f"got {actual:,}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def load(data="auto", *, download=True, timeout=5.0, progress=None) -> FashionMNIST:
    """Find Fashion-MNIST: in the directory the user names, else trying each place in turn.

    ``data`` is "auto", "embedded" or a directory. A directory is the only source tried, and
    one that cannot be used raises :class:`DataError`; so does ``$OPTVIZ_DATA_DIR`` when ``data``
    is "auto". Otherwise "auto" tries the Keras cache, the optviz cache, a download into the
    optviz cache (if ``download``) and the embedded subset, in that order. ``timeout`` bounds
    each network wait in seconds; ``progress(done_bytes, total_bytes, filename)`` is called
    while downloading (``text_progress()`` makes one for a terminal).
    """
    named = _named(data)
    notes = []
    for name, described_as, attempt in [named] if named else _sources(data, download, timeout, progress):
        try:
            arrays = attempt()
        except (_Unavailable, DataError, OSError) as error:
            if named:
                raise DataError(f"{name} cannot be used: {error}") from error
            if isinstance(error, _Unavailable):
                notes.append(f"{name}: {error}")
                continue
            notes.append(f"{name}: skipped, {error}")
            warnings.warn(f"{name} skipped: {error}", DataWarning, stacklevel=2)
        else:
            counts = f"{len(arrays['y_train']):,} train / {len(arrays['y_test']):,} test"
            return FashionMNIST(**arrays, source=f"{described_as} ({counts})", notes=tuple(notes),
                                embedded=name == _EMBEDDED)
    raise DataError("no usable Fashion-MNIST data found:\n" + "\n".join(notes))


def split(ds: FashionMNIST, validation=None) -> Split:
    """Hold out the FIRST ``validation`` training images, as the article does.

    By default that is 1/12 of the training set, which is the article's 5,000 for the full 60,000;
    the embedded subset interleaves its classes so that its first 1/12 is balanced too.
    """
    n_train = len(ds.x_train)
    if validation is None:
        validation = n_train // 12
    if not 0 <= validation < n_train:
        raise ValueError(f"validation must be between 0 and {n_train - 1}, got {validation}")
    x_train = _as_model_input(ds.x_train)
    y_train = ds.y_train.astype(np.int64)
    return Split(
        x_train=x_train[validation:],
        y_train=y_train[validation:],
        x_val=x_train[:validation],
        y_val=y_train[:validation],
        x_test=_as_model_input(ds.x_test),
        y_test=ds.y_test.astype(np.int64),
    )


def text_progress(stream=None):
    """A ``progress`` callable for terminals: one bar per file, redrawn in place."""

    def show(done_bytes, total_bytes, filename):
        out = stream if stream is not None else sys.stderr
        width = 30
        filled = min(width, width * done_bytes // total_bytes) if total_bytes else 0
        bar = "#" * filled + "." * (width - filled)
        total = f"{total_bytes / 1e6:.1f}" if total_bytes else "?"
        finished = bool(total_bytes) and done_bytes >= total_bytes
        out.write(f"\r{filename} [{bar}] {done_bytes / 1e6:.1f}/{total} MB")
        out.write("\n" if finished else "")
        out.flush()

    return show


def _named(data):
    """``(name, described_as, attempt)`` for the directory the user named (``data``, or
    ``$OPTVIZ_DATA_DIR`` when ``data`` is "auto"), or None."""
    if data == "auto" and os.environ.get("OPTVIZ_DATA_DIR"):
        path = Path(os.environ["OPTVIZ_DATA_DIR"]).expanduser()
        name = f"directory {_shown(path)} named by OPTVIZ_DATA_DIR"
    elif data not in ("auto", "embedded"):
        path = Path(data).expanduser()
        name = f"directory {_shown(path)}"
    else:
        return None
    return name, name, lambda: _read_directory(path)


def _sources(data, download, timeout, progress):
    """Yield ``(name, described_as, attempt)`` for each place "auto" (or "embedded") looks, in
    ``load()``'s order.

    ``name`` labels the source in notes, ``described_as`` becomes ``source`` if it works. A
    generator, so that nothing (not even creating the cache directory) happens for sources after
    the one that works.
    """
    if data == "embedded":
        yield _EMBEDDED, _EMBEDDED, lambda: _read_directory(EMBEDDED_DIR)
        return

    tried = set()

    def directory(name, path):
        tried.add(path.resolve())
        return name, name, lambda: _read_directory(path)

    keras_dir = Path.home() / ".keras" / "datasets" / "fashion-mnist"
    yield directory(f"Keras cache {_shown(keras_dir)}", keras_dir)

    try:
        optviz_dir = cache_dir() / "fashion-mnist"
    except OSError as error:
        reason = f"cannot create the optviz cache ({error})"
        yield "optviz cache", "optviz cache", lambda: _raise_unavailable(reason)
        optviz_dir = None
    if optviz_dir and optviz_dir.resolve() not in tried:
        yield directory(f"optviz cache {_shown(optviz_dir)}", optviz_dir)
    download_name = f"download from {BASE_URL}"
    if download and optviz_dir:
        yield (
            download_name,
            f"downloaded from {BASE_URL} into {_shown(optviz_dir)}",
            lambda: _download_and_read(optviz_dir, timeout, progress),
        )
    elif not download:
        yield download_name, download_name, lambda: _raise_unavailable("not tried (download=False)")

    yield _EMBEDDED, _EMBEDDED, lambda: _read_directory(EMBEDDED_DIR)


def _raise_unavailable(reason):
    raise _Unavailable(reason)


def _read_directory(directory: Path) -> dict:
    """The four arrays of a directory, each checked against the file it came from.

    A raw (un-gzipped) copy of a file is accepted too, since people often unpack them.
    """
    if not directory.is_dir():
        raise _Unavailable("not a directory" if directory.exists() else "not found")
    paths = {}
    for name in FILES:
        candidates = (directory / name, directory / name.removesuffix(".gz"))
        paths[name] = next((path for path in candidates if path.is_file()), None)
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise _Unavailable(f"missing {', '.join(missing)}")

    x_train, y_train = _read_pair(paths[TRAIN_IMAGES], paths[TRAIN_LABELS])
    x_test, y_test = _read_pair(paths[TEST_IMAGES], paths[TEST_LABELS])
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _read_pair(images_path: Path, labels_path: Path):
    """Read matching image and label files, making sure they describe the same images."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or len(images) == 0:
        raise DataError(f"{images_path}: expected images of shape (N, 28, 28), got {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected labels of shape (N,), got {labels.shape}")
    if len(labels) != len(images):
        raise DataError(
            f"{labels_path}: {len(labels):,} labels, "
            f"but {images_path.name} has {len(images):,} images"
        )
    if labels.max() >= len(CLASSES):
        raise DataError(f"{labels_path}: label {labels.max()} is outside 0-9")
    return images, labels


def _download_and_read(directory: Path, timeout, progress) -> dict:
    """Fetch whichever official files the cache lacks (or holds damaged), then read the cache.

    Files that already match their checksum are kept, so an interrupted download resumes
    where it stopped instead of fetching 26 MB again.
    """
    directory.mkdir(parents=True, exist_ok=True)
    needed = [name for name in FILES if not _has_checksum(directory / name, MD5[name])]
    if needed:
        _check_resolvable(BASE_URL, timeout)
    for name in needed:
        url = urllib.parse.urljoin(BASE_URL, name)
        _download_file(url, directory / name, MD5[name], timeout, progress)
    return _read_directory(directory)


def _check_resolvable(url, timeout):
    """Look up the server's name, giving up after ``timeout`` seconds.

    urllib's timeout covers connecting and reading but not the DNS lookup, which on a machine
    whose network is down can hang far longer; the lookup runs in a daemon thread so it can be
    abandoned.
    """
    host = urllib.parse.urlsplit(url).hostname
    failure = []

    def resolve():
        try:
            socket.getaddrinfo(host, None)
        except OSError as error:
            failure.append(error)

    lookup = threading.Thread(target=resolve, daemon=True)
    lookup.start()
    lookup.join(timeout)
    if lookup.is_alive():
        raise _Unavailable(f"could not resolve {host} within {timeout:g} s")
    if failure:
        raise _Unavailable(f"could not resolve {host} ({failure[0]})")


def _download_file(url, target: Path, md5, timeout, progress):
    """Download to a temporary file beside ``target`` and move it into place only once verified.

    Network failures make the source unavailable (quietly: being offline is normal); a checksum
    mismatch is a DataError. Either way nothing is left behind.
    """
    temporary = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    try:
        with temporary:
            digest = _fetch(url, temporary, timeout, progress, target.name)
        if digest != md5:
            raise DataError(f"{url}: checksum mismatch, expected md5 {md5}, got {digest}")
        os.replace(temporary.name, target)
    except (OSError, http.client.HTTPException) as error:
        raise _Unavailable(f"download of {url} failed ({error})") from error
    finally:
        Path(temporary.name).unlink(missing_ok=True)


def _fetch(url, out, timeout, progress, filename) -> str:
    """Copy ``url`` into the open file ``out``, reporting progress; return the data's MD5.

    The last progress call for a file always has ``done_bytes == total_bytes``, even when the
    server did not say how big the file is.
    """
    digest = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        if progress:
            progress(done, total, filename)
        while chunk := response.read(_DOWNLOAD_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total, filename)
    if progress and total != done:
        progress(done, done, filename)
    return digest.hexdigest()


def _has_checksum(path: Path, md5) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as file:
        digest = hashlib.file_digest(file, lambda: hashlib.md5(usedforsecurity=False))
    return digest.hexdigest() == md5


def _as_model_input(images: np.ndarray) -> np.ndarray:
    """Flatten and scale to [0, 1] in float32: the same values as Keras's ``X / 255.0``."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def _shown(path: Path) -> str:
    """A path as a person would write it: under the home directory, starting with ``~``."""
    try:
        return "~/" + str(path.expanduser().relative_to(Path.home()))
    except ValueError:
        return str(path)

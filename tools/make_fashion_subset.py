"""Rebuild the Fashion-MNIST subset that ships inside optviz (optviz/race/datasets/fashion-mnist/).

The subset lets the MLP part run on a machine with neither the full dataset nor a network. It
takes the same number of random images from every class, with a fixed seed so that rebuilding
picks the same images in the same order, and interleaves the classes so that any prefix of the
training file is balanced: optviz's validation set is the first 1/12 of it.

    python tools/make_fashion_subset.py ../shared/data/fashion-mnist
"""

import argparse
import gzip
import struct
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a plain script, from anywhere

from optviz.race.data import (  # noqa: E402
    CLASSES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    read_idx,
)

LICENSE_TEXT = """\
This directory holds a stratified subset of Fashion-MNIST, the dataset of Zalando Research
(https://github.com/zalandoresearch/fashion-mnist): {train_per_class} training and
{test_per_class} test images per class, chosen at random (seed {seed}) from the full set by
tools/make_fashion_subset.py, in the standard IDX format. Fashion-MNIST is distributed under
the MIT licence below.

The MIT License (MIT)

Copyright © 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def balanced_order(labels, per_class, rng):
    """Indices of ``per_class`` random images of each class, in rounds of one image per class.

    Each round lists the classes in a fresh random order, so no class is always first, and any
    prefix holds every class within one image of the others.
    """
    picks = [
        rng.choice(np.flatnonzero(labels == label), per_class, replace=False)
        for label in range(len(CLASSES))
    ]
    return rng.permuted(np.stack(picks, axis=1), axis=1).reshape(-1)


def write_idx_gz(path, array):
    """Write a uint8 array as gzip-compressed IDX, with no timestamp so rebuilds are identical."""
    header = struct.pack(f">HBB{array.ndim}I", 0, 0x08, array.ndim, *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes(), compresslevel=9, mtime=0))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source", type=Path, help="directory of the full Fashion-MNIST .gz files")
    parser.add_argument("--out", type=Path, default=REPO / "optviz" / "datasets" / "fashion-mnist")
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for images_name, labels_name, per_class in (
        (TRAIN_IMAGES, TRAIN_LABELS, args.train_per_class),
        (TEST_IMAGES, TEST_LABELS, args.test_per_class),
    ):
        images = read_idx(args.source / images_name)
        labels = read_idx(args.source / labels_name)
        order = balanced_order(labels, per_class, rng)
        write_idx_gz(args.out / images_name, images[order])
        write_idx_gz(args.out / labels_name, labels[order])

    (args.out / "LICENSE").write_text(
        LICENSE_TEXT.format(
            train_per_class=args.train_per_class, test_per_class=args.test_per_class, seed=args.seed
        ),
        encoding="utf-8",
    )
    for path in sorted(args.out.iterdir()):
        print(f"{path.stat().st_size:>10,}  {path}")


if __name__ == "__main__":
    main()

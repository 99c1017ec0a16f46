"""The compiled kernels: one compilation per optimizer, SIMD code, and the on-disk cache."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba import njit

import optviz
from optviz.engine import kernels

ROOT = Path(__file__).resolve().parents[2]


def test_one_compiled_kernel_per_optimizer_whatever_the_surface():
    for surface in ("bowl", "rosenbrock", "ackley"):
        for name in ("sgd", "adam"):
            optviz.trace(surface, name, steps=5)
            optviz.trace_batch(surface, name, starts=np.zeros((70, 2)), steps=5)
    assert len(kernels.descend("sgd").signatures) == 1
    assert len(kernels.descend("adam").signatures) == 1


def _fresh_assembly(dispatcher, *args) -> str:
    """Compile the kernel's Python function again, uncached, and return its machine code."""
    fresh = njit(error_model="numpy")(dispatcher.py_func)
    fresh(*args)
    return fresh.inspect_asm(fresh.signatures[0])


def _packed(assembly: str, op: str) -> bool:
    return re.search(rf"\b{op}\s+%[yz]mm", assembly) is not None


def test_the_descent_kernel_is_vectorized():
    """The batch's per-step loops must use packed square roots and divisions (SIMD), not scalar ones."""
    count, steps = 8, 3
    table = np.array([[1e-3], [0.9], [0.999], [1e-7]]).repeat(count, axis=1)  # adam's lr, beta1, beta2, epsilon
    args = (0, 0, table, False, np.zeros((2, count)), 0, count, steps, np.empty((steps + 1, 2, count)),
            np.empty((steps + 1, count)), np.empty((0, 2, 2, count)), np.empty(count), np.full(count, -1))
    assembly = _fresh_assembly(kernels.descend("adam"), *args)
    assert _packed(assembly, "vsqrtpd") and _packed(assembly, "vdivpd")


def test_the_flat_update_is_vectorized_and_stays_in_float32():
    n = 64
    hyper = tuple(np.float32(v) for v in (1e-3, 0.9, 0.999, 1e-7))
    args = (0, hyper, np.zeros(n, np.float32), np.ones(n, np.float32), np.zeros((2, n), np.float32),
            np.ones(3, np.float32))
    assembly = _fresh_assembly(kernels.apply("adam"), *args)
    assert _packed(assembly, "vsqrtps") and _packed(assembly, "vdivps")
    assert not _packed(assembly, "vsqrtpd") and "vcvtps2pd" not in assembly  # no float64 arithmetic


def test_kernels_cache_outside_the_package_and_load_from_it(tmp_path):
    """A copy of the packages runs from a directory it never writes to, and a later process loads
    the kernels from optviz's cache. The later process compiles other code first (a surface grid),
    as the app does: code it loads must not be linked to same-named code it compiled itself."""
    copy = tmp_path / "install"
    for package in ("optviz", "surfaces"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__", "datasets"))
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(copy), "OPTVIZ_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NUMBA_CACHE_DIR", None)
    script = (
        "import sys, optviz; from optviz.engine import kernels; from optviz.engine.evaluate import grid\n"
        "from optviz.engine.jit import on_disk\n"
        "print(on_disk('descend_sgd'), on_disk('descend_momentum'), on_disk('descend_adam'))\n"
        "if sys.argv[1] == 'grid-first': grid('ackley', 5)\n"
        "for surface, name in (('booth', 'sgd'), ('rosenbrock', 'momentum')):\n"
        "    t = optviz.trace(surface, name, steps=50, lr=0.001)\n"
        "    print(sum(kernels.descend(name).stats.cache_hits.values()), *t.final)\n"
    )

    def run(mode):
        done = subprocess.run([sys.executable, "-c", script, mode], env=env, capture_output=True, text=True,
                              check=True, cwd=tmp_path)
        return [line.split() for line in done.stdout.splitlines()]

    compiled = run("traces-only")
    loaded = run("grid-first")
    assert compiled.pop(0) == ["False", "False", "False"] and loaded.pop(0) == ["True", "True", "False"]
    assert [hits for hits, *_ in compiled] == ["0", "0"] and [hits for hits, *_ in loaded] == ["1", "1"]
    assert [final for _, *final in loaded] == [final for _, *final in compiled]
    assert list(cache.glob("kernels-*/**/*.nbi")), "the kernels were cached in optviz's cache directory"
    assert not [p for p in copy.rglob("*") if p.suffix in (".nbi", ".nbc", ".pyc")], "nothing written to the package"

"""How optviz compiles its kernels: one decorator, one on-disk cache.

Compiled kernels are cached by numba so that a second process starts in a fraction of a second.
The cache goes to a writable directory of optviz's own (see ``optviz.paths``), so it also works
when the package directory is read-only, and it is keyed by a hash of the kernel sources: numba
notices a change to a kernel's own file, but not to a surface or an optimizer rule that the
kernel calls from another file, and a stale cache would silently run old code.
"""

import ast
import hashlib
import inspect
import os
import shutil
import sys
import textwrap
import time
from functools import cache, partial
from pathlib import Path

import numba
import numpy as np
from numba import literally, njit, types
from numba.extending import overload

from optviz.paths import cache_dir

_STALE_AFTER_DAYS = 7
#: Whether compiled kernels go to the on-disk cache: set by :func:`use_cache`, before the kernels
#: are defined.
CACHING = False


def _source_hash(sources) -> str:
    """A hash of numba's version, of this module, and of the files that define ``sources``
    (functions or modules)."""
    digest = hashlib.sha256(numba.__version__.encode())
    files = {Path(inspect.getsourcefile(getattr(source, "py_func", source)))
             for source in (sys.modules[__name__], *sources)
             if inspect.getsourcefile(getattr(source, "py_func", source))}  # generated code has no file
    for path in sorted(files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _prune(parent: Path, keep: Path) -> None:
    """Drop caches of kernel versions nobody has used for a week (old checkouts, old releases)."""
    cutoff = time.time() - _STALE_AFTER_DAYS * 86400
    for old in parent.glob("kernels-*"):
        if old != keep and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def use_cache(sources) -> bool:
    """Point numba's cache at optviz's directory, keyed by the source files of ``sources`` (the
    kernels' module, and every rule and surface function they compile in: numba itself notices a
    change to the kernels' own file only); False, and no caching, if nothing writable exists.
    Call it before defining the kernels."""
    global CACHING
    try:
        base = Path(os.environ["NUMBA_CACHE_DIR"]) if os.environ.get("NUMBA_CACHE_DIR") else cache_dir()
        path = base / f"kernels-{_source_hash(sources)}"
        path.mkdir(parents=True, exist_ok=True)
        os.utime(path)
        _prune(base, path)
    except OSError:
        CACHING = False
        return False
    numba.config.CACHE_DIR = str(path)
    CACHING = True
    return True


def on_disk(name: str) -> bool:
    """Whether a kernel called ``name`` has compiled code in the cache (a cheap look at file names,
    so that a page can tell a first start, which compiles for a while, from a quick one)."""
    return CACHING and any(Path(numba.config.CACHE_DIR).glob(f"*/*.{name}-*.nbi"))


def kernel(signature=None, **options):
    """The decorator for every entry point that Python calls: ``@kernel(signature, nogil=True)``.

    Compiled when it is made, for its one signature, and cached on disk when :func:`use_cache`
    found a place. ``error_model="numpy"`` lets a division by zero give inf instead of raising,
    which keeps the loops branch-free and SIMD-vectorized. A kernel that takes compiled functions
    as arguments (a surface) can only be cached with its signature written out.
    """
    return njit(signature, cache=CACHING, error_model="numpy", **options)


#: The decorator for functions called only from kernels (rules, surfaces): compiled into them.
inner = partial(njit, error_model="numpy")


def named(name: str):
    """Give a function made by a factory a name of its own before it is compiled.

    Compiled code is cached on disk under the function's name, and a process that loads two
    cached functions of the same name, compiled in different processes, may link one in place of
    the other. Functions made in a loop (one per surface, one per optimizer) share their
    ``def``'s name, so each gets its registry name appended.
    """

    def rename(function):
        function.__name__ = f"{function.__name__}_{name}"
        function.__qualname__ = f"{function.__qualname__}_{name}"
        return function

    return rename


def switch(name: str, branches) -> object:
    """A compiled ``name(i, …)`` that calls ``branches[i](…)`` for an index known at run time.

    This is how one kernel serves every surface without a compile per surface. The if/elif is
    generated as source because numba's alternative, ``literal_unroll`` over a tuple of
    functions, is experimental, fails on a loop body that calls one function twice, and calls
    through pointers that LLVM cannot inline: these are plain direct calls.
    """
    lines = [f"def {name}(i, *args):"]
    for index in range(len(branches)):
        lines += [f"    {'if' if index == 0 else 'elif'} i == {index}:", f"        return branch{index}(*args)"]
    namespace = {f"branch{index}": branch for index, branch in enumerate(branches)}
    exec("\n".join(lines), namespace)
    return inner(namespace[name])


def choose(branch) -> object:
    """A function ``choose(i, …)`` for compiled code that calls ``branch(i)(…)``, where ``i`` is a
    compile-time constant (a literal, or a constant captured by the calling kernel).

    ``branch(i)`` is looked up only when a kernel that calls it is compiled, and only the chosen
    function is compiled into the caller, as a direct call that LLVM can inline.
    """

    def dispatch(i, *args):
        raise NotImplementedError("called from compiled code only")

    @overload(dispatch)
    def _typed(i, *args):
        if not isinstance(i, types.IntegerLiteral):
            return lambda i, *args: literally(i)  # numba retries with i as a constant
        chosen = branch(i.literal_value)

        @named(f"{chosen.__module__}_{chosen.__name__}_{i.literal_value}")
        def call(i, *args):
            return chosen(*args)

        return call

    return dispatch


def generated(name: str, lines) -> object:
    """A compiled function from source lines, for code whose shape depends on a registry entry
    (how many state slots an optimizer has, say): numba compiles plain indexing far better than
    loops over a tuple of unknown length."""
    namespace = {}
    exec("\n".join(lines), namespace)
    return inner(namespace[name])


class _Float32Literals(ast.NodeTransformer):
    def visit_Constant(self, node):
        if isinstance(node.value, float):
            return ast.copy_location(ast.Call(ast.Name("_float32", ast.Load()), [node], []), node)
        return node


@cache
def single_precision(function) -> object:
    """A compiled copy of ``function`` (a rule) in which every float literal is a float32.

    Numba types ``1.0`` as float64, so ``(1.0 - h.beta1) * g`` on float32 values would run in
    float64 and convert back at every step: the network's weights are float32, and this copy of
    the very same source keeps its arithmetic in float32 (SIMD twice as wide, as Keras computes).
    """
    python = getattr(function, "py_func", function)
    tree = ast.parse(textwrap.dedent(inspect.getsource(python)))
    tree.body[0].decorator_list = []
    tree = ast.fix_missing_locations(_Float32Literals().visit(tree))
    namespace = {**python.__globals__, "_float32": np.float32}
    exec(compile(tree, inspect.getsourcefile(python), "exec"), namespace)
    copy = namespace[python.__name__]
    return inner(named("float32")(copy))

"""The first start on a new machine: compile the kernels with progress shown, not a frozen page.

Compiled kernels are cached on disk (see ``optviz.engine.jit``), so this takes a few seconds per
optimizer once per machine, and well under a second on every later start.
"""

import threading

import streamlit as st

import optviz
from optviz.engine.evaluate import grid
from optviz.engine import kernels  # noqa: F401 (sets up the on-disk cache that on_disk looks in)
from optviz.engine.jit import on_disk
from optviz.optimizers import OPTIMIZERS

_lock = threading.Lock()
_ready = False


def ensure_compiled() -> None:
    """The first time on this machine, compile every kernel the lab uses, showing progress.

    When they are all in the cache already, nothing happens here: each page loads the kernels it
    needs when it first calls them, in a fraction of a second.
    """
    global _ready
    if _ready or all(on_disk(f"descend_{name}") for name in OPTIMIZERS):
        _ready = True
        return
    with _lock:  # a second session arriving meanwhile waits here instead of compiling again
        if _ready:
            return
        slot = st.empty()
        bar = slot.progress(0.0, text="First start on this machine: compiling the surfaces' kernels (about 20 s "
                                      "in all, once; later starts take under a second)…")
        grid("bowl", 2)
        for done, (name, entry) in enumerate(OPTIMIZERS.items()):
            bar.progress(done / len(OPTIMIZERS), text=f"First start on this machine: compiling {entry.title} "
                         f"({done + 1} of {len(OPTIMIZERS)}; once, then cached on disk)…")
            optviz.trace("bowl", name, steps=1)
        slot.empty()
        _ready = True

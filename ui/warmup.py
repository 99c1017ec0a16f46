"""Kernels compiled when a page first needs them, with progress shown instead of a frozen page.

Each optimizer's kernel is compiled the first time it is used on a machine (a few seconds) and
cached on disk (see ``optviz.engine.jit``), so every later start loads it in a fraction of a
second. A page asks for the optimizers it is about to draw: the first page of a new machine waits
for its own few, never for the whole registry, and an optimizer added later compiles then.
"""

import threading

import streamlit as st

import optviz
from optviz.engine import kernels
from optviz.engine.evaluate import grid
from optviz.optimizers import OPTIMIZERS

_lock = threading.Lock()


def ensure(optimizers=()) -> None:
    """Compile the surface evaluation and the descent kernels of ``optimizers`` that this machine
    has not compiled yet, with a progress bar; return at once when they are all compiled."""
    missing = [name for name in dict.fromkeys(optimizers) if not kernels.ready(name)]
    if kernels.evaluation_ready() and not missing:
        return
    with _lock:  # a second session arriving meanwhile waits here instead of compiling again
        missing = [name for name in missing if not kernels.ready(name)]
        slot = st.empty()
        if not kernels.evaluation_ready():
            slot.progress(0.0, text="First start on this machine: compiling the surfaces (once; later starts "
                                    "take under a second)…")
            grid("bowl", 2)
        for done, name in enumerate(missing):
            slot.progress(done / len(missing), text=f"Compiling {OPTIMIZERS[name].title} for this machine "
                          f"({done + 1} of {len(missing)}; a few seconds, once: then it is cached)…")
            optviz.trace("bowl", name, steps=1, convention=OPTIMIZERS[name].convention_for("keras"))
        slot.empty()

"""optviz: an interactive loss-surface and optimizer visualizer for teaching.

>>> import optviz
>>> t = optviz.trace("rosenbrock", "adam", start=(-1.2, 1.0), steps=300, lr=0.001)
>>> t.path.shape
(301, 2)

The engine is imported on first use, so that ``import optviz.race.data`` (say) does not pay for
numba and the kernels.
"""

_EXPORTS = {
    "trace": "optviz.engine.trajectory",
    "trace_batch": "optviz.engine.trajectory",
    "Trace": "optviz.engine.trajectory",
    "Batch": "optviz.engine.trajectory",
    "OPTIMIZERS": "optviz.optimizers",
    "SURFACES": "surfaces",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'optviz' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # looked up once: optviz.trace in a loop costs nothing more
    return value

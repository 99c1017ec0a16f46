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
#: Modules reached from the top: ``optviz.maps.stability(...)``.
_MODULES = {"maps": "optviz.engine.maps"}

__all__ = [*_EXPORTS, *_MODULES]


def __getattr__(name):
    import importlib

    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'optviz' has no attribute {name!r}")
    globals()[name] = value  # looked up once: optviz.trace in a loop costs nothing more
    return value

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
        return importlib.import_module(_MODULES[name])
    if name not in _EXPORTS:
        raise AttributeError(f"module 'optviz' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

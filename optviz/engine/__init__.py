"""The engine: the compiled loops (:mod:`~optviz.engine.kernels`) and how they are compiled
(:mod:`~optviz.engine.jit`), trajectories on the surfaces (:mod:`~optviz.engine.trajectory`), and
J and ∇J on arrays of points (:mod:`~optviz.engine.evaluate`)."""

"""Where optviz keeps files it can rebuild: compiled kernels, downloaded data, finished races.

Everything lives under one writable cache directory so that optviz also runs from a read-only
install (a system site-packages, a container image). ``OPTVIZ_CACHE_DIR`` overrides it.
"""

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user's optviz cache directory (created on first use)."""
    root = os.environ.get("OPTVIZ_CACHE_DIR")
    if root:
        path = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        path = (Path(xdg) if xdg else Path.home() / ".cache") / "optviz"
    path.mkdir(parents=True, exist_ok=True)
    return path

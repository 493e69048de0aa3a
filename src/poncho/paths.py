"""Where poncho-resolve keeps its caches: one root, one subdirectory per stage."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The user cache directory for poncho-resolve (``PONCHO_CACHE_DIR`` overrides it)."""
    env = os.environ.get("PONCHO_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("poncho-resolve", appauthor=False))

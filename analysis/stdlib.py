"""Standard-library module names per target Python version."""

from __future__ import annotations

import sys
from functools import lru_cache


@lru_cache(maxsize=None)
def stdlib_names(python_version: tuple[int, int] | None = None) -> frozenset[str]:
    """Top-level standard-library names for ``python_version`` (default: running).

    Until per-version lists ship, only the running interpreter's list is known.
    """
    return frozenset(sys.stdlib_module_names) | {"__future__"}


def is_stdlib(module: str, python_version: tuple[int, int] | None = None) -> bool:
    return module.split(".", 1)[0] in stdlib_names(python_version)

"""Talking to package indexes: one HTTP session policy, the simple API, remote zips.

Shared by the resolver (candidates and metadata) and the index builder (wheel
file lists), so both get the same caching, retries and certificate handling.
Names load on first use: ``poncho.net.pip_config`` alone never loads requests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .session import make_session
    from .simple_api import IndexFile, ProjectPage, SimpleIndex

_LAZY = {"make_session": ".session", "IndexFile": ".simple_api", "ProjectPage": ".simple_api",
         "SimpleIndex": ".simple_api"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IndexFile", "ProjectPage", "SimpleIndex", "make_session"]

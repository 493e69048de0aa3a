"""Talking to package indexes: one HTTP session policy, the simple API, remote zips.

Shared by the resolver (candidates and metadata) and the index builder (wheel
file lists), so both get the same caching, retries and certificate handling.
Names load on first use: ``poncho.net.pip_config`` alone never loads requests, and neither do
``IndexFile``, ``SimpleIndex`` or ``DeferredSession`` until a request is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poncho.lazy import lazy_names

if TYPE_CHECKING:  # pragma: no cover
    from .deferred import DeferredSession
    from .index_file import IndexFile
    from .session import make_session
    from .simple_api import ProjectPage, SimpleIndex

#: The index every stage uses unless told otherwise (here, in the light package module, so that the
#: configuration and the simple-API client share one definition without loading each other).
DEFAULT_INDEX = "https://pypi.org/simple/"

_LAZY = {"make_session": ".session", "IndexFile": ".index_file", "ProjectPage": ".simple_api",
         "SimpleIndex": ".simple_api", "DeferredSession": ".deferred"}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = ["DEFAULT_INDEX", "DeferredSession", "IndexFile", "ProjectPage", "SimpleIndex", "make_session"]

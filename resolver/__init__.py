"""Resolution: direct requirements -> a consistent pinned set for a target, via resolvelib.

Names load on first use (PEP 562), so ``from poncho.resolver.target import
Target`` does not load resolvelib or the HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from poncho.errors import NoSuchProject, ResolutionConflict, ResolutionError

if TYPE_CHECKING:  # pragma: no cover
    from .metadata import DistMetadata, MetadataFetcher, parse_metadata
    from .provider import Candidate, Provider
    from .repository import Release, Repository, SimpleRepository
    from .resolve import Pin, Resolution, resolve
    from .target import Target

_LAZY = {
    "DistMetadata": ".metadata", "MetadataFetcher": ".metadata", "parse_metadata": ".metadata",
    "Candidate": ".provider", "Provider": ".provider",
    "Release": ".repository", "Repository": ".repository", "SimpleRepository": ".repository",
    "Pin": ".resolve", "Resolution": ".resolve", "resolve": ".resolve",
    "Target": ".target",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        # Bind every name the submodule provides now: importing it set the package attribute of the
        # same name (``resolve``) to the submodule itself, which must not win on later lookups.
        globals().update({n: getattr(module, n) for n, where in _LAZY.items() if where == _LAZY[name]})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Candidate", "DistMetadata", "MetadataFetcher", "NoSuchProject", "Pin", "Provider", "Release",
           "Repository", "Resolution", "ResolutionConflict", "ResolutionError", "SimpleRepository", "Target",
           "parse_metadata", "resolve"]

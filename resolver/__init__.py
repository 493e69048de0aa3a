"""Resolution: direct requirements -> a consistent pinned set for a target, via resolvelib.

Names load on first use (PEP 562), so ``from poncho.resolver.target import
Target`` does not load resolvelib or the HTTP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poncho.errors import NoSuchProject, ResolutionConflict, ResolutionError
from poncho.lazy import lazy_names

if TYPE_CHECKING:  # pragma: no cover
    from .metadata import DistMetadata, MetadataFetcher, parse_metadata
    from .provider import Candidate, Provider
    from .repository import Release, Repository, SimpleRepository
    from .resolution import Pin, Resolution
    from .solve import resolve
    from .target import Target
    from .universal import UniversalPin, UniversalResolution, resolve_universal

_LAZY = {
    "DistMetadata": ".metadata", "MetadataFetcher": ".metadata", "parse_metadata": ".metadata",
    "Candidate": ".provider", "Provider": ".provider",
    "Release": ".repository", "Repository": ".repository", "SimpleRepository": ".repository",
    "Pin": ".resolution", "Resolution": ".resolution", "resolve": ".solve",
    "Target": ".target",
    "UniversalPin": ".universal", "UniversalResolution": ".universal", "resolve_universal": ".universal",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = ["Candidate", "DistMetadata", "MetadataFetcher", "NoSuchProject", "Pin", "Provider", "Release",
           "Repository", "Resolution", "ResolutionConflict", "ResolutionError", "SimpleRepository", "Target",
           "UniversalPin", "UniversalResolution", "parse_metadata", "resolve", "resolve_universal"]

"""Resolution: direct requirements -> a consistent pinned set for a target, via resolvelib."""

from poncho.errors import NoSuchProject, ResolutionConflict, ResolutionError
from .metadata import DistMetadata, MetadataFetcher, parse_metadata
from .provider import Candidate, Provider
from .repository import Release, Repository, SimpleRepository
from .resolve import Pin, Resolution, resolve
from .target import Target

__all__ = ["Candidate", "DistMetadata", "MetadataFetcher", "NoSuchProject", "Pin", "Provider", "Release",
           "Repository", "Resolution", "ResolutionConflict", "ResolutionError", "SimpleRepository", "Target",
           "parse_metadata", "resolve"]

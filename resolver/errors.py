"""Resolution failures, written the way a person reads them."""

from __future__ import annotations


class ResolverError(Exception):
    """Base for failures of the resolution stage."""


class ResolutionConflict(ResolverError):
    """No set of versions satisfies every requirement; the message says who asked for what."""


class NoSuchProject(ResolverError):
    """A requirement names a project the index does not have."""

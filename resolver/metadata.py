"""Core metadata of a distribution file, without downloading the file.

Wheels are read by :func:`poncho.artifacts.wheel.wheel_metadata` (the PEP 658
``.metadata`` file, else range requests into the zip), sdists by
:mod:`.sdist_metadata` (static metadata only, never a build), both within one
:class:`~poncho.artifacts.limits.ArchiveLimits`. Results are cached on disk by
the file's sha256, which makes the cache immutable: an entry is written once,
atomically.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import requests
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from poncho.artifacts.limits import DEFAULT_LIMITS, ArchiveLimits
from poncho.artifacts.wheel import metadata_file, wheel_metadata
from poncho.errors import BadResponse, NotCached, Reason
from poncho.fileio import write_cache_entry
from poncho.net import IndexFile


@dataclass(frozen=True)
class DistMetadata:
    """The fields of core metadata the resolver needs."""

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extras: frozenset[str]
    warnings: tuple[str, ...] = ()


def parse_metadata(raw: bytes, origin: str) -> DistMetadata:
    """Parse METADATA leniently: one bad Requires-Dist line is a warning, not a failure."""
    fields, unparsed = parse_email(raw)
    warnings: list[str] = []
    name = fields.get("name")
    version_text = fields.get("version")
    if not name or not version_text:
        raise BadResponse(origin, "metadata has no Name or Version", kind=Reason.BAD_METADATA)
    try:
        version = Version(version_text)
    except InvalidVersion as exc:
        raise BadResponse(origin, f"metadata has an invalid Version {version_text!r}",
                          kind=Reason.BAD_METADATA) from exc
    reqs: list[Requirement] = []
    for line in fields.get("requires_dist", []) + unparsed.get("requires-dist", []):
        try:
            reqs.append(Requirement(line))
        except InvalidRequirement as exc:
            warnings.append(f"{origin}: ignoring invalid Requires-Dist {line!r}: {exc}")
    rp = fields.get("requires_python")
    try:
        requires_python = SpecifierSet(rp) if rp else None
    except InvalidSpecifier:
        warnings.append(f"{origin}: ignoring invalid Requires-Python {rp!r}")
        requires_python = None
    extras = frozenset(canonicalize_name(e) for e in fields.get("provides_extra", []))
    return DistMetadata(name, version, tuple(reqs), requires_python, extras, tuple(warnings))


class MetadataFetcher:
    """Fetches and caches metadata for index files; ``limits`` bound every archive it reads."""

    def __init__(self, session: requests.Session, cache_dir: Path | None, offline: bool = False,
                 limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
        self.session = session
        self.cache_dir = Path(cache_dir) / "metadata" if cache_dir else None
        self.offline = offline
        self.limits = limits
        self.stats = {"cache": 0, "pep658": 0, "range": 0, "sdist": 0}
        self._lock = threading.Lock()  # stats are updated from the prefetch threads

    def _cache_path(self, file: IndexFile) -> Path | None:
        if self.cache_dir is None:
            return None
        key = file.sha256 or hashlib.sha256(file.url.encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.metadata"

    def fetch(self, file: IndexFile) -> DistMetadata:
        """Metadata of ``file``, checked against its filename before it is cached.

        Only metadata that parses and names the file's own project and version
        is written to the cache; a cache entry that no longer parses (written
        by an older version, damaged on disk) is dropped and fetched again.
        """
        path = self._cache_path(file)
        if path is not None and path.is_file():
            try:
                meta = parse_metadata(path.read_bytes(), file.url)
                self._check_identity(meta, file)
            except (BadResponse, OSError):
                path.unlink(missing_ok=True)
            else:
                with self._lock:
                    self.stats["cache"] += 1
                return meta
        raw = self._fetch_fresh(file)
        meta = parse_metadata(raw, file.url)
        self._check_identity(meta, file)
        if path is not None:
            write_cache_entry(path, raw, "metadata")
        return meta

    def _fetch_fresh(self, file: IndexFile) -> bytes:
        if self.offline:
            raise NotCached(file.url, "metadata is not in the cache and --offline is set")
        if file.is_wheel:
            raw, kind = wheel_metadata(self.session, file, self.limits)
        else:
            served = metadata_file(self.session, file, self.limits)
            if served is not None:
                raw, kind = served, "pep658"
            else:
                # imported here: the sdist reader loads tarfile and gzip, which a lock of wheels never needs
                from .sdist_metadata import sdist_metadata

                raw, kind = sdist_metadata(self.session, file, self.limits), "sdist"
        with self._lock:
            self.stats[kind] = self.stats.get(kind, 0) + 1
        return raw

    @staticmethod
    def _check_identity(meta: DistMetadata, file: IndexFile) -> None:
        try:
            if file.is_wheel:
                name, version, _, _ = parse_wheel_filename(file.filename)
            else:
                name, version = parse_sdist_filename(file.filename)
        except (InvalidWheelFilename, InvalidSdistFilename):
            return
        if canonicalize_name(meta.name) != name or meta.version != version:
            raise BadResponse(file.url, f"metadata describes {meta.name} {meta.version}, "
                                        f"not the file's {name} {version}", kind=Reason.BAD_METADATA)

"""Core metadata of a distribution file, without downloading the file.

Order: the PEP 658 ``.metadata`` file (probed even when the index does not
advertise it, since some mirrors strip the key), then HTTP range requests
into the wheel's zip. Results are cached on disk by the file's sha256, which
makes the cache immutable: an entry is written once, atomically.
"""

from __future__ import annotations

import hashlib
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import requests
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename, canonicalize_name,
                             parse_sdist_filename, parse_wheel_filename)
from packaging.version import InvalidVersion, Version

from poncho.fileio import write_cache_entry
from poncho.net import IndexFile
from poncho.errors import BadResponse, IndexProblem, IndexUnreachable, NotCached, Reason
from poncho.net.rangezip import open_remote_zip

from .sdist_metadata import sdist_metadata


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
    """Fetches and caches metadata for index files."""

    def __init__(self, session: requests.Session, cache_dir: Path | None, offline: bool = False) -> None:
        self.session = session
        self.cache_dir = Path(cache_dir) / "metadata" if cache_dir else None
        self.offline = offline
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

    def fetch_raw(self, file: IndexFile) -> bytes:
        """The metadata bytes (from the cache when present)."""
        path = self._cache_path(file)
        if path is not None and path.is_file():
            return path.read_bytes()
        return self._fetch_fresh(file)

    def _fetch_fresh(self, file: IndexFile) -> bytes:
        if self.offline:
            raise NotCached(file.url, "metadata is not in the cache and --offline is set")
        raw = self._from_pep658(file)
        if raw is not None:
            kind = "pep658"
        elif file.is_wheel:
            raw, kind = self._from_range(file), "range"
        else:
            raw, kind = sdist_metadata(self.session, file), "sdist"
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

    def _from_pep658(self, file: IndexFile) -> bytes | None:
        if file.core_metadata is False or file.url.startswith("file:"):
            return None
        try:
            resp = self.session.get(file.url + ".metadata")
        except (requests.exceptions.RequestException, OSError) as exc:
            raise IndexUnreachable(file.url + ".metadata", f"cannot fetch: {exc}") from exc
        if resp.status_code != 200:
            return None
        body = resp.content
        if file.metadata_sha256 and hashlib.sha256(body).hexdigest() != file.metadata_sha256:
            raise BadResponse(file.url + ".metadata", "sha256 does not match the index's core-metadata hash",
                              kind=Reason.HASH_MISMATCH)
        return body

    def _from_range(self, file: IndexFile) -> bytes:
        zf, _ = open_remote_zip(self.session, file.url, file.size)
        with zf:
            names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if not names:
                raise BadResponse(file.url, "wheel has no .dist-info/METADATA", kind=Reason.BAD_METADATA)
            try:
                return zf.read(names[0])
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise BadResponse(file.url, f"cannot read METADATA: {exc}", kind=Reason.BAD_ARCHIVE) from exc
            except IndexProblem:
                raise

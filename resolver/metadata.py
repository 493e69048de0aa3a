"""Core metadata of a distribution file, without downloading the file.

Wheels are read by :func:`poncho.artifacts.wheel.wheel_metadata` (the PEP 658
``.metadata`` file when the index lists one, else range requests into the
zip), sdists by :mod:`.sdist_metadata` (the listed ``.metadata`` file, else
static metadata only, never a build), both within one
:class:`~poncho.artifacts.limits.ArchiveLimits`.

Results are cached on disk under ``metadata/<index>/<sha256[:2]>/<sha256>.metadata``:
by the file's sha256 *and* the index that listed it (:func:`poncho.paths.index_digest`),
since an index only claims a hash, and a mirror's ``.metadata`` for a
claimed hash must never answer for another index. Each entry is framed with
its key and the sha256 of its body and written atomically; an entry that is
missing, truncated, of another layout or another key reads as a miss and is
rewritten.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
from poncho.errors import BadResponse, NotCached, Reason
from poncho.fileio import write_cache_entry
from poncho.paths import index_digest

if TYPE_CHECKING:  # pragma: no cover
    import requests

    from poncho.net import IndexFile

_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAGIC = b"poncho-metadata-2"


def _frame(index: str, key: str, body: bytes) -> bytes:
    """A cache entry: one header line naming its layout, key and body digest, then the METADATA bytes."""
    return b" ".join((_MAGIC, index.encode(), key.encode(), hashlib.sha256(body).hexdigest().encode())) + b"\n" + body


def _read_entry(path: Path, index: str, key: str) -> bytes | None:
    """The body of the entry at ``path`` if it is whole and is the one for (``index``, ``key``); else None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # missing, or a cache that cannot be read: a miss
    head, sep, body = raw.partition(b"\n")
    expected = b" ".join((_MAGIC, index.encode(), key.encode(), hashlib.sha256(body).hexdigest().encode()))
    return body if sep and head == expected else None


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
    from packaging.metadata import parse_email  # the email package: loaded by a metadata read, not on import

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


def cached_metadata(cache_dir: Path | None, index_url: str, sha256: str) -> DistMetadata | None:
    """The cached metadata of the file ``index_url`` listed with ``sha256``, or None; never touches the network.

    ``check`` reads a lock's pins back this way: the resolver cached them
    when it locked, under the same (index, sha256) key.
    """
    if cache_dir is None or not _SHA256.fullmatch(sha256.lower()):
        return None
    index, key = index_digest(index_url), sha256.lower()
    raw = _read_entry(Path(cache_dir) / "metadata" / index / key[:2] / f"{key}.metadata", index, key)
    if raw is None:
        return None
    try:
        return parse_metadata(raw, index_url)
    except BadResponse:
        return None


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

    def _cache_key(self, file: IndexFile, index_url: str) -> tuple[str, str]:
        """(index digest, file key): the file's sha256 (its URL's when the index gives none)."""
        key = (file.sha256 or "").lower()
        if not _SHA256.fullmatch(key):
            key = hashlib.sha256(file.url.encode()).hexdigest()
        return index_digest(index_url or file.url), key

    def _cache_path(self, index: str, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / index / key[:2] / f"{key}.metadata"

    def fetch(self, file: IndexFile, index_url: str = "") -> DistMetadata:
        """Metadata of ``file`` (see :meth:`fetch_traced`)."""
        return self.fetch_traced(file, index_url)[0]

    def fetch_traced(self, file: IndexFile, index_url: str = "") -> tuple[DistMetadata, bool]:
        """Metadata of ``file`` as listed by ``index_url``, checked against its filename before it is cached.

        Only metadata that parses and names the file's own project and version
        is written to the cache; an entry that is not whole (truncated, empty,
        garbage, another layout or key) or no longer parses is a miss: fetched
        again and rewritten. ``index_url`` defaults to the file's own URL. The flag says whether the
        network was asked (a round trip), as opposed to the cache.
        """
        index, key = self._cache_key(file, index_url)
        path = self._cache_path(index, key)
        if path is not None:
            cached = _read_entry(path, index, key)
            if cached is not None:
                try:
                    meta = parse_metadata(cached, file.url)
                    self._check_identity(meta, file)
                except BadResponse:
                    pass
                else:
                    with self._lock:
                        self.stats["cache"] += 1
                    return meta, False
        raw = self._fetch_fresh(file)
        meta = parse_metadata(raw, file.url)
        self._check_identity(meta, file)
        if path is not None:
            write_cache_entry(path, _frame(index, key, raw), "metadata")
        return meta, True

    def _fetch_fresh(self, file: IndexFile) -> bytes:
        if self.offline:
            raise NotCached(file.url, "metadata is not in the cache and --offline is set")
        # imported here: the HTTP readers are not needed to read the cache (`check` reads a lock's pins)
        from poncho.artifacts.wheel import metadata_file, wheel_metadata

        cached = self.cache_dir is not None  # this cache keeps the body: the HTTP cache need not
        if file.is_wheel:
            raw, kind = wheel_metadata(self.session, file, self.limits, cached_elsewhere=cached)
        else:
            served = metadata_file(self.session, file, self.limits, cached_elsewhere=cached)
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

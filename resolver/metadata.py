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

Next to each entry, ``<sha256>.parsed`` keeps what the email parser made of it
(name, version, Requires-Dist lines, Requires-Python, Provides-Extra) as
:mod:`marshal` data, framed with the sha256 of the entry's body it was parsed
from and a CRC-32 of its own: parsing METADATA with :mod:`packaging.metadata`
cost a warm re-resolution more than reading it, and loading the ``email``
package alone ~20 ms. The entry is still read and checked; a sidecar that is
missing, damaged or made from another body is a miss: the entry is parsed
again and the sidecar rewritten.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import threading
import zlib
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
    whole = _read_whole(path, index, key)
    return whole[0] if whole is not None else None


def _read_whole(path: Path, index: str, key: str) -> tuple[bytes, bytes] | None:
    """(body, its sha256 in hex) of the entry at ``path``, if whole and the one for (``index``, ``key``)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # missing, or a cache that cannot be read: a miss
    head, sep, body = raw.partition(b"\n")
    digest = hashlib.sha256(body).hexdigest().encode()
    expected = b" ".join((_MAGIC, index.encode(), key.encode(), digest))
    return (body, digest) if sep and head == expected else None


@dataclass(frozen=True)
class DistMetadata:
    """The fields of core metadata the resolver needs."""

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extras: frozenset[str]
    warnings: tuple[str, ...] = ()
    #: Requires-Dist lines packaging cannot parse: pip (>= 24.1) and uv pass over such a release.
    invalid_requires_dist: tuple[str, ...] = ()


#: What the email parser makes of METADATA, before the resolver's own parsing: (name, version, Requires-Dist
#: lines, Requires-Python, Provides-Extra). Plain strings and lists, so a sidecar stores it with marshal.
Fields = tuple  # tuple[str | None, str | None, list[str], str | None, list[str]]


def parse_metadata(raw: bytes, origin: str) -> DistMetadata:
    """Parse METADATA leniently: one bad Requires-Dist line is a warning, not a failure."""
    return metadata_of(email_fields(raw), origin)


def email_fields(raw: bytes) -> Fields:
    """The fields the resolver reads, as the METADATA text spells them (the costly half of parsing)."""
    from packaging.metadata import parse_email  # the email package: loaded by a metadata read, not on import

    fields, unparsed = parse_email(raw)
    return (fields.get("name"), fields.get("version"),
            fields.get("requires_dist", []) + unparsed.get("requires-dist", []),
            fields.get("requires_python"), fields.get("provides_extra", []))


def metadata_of(fields: Fields, origin: str) -> DistMetadata:
    """The resolver's record of ``fields``; raises BadResponse for metadata without a valid Name and Version."""
    name, version_text, requires_dist, rp, provides_extra = fields
    warnings: list[str] = []
    if not name or not version_text:
        raise BadResponse(origin, "metadata has no Name or Version", kind=Reason.BAD_METADATA)
    try:
        version = Version(version_text)
    except InvalidVersion as exc:
        raise BadResponse(origin, f"metadata has an invalid Version {version_text!r}",
                          kind=Reason.BAD_METADATA) from exc
    reqs: list[Requirement] = []
    invalid: list[str] = []
    for line in requires_dist:
        try:
            reqs.append(Requirement(line))
        except InvalidRequirement as exc:
            warnings.append(f"{origin}: ignoring invalid Requires-Dist {line!r}: {exc}")
            invalid.append(line)
    try:
        requires_python = SpecifierSet(rp) if rp else None
    except InvalidSpecifier:
        warnings.append(f"{origin}: ignoring invalid Requires-Python {rp!r}")
        requires_python = None
    extras = frozenset(canonicalize_name(e) for e in provides_extra)
    return DistMetadata(name, version, tuple(reqs), requires_python, extras, tuple(warnings), tuple(invalid))


_PARSED_MAGIC = b"poncho-parsed-1"


def _parsed_head(entry_digest: bytes, body: bytes) -> bytes:
    return b"%s %s %08x" % (_PARSED_MAGIC, entry_digest, zlib.crc32(body))


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".metadata") + ".parsed")


def read_fields(path: Path, index: str, key: str) -> tuple[Fields, bytes | None] | None:
    """(fields, the entry's METADATA bytes when the sidecar could not answer) of the metadata entry at
    ``path``; None when the entry is not whole (a miss, as before).

    The sidecar answers only for the entry it was made from (it names the sha256 of the entry's body), when
    it is whole (CRC-32) and of the right shape; otherwise the entry is parsed again.
    """
    whole = _read_whole(path, index, key)
    if whole is None:
        return None
    entry, digest = whole
    try:
        raw = _sidecar(path).read_bytes()
    except OSError:
        raw = b""
    head, sep, body = raw.partition(b"\n")
    if sep and head == _parsed_head(digest, body):
        try:
            fields = marshal.loads(body)
        except (ValueError, EOFError, TypeError):
            fields = None
        if (type(fields) is tuple and len(fields) == 5 and _strs(fields[2]) and _strs(fields[4])
                and all(v is None or type(v) is str for v in (fields[0], fields[1], fields[3]))):
            return fields, None
    return email_fields(entry), entry


def _strs(value: object) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


def write_fields(path: Path, entry: bytes, fields: Fields) -> None:
    """Store ``fields`` parsed from the METADATA bytes ``entry`` next to its entry at ``path`` (atomically;
    a failure only costs speed)."""
    body = marshal.dumps(fields)
    digest = hashlib.sha256(entry).hexdigest().encode()
    write_cache_entry(_sidecar(path), _parsed_head(digest, body) + b"\n" + body, "metadata")


def cached_metadata(cache_dir: Path | None, index_url: str, sha256: str) -> DistMetadata | None:
    """The cached metadata of the file ``index_url`` listed with ``sha256``, or None; never touches the network.

    ``check`` reads a lock's pins back this way: the resolver cached them
    when it locked, under the same (index, sha256) key.
    """
    if cache_dir is None or not _SHA256.fullmatch(sha256.lower()):
        return None
    index, key = index_digest(index_url), sha256.lower()
    found = read_fields(Path(cache_dir) / "metadata" / index / key[:2] / f"{key}.metadata", index, key)
    if found is None:
        return None
    try:
        return metadata_of(found[0], index_url)
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
            meta = self._cached(file, path, index, key)
            if meta is not None:
                with self._lock:
                    self.stats["cache"] += 1
                return meta, False
        raw = self._fetch_fresh(file)
        fields = email_fields(raw)
        meta = metadata_of(fields, file.url)
        self._check_identity(meta, file)
        if path is not None:
            write_cache_entry(path, _frame(index, key, raw), "metadata")
            write_fields(path, raw, fields)
        return meta, True

    def _cached(self, file: IndexFile, path: Path, index: str, key: str) -> DistMetadata | None:
        """The cached metadata of ``file`` (its sidecar written if it had none); None when the entry is not
        whole, does not parse or names another project or version."""
        found = read_fields(path, index, key)
        if found is None:
            return None
        fields, parsed_from = found
        try:
            meta = metadata_of(fields, file.url)
            self._check_identity(meta, file)
        except BadResponse:
            return None
        if parsed_from is not None:
            write_fields(path, parsed_from, fields)
        return meta

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

"""Project pages in a compact, parsed form: decoded once per change, releases read only when asked.

A PyPI project page can list thousands of files (botocore: ~5,000); turning
every one into an :class:`~poncho.net.simple_api.IndexFile` on every run cost
more than resolving. A :class:`CompactPage` keeps a page as rows grouped by
release (the version text in each filename), and a release's rows become
``IndexFile`` records only when the resolver looks at that version.

On disk (``pages-v3/<index digest>/<project>.page``, written atomically) an
entry is one frame line (layout, a CRC-32 of the header, the lengths of the
header and of what follows it), a header (the sha256 of the page body it was
parsed from, the page URL, and per release: version text, all-yanked flag,
where its entries are and their CRC-32; stored with :mod:`marshal`, which
reads a botocore header several times faster than ``json``), then the
entries of each release: a ``json`` page's as the JSON text the index sent
(never decoded to be written), a ``rows`` page's with :mod:`marshal`. A large
entry is mapped (``mmap``) and a release's CRC is checked only when that
release is decoded: an offline lock touches a few hundred kilobytes of a
50 MB cache instead of reading and checking all of it. Releases are written
newest first, and the header's ``valid`` says how many lead with a valid
version (:meth:`CompactPage.newest_first`): a reader builds a ``Version`` only
for the releases the resolver looks at. The entry is *keyed by the body's
digest*: a refetched page whose bytes are unchanged reuses the entry without
decoding anything; a changed page is parsed again and the entry rewritten.
Its modification time is when the page was last fetched, which is how page
freshness is judged, since the index sends no caching headers. An entry that
is truncated, foreign or has a damaged header reads as a miss and is
rewritten; a release whose bytes fail their CRC when decoded is
:class:`~poncho.errors.DamagedCache`: the entry is removed (the next run
fetches the page again) and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import mmap
import os
import sys
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho.errors import BadResponse, DamagedCache, Reason
from poncho.fileio import write_cache_entry
from poncho.paths import index_digest

from .index_file import IndexFile, checked, from_json

# The layout's version, in the directory and each entry's frame: bump both when what an entry holds changes
# (v2: a split JSON release is stored as marshal(bytes of its JSON text), not marshal(list); v3: a CRC per
# release instead of one over the entry, a marshal header, and a JSON release as its bare text), so an older
# poncho sharing the cache directory keeps its own entries, and an entry of another layout reads as a miss.
PAGE_CACHE = "pages-v3"
_MAGIC = b"poncho-page-3"

# A file as stored for a PEP 503 page or a bare directory (already checked):
# filename, url, hashes, requires-python, yanked, size, core-metadata, metadata sha256.
Row = list


def row_of(f: IndexFile) -> Row:
    return [f.filename, f.url, f.hashes, f.requires_python, f.yanked, f.size, f.core_metadata, f.metadata_sha256]


def file_of(row: Sequence) -> IndexFile:
    return IndexFile(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])


def version_texts(name: str) -> Callable[[str], str | None]:
    """The version part of wheel and sdist filenames of project ``name`` (None for another project's or
    another kind of file), cheaply: no tag parsing, and each distinct name part canonicalized once."""
    names: dict[str, bool] = {}

    def version_of(filename: str) -> str | None:
        if filename.endswith(".whl"):
            parts = filename[:-4].split("-")
            if len(parts) not in (5, 6):
                return None
            project, version = parts[0], parts[1]
        else:
            for suffix in (".tar.gz", ".zip"):
                if filename.endswith(suffix):
                    project, sep, version = filename[: -len(suffix)].rpartition("-")
                    if sep:
                        break
            else:
                return None
        ours = names.get(project)
        if ours is None:
            ours = names[project] = canonicalize_name(project) == name
        return version if ours else None

    return version_of


class ReleaseRows:
    """One release of a page: its version text, whether every file is yanked, and its files on demand.

    ``stored`` is the release's entries (PEP 691 entries for a ``json``
    page, rows for a ``rows`` one), or their bytes in an entry on disk,
    decoded on first use (after their CRC-32, ``crc``, is checked; ``entry``
    is the file, removed when they fail it). A ``json`` release split from the
    page's bytes (``simple_api.split_files``) holds the JSON text of its
    entries until then. (A plain slotted class: a page makes thousands.)
    """

    __slots__ = ("version", "yanked", "_stored", "_kind", "_page_url", "_project", "_crc", "_entry")

    def __init__(self, version: str, yanked: bool, stored: list | bytes | memoryview, kind: str,
                 page_url: str, project: str = "", crc: int | None = None, entry: Path | None = None) -> None:
        self.version = version
        self.yanked = yanked
        self._stored = stored
        self._kind = kind
        self._page_url = page_url
        self._project = project  # for JSON text: its files must all be of this project and version
        self._crc = crc
        self._entry = entry

    def __repr__(self) -> str:
        # Deterministic: resolver.cache.compact_digest hashes a listing that has no page digest (a file:// index)
        # by its repr, which with object addresses changed on every read and never matched a cached resolution.
        return f"ReleaseRows({self.version!r}, {self.yanked!r}, {self.entries()!r})"

    def entries(self) -> list:
        """The entries as stored: a ``json`` release's JSON text, a ``rows`` release's ``marshal`` data (lists
        and strings: it writes about 8 times faster than ``json``), only ever read after their CRC passed."""
        stored = self._stored
        if isinstance(stored, memoryview):
            stored = self._checked(stored)
            if self._kind != "json":
                return marshal.loads(stored)  # a list (else _decode fails)
            stored = bytes(stored)
        if isinstance(stored, bytes):
            return _json_entries(stored, self._page_url)
        return stored

    def _checked(self, view: memoryview) -> memoryview:
        if self._crc is not None and zlib.crc32(view) != self._crc:
            if self._entry is not None:
                try:
                    self._entry.unlink()
                except OSError:
                    pass
            raise DamagedCache(self._page_url, str(self._entry or "the page cache"))
        return view

    def stored(self) -> bytes | memoryview:
        """The bytes ``serialize`` writes for this release: a ``json`` release's JSON text as the index sent
        it (never decoded to be written), a ``rows`` release's ``marshal`` data."""
        stored = self._stored
        if isinstance(stored, memoryview):
            return self._checked(stored)  # as read from an entry
        if self._kind != "json":
            return marshal.dumps(stored)
        if isinstance(stored, bytes):
            return stored
        return json.dumps(stored, separators=(",", ":")).encode()  # decoded entries (not PyPI's layout)

    def load(self) -> tuple[IndexFile, ...]:
        files = _decode(self._kind, self.entries(), self._page_url)
        if self._project:  # split from the page's text: each file is where its filename says
            version_of = version_texts(self._project)
            if any(version_of(f.filename) != self.version for f in files):
                raise BadResponse(self._page_url, f"files of another release were read as {self.version}'s",
                                  kind=Reason.BAD_PAGE)
        return files


class StoredReleases(Sequence[ReleaseRows]):
    """A cached page's releases, each made when first looked at (a botocore page lists ~2,000; a run reads a
    few). Rows are what serialize() wrote and their header passed its CRC: no per-release conversions; a
    release whose offsets or bytes are wrong fails its own CRC when it is decoded. A slice is a view that
    shares what was made."""

    __slots__ = ("_table", "_body", "_args", "_made", "_lo", "_hi")

    def __init__(self, table: list, body: memoryview, args: tuple[str, str, str, Path | None],
                 made: list[ReleaseRows | None] | None = None, lo: int = 0, hi: int | None = None) -> None:
        self._table = table
        self._body = body
        self._args = args  # kind, page url, project (JSON text: its files must be of it), entry path
        self._made: list[ReleaseRows | None] = made if made is not None else [None] * len(table)
        self._lo = lo
        self._hi = len(table) if hi is None else hi

    def __len__(self) -> int:
        return self._hi - self._lo

    @overload
    def __getitem__(self, i: int) -> ReleaseRows: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[ReleaseRows]: ...

    def __getitem__(self, i: int | slice) -> ReleaseRows | Sequence[ReleaseRows]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:  # no caller steps: a plain list, made whole
                return [self[j] for j in range(start, stop, step)]
            return StoredReleases(self._table, self._body, self._args, self._made, self._lo + start,
                                  self._lo + max(start, stop))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        at = self._lo + i
        made = self._made[at]
        if made is None:
            v, y, off, n, crc = self._table[at]
            kind, url, project, entry = self._args
            made = self._made[at] = ReleaseRows(v, y, self._body[off:off + n], kind, url, project, crc, entry)
        return made

    def __repr__(self) -> str:
        return repr(list(self))


def _json_entries(text: bytes, page_url: str) -> list:
    """A release's entries from their JSON text: a list of objects, else the page is bad."""
    try:
        entries = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadResponse(page_url, f"invalid PEP 691 JSON: {exc!r}"[:300]) from exc
    if not isinstance(entries, list) or not all(type(e) is dict for e in entries):
        raise BadResponse(page_url, "invalid PEP 691 JSON: a file entry is not an object", kind=Reason.BAD_PAGE)
    return entries


def _decode(kind: str, entries: list, page_url: str) -> tuple[IndexFile, ...]:
    """Stored entries as checked IndexFile records: PEP 691 entries are joined and checked here, on first
    read; a bad one is the index's error, naming the page."""
    if kind == "rows":
        return tuple(file_of(row) for row in entries)
    try:
        files = tuple(from_json(e, page_url) for e in entries)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BadResponse(page_url, f"invalid PEP 691 JSON: {exc!r}"[:300]) from exc
    return checked(files, page_url)


@dataclass
class CompactPage:
    """A project page grouped by release; ``from_network`` says whether this run fetched it.

    ``kind`` is ``"json"`` when releases hold a PEP 691 page's own entries
    (decoded and checked when a release is read), ``"rows"`` when they hold
    checked rows (a PEP 503 page, a bare directory).
    """

    name: NormalizedName
    url: str
    digest: str
    kind: str
    releases: Sequence[ReleaseRows]
    other: list = field(default_factory=list)  # entries that are not a wheel or sdist of this project
    from_network: bool = False
    # How many releases lead ``releases`` newest first with a valid version (the rest follow in page order);
    # None until :meth:`newest_first` sorted them (or an entry said so).
    valid: int | None = None

    @classmethod
    def from_json_entries(cls, name: NormalizedName, url: str, digest: str,
                          groups: dict[str | None, list[dict]]) -> CompactPage:
        """From a PEP 691 page's ``files`` grouped by version text (``None``: not a release file of ``name``)."""
        other = groups.pop(None, [])
        releases = [ReleaseRows(text, all(e.get("yanked") for e in group), group, "json", url)
                    for text, group in groups.items() if text is not None]
        return cls(name, url, digest, "json", releases, other)

    @classmethod
    def from_json_texts(cls, name: NormalizedName, url: str, digest: str,
                        releases: list[tuple[str, bool, bytes]], other: list) -> CompactPage:
        """From a PEP 691 page split by release without decoding it (``simple_api.split_files``):
        (version text, all yanked, the JSON text of its entries) per release."""
        return cls(name, url, digest, "json",
                   [ReleaseRows(v, y, text, "json", url, name) for v, y, text in releases], other)

    @classmethod
    def from_files(cls, name: NormalizedName, url: str, digest: str, files: Iterable[IndexFile]) -> CompactPage:
        groups: dict[str | None, list[Row]] = {}
        version_of = version_texts(name)
        for f in files:
            groups.setdefault(version_of(f.filename), []).append(row_of(f))
        other = groups.pop(None, [])
        releases = [ReleaseRows(text, all(r[4] for r in rows), rows, "rows", url)
                    for text, rows in groups.items() if text is not None]
        return cls(name, url, digest, "rows", releases, other)

    def newest_first(self) -> int:
        """Sort ``releases`` newest first, releases whose version text is not PEP 440 last (in page order);
        return how many have a valid version.

        Done once per page change: an entry keeps the order (``valid`` in its header), so a run that reads it
        parses only the versions the resolver looks at (a page of botocore lists ~2,000). Equal versions
        spelled differently (``1.0``, ``1.0.0``) keep their page order, as a stable sort does.
        """
        if self.valid is None:
            keyed: list[tuple[Version, ReleaseRows]] = []
            invalid: list[ReleaseRows] = []
            for rows in self.releases:
                try:
                    keyed.append((Version(rows.version), rows))
                except InvalidVersion:
                    invalid.append(rows)
            keyed.sort(key=lambda pair: pair[0], reverse=True)
            self.releases = [rows for _, rows in keyed] + invalid
            self.valid = len(keyed)
        return self.valid

    def files(self) -> tuple[IndexFile, ...]:
        """Every file of the page (this decodes every release: for callers that need them all)."""
        return tuple(f for r in self.releases for f in r.load()) + _decode(self.kind, self.other, self.url)

    def serialize(self) -> bytes:
        """The entry's bytes: a frame line, the header, then each release's entries (see the module doc)."""
        valid = self.newest_first()
        header: dict = {"digest": self.digest, "url": self.url, "name": self.name, "kind": self.kind,
                        "other": self.other, "releases": [], "valid": valid}
        chunks: list[bytes | memoryview] = []
        offset = 0
        for r in self.releases:
            chunk = r.stored()
            header["releases"].append([r.version, r.yanked, offset, len(chunk), zlib.crc32(chunk)])
            chunks.append(chunk)
            offset += len(chunk)
        head = marshal.dumps(header)
        frame = b"%s %08x %d %d\n" % (_MAGIC, zlib.crc32(head), len(head), offset)
        return b"".join((frame, head, *chunks))  # one copy of a page that can weigh tens of megabytes

    @classmethod
    def deserialize(cls, raw: bytes | mmap.mmap, entry: Path | None = None) -> CompactPage | None:
        """The page in ``raw`` (an entry's bytes, or its mapping), or None when it is not a whole entry of
        this layout; ``entry`` is its file, removed if a release turns out damaged when decoded.

        The header's CRC-32 and the length of the releases catch a truncated,
        appended-to or foreign entry here; a release's own CRC-32 is checked
        when it is decoded (entries are written atomically, so damage comes
        from outside).
        """
        first = raw.find(b"\n", 0, 128)
        frame = bytes(raw[:first]).split(b" ") if first > 0 else []
        if len(frame) != 4 or frame[0] != _MAGIC or not frame[2].isdigit() or not frame[3].isdigit():
            return None
        start = first + 1 + int(frame[2])
        head = raw[first + 1:start]
        if frame[1] != b"%08x" % zlib.crc32(head) or len(raw) - start != int(frame[3]):
            return None
        body = memoryview(raw)[start:]  # slices without copies: an entry can weigh tens of megabytes
        try:
            header = marshal.loads(head)  # bytes that passed their CRC: what serialize() wrote
            kind, url = str(header["kind"]), str(header["url"])
            if kind not in ("json", "rows") or type(header["other"]) is not list:
                return None
            project = str(header["name"]) if kind == "json" else ""
            table = header["releases"]
            if type(table) is not list or any(type(row) is not list or len(row) != 5 for row in table):
                return None
            releases = StoredReleases(table, body, (kind, url, project, entry))
            valid = header.get("valid")
            if type(valid) is not int or not 0 <= valid <= len(releases):
                return None
            return cls(NormalizedName(header["name"]), url, str(header["digest"]), kind, releases,
                       header["other"], valid=valid)
        except (ValueError, TypeError, KeyError, IndexError, EOFError):
            return None


class PageCache:
    """Compact pages on disk for one cache directory; ``ttl`` is how long a fetched page counts as fresh.

    ``stats`` counts ``decoded`` (a page body parsed), ``reused`` (a refetched
    page found unchanged), ``fresh`` (answered without the network) and
    ``rewritten`` (an entry written).
    """

    def __init__(self, directory: Path, ttl: float = 600, offline: bool = False) -> None:
        self.directory = Path(directory) / PAGE_CACHE
        self.ttl = ttl
        self.offline = offline
        self.stats = {"decoded": 0, "reused": 0, "fresh": 0, "rewritten": 0}
        self._lock = threading.Lock()  # pages load on the fetch threads

    def path(self, index_url: str, name: NormalizedName) -> Path:
        return self.directory / index_digest(index_url) / f"{name}.page"

    def load(self, index_url: str, name: NormalizedName, *, fresh_only: bool) -> CompactPage | None:
        """The stored page; with ``fresh_only``, only if fetched within ``ttl`` (or at all, offline)."""
        path = self.path(index_url, name)
        try:
            if fresh_only and not self.offline and time.time() - path.stat().st_mtime > self.ttl:
                return None
            raw = _mapped(path)
        except (OSError, ValueError):
            return None
        page = CompactPage.deserialize(raw, path)
        if page is not None and fresh_only:
            self.count("fresh")
        return page

    def store(self, index_url: str, page: CompactPage) -> None:
        if write_cache_entry(self.path(index_url, page.name), page.serialize(), "project page"):
            self.count("rewritten")

    def touch(self, index_url: str, name: NormalizedName) -> None:
        """The page was refetched unchanged: it is fresh again."""
        try:
            os.utime(self.path(index_url, name))
        except OSError:
            pass

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1


# Entries at least this large are mapped rather than read (a small one costs little to read whole) ...
_MAP_MIN = 256 * 1024
# ... while fewer than this many mappings are alive: before Python 3.13 each holds a file descriptor (mmap
# dups it), and a resolution reads hundreds of pages (macOS allows a process 256 descriptors by default).
_MAP_MAX = 64
_mappings = [0]
_mappings_lock = threading.Lock()


def _mapped(path: Path) -> bytes | mmap.mmap:
    """The entry's bytes, mapped where the platform allows and the entry is large: only the header and the
    releases the resolver decodes are read from disk. Entries are replaced by rename, never rewritten in
    place, so a mapping keeps the entry it opened while another run writes a new one. (Windows cannot
    rename over a mapped file: it reads the entry whole, as it does a small entry.)"""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if os.name != "posix" or size < _MAP_MIN:
            return f.read()
        if sys.version_info >= (3, 13):
            return mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ, trackfd=False)
        with _mappings_lock:
            if _mappings[0] >= _MAP_MAX:
                return f.read()
            _mappings[0] += 1
        try:
            mapped = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
        except BaseException:
            _unmapped()
            raise
        weakref.finalize(mapped, _unmapped)
        return mapped


def _unmapped() -> None:
    with _mappings_lock:
        _mappings[0] -= 1


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()

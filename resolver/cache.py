"""The resolution cache: a repeated lock answered from disk, without resolvelib or the network.

An entry is keyed by everything that decides a resolution except the
index's contents: the direct requirements, the target, the constraints, the
indexes and ``--allow-fallback``. It holds the Resolution (pins with their
files and parents), the pins the run preferred (kept from an existing lock)
and a digest of every project page the resolver read (:class:`.page_log.PageLog`).

Freshness is the HTTP cache's: an entry is served without any request for
:data:`PAGE_TTL` seconds after its pages were read (a normal warm run would
serve the same pages from the HTTP cache without asking either); after that
each page is fetched again (conditional requests through the HTTP cache) and
the entry is served only if every page digest is unchanged; ``--offline``
serves it however old, as it serves pages. Pages of a local source (a file://
index, find-links) bypass the HTTP cache, so they are read again every time.
The caller may also vouch for it
(``trusted``): an existing lock made from the same inputs holding exactly
these pins is kept without a request, as a re-lock keeps its pins.

A preferred-pins rule keeps answers identical to a fresh resolution: an
entry made with preferences P answers a request with preferences Q when
P == Q, or when Q pins every name of the entry to its version (the resolver,
trying preferred versions first, would find exactly this set again).

Entries are JSON written atomically; one that does not read back (damaged,
another schema, a wrong type) is a miss and is rewritten by the next
resolution. Index URLs are stored by position, never with credentials.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho import __version__
from poncho.errors import NotFound
from poncho.fileio import code_digest, write_cache_entry
from poncho.net import IndexFile

from .resolution import Pin, Resolution

if TYPE_CHECKING:  # pragma: no cover
    from poncho.net import ProjectPage
    from poncho.net.page_cache import CompactPage

    from .page_log import PageLog
    from .repository import ProjectSource
    from .target import Target

SCHEMA = 1
PAGE_TTL = 600  # seconds: how long the HTTP cache serves a project page without asking (poncho.net.session)
MAX_ENTRY = 64 * 1024 * 1024
MISSING = "missing"  # the digest of a page the index answered 404 for


def resolver_digest() -> str:
    """A digest of the resolver's code and data (``resolver/*.py``, ``resolver/data/*``).

    The tool version alone changes only with a release: a source checkout or a
    development build with a changed resolver would be answered by an older
    build's entry.
    """
    return code_digest(Path(__file__).resolve().parent, ("*.py", "data/*"))


def resolution_key(requirements: Sequence[str], target: Target, index_urls: Sequence[str],
                   constraints: Mapping[str, object], allow_fallback: bool, only_binary: bool = False) -> str:
    """The entry's name: a digest of every input of a resolution but the index's contents."""
    payload = {
        "schema": SCHEMA, "tool": __version__, "code": resolver_digest(),
        "requirements": sorted(requirements),
        "constraints": sorted(f"{k} {v}" for k, v in constraints.items()),
        # The target as a lock's header names it: a re-lock adopts the header's target, whose tag list and
        # marker environment are built from that name and differ in detail from Target.current()'s for the
        # same machine; the header contract (and check) treat the two as the same input, and so does this.
        # (describe() names the Python as given: a minor, or a pinned patch, never this interpreter's patch.)
        "target": target.describe(),
        "indexes": list(index_urls),  # hashed: credentials never reach the disk
        "allow_fallback": allow_fallback,
    }
    if only_binary:  # which older wheels are preferred (resolver/installable.py); absent: earlier keys stand
        payload["only_binary"] = True
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def page_digest(page: ProjectPage) -> str:
    """A digest of what the resolver uses from a page: each file's name, URL, hashes and flags."""
    rows = sorted([f.filename, f.url, sorted(f.hashes.items()), f.requires_python, f.yanked,
                   f.core_metadata, f.metadata_sha256] for f in page.files)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def compact_digest(page: CompactPage) -> str:
    """A compact page's digest: the index's page-content digest (``poncho.net.page_cache``), or, for a
    local listing that has none, one over its rows."""
    if page.digest:
        return page.digest
    return hashlib.sha256(repr((page.url, page.releases, page.other)).encode()).hexdigest()


def current_digest(source: ProjectSource, name: str) -> str:
    """The digest of ``name``'s page as the source serves it now (an index through its caches), read the
    way the repository reads it (``compact`` where the source has it), as :class:`.page_log.PageLog` does."""
    compact = getattr(source, "compact", None)
    try:
        return compact_digest(compact(name)) if compact is not None else page_digest(source.project(name))
    except NotFound:
        return MISSING


class ResolutionCache:
    """Resolutions by key, under ``directory``."""

    def __init__(self, directory: Path | str, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self.clock = clock
        self.writable = True

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def get(self, key: str, preferred: Mapping[str, str], index_urls: Sequence[str], target: Target, *,
            indexes: Callable[[], Sequence[ProjectSource]], offline: bool = False,
            trusted: Callable[[Resolution], bool] | None = None) -> Resolution | None:
        """The cached Resolution if it is still the answer; None to resolve (and ``put``).

        ``index_urls`` are the URLs of this run's project sources (find-links, indexes), in order;
        ``indexes`` makes the sources, only when the entry's pages must be fetched again.
        """
        entry = self._read(key)
        if entry is None:
            return None
        try:
            resolution = _resolution(entry, index_urls, target)
            used = _str_map(entry["preferred"])
            pages = [(_typed(i, int), _typed(n, str), _typed(d, str)) for i, n, d in _typed(entry["pages"], list)]
            read_at = _typed(entry["read_at"], (int, float))  # a time in the future is checked, never trusted
        except (KeyError, TypeError, ValueError, IndexError, InvalidVersion):
            return None  # damaged: a miss, rewritten by the caller's put
        if not _answers(resolution, used, preferred):
            return None
        if offline:
            return resolution
        if any(not 0 <= i < len(index_urls) for i, _, _ in pages):
            return None
        # A page from an http(s) index is trusted while the HTTP cache would serve it without asking. A local
        # source (a file:// index, a find-links directory) is listed afresh by every run, with no HTTP cache
        # in between: its pages are read again every time (cheaply, without the network).
        young = 0 <= self.clock() - read_at < PAGE_TTL
        due = [p for p in pages if not (young and index_urls[p[0]].startswith(("http://", "https://")))]
        if not due or (trusted is not None and trusted(resolution)):
            return resolution
        clients = indexes()
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="poncho-revalidate") as pool:
            now = list(pool.map(lambda p: current_digest(clients[p[0]], p[1]), due))
        if now != [d for _, _, d in due]:
            return None
        if not young:  # every page was read again just now: fresh for another PAGE_TTL
            entry["read_at"] = self.clock()
            self._write(key, entry)
        return resolution

    def put(self, key: str, resolution: Resolution, preferred: Mapping[str, str], logs: Sequence[PageLog],
            started: float | None = None) -> None:
        """Store what was resolved and the pages it read; a cache that cannot be written is left alone.

        ``started``: when the resolution began (its pages are at least that fresh); default now.
        """
        position = {log.index_url: i for i, log in enumerate(logs)}
        pages = [[i, name, digest] for i, log in enumerate(logs) for name, digest in sorted(log.pages.items())]
        entry = {
            "schema": SCHEMA, "read_at": self.clock() if started is None else started,
            "preferred": dict(sorted(preferred.items())), "pages": pages,
            "warnings": list(resolution.warnings), "rounds": resolution.rounds, "fallbacks": list(resolution.fallbacks),
            "pins": [_pin_row(p, position) for p in resolution],
        }
        self._write(key, entry)

    def _read(self, key: str) -> dict | None:
        try:
            with open(self._path(key), "rb") as fh:
                raw = fh.read(MAX_ENTRY + 1)
        except OSError:
            return None
        try:
            entry = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return entry if isinstance(entry, dict) and entry.get("schema") == SCHEMA else None

    def _write(self, key: str, entry: dict) -> None:
        if self.writable:
            self.writable = write_cache_entry(self._path(key), json.dumps(entry, separators=(",", ":")),
                                              "resolution")


class _Damaged(ValueError):
    """An entry field of the wrong type: the entry is a miss (caught in ResolutionCache.get)."""


def _answers(resolution: Resolution, used: Mapping[str, str], preferred: Mapping[str, str]) -> bool:
    """Whether a fresh resolution preferring ``preferred`` would give this one (made preferring ``used``)."""
    if dict(used) == dict(preferred):
        return True
    wanted = {canonicalize_name(k): v for k, v in preferred.items()}
    return all(wanted.get(name) == str(pin.version) for name, pin in resolution.pins.items())


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _Damaged("preferred")
    return value


def _pin_row(pin: Pin, position: Mapping[str, int]) -> dict:
    return {
        "name": pin.name, "display_name": pin.display_name, "version": str(pin.version),
        "parents": list(pin.parents), "direct": pin.direct, "extras": sorted(pin.extras),
        "index": position.get(pin.index_url, -1),
        "files": [[f.filename, f.url, f.hashes, f.requires_python, f.yanked, f.size, f.core_metadata,
                   f.metadata_sha256] for f in pin.files],
    }


def _typed(value: object, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(value, kind):
        raise _Damaged(str(kind))
    return value


def _optional(value: object, kind: type) -> Any:
    return None if value is None else _typed(value, kind)


def _file(row: object) -> IndexFile:
    filename, url, hashes, requires_python, yanked, size, core_metadata, metadata_sha256 = _typed(row, list)
    return IndexFile(_typed(filename, str), _typed(url, str), _str_map(hashes), _optional(requires_python, str),
                     _typed(yanked, bool), _optional(size, int), _optional(core_metadata, bool),
                     _optional(metadata_sha256, str))


def _resolution(entry: dict, index_urls: Sequence[str], target: Target) -> Resolution:
    pins: dict[NormalizedName, Pin] = {}
    for row in _typed(entry["pins"], list):
        row = _typed(row, dict)
        name = canonicalize_name(_typed(row["name"], str))
        index = _typed(row["index"], int)
        pins[name] = Pin(
            name=name, display_name=_typed(row["display_name"], str), version=Version(_typed(row["version"], str)),
            files=tuple(_file(f) for f in _typed(row["files"], list)),
            parents=tuple(canonicalize_name(_typed(p, str)) for p in _typed(row["parents"], list)),
            direct=_typed(row["direct"], bool), extras=frozenset(_typed(x, str) for x in _typed(row["extras"], list)),
            index_url=index_urls[index] if 0 <= index < len(index_urls) else "",
        )
    return Resolution(pins=pins, target=target, warnings=[_typed(w, str) for w in _typed(entry["warnings"], list)],
                      rounds=_typed(entry["rounds"], int),
                      fallbacks=[_typed(f, str) for f in _typed(entry["fallbacks"], list)])

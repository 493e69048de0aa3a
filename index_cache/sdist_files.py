"""What a source distribution provides, for projects that publish no wheel.

A zip sdist is range-read like a wheel (:func:`poncho.net.rangezip.open_remote_zip`).
A ``.tar.gz`` cannot be range-read (gzip has no index), so it is *streamed*:
the HTTP response is decompressed as it arrives and walked with
``tarfile``'s stream mode, keeping only member names (strings) and the few
small files that matter (``PKG-INFO``, ``*.egg-info/top_level.txt``).
Nothing is ever written to disk and nothing is held beyond those.

:class:`SdistLimits` bounds the cost: compressed bytes read from the network,
uncompressed bytes produced by gzip (counted below ``tarfile``, so a
compression bomb or an oversized GNU long-name header stops at the cap
instead of filling memory) and archive members. An archive over a limit is
recorded as unindexed, saying which limit it hit.

The whole archive is read, not only up to ``top_level.txt``: the index also
wants the subpackages of each provided package (:func:`sdist_children`,
how ``pyspark.sql`` is told apart from copies bundled in other
distributions), and a tar has no order, so no earlier point is known to have
seen all of a package.
"""

from __future__ import annotations

from typing import Callable

import gzip
import io
import struct
import tarfile
import zipfile
from dataclasses import dataclass
from typing import Iterable

import requests
import urllib3
from packaging.metadata import parse_email

from poncho.net import IndexFile
from poncho.errors import BadResponse, IndexUnreachable, Reason
from poncho.net.rangezip import open_remote_zip

from .wheel_files import NOISE, is_safe_member, package_children, sdist_modules
from poncho.net.streams import BoundedReader

ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                  struct.error, NotImplementedError, KeyError, gzip.BadGzipFile, UnicodeError)
SMALL_FILE = 256 * 1024  # PKG-INFO and top_level.txt are read up to this many bytes


@dataclass(frozen=True)
class SdistLimits:
    """How much of one ``.tar.gz`` sdist the crawler is willing to stream."""

    compressed: int = 1024 ** 3  # bytes read from the network
    uncompressed: int = 4 * 1024 ** 3  # bytes gzip may produce
    members: int = 100_000  # archive entries

    def describe(self, which: str) -> str:
        value = getattr(self, which)
        return f"{value:,} members" if which == "members" else f"{_size(value)} {which}"


class OverLimit(Exception):
    """Streaming stopped at one of the :class:`SdistLimits`."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


@dataclass
class SdistContents:
    provided: set[str]
    how: str
    read: bool  # False when the archive could not be read to the end (a limit)
    name: str | None = None  # the Name: of its PKG-INFO
    children: set[str] | None = None  # one level below provided packages


def _size(n: int | float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _counted(read: Callable[[int], bytes], limit: int, which: str) -> BoundedReader:
    """A stream that raises :class:`OverLimit` (naming ``which`` limit) past ``limit`` bytes."""
    return BoundedReader(read, limit, lambda: OverLimit(which))


@dataclass
class _Listing:
    names: list[str]  # regular files, as named in the archive
    top_level: str | None  # text of the shallowest *.egg-info/top_level.txt
    pkg_info: bytes | None


def _top_level_member(names: Iterable[str]) -> str | None:
    found = [n for n in names if is_safe_member(n) and n.endswith(".egg-info/top_level.txt") and n.count("/") <= 3]
    return min(found, key=lambda n: (n.count("/"), len(n), n)) if found else None


def _is_pkg_info(name: str) -> bool:
    return name.count("/") == 1 and name.endswith("/PKG-INFO") and is_safe_member(name)


def _stream_tar(session: requests.Session, sdist: IndexFile, limits: SdistLimits) -> _Listing:
    """Walk a remote ``.tar.gz`` once, as it downloads; raises OverLimit, BadResponse, archive errors."""
    if sdist.size is not None and sdist.size > limits.compressed:
        raise OverLimit("compressed")  # the index says so: not a byte is downloaded
    try:
        resp = session.get(sdist.url, stream=True, headers={"Accept-Encoding": "identity"})
    except (requests.exceptions.RequestException, OSError) as exc:
        raise IndexUnreachable(sdist.url, f"cannot fetch: {exc}") from exc
    with resp:
        if resp.status_code != 200:
            raise BadResponse(sdist.url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)
        try:
            network = _counted(lambda n: resp.raw.read(n, decode_content=True), limits.compressed, "compressed")
            gz = gzip.GzipFile(fileobj=io.BufferedReader(network, 256 * 1024), mode="rb")
            plain = io.BufferedReader(_counted(gz.read, limits.uncompressed, "uncompressed"), 256 * 1024)
            names: list[str] = []
            top_text: dict[str, str] = {}
            pkg_info: bytes | None = None
            with tarfile.open(fileobj=plain, mode="r|") as tar:
                for count, member in enumerate(tar, start=1):
                    if count > limits.members:
                        raise OverLimit("members")
                    if member.offset_data + member.size > limits.uncompressed:
                        raise OverLimit("uncompressed")  # known before decompressing a byte of it
                    if not member.isfile():
                        continue
                    names.append(member.name)
                    small = member.size <= SMALL_FILE
                    if small and _top_level_member([member.name]) == member.name:
                        fh = tar.extractfile(member)  # into memory, never onto disk
                        top_text[member.name] = fh.read().decode("utf-8", "replace") if fh else ""
                    elif small and pkg_info is None and _is_pkg_info(member.name):
                        fh = tar.extractfile(member)
                        pkg_info = fh.read() if fh else None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            # the connection broke mid-stream: transient, the crawl retries the project
            raise IndexUnreachable(sdist.url, f"download interrupted: {exc}") from exc
    chosen = _top_level_member(top_text)
    return _Listing(names, top_text[chosen] if chosen else None, pkg_info)


def _read_zip(session: requests.Session, sdist: IndexFile) -> _Listing:
    zf, _ = open_remote_zip(session, sdist.url, sdist.size)
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        member = _top_level_member(names)
        top_text = zf.read(member)[:SMALL_FILE].decode("utf-8", "replace") if member else None
        pkg_info = next((n for n in names if _is_pkg_info(n)), None)
        meta = zf.read(pkg_info)[:SMALL_FILE] if pkg_info else None
    return _Listing(names, top_text, meta)


def parse_top_level(text: str) -> set[str]:
    """Import names of a ``top_level.txt``, without noise and non-identifiers."""
    names = {line.strip().replace("/", ".") for line in text.splitlines()}
    return {n for n in names if n and all(p.isidentifier() for p in n.split(".")) and n.split(".")[0] not in NOISE}


def sdist_children(names: list[str], provided: set[str]) -> set[str]:
    """Dotted names one level below each provided package, found wherever the sdist keeps it.

    A package's directory is the shallowest one named like it that holds
    modules (``pyspark-4.3.0/pyspark/``, ``x-1.0/src/x/``, ``x-1.0/lib/x/``);
    a copy deeper down (under ``tests/``, say) does not count.
    """
    tops = {p.split(".", 1)[0] for p in provided}
    rel = [raw.split("/")[1:] for raw in names if is_safe_member(raw) and "/" in raw]
    roots: dict[str, tuple[str, ...]] = {}
    for parts in rel:
        if not parts[-1].endswith((".py", ".so", ".pyd")):
            continue
        for i, part in enumerate(parts[:-1]):
            if part in tops:
                if part not in roots or i < len(roots[part]):
                    roots[part] = tuple(parts[:i])
                break
    below: list[str] = []
    for parts in rel:
        for i, part in enumerate(parts[:-1]):
            if part in tops:
                if roots.get(part) == tuple(parts[:i]):
                    below.append("/".join(parts[i:]))
                break
    return package_children(below, provided)


def read_sdist(session: requests.Session, sdist: IndexFile, project: str,
               limits: SdistLimits = SdistLimits()) -> SdistContents:
    """What an sdist provides: its ``top_level.txt``, else its package layout.

    Raises :class:`BadResponse` naming the URL for an archive that is not one
    (and for transient HTTP statuses, which the caller retries); an archive
    over ``limits`` comes back unindexed, with the limit in ``how``.
    """
    is_zip = sdist.filename.endswith(".zip")
    try:
        listing = _read_zip(session, sdist) if is_zip else _stream_tar(session, sdist, limits)
    except OverLimit as exc:
        size = f" is {_size(sdist.size)}" if sdist.size else ""
        return SdistContents(set(), f"sdist only ({sdist.filename}{size}: over the streaming limit of "
                                    f"{limits.describe(exc.which)})", False)
    except ARCHIVE_ERRORS as exc:
        raise BadResponse(sdist.url, f"not a valid {'zip' if is_zip else 'tar.gz'} sdist: {exc}",
                          kind=Reason.BAD_ARCHIVE) from exc
    name = None
    if listing.pkg_info:
        try:
            name = parse_email(listing.pkg_info)[0].get("name")
        except Exception:  # noqa: BLE001 - PKG-INFO only lends the display name
            name = None
    provided = parse_top_level(listing.top_level) if listing.top_level is not None else set()
    how = "sdist only; read its top_level.txt"
    if not provided:
        provided = sdist_modules(listing.names, project)
        how = "sdist only; derived from its package layout" if provided else "sdist only; no package found in it"
    children = sdist_children(listing.names, provided) if provided else set()
    return SdistContents(provided, how, True, name, children)

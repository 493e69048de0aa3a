"""The members of a remote sdist that matter, read within limits: the one bounded sdist reader.

A zip sdist is range-read like a wheel. A ``.tar.gz`` cannot be (gzip has no
index), so it is *streamed*: the response is decompressed as it arrives and
walked with ``tarfile``'s stream mode, keeping member names and the few
wanted members, in memory. Nothing is ever written to disk.

Every limit of :class:`~poncho.artifacts.limits.ArchiveLimits` holds, for
the resolver (PKG-INFO, ``requires.txt``) and the index builder (the whole
file list, ``top_level.txt``) alike: compressed bytes from the network (the
index's stated size is checked before a byte is fetched), uncompressed bytes
gzip produces (counted below ``tarfile``, so a compression bomb or a huge pax
header stops at the cap instead of filling memory), the member count, and the
size of each member read. Over any of them, :class:`poncho.errors.OverLimit`.

This module imports ``tarfile`` and ``gzip``; import it only where an sdist
is read, so a lock that needs only wheels never loads them.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import requests
import urllib3

from poncho.errors import BadResponse, IndexUnreachable, OverLimit, Reason
from poncho.net import IndexFile
from poncho.net.local import open_regular
from poncho.net.rangezip import MAX_FULL, open_remote_zip
from poncho.net.streams import BoundedReader

from .limits import DEFAULT_LIMITS, ArchiveLimits, size_text
from .zips import read_member

ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                  struct.error, NotImplementedError, KeyError, gzip.BadGzipFile, UnicodeError,
                  zlib.error)  # gzip lets bad deflate data through as zlib.error
_BUFFER = 256 * 1024

#: Which regular files to keep the bytes of, by archive name.
Wanted = Callable[[str], bool]
#: Stop early once these members are in hand (the resolver needs PKG-INFO, not the whole file list).
Enough = Callable[[Mapping[str, bytes]], bool]


@dataclass
class SdistListing:
    """What was read: every regular file's name (unless stopped early) and the wanted members."""

    names: list[str]
    members: dict[str, bytes] = field(default_factory=dict)
    complete: bool = True  # False when ``enough`` stopped the walk before the end


def read_sdist(session: requests.Session, file: IndexFile, wanted: Wanted, limits: ArchiveLimits = DEFAULT_LIMITS,
               enough: Enough | None = None) -> SdistListing:
    """Names and wanted members of the sdist ``file`` (``.zip``, ``.tar.gz`` or ``.tgz``).

    Raises :class:`OverLimit` past ``limits``, :class:`BadResponse` for an
    archive that is not one (``BAD_ARCHIVE``), a format it does not read
    (``UNSUPPORTED``) or an HTTP error, :class:`IndexUnreachable` for a
    broken connection (worth retrying).
    """
    name = file.filename.lower()
    if name.endswith(".zip"):
        reader = _read_zip
    elif name.endswith((".tar.gz", ".tgz")):
        reader = _stream_tar
    else:
        raise BadResponse(file.url, f"unsupported sdist format: {file.filename}", kind=Reason.UNSUPPORTED)
    try:
        return reader(session, file, wanted, limits, enough)
    except ARCHIVE_ERRORS as exc:
        kind = "zip" if reader is _read_zip else "tar.gz"
        raise BadResponse(file.url, f"not a valid {kind} sdist: {exc}", kind=Reason.BAD_ARCHIVE) from exc


def _over(file: IndexFile, which: str, limits: ArchiveLimits) -> OverLimit:
    size = f" is {size_text(file.size)}" if file.size else ""
    return OverLimit(file.url, which, f"{file.filename}{size}: over the streaming limit of {limits.describe(which)}")


def _read_zip(session: requests.Session, file: IndexFile, wanted: Wanted, limits: ArchiveLimits,
              enough: Enough | None) -> SdistListing:
    # by ranges, only the directory and the wanted members cross the network, whatever the zip's size;
    # a server that ignores Range sends it whole, which the compressed limit (and MAX_FULL) caps
    zf, _ = open_remote_zip(session, file.url, file.size, max_full=min(limits.compressed, MAX_FULL))
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.members:
            raise _over(file, "members", limits)
        listing = SdistListing([i.filename for i in infos])
        total = 0
        for info in infos:
            if wanted(info.filename):
                total += info.file_size
                if total > limits.uncompressed:
                    raise _over(file, "uncompressed", limits)
                listing.members[info.filename] = read_member(zf, info, file.url, limits)
    return listing


def _stream_tar(session: requests.Session, file: IndexFile, wanted: Wanted, limits: ArchiveLimits,
                enough: Enough | None) -> SdistListing:
    if file.size is not None and file.size > limits.compressed:
        raise _over(file, "compressed", limits)  # the index says so: not a byte is downloaded
    if file.url.startswith("file:"):  # a file:// index: a regular file only (a FIFO would block)
        with open_regular(file.url) as fh:
            return _walk_tar(fh.read, file, wanted, limits, enough)
    try:
        resp = session.get(file.url, stream=True, headers={"Accept-Encoding": "identity"})
    except (requests.exceptions.RequestException, OSError) as exc:
        raise IndexUnreachable(file.url, f"cannot fetch: {exc}") from exc
    with resp:
        if resp.status_code != 200:
            raise BadResponse(file.url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)
        try:
            return _walk_tar(lambda n: resp.raw.read(n, decode_content=True), file, wanted, limits, enough)
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            # the connection broke mid-stream: transient, worth retrying
            raise IndexUnreachable(file.url, f"download interrupted: {exc}") from exc


def _walk_tar(read: Callable[[int], bytes], file: IndexFile, wanted: Wanted, limits: ArchiveLimits,
              enough: Enough | None) -> SdistListing:
    """Names and wanted members of the .tar.gz whose compressed bytes ``read`` gives, within ``limits``."""

    def bounded(source: Callable[[int], bytes], which: str) -> io.BufferedReader:
        return io.BufferedReader(BoundedReader(source, getattr(limits, which), lambda: _over(file, which, limits)),
                                 _BUFFER)

    network = bounded(read, "compressed")
    plain = bounded(gzip.GzipFile(fileobj=network, mode="rb").read, "uncompressed")
    listing = SdistListing([])
    with tarfile.open(fileobj=plain, mode="r|") as tar:
        for count, member in enumerate(tar, start=1):
            if count > limits.members:
                raise _over(file, "members", limits)
            if member.offset_data + member.size > limits.uncompressed:
                raise _over(file, "uncompressed", limits)  # known before decompressing a byte of it
            if not member.isfile():
                continue
            listing.names.append(member.name)
            if not wanted(member.name):
                continue
            if member.size > limits.member:
                raise OverLimit(file.url, "member", f"{member.name} is {size_text(member.size)}, over the "
                                                    f"limit of {limits.describe('member')}")
            fh = tar.extractfile(member)  # into memory, never onto disk
            listing.members[member.name] = fh.read() if fh else b""
            if enough is not None and enough(listing.members):
                listing.complete = False
                break
    return listing

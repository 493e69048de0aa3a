"""A wheel's core metadata without downloading the wheel: the one METADATA reader.

Order: the PEP 658 ``.metadata`` file when the index lists one (PEP 714's
``core-metadata``; an unlisted one is never asked for, as pip and uv do),
else HTTP range requests into the wheel's zip for its
``*.dist-info/METADATA`` member. A caller that already opened the zip (the
index builder lists it anyway) passes it in, and a METADATA that came with
the central directory costs no request at all.

Why never unlisted: the proxy in front of this machine strips the key from
every page yet serves 49 of the 110 files a cold lock of the scientific set
reads. Asking first cost the other 61 a refusal (0.146 s median to its
headers, against 0.010 s for a range request), and a served one was hardly
faster than the wheel's tail (0.007-0.014 s against 0.013-0.015 s).

The resolver, the live probe and the index builder all read wheels here, so a
``.metadata`` file is checked against the index's hash and bounded by the
same :class:`~poncho.artifacts.limits.ArchiveLimits` everywhere.
"""

from __future__ import annotations

import hashlib
import zipfile
from typing import NamedTuple

import requests

from poncho.errors import BadResponse, IndexUnreachable, OverLimit, Reason
from poncho.net import IndexFile
from poncho.net import session as _session
from poncho.net.rangezip import MAX_FULL, RangeFile, RangesIgnored, open_remote_zip
from poncho.net.session import discard, read_body

from .limits import DEFAULT_LIMITS, ArchiveLimits
from .zips import read_member

__all__ = ["OpenWheel", "metadata_file", "metadata_member", "open_wheel", "wheel_metadata"]

_LOCAL_HEADER = 30  # fixed part of a zip local file header
_EXTRA_SLACK = 1024  # the local header's extra field, unknown until read


class OpenWheel(NamedTuple):
    """A remote wheel opened by :func:`open_wheel`: the zip and, over HTTP, its range reader."""

    zip: zipfile.ZipFile
    ranges: RangeFile | None


def open_wheel(session: requests.Session, file: IndexFile, limits: ArchiveLimits = DEFAULT_LIMITS, *,
               whole_file_ok: bool = True) -> OpenWheel:
    """The wheel's zip, read by range requests (its central directory only, until members are read)."""
    zf, rf = open_remote_zip(session, file.url, file.size, max_full=min(limits.compressed, MAX_FULL),
                             whole_file_ok=whole_file_ok)
    if len(zf.infolist()) > limits.members:
        zf.close()
        raise OverLimit(file.url, "members", f"over the limit of {limits.describe('members')}")
    return OpenWheel(zf, rf)


def metadata_member(zf: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The top-level ``*.dist-info/METADATA`` entry, if the wheel has one."""
    return next((i for i in zf.infolist() if i.filename.count("/") == 1
                 and i.filename.endswith(".dist-info/METADATA")), None)


def metadata_file(session: requests.Session, file: IndexFile, limits: ArchiveLimits = DEFAULT_LIMITS,
                  *, cached_elsewhere: bool = False, unlisted: bool = False) -> bytes | None:
    """The PEP 658 ``.metadata`` file the index listed for ``file``, or None (then read the file itself).

    None without a request when the index did not list one (PEP 714: a
    client asks only for what the page advertises). Any answer but 200 means
    "not served": a mirror that fails on ``.metadata`` may still serve the
    wheel, whose own errors are then the ones reported.
    ``cached_elsewhere``: the caller keeps the body (the resolver's metadata
    cache), so the HTTP cache neither looks for nor stores a second copy.
    ``unlisted``: ask even though the page lists none (a mirror that ignores
    range requests, where the alternative is downloading the whole file).
    """
    if not (file.core_metadata or unlisted) or not file.url.startswith(("http://", "https://")):
        return None
    url = file.url + ".metadata"
    try:
        resp = session.get(url, stream=True, headers=_NOT_CACHED if cached_elsewhere else None)
    except (requests.exceptions.RequestException, OSError) as exc:
        raise IndexUnreachable(url, f"cannot fetch: {exc}") from exc
    if resp.status_code != 200:
        discard(resp)
        return None
    # bounded like a project page: a size cap and one deadline for the whole body, however slowly it comes
    body = read_body(resp, url, min(limits.member, _session.MAX_METADATA_BYTES), which="member")
    if file.metadata_sha256 and hashlib.sha256(body).hexdigest() != file.metadata_sha256.lower():
        raise BadResponse(url, "sha256 does not match the index's core-metadata hash", kind=Reason.HASH_MISMATCH)
    return body


def _at_hand(opened: OpenWheel, info: zipfile.ZipInfo) -> bool:
    """True when the member's bytes came with the central directory (or the file is local)."""
    if opened.ranges is None:
        return True
    end = info.header_offset + _LOCAL_HEADER + len(info.filename.encode()) + _EXTRA_SLACK + info.compress_size
    return opened.ranges.holds(info.header_offset, end)


_NOT_CACHED = {"Cache-Control": "no-cache, no-store"}


def wheel_metadata(session: requests.Session, file: IndexFile, limits: ArchiveLimits = DEFAULT_LIMITS,
                   opened: OpenWheel | None = None, *, cached_elsewhere: bool = False) -> tuple[bytes, str]:
    """The wheel's METADATA bytes and where they came from: ``"zip"`` (already fetched with
    ``opened``'s directory), ``"pep658"`` (the ``.metadata`` file the index listed) or ``"range"``.

    ``cached_elsewhere`` as for :func:`metadata_file`.
    Raises :class:`BadResponse` (``BAD_METADATA``) for a wheel without METADATA,
    ``BAD_ARCHIVE`` for one that is not a zip, :class:`OverLimit` past ``limits``.
    """
    if opened is not None:
        info = metadata_member(opened.zip)
        if info is not None and _at_hand(opened, info):
            return read_member(opened.zip, info, file.url, limits), "zip"
    body = metadata_file(session, file, limits, cached_elsewhere=cached_elsewhere)
    if body is not None:
        return body, "pep658"
    if opened is not None:
        return _metadata_from(opened, file, limits), "range"
    try:
        # Unlisted: ranges first (as cheap as a .metadata file, and never a refused round trip). A server
        # that ignores Range would send the whole wheel: ask for the unadvertised .metadata file first,
        # as mirrors that strip the listing often still serve it, and download only if that fails.
        wheel = open_wheel(session, file, limits, whole_file_ok=bool(file.core_metadata))
    except RangesIgnored:
        body = metadata_file(session, file, limits, cached_elsewhere=cached_elsewhere, unlisted=True)
        if body is not None:
            return body, "pep658"
        wheel = open_wheel(session, file, limits)
    with wheel.zip:
        return _metadata_from(wheel, file, limits), "range"


def _metadata_from(opened: OpenWheel, file: IndexFile, limits: ArchiveLimits) -> bytes:
    info = metadata_member(opened.zip)
    if info is None:
        raise BadResponse(file.url, "wheel has no .dist-info/METADATA", kind=Reason.BAD_METADATA)
    return read_member(opened.zip, info, file.url, limits)


"""Members of a remote zip (a wheel, a zip sdist), read within the per-member limit."""

from __future__ import annotations

import struct
import zipfile

from poncho.errors import BadResponse, OverLimit, Reason

from .limits import ArchiveLimits, size_text

#: What ``zipfile`` raises for an archive it cannot read (beyond our own errors).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
              NotImplementedError, KeyError)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, url: str, limits: ArchiveLimits) -> bytes:
    """One member's bytes, refused before reading when over ``limits.member``.

    ``zipfile`` never returns more than the size the central directory states,
    so checking that size bounds the memory a lying or bomb-like entry can take.
    """
    if info.file_size > limits.member:
        raise OverLimit(url, "member", f"{info.filename} is {size_text(info.file_size)}, over the limit of "
                                       f"{limits.describe('member')}")
    try:
        return zf.read(info)
    except ZIP_ERRORS as exc:
        raise BadResponse(url, f"cannot read {info.filename}: {exc}", kind=Reason.BAD_ARCHIVE) from exc

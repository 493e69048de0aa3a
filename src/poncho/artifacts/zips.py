"""Members of a remote zip (a wheel, a zip sdist), read within the per-member limit.

``zipfile`` trusts an archive too much to read hostile ones: it hands bzip2
and LZMA data to a decompressor without an output cap (a few KiB inflate to
gigabytes before it truncates to the stated size), lets ``zlib.error`` and
``RuntimeError`` (encrypted members) escape, and reports deflate64 or AES as
a broken archive. So members are decoded here, from the raw bytes after
their local header: never more output than the stated size (plus one byte,
to catch a lie), the CRC checked, every failure a :class:`BadResponse`.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zipfile
import zlib
from typing import Protocol

from poncho.errors import BadResponse, OverLimit, Reason

from .limits import ArchiveLimits, size_text

#: What ``zipfile`` raises for an archive it cannot read (beyond our own errors).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
              NotImplementedError, KeyError, RuntimeError, zlib.error, lzma.LZMAError)

_LOCAL = struct.Struct("<4s5H3L2H")  # signature, version, flags, method, time, date, crc, sizes, name/extra lengths
_CHUNK = 64 * 1024  # compressed bytes fed to a decoder at a time
_LZMA_MEMORY = 256 * 1024 ** 2  # what an LZMA member's dictionary may ask for
_ENCRYPTED = 0x1
_LZMA_EOS = 0x2  # the LZMA data ends with an end-of-stream marker


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int) -> bytes: ...


class _Stored:
    eof = False  # the stated compressed size ends it

    def __init__(self) -> None:
        self._held = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        data, self._held = (self._held + data)[:max_length], (self._held + data)[max_length:]
        return data

    @property
    def needs_input(self) -> bool:
        return not self._held


class _Inflate:
    """zlib's raw deflate, shaped like ``bz2``/``lzma`` decompressors (leftover input kept inside)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(-15)
        self._tail = b""

    @property
    def eof(self) -> bool:
        return self._z.eof

    @property
    def needs_input(self) -> bool:
        return not self._tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        out = self._z.decompress(self._tail + data, max_length)
        self._tail = self._z.unconsumed_tail
        return out


class _Lzma:
    """Zip's LZMA (a 4-byte version/size prefix, 5 bytes of properties, raw LZMA1) as the ``.lzma`` format,
    whose decoder takes a memory limit: the properties name the dictionary size, and a hostile one asks for GiBs."""

    def __init__(self, flags: int, size: int) -> None:
        self._flags, self._size = flags, size
        self._head = b""
        self._d: lzma.LZMADecompressor | None = None

    @property
    def eof(self) -> bool:
        return self._d is not None and self._d.eof

    @property
    def needs_input(self) -> bool:
        return self._d is None or self._d.needs_input

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._d is None:
            self._head += data
            if len(self._head) < 4:
                return b""
            (props_size,) = struct.unpack("<H", self._head[2:4])
            if props_size != 5:
                raise lzma.LZMAError(f"LZMA properties of {props_size} bytes")
            if len(self._head) < 9:
                return b""
            known = b"\xff" * 8 if self._flags & _LZMA_EOS else struct.pack("<Q", self._size)
            data = self._head[4:9] + known + self._head[9:]
            self._head = b""
            self._d = lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=_LZMA_MEMORY)
        return self._d.decompress(data, max_length)


def _decoder(info: zipfile.ZipInfo) -> _Decoder | None:
    if info.compress_type == zipfile.ZIP_STORED:
        return _Stored()
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return _Inflate()
    if info.compress_type == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor()  # type: ignore[return-value]
    if info.compress_type == zipfile.ZIP_LZMA:
        return _Lzma(info.flag_bits, info.file_size)
    return None  # deflate64 (9), AES (99), PPMd, ...: zipfile cannot either


def _most_compressed(member: int) -> int:
    """The largest compressed size a member within ``member`` bytes can honestly have (stored, or a
    compressor's worst case on incompressible data: well under 1/16 more, plus headers)."""
    return member + member // 16 + 64 * 1024


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, url: str, limits: ArchiveLimits,
                head: int | None = None) -> bytes:
    """One member's bytes, refused before reading when over ``limits.member``; or only its first ``head`` bytes.

    Raises :class:`OverLimit` for a stated size over the limit,
    :class:`BadResponse` ``UNSUPPORTED`` for an encrypted member or a
    compression method not read here, ``BAD_ARCHIVE`` for data that does not
    decode, decodes past or short of its stated size, or fails its CRC.
    Network errors of the underlying range reader pass through unchanged.
    """
    name = info.filename
    if info.flag_bits & _ENCRYPTED:
        raise BadResponse(url, f"{name} is encrypted", kind=Reason.UNSUPPORTED)
    decoder = _decoder(info)
    if decoder is None:
        raise BadResponse(url, f"{name} uses zip compression method {info.compress_type}, which is not read",
                          kind=Reason.UNSUPPORTED)
    if head is None and info.file_size > limits.member:
        raise OverLimit(url, "member", f"{name} is {size_text(info.file_size)}, over the limit of "
                                       f"{limits.describe('member')}")
    if info.compress_size > _most_compressed(limits.member):
        # no method read here grows data by more than a few bytes per block: anything larger is padding
        # that would be fetched (and held by the range reader) for nothing
        raise OverLimit(url, "member", f"{name} is {size_text(info.compress_size)} compressed, over the limit of "
                                       f"{limits.describe('member')}")
    if head is not None:
        want = room = min(head, info.file_size)
    else:
        # up to the limit, not the stated size: a bomb that states a small size is told from a small lie
        want, room = info.file_size, max(info.file_size, limits.member) + 1
    try:
        out = _decode(zf, info, decoder, room)
    except ZIP_ERRORS as exc:
        raise BadResponse(url, f"cannot read {name}: {exc}", kind=Reason.BAD_ARCHIVE) from exc
    if head is not None:
        return bytes(out[:want])
    if len(out) > limits.member:
        raise OverLimit(url, "member", f"{name} states {size_text(info.file_size)} but inflates past the limit of "
                                       f"{limits.describe('member')}")
    if len(out) != want:
        raise BadResponse(url, f"cannot read {name}: it decodes to {len(out)} bytes, not the {want} its directory "
                               "states", kind=Reason.BAD_ARCHIVE)
    if zlib.crc32(out) != info.CRC:
        raise BadResponse(url, f"cannot read {name}: CRC-32 mismatch", kind=Reason.BAD_ARCHIVE)
    return bytes(out)


def _decode(zf: zipfile.ZipFile, info: zipfile.ZipInfo, decoder: _Decoder, room: int) -> bytearray:
    """At most ``room`` bytes of the member's data; the decoder never makes more than that at once."""
    fp = zf.fp
    if fp is None:
        raise zipfile.BadZipFile("the archive is closed")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_len, extra_len = _LOCAL.unpack(header)[-2:]
    fp.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
    left = info.compress_size
    out = bytearray()
    while len(out) < room and not decoder.eof:
        data = b""
        if decoder.needs_input:
            if left <= 0:
                break
            data = fp.read(min(_CHUNK, left))
            if not data:
                raise zipfile.BadZipFile("the compressed data is cut short")
            left -= len(data)
        piece = decoder.decompress(data, room - len(out))
        if not data and not piece:
            break  # a decoder that neither wants input nor gives output has stalled: the size check fails
        out += piece
    return out  # not copied to bytes until it has passed every check

"""Archives that lie, served by the loopback index: each ends as a BadResponse naming the file, with its kind.

Bad deflate data, compression methods nothing here reads (deflate64, AES),
the encrypted flag, a bad CRC, and METADATA that is a compression bomb. A
lying archive rules out its release (the resolver locks an older one and
says why); it is not the index failing (exit 6), and never a bug (exit 70).
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from poncho.artifacts.limits import ArchiveLimits
from poncho.artifacts.sdist import read_sdist
from poncho.artifacts.wheel import wheel_metadata
from poncho.errors import BadResponse, OverLimit, Reason
from poncho.net import IndexFile, SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.index_server import IndexServer
from support.wheels import build_bomb_wheel, build_wheel, patch_member

META = "liar-1.0.dist-info/METADATA"


def _file(server: IndexServer, project: str, filename: str) -> IndexFile:
    page = SimpleIndex(make_session(None), server.url).project(project)
    return next(f for f in page.files if f.filename == filename)


def _liar(dest: Path, case: str) -> Path:
    wheel = build_wheel(dest, "liar", "1.0", requires_dist=[f"dep{i}" for i in range(20)])
    if case == "bad-deflate":
        return patch_member(wheel, META, first_byte=0xFF)  # a deflate block of the reserved type
    if case == "deflate64":
        return patch_member(wheel, META, method=9)
    if case == "method-99":
        return patch_member(wheel, META, method=99)  # WinZip AES
    if case == "encrypted":
        return patch_member(wheel, META, flags=0x1)
    if case == "bad-crc":
        with zipfile.ZipFile(wheel) as zf:
            crc = zf.getinfo(META).CRC
        return patch_member(wheel, META, crc=crc ^ 0xFFFF)
    if case == "bzip2-bomb":
        return build_bomb_wheel(dest, "liar", "1.0", 64 * 2**20)
    if case == "lzma-bomb":
        return build_bomb_wheel(dest, "liar", "1.0", 32 * 2**20, compress_type=zipfile.ZIP_LZMA)
    if case == "honest-bomb":
        return build_bomb_wheel(dest, "liar", "1.0", 64 * 2**20, honest=True)
    raise AssertionError(case)


def _pad_member(wheel: Path, member: str, info: zipfile.ZipInfo, size: int) -> Path:
    """Rewrite ``wheel`` so ``member``'s compressed data is ``size`` bytes: its own, then zeros."""
    out = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == member:
                dst.writestr(item.filename, data + bytes(size - len(data)), compress_type=zipfile.ZIP_STORED)
            else:
                dst.writestr(item, data, compress_type=item.compress_type)
    out.replace(wheel)
    return patch_member(wheel, member, file_size=info.file_size, crc=info.CRC)


CASES = {
    "bad-deflate": Reason.BAD_ARCHIVE,
    "bad-crc": Reason.BAD_ARCHIVE,
    "deflate64": Reason.UNSUPPORTED,
    "method-99": Reason.UNSUPPORTED,
    "encrypted": Reason.UNSUPPORTED,
    "bzip2-bomb": Reason.TOO_LARGE,
    "lzma-bomb": Reason.TOO_LARGE,
    "honest-bomb": Reason.TOO_LARGE,
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_lying_wheel_metadata_is_a_bad_response_of_its_kind(index_server, tmp_path, case):
    index_server.serve_metadata = False  # the wheel itself is read
    served = index_server.add(_liar(tmp_path, case))
    file = _file(index_server, "liar", served.filename)
    with pytest.raises(BadResponse) as info:
        wheel_metadata(make_session(None), file, ArchiveLimits(member=2**20))
    assert info.value.kind is CASES[case] and info.value.url == file.url
    assert not info.value.transient


def test_a_member_padded_past_the_limit_is_refused_before_it_is_fetched(index_server, tmp_path):
    """METADATA states its true size but carries 4 MiB of compressed padding: refused from the directory."""
    wheel = build_wheel(tmp_path, "liar", "1.0")
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo(META)
    index_server.serve_metadata = False
    served = index_server.add(_pad_member(wheel, META, info, 4 * 2**20))
    file = _file(index_server, "liar", served.filename)
    with pytest.raises(OverLimit) as raised:
        wheel_metadata(make_session(None), file, ArchiveLimits(member=2**20))
    assert raised.value.limit == "member"
    fetched = 0
    for _, _, headers in index_server.requests_for("/files/" + served.filename):
        if "Range" not in headers:
            continue  # the .metadata file asked first (not served)
        first, _, last = headers["Range"].removeprefix("bytes=").partition("-")
        fetched += int(last) - int(first) + 1 if first else int(last)
    assert fetched <= 256 * 1024  # the directory, not the padding


@pytest.mark.parametrize("compress_type", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_a_metadata_bomb_costs_no_more_memory_than_the_member_limit(index_server, tmp_path, compress_type):
    """zipfile inflates a bzip2/LZMA member whole before cutting it to the stated size: 64 MiB here."""
    served = index_server.add(build_bomb_wheel(tmp_path, "liar", "1.0", 64 * 2**20, compress_type=compress_type))
    assert served.path.stat().st_size < 64 * 1024
    file = _file(index_server, "liar", served.filename)
    session = make_session(None)
    tracemalloc.start()
    try:
        with pytest.raises(OverLimit) as info:
            wheel_metadata(session, file, ArchiveLimits(member=2**20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.limit == "member"
    assert peak < 24 * 2**20, f"peak {peak / 2**20:.1f} MiB"  # LZMA's dictionary (8 MiB here) counts too


@pytest.mark.parametrize("compress_type", [zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
                         ids=["stored", "bzip2", "lzma"])
def test_honest_members_in_every_method_read_here_still_read(index_server, tmp_path, compress_type):
    wheel = build_wheel(tmp_path / "src", "honest", "1.0", requires_dist=["a", "b"])
    out = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=compress_type)
        meta = src.read("honest-1.0.dist-info/METADATA")
    index_server.serve_metadata = False
    served = index_server.add(out)
    body, source = wheel_metadata(make_session(None), _file(index_server, "honest", served.filename))
    assert (body, source) == (meta, "range")


def test_an_sdist_zip_with_a_bad_crc_is_a_bad_archive(index_server, tmp_path):
    path = tmp_path / "crc-1.0.zip"
    pkg_info = b"Metadata-Version: 2.2\nName: crc\nVersion: 1.0\n\n"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("crc-1.0/PKG-INFO", pkg_info)
        zf.writestr("crc-1.0/setup.py", "")
    patch_member(path, "crc-1.0/PKG-INFO", crc=zipfile.crc32(b"something else"))  # type: ignore[attr-defined]
    file = _file(index_server, "crc", index_server.add(path).filename)
    with pytest.raises(BadResponse) as info:
        read_sdist(make_session(None), file, lambda n: n.endswith("PKG-INFO"))
    assert info.value.kind is Reason.BAD_ARCHIVE and info.value.url == file.url


def test_a_tar_gz_sdist_whose_deflate_data_goes_bad_mid_member_is_a_bad_archive(index_server, tmp_path):
    """tarfile turns a zlib.error met while reading a header into ReadError, not one met inside a member's data."""
    import io
    import tarfile
    import zlib

    pkg_info = b"Metadata-Version: 2.2\nName: badgz\nVersion: 1.0\n\n" + b"x" * (2 * 2**20)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as tf:
        info = tarfile.TarInfo("badgz-1.0/PKG-INFO")
        info.size = len(pkg_info)
        tf.addfile(info, io.BytesIO(pkg_info))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    # a good first MiB, then a block of the reserved type: the stream goes bad well inside PKG-INFO
    body = deflate.compress(tar.getvalue()[:2**20]) + deflate.flush(zlib.Z_FULL_FLUSH) + b"\xff" * 64
    path = tmp_path / "badgz-1.0.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + body)
    file = _file(index_server, "badgz", index_server.add(path).filename)
    with pytest.raises(BadResponse) as info_:
        read_sdist(make_session(None), file, lambda n: n.endswith("PKG-INFO"))
    assert info_.value.kind is Reason.BAD_ARCHIVE and info_.value.url == file.url


@pytest.mark.parametrize("case", ["bad-deflate", "encrypted", "deflate64", "bzip2-bomb"])
def test_a_lying_newest_release_is_passed_over_for_an_older_one(index_server, tmp_path, case):
    """Lying content rules out one release, like a broken wheel: the resolver locks 0.9 and says why.
    (A 5xx or a dropped connection on the newest release is the index failing instead: exit 6.)"""
    index_server.add(_liar(tmp_path / "new", case))
    index_server.add(build_wheel(tmp_path / "old", "liar", "0.9"))
    session = make_session(None)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, None), target)
    try:
        resolution = resolve(["liar"], repo, target)
    finally:
        repo.close()
    assert str(resolution.pins["liar"].version) == "0.9" and not resolution.fallbacks
    assert any("liar-1.0-py3-none-any.whl" in w for w in resolution.warnings)

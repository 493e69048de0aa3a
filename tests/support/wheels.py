"""Build real, valid wheel files for tests: zip, METADATA, WHEEL, RECORD with hashes."""

from __future__ import annotations

import base64
import hashlib
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def metadata_text(name: str, version: str, requires_dist: Iterable[str] = (),
                  requires_python: str | None = None, extras: Iterable[str] = (),
                  import_names: Iterable[str] = ()) -> str:
    lines = ["Metadata-Version: 2.4" if import_names else "Metadata-Version: 2.1",
             f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    for extra in extras:
        lines.append(f"Provides-Extra: {extra}")
    for req in requires_dist:
        lines.append(f"Requires-Dist: {req}")
    for imp in import_names:
        lines.append(f"Import-Name: {imp}")
    return "\n".join(lines) + "\n\n"


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    extras: Iterable[str] = (),
    files: Mapping[str, bytes | str] | None = None,
    tag: str = "py3-none-any",
    import_names: Iterable[str] = (),
    force_zip64: bool = False,
    trailing_files: Mapping[str, bytes | str] | None = None,
) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``dest`` and return its path.

    ``files`` maps archive paths to contents; by default the wheel provides a
    package named like the project (``my-pkg`` -> ``my_pkg/__init__.py``).
    ``files`` come before the ``.dist-info`` members in the archive;
    ``trailing_files`` (opt-in) come after them, so that large ones put
    METADATA far from the central directory at the end.
    """
    dest.mkdir(parents=True, exist_ok=True)
    dist = canonicalize_name(name).replace("-", "_")
    if files is None:
        files = {f"{dist}/__init__.py": f"__version__ = {version!r}\n"}
    info = f"{dist}-{version}.dist-info"
    meta = metadata_text(name, version, requires_dist, requires_python, extras, import_names)
    contents: dict[str, bytes] = {k: (v.encode() if isinstance(v, str) else v) for k, v in files.items()}
    contents[f"{info}/METADATA"] = meta.encode()
    contents[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: poncho-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
    ).encode()
    for k, v in (trailing_files or {}).items():
        contents[k] = v.encode() if isinstance(v, str) else v
    record_lines = [f"{path},{_record_hash(data)},{len(data)}" for path, data in contents.items()]
    record_lines.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    path = dest / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in contents.items():
            info_ = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            info_.compress_type = zipfile.ZIP_DEFLATED
            info_.external_attr = 0o644 << 16
            with zf.open(info_, "w", force_zip64=force_zip64) as fh:
                fh.write(data)
    return path


def wheel_metadata(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return zf.read(name)


def build_sdist(dest: Path, name: str, version: str, *, requires_dist: Iterable[str] = (),
                metadata_version: str = "2.2", dynamic: Iterable[str] = (), requires_txt: str | None = None,
                filler: int = 0) -> Path:
    """Write ``{name}-{version}.tar.gz`` with a PKG-INFO (and optionally egg-info/requires.txt).

    ``filler`` bytes of incompressible data go *before* PKG-INFO, to test the
    streaming budget.
    """
    import io
    import os
    import tarfile

    dest.mkdir(parents=True, exist_ok=True)
    dist = canonicalize_name(name).replace("-", "_")
    top = f"{dist}-{version}"
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines += [f"Dynamic: {d}" for d in dynamic]
    lines += [f"Requires-Dist: {r}" for r in requires_dist]
    members: list[tuple[str, bytes]] = []
    if filler:
        members.append((f"{top}/data.bin", os.urandom(filler)))
    members.append((f"{top}/PKG-INFO", ("\n".join(lines) + "\n\n").encode()))
    if requires_txt is not None:
        members.append((f"{top}/{dist}.egg-info/requires.txt", requires_txt.encode()))
    members.append((f"{top}/setup.py", b"from setuptools import setup\nsetup()\n"))
    path = dest / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for arcname, data in members:
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = 1577836800
            tar.addfile(info, io.BytesIO(data))
    return path


def serve_geotools(server, dest: Path) -> None:
    """A small real project graph for install tests: ``python-geotools`` (import name
    ``geotools``) needs ``unitconv>=2``; unitconv 1.0 fails to import, so a lock
    that picked it would be caught when the job runs."""
    server.add(build_wheel(dest, "python-geotools", "1.4", requires_dist=["unitconv>=2"],
                           files={"geotools/__init__.py": "from unitconv import km\nVALUE = km(3)\n"}))
    server.add(build_wheel(dest, "unitconv", "2.1", files={"unitconv/__init__.py": "def km(x):\n    return x * 1000\n"}))
    server.add(build_wheel(dest, "unitconv", "1.0", files={"unitconv/__init__.py": "raise ImportError('old')\n"}))


def serve_yaml_fastjson(server, dest: Path) -> None:
    """The CLI tests' index: PyYAML (import name ``yaml``), and ``fastjson`` needing ``speedups>=2``."""
    server.add(build_wheel(dest, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    server.add(build_wheel(dest, "fastjson", "1.2", requires_dist=["speedups>=2"], files={"fastjson/__init__.py": ""}))
    server.add(build_wheel(dest, "speedups", "2.5"))


# lying archives ---------------------------------------------------------------------------------

_LOCAL_FIELDS = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<L"), "file_size": (22, "<L")}
_CENTRAL_FIELDS = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<L"), "file_size": (24, "<L")}


def patch_member(path: Path, member: str, *, flags: int | None = None, method: int | None = None,
                 crc: int | None = None, file_size: int | None = None, first_byte: int | None = None) -> Path:
    """Make ``member`` of the zip at ``path`` lie: its flag bits, compression method, CRC or stated size are
    rewritten in both its local header and its central-directory entry; ``first_byte`` replaces the first
    byte of its compressed data (0xFF starts a deflate block of the reserved type: bad deflate data)."""
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    central = data.index(b"PK\x01\x02")  # the first central entry; the loop below finds ours
    name = member.encode()
    while not (data[central:central + 4] == b"PK\x01\x02" and data[central + 46:central + 46 + len(name)] == name
               and struct.unpack_from("<H", data, central + 28)[0] == len(name)):
        central = data.index(b"PK\x01\x02", central + 4)
    values = {"flags": flags, "method": method, "crc": crc, "file_size": file_size}
    for key, value in values.items():
        if value is None:
            continue
        if key == "flags":
            value |= struct.unpack_from("<H", data, local + 6)[0]
        for base, table in ((local, _LOCAL_FIELDS), (central, _CENTRAL_FIELDS)):
            offset, fmt = table[key]
            struct.pack_into(fmt, data, base + offset, value)
    if first_byte is not None:
        name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
        data[local + 30 + name_len + extra_len] = first_byte
    path.write_bytes(bytes(data))
    return path


def build_bomb_wheel(dest: Path, name: str, version: str, inflate: int, *,
                     compress_type: int = zipfile.ZIP_BZIP2, honest: bool = False) -> Path:
    """A wheel whose METADATA inflates to ``inflate`` bytes (valid metadata, then zeros) from a few KiB.

    Unless ``honest``, its directory states the size and CRC of the metadata alone, as a bomb that wants
    to slip past a size check would."""
    wheel = build_wheel(dest, name, version)
    meta_name = f"{canonicalize_name(name).replace('-', '_')}-{version}.dist-info/METADATA"
    out = dest / f"bomb-{wheel.name}"
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != meta_name:
                dst.writestr(info, src.read(info), compress_type=info.compress_type)
                continue
            meta = src.read(info)
            big = zipfile.ZipInfo(meta_name, date_time=(2020, 1, 1, 0, 0, 0))
            big.compress_type = compress_type
            with dst.open(big, "w", force_zip64=inflate > zipfile.ZIP64_LIMIT) as fh:
                fh.write(meta)
                chunk = bytes(16 * 2**20)
                left = inflate - len(meta)
                while left > 0:
                    fh.write(chunk[:left])
                    left -= len(chunk)
    out.replace(wheel)
    if not honest:
        patch_member(wheel, meta_name, file_size=len(meta), crc=zlib.crc32(meta))
    return wheel

"""Metadata of a source distribution without building it, when it is static.

PEP 643 (Metadata-Version >= 2.2): a PKG-INFO whose fields are not listed as
``Dynamic`` is what the built wheel will say. A PKG-INFO that lists
Requires-Dist anyway (setuptools marks setup.py values Dynamic) gives the
values computed when the sdist was built. Older setuptools sdists carry
``*.egg-info/requires.txt``, written from the same declarations; an egg-info
without it, or a distutils-era PKG-INFO, means no requirements. Anything else would need a build, which we never do: the
release is then skipped with a reason. ``.tar.gz`` cannot be read by range,
so it is streamed and decompressed only until the two files are found,
within a byte budget.
"""

from __future__ import annotations

import io
import re
import tarfile

import requests
from packaging.metadata import parse_email
from packaging.version import Version

from poncho.net import IndexFile
from poncho.errors import BadResponse, IndexUnreachable, Reason
from poncho.net.rangezip import open_remote_zip
from poncho.net.streams import BoundedReader

MAX_COMPRESSED = 256 * 1024 * 1024  # read at most this much of a .tar.gz looking for PKG-INFO
EGG_INFO_SEEN = "\0egg-info"  # a key no archive member can have



def _members_tar(session: requests.Session, file: IndexFile) -> dict[str, bytes]:
    try:
        resp = session.get(file.url, stream=True)
    except (requests.exceptions.RequestException, OSError) as exc:
        raise IndexUnreachable(file.url, f"cannot fetch: {exc}") from exc
    if resp.status_code != 200:
        raise BadResponse(file.url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)
    wanted: dict[str, bytes] = {}
    budget = MAX_COMPRESSED
    stream = io.BufferedReader(BoundedReader(resp.raw.read, budget, lambda: BadResponse(
        file.url, f"PKG-INFO not within the first {budget / 2**20:.1f} MiB of the sdist")))
    try:
        with tarfile.open(fileobj=stream, mode="r|gz") as tar:
            for member in tar:
                if ".egg-info/" in member.name:
                    wanted.setdefault(EGG_INFO_SEEN, b"")
                if _interesting(member.name) and member.isfile() and member.size < 5 * 2**20:
                    fh = tar.extractfile(member)
                    if fh is not None:
                        wanted[member.name] = fh.read()
                if _complete(wanted):
                    break
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if not wanted:
            raise BadResponse(file.url, f"cannot read the sdist: {exc}", kind=Reason.BAD_ARCHIVE) from exc
    finally:
        resp.close()
    return wanted


def _members_zip(session: requests.Session, file: IndexFile) -> dict[str, bytes]:
    zf, _ = open_remote_zip(session, file.url, file.size)
    with zf:
        found = {n: zf.read(n) for n in zf.namelist() if _interesting(n)}
        if any(".egg-info/" in n for n in zf.namelist()):
            found[EGG_INFO_SEEN] = b""
        return found


def _interesting(name: str) -> bool:
    parts = name.strip("/").split("/")
    if len(parts) == 2 and parts[1] == "PKG-INFO":
        return True
    return parts[-1] == "requires.txt" and parts[-2].endswith(".egg-info") and len(parts) <= 4


def _complete(found: dict[str, bytes]) -> bool:
    has_pkg_info = any(n.count("/") == 1 and n.endswith("PKG-INFO") for n in found)
    if not has_pkg_info:
        return False
    pkg = next(v for n, v in found.items() if n.count("/") == 1 and n.endswith("PKG-INFO"))
    return _pep643_static(pkg) or _lists_requirements(pkg) or any(n.endswith("requires.txt") for n in found)


def _lists_requirements(pkg_info: bytes) -> bool:
    fields, _ = parse_email(pkg_info)
    return bool(fields.get("requires_dist"))


def _pep643_static(pkg_info: bytes) -> bool:
    fields, _ = parse_email(pkg_info)
    try:
        version = Version(fields.get("metadata_version", "1.0"))
    except Exception:
        return False
    dynamic = {d.lower() for d in fields.get("dynamic", [])}
    return version >= Version("2.2") and "requires-dist" not in dynamic


def requires_txt_to_requires_dist(text: str) -> list[str]:
    """setuptools' requires.txt sections (``[extra]``, ``[extra:marker]``, ``[:marker]``) as PEP 508."""
    out: list[str] = []
    extra, marker = "", ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[(.*)\]", line)
        if m:
            extra, _, marker = m.group(1).partition(":")
            continue
        conds = [f"({marker})"] if marker else []
        if extra:
            conds.append(f'extra == "{extra}"')
        out.append(f"{line}; {' and '.join(conds)}" if conds else line)
    return out


def sdist_metadata(session: requests.Session, file: IndexFile) -> bytes:
    """METADATA-format bytes for an sdist, or BadResponse saying why it needs a build."""
    if file.filename.endswith(".zip"):
        members = _members_zip(session, file)
    elif file.filename.endswith(".tar.gz"):
        members = _members_tar(session, file)
    else:
        raise BadResponse(file.url, "unsupported sdist format", kind=Reason.UNSUPPORTED)
    pkg = next((v for n, v in members.items() if n.count("/") == 1 and n.endswith("PKG-INFO")), None)
    if pkg is None:
        raise BadResponse(file.url, "sdist has no PKG-INFO", kind=Reason.BAD_METADATA)
    if _pep643_static(pkg):
        return pkg
    if _lists_requirements(pkg):
        # setuptools marks setup.py-computed requirements Dynamic but still writes
        # the values it computed when building the sdist; egg-info/requires.txt
        # would hold the same values, so take them.
        return pkg
    reqs = next((v for n, v in sorted(members.items()) if n.endswith("requires.txt")), None)
    fields, _ = parse_email(pkg)
    if reqs is None:
        if EGG_INFO_SEEN in members:
            return pkg  # setuptools wrote egg-info and no requires.txt: no dependencies
        if fields.get("metadata_version", "1.0") in ("1.0", "1.1", "1.2"):
            return pkg  # distutils era: install requirements could not be declared at all
        raise BadResponse(file.url, "sdist metadata is dynamic (no requires.txt, Requires-Dist not static); "
                                    "building it is not allowed", kind=Reason.UNSUPPORTED)
    lines = ["Metadata-Version: 2.1", f"Name: {fields.get('name', '')}", f"Version: {fields.get('version', '')}"]
    if fields.get("requires_python"):
        lines.append(f"Requires-Python: {fields['requires_python']}")
    extras = set()
    for req in requires_txt_to_requires_dist(reqs.decode("utf-8", "replace")):
        lines.append(f"Requires-Dist: {req}")
        m = re.search(r'extra == "([^"]+)"', req)
        if m:
            extras.add(m.group(1))
    lines += [f"Provides-Extra: {e}" for e in sorted(extras)]
    return ("\n".join(lines) + "\n\n").encode()



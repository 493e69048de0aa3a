"""Metadata of a source distribution without building it, when it is static.

PEP 643 (Metadata-Version >= 2.2): a PKG-INFO whose fields are not listed as
``Dynamic`` is what the built wheel will say. A PKG-INFO that lists
Requires-Dist anyway (setuptools marks setup.py values Dynamic) gives the
values computed when the sdist was built. Older setuptools sdists carry
``*.egg-info/requires.txt``, written from the same declarations; an egg-info
without it, or a distutils-era PKG-INFO, means no requirements. Anything else would need a build, which we never do: the
release is then skipped with a reason. ``.tar.gz`` cannot be read by range,
so it is streamed and decompressed only until the two files are found, by
the one bounded sdist reader (:mod:`poncho.artifacts.sdist`) and within its limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import requests
from packaging.metadata import parse_email
from packaging.version import InvalidVersion, Version

from poncho.artifacts.limits import DEFAULT_LIMITS, ArchiveLimits
from poncho.artifacts.sdist import read_sdist
from poncho.errors import BadResponse, Reason
from poncho.net import IndexFile


def _interesting(name: str) -> bool:
    parts = name.strip("/").split("/")
    if len(parts) == 2 and parts[1] == "PKG-INFO":
        return True
    return 2 <= len(parts) <= 4 and parts[-1] == "requires.txt" and parts[-2].endswith(".egg-info")


def _complete(found: Mapping[str, bytes]) -> bool:
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
    except InvalidVersion:
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


def sdist_metadata(session: requests.Session, file: IndexFile, limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes:
    """METADATA-format bytes for an sdist, or BadResponse saying why it needs a build
    (:class:`poncho.errors.OverLimit` when the archive is over ``limits``)."""
    listing = read_sdist(session, file, _interesting, limits, enough=_complete)
    members = listing.members
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
        if any(".egg-info/" in n for n in listing.names):
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

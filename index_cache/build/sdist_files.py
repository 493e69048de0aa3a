"""What a source distribution provides, for projects that publish no wheel.

The archive is read by the one bounded sdist reader,
:func:`poncho.artifacts.sdist.read_sdist` (a zip by range requests, a
``.tar.gz`` streamed, never written to disk, within
:class:`~poncho.artifacts.limits.ArchiveLimits`), keeping every member name
and the two small files that matter: ``PKG-INFO`` (the display name) and
``*.egg-info/top_level.txt``. ``top_level.txt`` decides when present, else the
package layout (:func:`poncho.index_cache.wheel_files.sdist_modules`).

The whole archive is read, not only up to ``top_level.txt``: the index also
wants the subpackages of each provided package (:func:`sdist_children`,
how ``pyspark.sql`` is told apart from copies bundled in other
distributions), and a tar has no order, so no earlier point is known to have
seen all of a package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from packaging.metadata import parse_email

from poncho.artifacts.limits import DEFAULT_LIMITS, ArchiveLimits
from poncho.artifacts.sdist import read_sdist
from poncho.net import IndexFile

from ..wheel_files import NOISE, is_safe_member, package_children, sdist_modules
from .results import Outcome


@dataclass
class SdistContents:
    provided: set[str]
    outcome: Outcome  # SDIST_TOP_LEVEL, SDIST_LAYOUT or SDIST_NO_PACKAGE
    name: str | None = None  # the Name: of its PKG-INFO
    children: set[str] = field(default_factory=set)  # one level below provided packages


def _top_level_member(names: Iterable[str]) -> str | None:
    found = [n for n in names if is_safe_member(n) and n.endswith(".egg-info/top_level.txt") and n.count("/") <= 3]
    return min(found, key=lambda n: (n.count("/"), len(n), n)) if found else None


def _is_pkg_info(name: str) -> bool:
    return name.count("/") == 1 and name.endswith("/PKG-INFO") and is_safe_member(name)


def _wanted(name: str) -> bool:
    return _is_pkg_info(name) or _top_level_member([name]) == name


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


def read_sdist_provides(session: requests.Session, sdist: IndexFile, project: str,
                        limits: ArchiveLimits = DEFAULT_LIMITS) -> SdistContents:
    """What an sdist provides: its ``top_level.txt``, else its package layout.

    Raises what :func:`poncho.artifacts.sdist.read_sdist` raises:
    :class:`poncho.errors.OverLimit` for an archive over ``limits``,
    :class:`poncho.errors.BadResponse` for one that is not an archive.
    """
    listing = read_sdist(session, sdist, _wanted, limits)
    name = None
    pkg_info = next((data for n, data in listing.members.items() if _is_pkg_info(n)), None)
    if pkg_info:
        try:
            name = parse_email(pkg_info)[0].get("name")
        except Exception:  # noqa: BLE001 - PKG-INFO only lends the display name
            name = None
    top_level = _top_level_member(n for n in listing.members if not _is_pkg_info(n))
    provided = parse_top_level(listing.members[top_level].decode("utf-8", "replace")) if top_level else set()
    outcome = Outcome.SDIST_TOP_LEVEL
    if not provided:
        provided = sdist_modules(listing.names, project)
        outcome = Outcome.SDIST_LAYOUT if provided else Outcome.SDIST_NO_PACKAGE
    children = sdist_children(listing.names, provided) if provided else set()
    return SdistContents(provided, outcome, name, children)

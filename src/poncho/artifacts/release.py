"""Which release of a project, and which of its wheels, tell what the project provides.

Shared by the live probe (one wheel confirms an import) and the index builder
(the wheels whose file lists it unites). The latest final release is used
(prereleases only when there is nothing else); when it has no wheels, the
newest release that has some. All wheels of a release share their layout in
practice, except platform-specific ones, so: a pure (``*-none-any``) wheel
when there is one; else one Linux wheel (manylinux x86_64 preferred) and one
Windows wheel (amd64 preferred); macOS only when neither exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from poncho.net import IndexFile


@dataclass(frozen=True)
class ReleaseChoice:
    """The release to read and its files. ``wheels`` is best first (``wheels[0]`` alone
    answers "does it provide this module?"); ``latest`` is set when the latest
    release had no wheels and an older one was chosen."""

    version: str | None
    wheels: tuple[IndexFile, ...] = ()
    sdists: tuple[IndexFile, ...] = field(default=())
    latest: str | None = None


def _platform_family(tags: frozenset[Tag]) -> str:
    plats = {t.platform for t in tags}
    if plats == {"any"}:
        return "any"
    joined = " ".join(sorted(plats))
    if "linux" in joined:
        return "linux"
    if "win" in joined:
        return "windows"
    if "macosx" in joined:
        return "macos"
    return "other"


def _preference(f: IndexFile, tags: frozenset[Tag]) -> tuple:
    plats = " ".join(sorted(t.platform for t in tags))
    arch = int("x86_64" in plats or "amd64" in plats)
    manylinux = int("manylinux" in plats)  # glibc wheels are the ones most people install
    interps = [t.interpreter for t in tags]
    abis = {t.abi for t in tags}
    free_threaded = int(any(a.endswith("t") and a.startswith("cp") for a in abis))
    py3 = int(any(i.startswith(("py3", "cp3")) for i in interps))
    best_cp = max((int(i[3:]) for i in interps if i.startswith("cp3") and i[3:].isdigit()), default=0)
    return (arch, manylinux, -free_threaded, py3, "abi3" in abis, best_cp, f.filename)


def newest_wheels(files: tuple[IndexFile, ...] | list[IndexFile]) -> ReleaseChoice:
    """The release and wheels to read from a project page's ``files`` (yanked files never count)."""
    wheels: dict[Version, list[tuple[IndexFile, frozenset[Tag]]]] = {}
    sdists: dict[Version, list[IndexFile]] = {}
    for f in files:
        if f.yanked:
            continue
        try:
            if f.is_wheel:
                _, version, _, tags = parse_wheel_filename(f.filename)
                wheels.setdefault(version, []).append((f, tags))
            else:
                _, version = parse_sdist_filename(f.filename)
                sdists.setdefault(version, []).append(f)
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    versions = set(wheels) | set(sdists)
    if not versions:
        return ReleaseChoice(None)
    finals = [v for v in versions if not v.is_prerelease]
    ordered = sorted(finals or versions, reverse=True)
    latest = ordered[0]
    with_wheels = [v for v in ordered if v in wheels]
    if not with_wheels:
        return ReleaseChoice(str(latest), (), tuple(sdists.get(latest, ())))
    chosen = with_wheels[0]
    families: dict[str, list[tuple[IndexFile, frozenset[Tag]]]] = {}
    for f, tags in wheels[chosen]:
        families.setdefault(_platform_family(tags), []).append((f, tags))
    order: list[str]
    if "any" in families:
        order = ["any"]
    elif "linux" in families or "windows" in families:
        order = [fam for fam in ("linux", "windows") if fam in families]
    else:
        order = [str(fam) for fam in ("macos", "other") if fam in families][:1]
    picked = tuple(max(families[fam], key=lambda ft: _preference(*ft))[0] for fam in order)
    return ReleaseChoice(str(chosen), picked, tuple(sdists.get(chosen, ())),
                         latest=str(latest) if chosen != latest else None)

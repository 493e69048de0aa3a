"""A lock that installs: what to do with direct requirements the target cannot install as they are.

Direct requirements here are *inferred* from imports, not typed by a user, so
one that cannot be installed on the target should not sink the whole lock:

* a project published only for other platforms (every file a wheel tagged
  ``win_*`` or ``macosx_*``: pywin32, pyobjc-*, pywinpty, wmi) gets the
  marker its wheel tags imply (``sys_platform == "win32"``) and is left out
  of a lock for a target that cannot install it, with a note;
* a project with no release installable on the target for another reason
  (no file for this Python, only Python 2 wheels) is left out with a
  warning, like an import that maps to nothing (``--strict``: exit 5);
* a project whose plain distribution is compiled at install time is swapped
  for its binary-wheel variant (``data/binary_variants.toml``:
  psycopg2 -> psycopg2-binary), with a note;
* when the newest release is an sdist only and the project has compiled
  code (its wheels are for platforms), an older release with a wheel for the
  target is preferred, with a note; a pure-Python project keeps its newest
  release (its sdist builds anywhere) unless ``--only-binary`` asks for wheels
  or the resolver could not use that newest release (then an older sdist has
  no newest code to offer, and the older wheel is preferred);
  pins that are still sdist-only after resolution are flagged
  (``--only-binary``: an error, exit 5).

This runs before resolution, on the direct requirements, from the same
repository the resolver reads (project pages are fetched once). A real
conflict between installable requirements is still the resolver's to report.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from poncho.diagnostics import Code, Diagnostic, Severity, diagnostic
from poncho.errors import NotFound, NotInstallable, SdistOnly

from .repository import Release, Repository
from .resolution import Resolution
from .target import Target

VARIANTS_FILE = "binary_variants.toml"


class Wanted(Protocol):
    """A direct requirement and the import sites that asked for it (``DirectRequirement`` fits)."""

    @property
    def key(self) -> str: ...

    @property
    def requirement(self) -> Requirement: ...

    @property
    def sites(self) -> Sequence[Any]: ...


class Why(enum.Enum):
    PLATFORM_ONLY = "platform-only"  # published for other platforms only: a marker, not a failure
    NOT_INSTALLABLE = "not-installable"  # no release installable on the target


@dataclass(frozen=True)
class LeftOut:
    """A direct requirement not in the lock. ``marker`` is where it installs (platform-only), else None."""

    name: str
    why: Why
    marker: str | None
    detail: str

    def __str__(self) -> str:
        """The PEP 508 form the lock's header records (``pywin32; sys_platform == "win32"``)."""
        return f"{self.name}; {self.marker}" if self.marker else self.name


@dataclass(frozen=True)
class Variant:
    """A binary-wheel variant of a plain project (one row of ``binary_variants.toml``)."""

    plain: str
    binary: Requirement
    always: bool  # prefer it even when the plain project has a wheel (the plain wheel needs a system library)
    why: str
    wheel_of: str = ""  # the project that must have a wheel for the target (default: the binary's name)


@dataclass
class Plan:
    """What to resolve instead of the direct requirements as mapped, and what the user must hear."""

    requirements: list[Requirement] = field(default_factory=list)
    preferred: dict[str, str] = field(default_factory=dict)  # name -> an older version that has a wheel
    left_out: list[LeftOut] = field(default_factory=list)
    variants: dict[str, str] = field(default_factory=dict)  # plain canonical name -> variant canonical name
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for the lock's header

    @classmethod
    def combined(cls, plans: Sequence[Plan], locked: Collection[str]) -> Plan:
        """One plan for a lock of several targets: each target's findings once, and a requirement left out only
        if no target locked it (a Windows-only project in a Linux + Windows lock is a marker-split entry)."""
        out = cls()
        for p in plans:
            out.requirements += [r for r in p.requirements if r not in out.requirements]
            out.preferred.update(p.preferred)
            out.variants.update(p.variants)
            out.left_out += [lo for lo in p.left_out
                             if canonicalize_name(lo.name) not in locked and lo not in out.left_out]
            out.diagnostics += [d for d in p.diagnostics if d not in out.diagnostics]
            out.notes += [n for n in p.notes if n not in out.notes]
        return out


@lru_cache(maxsize=1)
def load_variants() -> dict[str, Variant]:
    """The shipped variant table, by the plain project's canonical name."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    text = resources.files("poncho.resolver").joinpath("data").joinpath(VARIANTS_FILE).read_text(encoding="utf-8")
    table = tomllib.loads(text)
    return {canonicalize_name(plain): Variant(plain, Requirement(row["binary"]), row["when"] == "always", row["why"],
                                              row.get("wheel-of", ""))
            for plain, row in table.items()}


def plan(wanted: Sequence[Wanted], repository: Repository, target: Target, *,
         constraints: Mapping[str, SpecifierSet] | None = None, strict: bool = False,
         variants: Mapping[str, Variant] | None = None, only_binary: bool = False) -> Plan:
    """Decide, per direct requirement, whether it is resolved as is, swapped, preferred older, or left out.

    With ``only_binary`` any older wheel beats a newest sdist, pure or not: the sdist would be an error.
    """
    constraints = {canonicalize_name(k): v for k, v in (constraints or {}).items()}
    variants = load_variants() if variants is None else variants
    for w in wanted:
        repository.prefetch(w.requirement.name)
    out = Plan()
    for w in wanted:
        req = w.requirement
        if not target.evaluate(req.marker):
            out.requirements.append(req)  # the resolver drops it; nothing to decide here
            continue
        releases = _releases(repository, req.name)
        if releases is None:
            out.requirements.append(req)  # not on the index: the resolver says so (exit 5)
            continue
        spec = req.specifier & constraints.get(w.key, SpecifierSet())
        matching = _matching(releases, spec)
        newest = next((r for r in matching if r.installable), None)  # lazily: file tags are parsed on demand
        variant = variants.get(w.key)
        if variant is not None and (variant.always or newest is None or not newest.wheels):
            if _swap(w, variant, repository, target, constraints, out):
                continue
        if matching and newest is None:
            _leave_out(w, matching, target, strict, out)
            continue
        if newest is not None and not newest.wheels:
            older = next((r for r in matching if r.wheels), None)
            if older is not None and not only_binary and not compiled(older):
                out.diagnostics.append(_at(w, Code.SDIST_ONLY, Severity.NOTE, _pure_note(newest, older)))
            elif older is not None and w.key not in out.preferred:
                out.preferred[w.key] = str(older.version)
                message = (f"{newest.name} {newest.version} is an sdist only (built at install "
                           f"time); preferring {older.version}, which has a wheel for {target.describe()}")
                out.diagnostics.append(_at(w, Code.OLDER_WHEEL_PREFERRED, Severity.NOTE, message))
                out.notes.append(message)
        out.requirements.append(req)
    if strict:
        missing = [lo for lo in out.left_out if lo.why is Why.NOT_INSTALLABLE]
        if missing:
            raise NotInstallable(tuple(lo.name for lo in missing),
                                 "; ".join(lo.detail for lo in missing) + " (--strict)")
    return out


def compiled(release: Release) -> bool:
    """Whether ``release``'s wheels hold compiled code: some wheel is for a platform or an ABI, not ``none-any``.

    The evidence that decides whether an sdist-only newer release is worth
    avoiding. A project whose wheels are all pure (``py3-none-any``) has a
    pure sdist too, which any installer builds anywhere with its build backend
    alone: its newest release is kept (and flagged, PR313). Platform wheels
    mean C code, so the sdist needs a compiler and headers on the target:
    the older wheel is preferred.
    """
    for f in release.usable_files:
        if not f.is_wheel:
            continue
        try:
            _, _, _, tags = parse_wheel_filename(f.filename)
        except InvalidWheelFilename:
            continue
        if any(t.platform != "any" or t.abi != "none" for t in tags):
            return True
    return False


def _pure_note(newest: Release, older: Release) -> str:
    return (f"{newest.name} {newest.version} is an sdist only; kept, not {older.version}: the older wheels are "
            "pure Python (none-any), so the sdist builds without a compiler")


def prefer_wheels(resolution: Resolution, repository: Repository, already: Mapping[str, str],
                  only_binary: bool = False) -> dict[str, str]:
    """For pins that are sdists only of compiled projects, an older release with a wheel for the target
    (name -> version); a pure project's newest sdist is kept (:func:`compiled`) unless ``only_binary``, or
    unless the pin is not that newest release.

    The resolver tries a preferred version first and moves off it only if it
    conflicts, so asking costs nothing when the older release does not fit.
    """
    out: dict[str, str] = {}
    for pin in resolution:
        if pin.name in already or any(f.is_wheel for f in pin.files):
            continue
        releases = _releases(repository, pin.name) or []
        older = next((r for r in releases if r.version < pin.version and not r.yanked and r.wheels
                      and not r.version.is_prerelease), None)
        newest = next((r for r in releases if not r.yanked and not r.version.is_prerelease), None)
        # A pure project's newest sdist is kept for its newest code; once the resolver has walked back past
        # it (its metadata dynamic, a conflict), that reason is gone and an older sdist is only a build at
        # install time that may fail (cheat.sh's `public` 2020.7.1 installs as version 0.0.0).
        walked_back = newest is not None and newest.version != pin.version
        if older is not None and (only_binary or walked_back or compiled(older)):
            out[pin.name] = str(older.version)
    return out


def sdist_only(resolution: Resolution, only_binary: bool) -> tuple[list[Diagnostic], list[str]]:
    """Pins that will be built at install time: a warning each (and a header note), or an error with
    ``only_binary``."""
    built = [pin for pin in resolution if pin.files and not any(f.is_wheel for f in pin.files)]
    if not built:
        return [], []
    names = [f"{p.display_name} {p.version}" for p in built]
    if only_binary:
        raise SdistOnly(tuple(p.name for p in built),
                        f"no wheel for {resolution.target.describe()}: {', '.join(names)} would be built from "
                        "an sdist at install time and --only-binary is set; pin a release that has a wheel "
                        "(--constraint) or drop --only-binary")
    diags = [diagnostic(Code.SDIST_ONLY, f"{p.display_name} {p.version} has no wheel for "
                        f"{resolution.target.describe()}: it will be built from its sdist at install time "
                        "(its build backend runs there, and a compiler if it has C code)") for p in built]
    return diags, [f"built from an sdist at install time (no wheel for the target): {', '.join(names)}"]


def lock_installable(wanted: Sequence[Wanted], repository: Repository, target: Target,
                     resolve: Callable[[list[Requirement], dict[str, str]], Resolution], *,
                     preferred: Mapping[str, str] | None = None,
                     constraints: Mapping[str, SpecifierSet] | None = None,
                     strict: bool = False, only_binary: bool = False) -> tuple[Resolution, Plan]:
    """Plan, resolve with ``resolve(requirements, preferred)``, retry once preferring wheels over sdists,
    and flag what is still built at install time."""
    chosen = plan(wanted, repository, target, constraints=constraints, strict=strict, only_binary=only_binary)
    kept = dict(preferred or {})
    prefs = {**chosen.preferred, **kept}  # a pin kept from an existing lock wins
    resolution = resolve(chosen.requirements, prefs)
    more = prefer_wheels(resolution, repository, prefs, only_binary)
    if more:
        retry = resolve(chosen.requirements, {**prefs, **more})
        moved = [pin for pin in retry if pin.name in more and str(pin.version) == more[pin.name]]
        if moved:
            resolution = retry
            for pin in moved:
                message = (f"{pin.display_name}: preferring {pin.version}, the newest release with a wheel for "
                           f"{target.describe()} (newer ones are sdists only)")
                chosen.diagnostics.append(diagnostic(Code.OLDER_WHEEL_PREFERRED, message, Severity.NOTE))
                chosen.notes.append(message)
    diags, notes = sdist_only(resolution, only_binary)
    chosen.diagnostics += diags
    chosen.notes += notes
    return resolution, chosen


# ---------------------------------------------------------------------- helpers
def _releases(repository: Repository, name: str) -> Sequence[Release] | None:
    try:
        return repository.releases(name)
    except NotFound:
        return None


def _matching(releases: Sequence[Release], spec: SpecifierSet) -> list[Release]:
    """Releases the resolver would consider, newest first: in ``spec``, not yanked, finals unless none."""
    matching = [r for r in releases if spec.contains(r.version, prereleases=True) and not r.yanked]
    finals = [r for r in matching if not r.version.is_prerelease]
    return finals if finals and not spec.prereleases else matching


def _sys_platforms(releases: Sequence[Release]) -> set[str] | None:
    """The ``sys_platform`` values the releases' files install on; None when some file is universal
    (an sdist, a ``*-any`` wheel, a tag this does not know)."""
    found: set[str] = set()
    for release in releases:
        for f in release.usable_files:
            if not f.is_wheel:
                return None
            try:
                _, _, _, tags = parse_wheel_filename(f.filename)
            except InvalidWheelFilename:
                continue
            for tag in tags:
                plat = _sys_platform(tag.platform)
                if plat is None:
                    return None
                found.add(plat)
    return found or None


def _sys_platform(platform_tag: str) -> str | None:
    if platform_tag.startswith("win"):
        return "win32"
    if platform_tag.startswith("macosx"):
        return "darwin"
    if platform_tag.startswith(("manylinux", "musllinux", "linux")):
        return "linux"
    return None


def _leave_out(w: Wanted, matching: Sequence[Release], target: Target, strict: bool, out: Plan) -> None:
    name = matching[0].name
    where = _where(w)
    platforms = _sys_platforms(matching)
    here = target.marker_environment.get("sys_platform", "")
    if platforms is not None and here not in platforms:
        marker = " or ".join(f'sys_platform == "{p}"' for p in sorted(platforms))
        detail = (f"{name} is published only for {marker} (every file is a wheel for another platform); "
                  f"not locked for {target.describe()} (imported at {where})")
        out.left_out.append(LeftOut(name, Why.PLATFORM_ONLY, marker, detail))
        out.diagnostics.append(_at(w, Code.PLATFORM_ONLY, Severity.NOTE, detail))
    else:
        newest = matching[0]
        detail = (f"{name} has no release installable on {target.describe()} (newest {newest.version}: "
                  f"{_why_not(newest)}); left out of the lock (imported at {where})")
        out.left_out.append(LeftOut(name, Why.NOT_INSTALLABLE, None, detail))
        out.diagnostics.append(_at(w, Code.NOT_INSTALLABLE, Severity.ERROR if strict else Severity.WARNING, detail))
    out.notes.append(f"left out: {detail}")


def _why_not(release: Release) -> str:
    files = release.usable_files
    if not files:
        return "no files"
    wheels = [f.filename for f in files if f.is_wheel]
    if len(wheels) == len(files):
        return "wheels only for other interpreters or platforms, e.g. " + ", ".join(sorted(wheels)[:2])
    return "its files require another Python"


def _swap(w: Wanted, variant: Variant, repository: Repository, target: Target,
          constraints: Mapping[str, SpecifierSet], out: Plan) -> bool:
    """Lock the binary variant instead of ``w`` when it has a wheel for the target."""
    plain = w.requirement
    binary = variant.binary
    key = canonicalize_name(binary.name)
    # The variant's versions follow the plain project's: its specifier and constraints carry over.
    spec = (plain.specifier & binary.specifier & constraints.get(key, SpecifierSet())
            & constraints.get(w.key, SpecifierSet()))
    if key == w.key and not binary.extras:
        return False
    releases = _releases(repository, binary.name)
    if releases is None or not any(r.wheels for r in _matching(releases, spec)):
        return False
    if variant.wheel_of and canonicalize_name(variant.wheel_of) != key:
        binary_part = _releases(repository, variant.wheel_of)
        if binary_part is None or not any(r.wheels for r in _matching(binary_part, SpecifierSet())):
            return False
    extras = f"[{','.join(sorted(binary.extras | plain.extras))}]" if binary.extras | plain.extras else ""
    text = f"{binary.name}{extras}{spec}"
    if plain.marker is not None:
        text += f"; {plain.marker}"
    out.requirements.append(Requirement(text))
    if key != w.key:
        out.variants[w.key] = key
    message = f"locking {binary.name}{extras} instead of {plain.name}: {variant.why} (imported at {_where(w)})"
    out.diagnostics.append(_at(w, Code.BINARY_VARIANT, Severity.NOTE, message))
    out.notes.append(message)
    return True


def _where(w: Wanted) -> str:
    return ", ".join(s.location for s in list(w.sites)[:3]) or "a direct requirement"


def _at(w: Wanted, code: Code, severity: Severity, message: str) -> Diagnostic:
    sites = list(w.sites)
    site = sites[0] if sites else None
    return diagnostic(code, message, severity, file=getattr(site, "file", ""), line=getattr(site, "line", 0),
                      cell=getattr(site, "cell", None))


__all__ = ["LeftOut", "Plan", "Variant", "Why", "compiled", "load_variants", "lock_installable", "plan",
           "prefer_wheels", "sdist_only"]

"""Several targets, one lock: per-target resolutions merged into pins that split by PEP 508 markers.

The way uv's universal lock behaves, built from the single-target resolver:
each target is resolved in turn against one shared repository (each index
page is read once, and each file's metadata), and every target prefers the versions
the earlier ones chose, so versions agree wherever one version can serve
every target. Where it cannot (the newest release has no wheel for one
machine, a dependency exists only on Windows, a requirement is guarded by
``sys.platform``), the pin is split: one entry per version, each with a
marker that is true on exactly the targets it serves, written with the fewest
of ``sys_platform``, ``platform_machine``, ``python_version`` (then
``python_full_version`` for pinned patches) that tell the targets apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Protocol

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from poncho.errors import ConfigError, ResolutionConflict
from poncho.net import IndexFile

from .repository import Repository
from .resolution import Pin, Resolution
from .target import Target

#: the marker variables that tell targets apart, in the order a reader expects them
SELECTING = ("sys_platform", "platform_machine", "python_version", "implementation_name", "python_full_version")


@dataclass(frozen=True)
class UniversalPin:
    """One entry of a universal lock: a version, the targets it serves, and the marker that selects them."""

    name: NormalizedName
    display_name: str
    version: Version
    files: tuple[IndexFile, ...]  # every served target's files for this version, each once
    parents: tuple[NormalizedName, ...]
    direct: bool
    targets: tuple[int, ...]  # positions in UniversalResolution.targets
    marker: str | None  # None: every target (or, for a direct pin, its requirement's own marker)
    extras: frozenset[str] = frozenset()
    index_url: str = ""


@dataclass
class UniversalResolution:
    """Every target's Resolution and the merged, marker-split pins a lock is built from."""

    targets: tuple[Target, ...]
    per_target: tuple[Resolution, ...]
    pins: tuple[UniversalPin, ...]
    warnings: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[UniversalPin]:
        return iter(self.pins)

    @property
    def target(self) -> Target:
        """The first target: what single-target callers asked for."""
        return self.targets[0]

    def summary(self) -> str:
        """One line for -v: entries, each target's pins and rounds, and what the shared repository fetched."""
        if len(self.per_target) == 1:
            return self.per_target[0].summary()
        each = "; ".join(f"{t.tag}: {len(r.pins)} pins in {r.rounds} rounds"
                         for t, r in zip(self.targets, self.per_target))
        text = f"{len(self.pins)} entries for {len(self.targets)} targets ({each})"
        fetches = self.per_target[-1].fetches  # one repository: its counts cover every target
        if fetches is not None:
            text += f"; {fetches.pages} pages and {fetches.metadata} metadata files fetched"
        return text


class SharedRepository(Repository, Protocol):
    target: Target

    def for_target(self, target: Target) -> Repository:
        """The same pages and metadata, filtered for ``target``."""


def resolve_universal(
    requirements: Sequence[Requirement | str],
    repository: SharedRepository,
    targets: Sequence[Target],
    *,
    reasons: Mapping[str, str] | None = None,
    constraints: Mapping[str, SpecifierSet] | None = None,
    allow_fallback: bool = False,
    preferred: Sequence[Mapping[str, str]] = (),
) -> UniversalResolution:
    """Pin ``requirements`` for every target, in order, agreeing on versions wherever one version serves all.

    The first target gets the newest versions that fit it; each later target
    prefers the versions already chosen, so it differs only where they cannot
    serve it. ``preferred`` holds, per target, the pins an existing lock keeps;
    they come before what earlier targets chose. The other arguments are
    :func:`~poncho.resolver.solve.resolve`'s, applied to every target; a
    conflict on any target fails the whole lock, naming that target.
    """
    reqs = [Requirement(r) if isinstance(r, str) else r for r in requirements]

    from .solve import resolve  # resolvelib: loaded by a resolution, not by merging cached ones

    def one(target: Target, wanted: dict[str, str]) -> Resolution:
        repo = repository if target == repository.target else repository.for_target(target)
        return resolve(reqs, repo, target, reasons=reasons, constraints=constraints, allow_fallback=allow_fallback,
                       preferred=wanted)

    return merge(tuple(targets), in_turn(targets, preferred, one), reqs)


def in_turn(targets: Sequence[Target], preferred: Sequence[Mapping[str, str]],
            one: Callable[[Target, dict[str, str]], Resolution]) -> tuple[Resolution, ...]:
    """Each target's Resolution from ``one(target, preferred_pins)``, in order, each target preferring the
    versions earlier targets chose (after its own ``preferred`` pins): how versions come to agree.

    Apart from :func:`resolve_universal` so a caller can answer a target another way (the pipeline's
    resolution cache) while keeping the same order of preferences.
    """
    if not targets:
        raise ConfigError("at least one target is needed")
    resolutions = []
    chosen: dict[str, str] = {}  # name -> the version an earlier target pinned
    for i, target in enumerate(targets):
        kept = dict(preferred[i]) if i < len(preferred) else {}
        res = one(target, {**chosen, **kept})
        resolutions.append(res)
        for name, pin in res.pins.items():
            chosen.setdefault(name, str(pin.version))
    return tuple(resolutions)


def merge(targets: tuple[Target, ...], resolutions: tuple[Resolution, ...],
          requirements: Sequence[Requirement] = ()) -> UniversalResolution:
    """One pin per (name, version); a pin that does not serve every target gets a selecting marker.

    A pin that only the code asks for keeps its requirement's own marker
    (``pywin32 ; sys_platform == "win32"``) when that marker already selects
    exactly its targets; a pin something else also needs gets the selecting
    marker, since the guard alone would leave it out where it is a dependency.
    """
    requested = {canonicalize_name(r.name): r.marker for r in requirements}
    by_name: dict[NormalizedName, dict[Version, list[tuple[int, Pin]]]] = {}
    for i, res in enumerate(resolutions):
        for name, pin in res.pins.items():
            by_name.setdefault(name, {}).setdefault(pin.version, []).append((i, pin))
    everywhere = tuple(range(len(targets)))
    pins = []
    for name in sorted(by_name):
        for version, group in sorted(by_name[name].items(), reverse=True):
            served = tuple(i for i, _ in group)
            pin_list = [p for _, p in group]
            direct = any(p.direct for p in pin_list)
            # The requirement's own guard stands only where nothing else needs the pin (a dependency on
            # one target, a guarded import on another, needs a marker that holds on both).
            own = requested.get(name) if all(p.direct for p in pin_list) else None
            if served == everywhere:
                marker = str(own) if own is not None else None
            elif own is not None and tuple(i for i, t in enumerate(targets) if t.evaluate(own)) == served:
                marker = str(own)  # the requirement's guard already selects exactly these targets
            else:
                marker = selecting_marker(targets, served, name)
            files = tuple({f.filename: f for p in pin_list for f in p.files}.values())
            pins.append(UniversalPin(
                name=name,
                display_name=pin_list[0].display_name,
                version=version,
                files=files,
                parents=tuple(sorted({parent for p in pin_list for parent in p.parents})),
                direct=direct,
                targets=served,
                marker=marker,
                extras=frozenset().union(*(p.extras for p in pin_list)),
                index_url=pin_list[0].index_url,
            ))
    return UniversalResolution(
        targets=targets,
        per_target=resolutions,
        pins=tuple(pins),
        warnings=list(dict.fromkeys(w for r in resolutions for w in r.warnings)),
        fallbacks=list(dict.fromkeys(f for r in resolutions for f in r.fallbacks)),
    )


def _value(target: Target, variable: str) -> str | None:
    if variable == "python_version":
        return target.python_minor
    if variable == "python_full_version":
        return target.python_full_version if target.patch_pinned else None
    return target.marker_environment.get(variable)


def selecting_marker(targets: Sequence[Target], chosen: Sequence[int], name: str = "") -> str:
    """The shortest PEP 508 marker (fewest variables) true on ``targets[i]`` for ``i`` in ``chosen`` and
    false on the others.

    Targets that no marker variable tells apart (two manylinux levels of one
    machine) cannot be given different versions: that is a conflict (exit 5).
    """
    inside = set(chosen)
    for size in range(1, len(SELECTING) + 1):
        for variables in combinations(SELECTING, size):
            values = [tuple(_value(t, v) for v in variables) for t in targets]
            if any(None in v for v in values):
                continue
            picked = {values[i] for i in inside}
            if picked & {values[i] for i in range(len(targets)) if i not in inside}:
                continue
            terms = [" and ".join(f'{var} == "{val}"' for var, val in zip(variables, combo))
                     for combo in sorted(picked)]
            if size > 1 and len(terms) > 1:
                terms = [f"({t})" for t in terms]
            text = " or ".join(terms)
            Marker(text)  # what we write must parse
            return text
    names = ", ".join(targets[i].describe() for i in sorted(inside))
    raise ResolutionConflict(
        f"{name}: the targets need different versions, but no PEP 508 marker tells {names} apart from "
        f"{', '.join(t.describe() for i, t in enumerate(targets) if i not in inside)}; list the target that "
        "needs the older version first (later targets take its pins where they fit), lock those targets "
        "separately, or pin the version with --constraint")

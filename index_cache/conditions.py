"""Needs that hold under another distribution's version: one alternative per place, kept by evidence.

A bare ``postgresql://`` URL loads the driver the *locked* SQLAlchemy defaults
to: psycopg2 before 2.1, psycopg (3) from 2.1 on. The analyzer cannot know
the locked version, so a plugin rule emits one site per alternative, each with
the condition under which it holds (``ImportSite.condition``:
``"sqlalchemy>=2.1"``, ``"sqlalchemy<2.1"``). :func:`settle` keeps one
alternative, by evidence:

1. the version range the project declares for the conditioned distribution
   (``SQLAlchemy>=1.4,<2.1`` selects psycopg2);
2. else a declared alternative (``psycopg2-binary`` in the dependencies selects
   the psycopg2 alternative);
3. else the alternative the newest releases need (its condition holds for them).

One condition is chosen per conditioned distribution for the whole program
(one SQLAlchemy is locked), and every site under it is kept.

The kept condition then travels with the lock as a plain requirement
(:func:`condition_requirements`): ``psycopg`` comes with ``sqlalchemy>=2.1``,
so the resolver can only pin a SQLAlchemy that loads the locked driver, and
every lock format, the header and ``check`` carry it without a new record
kind. A project whose other requirements hold SQLAlchemy below 2.1 declares
that range (or a driver), and the evidence picks the other alternative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho.analysis.sites import ImportSite

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis.declared import Declarations


NEWEST = Version("99999")  # a version past every release: the condition it meets is the newest releases'


def _condition(site: ImportSite) -> Requirement | None:
    try:
        return Requirement(site.condition) if site.condition else None
    except InvalidRequirement:
        return None


def _points(specs: Iterable[SpecifierSet]) -> list[Version]:
    """Versions around every bound the specifiers mention: enough to tell whether two ranges meet."""
    out = {Version("0"), Version("99999")}
    for spec in specs:
        for s in spec:
            try:
                v = Version(s.version.rstrip(".*"))
            except InvalidVersion:
                continue
            release = list(v.release) + [0] * (3 - len(v.release))
            out.add(v)
            out.add(Version(".".join(map(str, release[:2] + [release[2] + 1]))))
            out.add(Version(".".join(map(str, [release[0], release[1] + 1]))))
            out.add(Version(".".join(map(str, [release[0] + 1]))))
            if release[2]:
                out.add(Version(".".join(map(str, release[:2] + [release[2] - 1]))))
            if release[1]:
                out.add(Version(f"{release[0]}.{release[1] - 1}.9999"))
            elif release[0]:
                out.add(Version(f"{release[0] - 1}.9999"))
    return sorted(out)


def meets(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Whether some version satisfies both ranges (judged at the versions around their bounds)."""
    return any(a.contains(v, prereleases=True) and b.contains(v, prereleases=True) for v in _points([a, b]))


def implies(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Whether every version in ``a`` is in ``b`` (judged like :func:`meets`); an empty ``a`` implies only
    an empty ``b``."""
    if not str(a):
        return not str(b)
    return all(b.contains(v, prereleases=True) for v in _points([a, b]) if a.contains(v, prereleases=True))


def settle(sites: Sequence[ImportSite], declared: Declarations | None,
           distribution_of: Callable[[ImportSite], str | None]) -> list[ImportSite]:
    """``sites`` with the alternatives of one conditioned distribution settled; others pass unchanged.

    One SQLAlchemy is locked, so every conditioned site of the program agrees:
    one condition is chosen per conditioned distribution (``sqlalchemy>=2.1``),
    and every site under it is kept (``postgresql://`` and ``oracle://`` on
    one line keep psycopg *and* oracledb). ``distribution_of(site)`` names the
    distribution a site maps to, to see whether the project declares it. The
    kept sites' notes say why.
    """
    groups: dict[str, list[tuple[ImportSite, Requirement]]] = {}
    out: list[ImportSite] = []
    for s in sites:
        c = _condition(s)
        if c is None:
            out.append(s)
        else:
            groups.setdefault(canonicalize_name(c.name), []).append((s, c))
    for group in groups.values():
        chosen, why = _choose(group, declared, distribution_of)
        out.extend(_noted(s, why) for s, c in group if str(c) == chosen)
    return out


def _choose(group: list[tuple[ImportSite, Requirement]], declared: Declarations | None,
            distribution_of: Callable[[ImportSite], str | None]) -> tuple[str, str]:
    """The condition to keep (as written in the rules) and why."""
    # without evidence, the condition the newest releases meet (sites arrive sorted, not in rule order)
    conditions = sorted(dict.fromkeys(str(c) for _, c in group),
                        key=lambda t: not Requirement(t).specifier.contains(NEWEST, prereleases=True))
    if declared:
        said = declared.shipped(group[0][1].name)
        if said is not None and str(said.requirement.specifier):
            fits = [t for t in conditions if meets(said.requirement.specifier, Requirement(t).specifier)]
            if len(fits) == 1:
                return fits[0], f"the project declares {said.requirement} ({said.where})"
        mine: dict[str, str] = {}
        for s, c in group:
            dist = distribution_of(s)
            found = declared.get(canonicalize_name(dist)) if dist else None
            if found is not None:
                mine.setdefault(str(c), f"the project declares {found.requirement.name} ({found.where})")
        if len(mine) == 1:
            return next(iter(mine.items()))
    return conditions[0], "no declared range or driver; the newest releases' choice"


def _noted(site: ImportSite, why: str) -> ImportSite:
    return replace(site, note=f"{site.note + '; ' if site.note else ''}needs {site.condition}: {why}")


def condition_requirements(sites: Iterable[ImportSite]) -> dict[str, tuple[Requirement, list[ImportSite]]]:
    """canonical name -> (the joined conditions on it, the sites that impose them)."""
    out: dict[str, tuple[Requirement, list[ImportSite]]] = {}
    for s in sites:
        c = _condition(s)
        if c is None:
            continue
        key = canonicalize_name(c.name)
        if key in out:
            old, where = out[key]
            joined = Requirement(f"{old.name}{SpecifierSet(str(old.specifier)) & c.specifier}")
            out[key] = (joined, [*where, s])
        else:
            out[key] = (c, [s])
    return out

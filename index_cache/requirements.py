"""The mapping stage's output: direct requirements, each with the sites that need it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from poncho.analysis.sites import Guard, ImportSite, Kind
from poncho.diagnostics import Code, Diagnostic, Severity

from .mapping import Mapper, Mapping, Source


@dataclass(frozen=True)
class DirectRequirement:
    """A distribution the analyzed code needs directly, and why."""

    name: str
    sites: tuple[ImportSite, ...]
    mappings: tuple[Mapping, ...]
    marker: str | None = None
    optional: bool = False

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    @property
    def requirement(self) -> Requirement:
        return Requirement(f"{self.name}; {self.marker}" if self.marker else self.name)

    def __str__(self) -> str:
        return str(self.requirement)


@dataclass
class Requirements:
    """Everything the resolver needs from the mapping stage, plus what it could not map."""

    direct: list[DirectRequirement] = field(default_factory=list)
    optional: list[DirectRequirement] = field(default_factory=list)  # known, not locked by default
    typing_only: list[DirectRequirement] = field(default_factory=list)
    unresolved: dict[str, tuple[ImportSite, ...]] = field(default_factory=dict)
    hints: list[ImportSite] = field(default_factory=list)  # e.g. `%pip install x` in a notebook
    invalid: list[ImportSite] = field(default_factory=list)  # names no import statement could use

    def diagnostics(self) -> list[Diagnostic]:
        """What the mapping decided that the user should hear: unmapped, left-out and odd imports."""
        out = []
        for module, sites in self.unresolved.items():
            top = module.split(".")[0]
            out.append(_at(sites[0], Code.UNMAPPED, Severity.WARNING,
                           f"no distribution provides {module!r} (imported at {_where(sites)}); add "
                           f"`[tool.poncho.mapping] {top} = \"<dist>\"` to pyproject.toml or pass --map {top}=DIST"))
        for r in self.optional:
            out.append(_at(r.sites[0], Code.OPTIONAL_LEFT_OUT, Severity.NOTE,
                           f"optional import of {r.name} not locked (use --include-optional)"))
        for r in self.typing_only:
            out.append(_at(r.sites[0], Code.TYPING_ONLY, Severity.NOTE,
                           f"{r.name} is imported only for type checking; not locked"))
        for site in self.invalid:
            out.append(_at(site, Code.NOT_A_MODULE, Severity.WARNING, f"{site.module!r} is not a module name; ignored"))
        for hint in self.hints:
            out.append(_at(hint, Code.INSTALL_HINT, Severity.NOTE,
                           f"installs {hint.distribution or hint.module} (an install hint, not an import; "
                           "locked only if the code imports it)"))
        return out

    def reasons(self) -> dict[str, str]:
        """canonical name -> the first import sites, for conflict messages."""
        return {r.key: ", ".join(s.location for s in r.sites[:3]) for r in self.direct}


def _where(sites: tuple[ImportSite, ...]) -> str:
    return ", ".join(s.location for s in sites[:3])


def _at(site: ImportSite, code: Code, severity: Severity, message: str) -> Diagnostic:
    return Diagnostic(site.file, site.line, message, severity, site.cell, code)


def _merge_markers(sites: Iterable[ImportSite]) -> str | None:
    markers = []
    for s in sites:
        if not s.marker:
            return None  # needed unconditionally somewhere
        markers.append(s.marker)
    unique = list(dict.fromkeys(markers))
    if len(unique) == 1:
        return unique[0]
    return " or ".join(f"({m})" for m in unique)


def is_module_name(name: str) -> bool:
    """A dotted path of identifiers: the only thing worth mapping (or sending to an index).

    Strings folded from analyzed code can be anything ("//host/x"); they must
    never become a request to a host the analyzed code chooses.
    """
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def map_site(site: ImportSite, mapper: Mapper) -> Mapping:
    """Map a site; ``from ns.pkg import sub`` may name a more specific distribution.

    ``from google.cloud import storage`` needs google-cloud-storage, not
    whatever provides ``google.cloud``; ``from yaml import safe_load`` still
    maps by ``yaml``. The longer path is tried only when the module itself
    mapped without the live probe, so unknown names never multiply probes.
    """
    if site.distribution:
        # A plugin rule named the distribution; only a user override beats it.
        for src in mapper.sources:
            if src.source == Source.OVERRIDE:
                found = src.lookup(site.module)
                if found is not None:
                    return found
        return Mapping(site.module, site.distribution, Source.INDEX, matched=site.module,
                       reason=f"named by the plugin rule {getattr(site, 'rule', None) or site.kind.value}")
    mapping = mapper.map(site.module)
    name = getattr(site, "imported_name", None)
    if not name or name == "*" or not mapping.resolved or mapping.source == Source.PROBE:
        return mapping
    deeper = mapper.map(f"{site.module}.{name}")
    if deeper.resolved and len(deeper.matched or "") > len(mapping.matched or ""):
        return deeper
    return mapping


def requirements_from_sites(sites: Iterable[ImportSite], mapper: Mapper, *,
                            include_optional: bool = False) -> Requirements:
    """Map third-party import sites to distributions, keeping every site as a reason."""
    by_dist: dict[str, list[tuple[ImportSite, Mapping | None]]] = defaultdict(list)
    names: dict[str, str] = {}
    out = Requirements()
    unresolved: dict[str, list[ImportSite]] = defaultdict(list)
    for site in sites:
        if site.kind == Kind.HINT:
            out.hints.append(site)
            continue
        if not site.distribution and not is_module_name(site.module):
            out.invalid.append(site)
            continue
        mapping = map_site(site, mapper)
        if not mapping.resolved:
            unresolved[site.module].append(site)
            continue
        dist = mapping.distribution
        assert dist is not None  # resolved mappings name a distribution
        key = canonicalize_name(dist)
        names.setdefault(key, dist)
        by_dist[key].append((site, mapping))
    for dist_key in sorted(by_dist):
        pairs = by_dist[dist_key]
        sites_ = tuple(sorted({s for s, _ in pairs}))
        mappings = tuple(dict.fromkeys(m for _, m in pairs if m is not None))
        guards = {s.guard for s in sites_}
        required = [s for s in sites_ if s.guard == Guard.REQUIRED]
        if required:
            out.direct.append(DirectRequirement(names[dist_key], tuple(required), mappings, _merge_markers(required)))
        elif Guard.OPTIONAL in guards:
            optional_sites = [s for s in sites_ if s.guard == Guard.OPTIONAL]
            req = DirectRequirement(names[dist_key], sites_, mappings, _merge_markers(optional_sites), optional=True)
            (out.direct if include_optional else out.optional).append(req)
        else:
            out.typing_only.append(DirectRequirement(names[dist_key], sites_, mappings))
    out.unresolved = {m: tuple(s) for m, s in sorted(unresolved.items())}
    return out



"""The mapping stage's output: direct requirements, each with the sites that need it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from poncho.analysis.sites import Guard, ImportSite, Kind
from poncho.diagnostics import Code, Diagnostic, Severity, diagnostic
from poncho.errors import redact_url

from .conditions import condition_requirements, implies, settle
from .mapping import Mapper, Mapping, Source
from .names import NAMESPACE, RUNTIME, RUNTIME_REASON, namespace_reason
from .overrides import split_extras

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis.declared import Declarations


@dataclass(frozen=True)
class DirectRequirement:
    """A distribution the analyzed code needs directly, and why."""

    name: str
    sites: tuple[ImportSite, ...]
    mappings: tuple[Mapping, ...]
    marker: str | None = None
    optional: bool = False
    extras: tuple[str, ...] = ()  # from a mapping (dask[distributed]) or the project's declaration
    specifier: str = ""  # the version range the project declares ("" when it declares none)
    origin: str | None = None  # why it is here when no import site is: "--with", "[tool.poncho] with"
    lazy: str | None = None  # the evidence that a function-level import is an optional integration
    group: str | None = None  # "test": only tests and the like import it (--include-tests); None: the runtime
    url: str | None = None  # the project declares it by a direct URL (git+https://...): never the index's release
    declared: str | None = None  # why the project's declaration made it required (every import guarded, or
    #                              imported only by files out of the runtime scope)

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    @property
    def requirement(self) -> Requirement:
        text = self.name + (f"[{','.join(sorted(self.extras))}]" if self.extras else "") + self.specifier
        return Requirement(f"{text}; {self.marker}" if self.marker else text)

    @property
    def locations(self) -> list[str]:
        """Where the need comes from: import sites, or the option that added it."""
        if self.sites:
            return [s.location for s in self.sites]
        return [f"with: {self.origin}"] if self.origin else []

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
    runtime: list[ImportSite] = field(default_factory=list)  # `__main__`, Jython's `java.*`: never mapped
    why_unresolved: dict[str, str] = field(default_factory=dict)  # module -> a rule's reason, when one decided
    without: list[DirectRequirement] = field(default_factory=list)  # dropped by --without / [tool.poncho]
    by_url: list[DirectRequirement] = field(default_factory=list)  # declared by a direct URL: not from the index

    def diagnostics(self) -> list[Diagnostic]:
        """What the mapping decided that the user should hear: unmapped, left-out and odd imports."""
        out = []
        for module, sites in self.unresolved.items():
            top = module.split(".")[0]
            if module in self.why_unresolved:
                out.append(_at(sites[0], Code.UNMAPPED, Severity.WARNING,
                               f"{module!r} (imported at {_where(sites)}): {self.why_unresolved[module]}"))
                continue
            out.append(_at(sites[0], Code.UNMAPPED, Severity.WARNING,
                           f"no distribution provides {module!r} (imported at {_where(sites)}); add "
                           f"`[tool.poncho.mapping] {top} = \"<dist>\"` to pyproject.toml or pass --map {top}=DIST"))
        for module, group in _by_module(self.runtime).items():
            out.append(_at(group[0], Code.RUNTIME_PROVIDED, Severity.NOTE,
                           f"{module!r} (imported at {_where(group)}): {RUNTIME_REASON}"))
        for r in self.without:
            out.append(diagnostic(Code.USER_CHOICE, f"{r.name} left out of the lock by `without` "
                                  f"(imported at {', '.join(r.locations[:3]) or 'no site'})", Severity.NOTE))
        for r in self.direct:
            if r.declared:
                out.append(_at(r.sites[0], Code.DECLARED_WINS, Severity.NOTE, f"{r.name} locked: {r.declared}"))
        for r in self.by_url:
            out.append(_at(r.sites[0], Code.DIRECT_URL_DECLARED, Severity.WARNING, direct_url_message(r))
                       if r.sites else diagnostic(Code.DIRECT_URL_DECLARED, direct_url_message(r)))
        for r in self.optional:
            why = f" ({r.lazy})" if r.lazy else ""
            out.append(_at(r.sites[0], Code.OPTIONAL_LEFT_OUT, Severity.NOTE,
                           f"optional import of {r.name}{why} not locked (use --include-optional)"))
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
        return {r.key: ", ".join(r.locations[:3]) for r in self.direct}

    def apply_user_choices(self, with_: Sequence[tuple[str, str]] = (), without: Sequence[str] = ()) -> None:
        """``--with REQ`` adds a direct requirement no import names (its origin says who asked);
        ``--without NAME`` drops one whatever imports it. ``with_`` holds (requirement, origin) pairs."""
        drop = {canonicalize_name(n) for n in without}
        self.without = [r for r in self.direct if r.key in drop]
        self.direct = [r for r in self.direct if r.key not in drop]
        # A declaration by direct URL (`django-push @ git+https://...`) is not the index's release of that name,
        # which may be another code base: it is held out (and said) unless `--with NAME` asks for the index's.
        asked = {canonicalize_name(Requirement(text).name) for text, _ in with_}
        self.by_url = [r for r in self.direct if r.url and r.key not in asked]
        self.direct = [r for r in self.direct if not r.url or r.key in asked]
        for text, origin in with_:
            req = Requirement(text)
            if canonicalize_name(req.name) in drop:
                continue
            added = DirectRequirement(req.name, (), (), str(req.marker) if req.marker else None,
                                      extras=tuple(sorted(req.extras)), specifier=str(req.specifier), origin=origin)
            same = next((r for r in self.direct if r.key == added.key), None)
            if same is not None:  # imported too: the user's extras and range join the import's need
                self.direct[self.direct.index(same)] = replace(
                    same, extras=tuple(sorted({*same.extras, *added.extras})),
                    specifier=_joined(same.specifier, added.specifier), marker=same.marker and added.marker)
            else:
                self.direct.append(added)
        self.direct.sort(key=lambda r: r.key)


def mark_test_only(requirements: Requirements, dev_files: Iterable[str],
                   declared: Declarations | None = None) -> None:
    """``--include-tests``: a direct requirement only tests, docs and the like import goes to the ``test`` group
    (pylock.toml's ``dependency-groups``), so installing the lock by default leaves it out.

    One the project declares at run time stays in the default set, wherever it is imported: installing
    the lock without its test group must still give the runtime what the project says it needs.
    """
    dev = set(dev_files)
    if not dev:
        return

    def runtime(r: DirectRequirement) -> bool:
        found = declared.get(r.key) if declared is not None else None
        return bool(r.declared) or (found is not None and found.group is None and not found.dev)

    requirements.direct = [replace(r, group="test")
                           if r.sites and all(s.file in dev for s in r.sites) and not runtime(r) else r
                           for r in requirements.direct]


def direct_url_message(r: DirectRequirement) -> str:
    """What a declaration by direct URL means for the lock, and what to do (credentials in the URL redacted)."""
    where = f" (imported at {', '.join(r.locations[:3])})" if r.sites else ""
    url = redact_url(r.url or "")
    return (f"{r.name} is declared by a direct URL ({r.name} @ {url}){where}: not locked, since the index's "
            f"{r.name} may be another code base and a hashed lock cannot hold a VCS URL; install it next to the "
            f"lock (pip install '{r.name} @ {url}'; its own dependencies are not locked either), build a wheel "
            f"and serve it with --find-links, or pass --with {r.name} to lock the index's release")


def _joined(a: str, b: str) -> str:
    """Two specifier sets as one (a clause both carry is written once)."""
    return ",".join(dict.fromkeys(p.strip() for x in (a, b) for p in x.split(",") if p.strip()))


def _by_module(sites: Iterable[ImportSite]) -> dict[str, list[ImportSite]]:
    out: dict[str, list[ImportSite]] = defaultdict(list)
    for s in sites:
        out[s.module].append(s)
    return dict(sorted(out.items()))


def _where(sites: Sequence[ImportSite]) -> str:
    return ", ".join(s.location for s in sites[:3])


def _at(site: ImportSite, code: Code, severity: Severity, message: str) -> Diagnostic:
    return Diagnostic(site.file, site.line, message, severity, site.cell, code)


def _both(marker: str | None, declared: object) -> str | None:
    """A requirement's marker and its declaration's (a declaration wins only where its own marker holds)."""
    if declared is None:
        return marker
    return f"({marker}) and ({declared})" if marker else str(declared)


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
        dist, extras = split_extras(site.distribution)
        return Mapping(site.module, dist, Source.INDEX, matched=site.module, extras=extras,
                       reason=f"named by the plugin rule {getattr(site, 'rule', None) or site.kind.value}")
    mapping = mapper.map(site.module)
    name = getattr(site, "imported_name", None)
    if not name or name == "*" or not mapping.resolved or mapping.source == Source.PROBE:
        return mapping
    deeper = mapper.map(f"{site.module}.{name}")
    if deeper.resolved and len(deeper.matched or "") > len(mapping.matched or ""):
        return deeper
    if mapping.namespace and mapping.matched == site.module:
        # `from azure.storage import new`: a shared namespace holds no code of its own; `new` is
        # a portion the index does not know, not the namespace root's owner.
        return replace(deeper, withheld=NAMESPACE, reason=namespace_reason(deeper.module, site.module))
    return mapping


def project_context(sites: Iterable[ImportSite], mapper: Mapper,
                    declared: Declarations | None = None) -> frozenset[str]:
    """The distributions the project needs whatever any choice says (canonical names).

    What its imports map to with no other provider (a user mapping, a plugin
    rule, the only provider), and what it declares: the evidence that settles
    an import several distributions provide (:mod:`.neighbours`). Imports
    with several providers are left out, and so are alternatives that hold
    only under a condition, so the context does not depend on another choice
    or on the order of the files.
    """
    found = set(declared.where()) if declared else set()
    seen: set[tuple[str, str | None, str | None]] = set()
    for site in sites:
        if site.kind == Kind.HINT or site.condition or (not site.distribution and not is_module_name(site.module)):
            continue
        key = (site.module, getattr(site, "imported_name", None), site.distribution)
        if key in seen:  # a thousand files import the same few names
            continue
        seen.add(key)
        mapping = map_site(site, mapper)
        if mapping.distribution is not None and not mapping.alternatives:
            found.add(canonicalize_name(mapping.distribution))
    return frozenset(found)


def use_project_context(sites: Iterable[ImportSite], mapper: Mapper, declared: Declarations | None = None) -> None:
    """Let ``mapper`` choose among providers by the project's other distributions (:func:`project_context`)."""
    mapper.use_context(project_context(sites, mapper, declared))


# Folders where libraries keep integrations with optional back ends (``lib/contrib/redis.py``).
_INTEGRATION_DIRS = frozenset({"contrib", "integrations", "backends"})


def _in_integration_dir(file: str) -> bool:
    """True when one of the file's three nearest folders is such a folder *and a package* (it has an
    ``__init__.py``): a checkout that happens to live in a folder named ``backends`` is not a library's
    integrations."""
    path = PurePath(file)
    for depth, part in enumerate(reversed(path.parts[-4:-1]), start=1):
        if part in _INTEGRATION_DIRS and Path(*path.parts[:-depth], "__init__.py").is_file():
            return True
    return False


def _in_registration_hook(scope: str) -> bool:
    return scope.rpartition(".")[2].lstrip("_").startswith("register")


def lazy_optional(required: Sequence[ImportSite], declared_group: str | None, *,
                  declared: bool = False, project_declares: bool = False) -> str | None:
    """Why imports that look required are an optional integration, or None when they are not.

    Evidence, not scope alone. A distribution the project declares only in an
    optional extra, imported only inside functions, is optional. One the project
    declares nowhere is optional when every import sits in a registration hook
    (``register_cupy()``: runs only when the integration is switched on), or
    inside functions under ``contrib/``, ``integrations/`` or ``backends/``
    (module-level imports there count too when the project lists its
    dependencies and leaves this one out: the module loads only when a user
    imports that integration). A distribution declared as a runtime dependency
    or in a group stays required: a lazy import to start up faster is still a
    dependency, and so is a lazy import with no evidence at all.
    """
    if not required:
        return None
    in_functions = all(s.scope != "<module>" for s in required)
    if declared_group is not None and declared_group.startswith("["):
        if in_functions:
            return f"imported only inside functions and declared only in the extra {declared_group}"
        return None
    if declared:
        return None
    if in_functions and all(_in_registration_hook(s.scope) for s in required):
        return "imported only inside registration hooks (register_*) and declared nowhere"
    if all(_in_integration_dir(s.file) for s in required) and (in_functions or project_declares):
        where = "inside functions " if in_functions else ""
        return (f"imported only {where}under contrib/, integrations/ or backends/ and declared nowhere"
                + ("" if in_functions else " among the project's dependencies"))
    return None


def declared_runtime(guarded: Sequence[ImportSite], said_group: str | None, where: str) -> str | None:
    """Why guarded imports are locked all the same, or None.

    The project's own declarations win over any guess: a distribution it
    declares as a runtime dependency (not in an extra or a group) is
    required even when every import of it sits under ``try/except
    ImportError`` (httpx's anyio, typer's shellingham): the guard is a
    fallback for odd installs, the declaration says what a normal install holds.
    """
    if not guarded or said_group is not None:
        return None
    return (f"every import is guarded (try/except ImportError or an optional-import helper), but {where} "
            "declares it as a runtime dependency, and the project's declaration wins")


def requirements_from_sites(sites: Iterable[ImportSite], mapper: Mapper, *,
                            include_optional: bool = False, declared: Declarations | None = None) -> Requirements:
    """Map third-party import sites to distributions, keeping every site as a reason.

    ``declared`` (the project's own dependency lists) gives each requirement the
    version range and extras the project declares for it.
    """
    by_dist: dict[str, list[tuple[ImportSite, Mapping | None]]] = defaultdict(list)
    names: dict[str, str] = {}
    out = Requirements()
    unresolved: dict[str, list[ImportSite]] = defaultdict(list)
    sites = list(sites)
    use_project_context(sites, mapper, declared)
    if any(s.condition for s in sites):  # alternatives that hold under another distribution's version
        sites = settle(sites, declared, lambda s: map_site(s, mapper).distribution)
    for site in sites:
        if site.kind == Kind.HINT:
            out.hints.append(site)
            continue
        if not site.distribution and not is_module_name(site.module):
            out.invalid.append(site)
            continue
        mapping = map_site(site, mapper)
        if not mapping.resolved:
            if mapping.withheld == RUNTIME:
                out.runtime.append(site)
                continue
            unresolved[mapping.module].append(site)
            if mapping.withheld:
                out.why_unresolved.setdefault(mapping.module, mapping.reason)
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
        extras: set[str] = {x for m in mappings for x in m.extras}
        specifier = ""
        said = declared.shipped(dist_key) if declared else None  # a test suite's pin is not the program's
        url = None
        if said is not None:
            extras |= said.requirement.extras
            specifier = str(said.requirement.specifier)
            url = said.requirement.url
        for m in mappings:  # a range the module itself needs (pkg_resources: setuptools<82)
            specifier = _joined(specifier, m.specifier)
        wanted = tuple(sorted(extras))
        lazy = lazy_optional(required, said.group if said is not None else None,
                             declared=said is not None, project_declares=bool(declared))
        if lazy:
            required = []  # imported only when an optional feature is used: locked as optional imports are
            sites_ = tuple(replace(s, guard=Guard.OPTIONAL) if s.guard == Guard.REQUIRED else s for s in sites_)
            guards = {s.guard for s in sites_}
        guarded = [s for s in sites_ if s.guard == Guard.OPTIONAL]
        why_declared = None if required or said is None else declared_runtime(guarded, said.group, said.where)
        if why_declared:
            assert said is not None
            marker = _both(_merge_markers(guarded), said.requirement.marker)  # python_version<'3.8': not on 3.11
            out.direct.append(DirectRequirement(names[dist_key], tuple(guarded), mappings, marker,
                                                extras=wanted, specifier=specifier, declared=why_declared, url=url))
        elif required:
            out.direct.append(DirectRequirement(names[dist_key], tuple(required), mappings, _merge_markers(required),
                                                extras=wanted, specifier=specifier, url=url))
        elif Guard.OPTIONAL in guards:
            optional_sites = [s for s in sites_ if s.guard == Guard.OPTIONAL]
            req = DirectRequirement(names[dist_key], sites_, mappings, _merge_markers(optional_sites), optional=True,
                                    extras=wanted, specifier=specifier, lazy=lazy)
            (out.direct if include_optional else out.optional).append(req)
        else:
            out.typing_only.append(DirectRequirement(names[dist_key], sites_, mappings))
    out.unresolved = {m: tuple(s) for m, s in sorted(unresolved.items())}
    _impose_conditions(out, declared)
    return out


def declared_out_of_scope(sites: Iterable[ImportSite], mapper: Mapper, declared: Declarations,
                          used: Iterable[str]) -> list[DirectRequirement]:
    """Runtime declarations that only files out of the runtime scope import (setuptools in setup.py).

    ``sites`` come from the files the runtime scope left out; only those of a
    distribution the project declares as a runtime dependency, and that no
    runtime file imports (``used``), become requirements: the declaration
    wins over the scope's guess. Everything else those files import stays out.
    """
    done = {canonicalize_name(n) for n in used}
    found: dict[str, list[ImportSite]] = defaultdict(list)
    maps: dict[str, list[Mapping]] = defaultdict(list)
    for site in sites:
        if site.guard == Guard.TYPING or site.kind == Kind.HINT or not is_module_name(site.module or "x"):
            continue
        mapping = map_site(site, mapper)
        if not mapping.resolved or mapping.distribution is None:
            continue
        dist = canonicalize_name(mapping.distribution)
        said = declared.get(dist)
        if dist in done or said is None or said.group is not None:
            continue
        found[dist].append(site)
        maps[dist].append(mapping)
    out = []
    for key, group in sorted(found.items()):
        said = declared.get(key)
        assert said is not None
        why = (f"imported only by files left out of the runtime lock ({_where(group)}), but {said.where} declares "
               "it as a runtime dependency, and the project's declaration wins")
        out.append(DirectRequirement(said.requirement.name, tuple(sorted(set(group))), tuple(dict.fromkeys(maps[key])),
                                     _both(_merge_markers(group), said.requirement.marker),
                                     extras=tuple(sorted(said.requirement.extras)),
                                     specifier=str(said.requirement.specifier), declared=why,
                                     url=said.requirement.url))
    return out


def _impose_conditions(out: Requirements, declared: Declarations | None) -> None:
    """A kept alternative's condition (``sqlalchemy>=2.1`` for psycopg) joins the lock's requirements:
    on the direct requirement of that name, or as a new one whose sites are the alternative's."""
    imposed = condition_requirements(s for r in out.direct for s in r.sites if s.condition)
    for key, (req, sites_) in sorted(imposed.items()):
        same = next((r for r in out.direct if r.key == key), None)
        spec = str(req.specifier)
        if same is not None:
            if not implies(SpecifierSet(same.specifier), req.specifier):  # Django==6.1 already has >=4.2
                out.direct[out.direct.index(same)] = replace(same, specifier=_joined(same.specifier, spec))
            continue
        said = declared.shipped(key) if declared else None
        out.direct.append(DirectRequirement(
            said.requirement.name if said is not None else req.name, tuple(sorted(set(sites_))), (),
            _merge_markers(sites_), extras=tuple(sorted(said.requirement.extras)) if said is not None else (),
            specifier=_joined(str(said.requirement.specifier) if said is not None else "", spec)))
    out.direct.sort(key=lambda r: r.key)



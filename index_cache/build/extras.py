"""Which extras a distribution's submodules need, learned from the distribution's own code.

``from dask.distributed import Client`` needs ``dask[distributed]``: the
``distributed`` it imports is a requirement of dask's ``distributed`` extra
only. This step of the index build finds such facts without executing
anything: for each chosen project it opens the newest wheel with range
requests (:func:`poncho.artifacts.wheel.open_wheel`), reads METADATA's
``Provides-Extra`` and ``Requires-Dist``, reads the wheel's ``.py`` members
(bounded: files and bytes per wheel, time per project), analyzes each with
:mod:`poncho.analysis` (the analyzer users run) and maps every module-level,
non-optional import to a distribution with the import index.

An import counts when it runs at module level with no marker, and is either
required or inside a ``try`` whose ``except ImportError`` raises again (dask's
``distributed.py`` re-raises with an install hint: the module cannot be
imported without it). A module needs an extra when an import of it, or of a
module of the same distribution it imports the same way, maps to a
distribution that only an extra requires. Of the extras that require it the
smallest wins (``dataframe`` rather than ``complete``), and an extra that
another chosen one includes (``dask[dataframe]`` includes ``dask[array]``) is
dropped.

Rows are ``module  distribution  extras`` (extras comma-separated); a module
whose packages above it already need the same extras has no row of its own,
since importing it imports them.
"""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from packaging.markers import Marker
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from poncho.analysis.analyze import analyze_source
from poncho.analysis.sites import Guard, ImportSite, Kind
from poncho.artifacts.limits import ArchiveLimits
from poncho.artifacts.release import newest_wheels
from poncho.artifacts.wheel import open_wheel, wheel_metadata
from poncho.artifacts.zips import read_member
from poncho.errors import BadResponse, NotFound, OverLimit
from poncho.net import SimpleIndex

from ..wheel_files import NOISE

_PARSE_LOCK = threading.Lock()
_TEST_PARTS = frozenset({"tests", "test", "testing", "conftest", "_testing"})
_NOT_IMPORTED = frozenset({"examples", "example", "benchmarks", "benchmark"})  # rows nobody looks up
# extras for working on the project, not for running it (``test``, ``dev``, ``docs``, ``test-full``)
_DEVELOPMENT_EXTRAS = frozenset({"test", "tests", "testing", "dev", "develop", "development", "doc", "docs",
                                 "lint", "linting", "typing", "mypy", "benchmark", "benchmarks", "build"})


def runtime_extra(extra: str) -> bool:
    """False for an extra that serves the project's development (``test``, ``dev``, ``doc``, ``p313-ml-test``)."""
    return not set(extra.split("-")) & _DEVELOPMENT_EXTRAS


def public_module(module: str) -> bool:
    """A module a user imports: no ``_private`` part, not under ``examples/`` or ``benchmarks/``."""
    return not any(p.startswith("_") or p in _NOT_IMPORTED for p in module.split("."))


@dataclass(frozen=True)
class ExtrasLimits:
    """What reading one project's code may cost."""

    files: int = 5000  # .py members analyzed per wheel
    bytes: int = 64 * 1024 ** 2  # bytes fetched from one wheel (range requests included)
    seconds: float = 120.0  # per project; past it the modules read so far decide


@dataclass
class ExtrasResult:
    """One project's extras step: its rows, or why it has none."""

    project: str
    distribution: str = ""
    version: str | None = None
    wheel: str | None = None
    extras: list[str] = field(default_factory=list)  # Provides-Extra
    files: int = 0  # .py members analyzed
    truncated: str = ""  # the bound that stopped the reading early, if any
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (module, distribution, "a,b")
    reason: str = ""


def _holds(marker: Marker | None, extra: str) -> bool:
    """Whether a requirement with ``marker`` applies when ``extra`` is asked for ("" for none), here."""
    if marker is None:
        return True
    try:
        return marker.evaluate({"extra": extra})
    except Exception:  # noqa: BLE001 - a marker this interpreter cannot evaluate says nothing
        return False


def extra_requirements(metadata: bytes) -> tuple[str, list[str], set[str], dict[str, set[str]]]:
    """``(name, extras, base, by_extra)`` from METADATA: canonical names required always and per extra.

    An extra's own self-references (``dask[array]; extra == "dataframe"``) are
    expanded, so ``by_extra["dataframe"]`` holds numpy too. Development extras
    (:func:`runtime_extra`) have no entry: a module never needs ``[test]``.
    """
    raw, _ = parse_email(metadata)
    name = str(raw.get("name") or "")
    me = canonicalize_name(name) if name else ""
    extras: list[str] = sorted({canonicalize_name(e) for e in raw.get("provides_extra") or ()})
    base: set[str] = set()
    direct: dict[str, set[str]] = {e: set() for e in extras}
    nested: dict[str, set[str]] = {e: set() for e in extras}
    for text in raw.get("requires_dist") or ():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        dist = canonicalize_name(req.name)
        marker = req.marker
        if _holds(marker, ""):  # required with no extra asked for
            if dist != me:
                base.add(dist)
            continue
        for extra in extras:
            if not _holds(marker, extra):
                continue
            if dist == me:
                nested[extra] |= {canonicalize_name(e) for e in req.extras}
            else:
                direct[extra].add(dist)
    by_extra: dict[str, set[str]] = {}
    for extra in filter(runtime_extra, extras):
        seen: set[str] = {extra}
        todo: list[str] = [extra]
        got: set[str] = set()
        while todo:
            e = todo.pop()
            got |= direct.get(e, set())
            for inner in nested.get(e, ()):
                if inner not in seen:
                    seen.add(inner)
                    todo.append(inner)
        by_extra[extra] = got - base
    return name, extras, base, by_extra


_LATER = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _walk_here(node: ast.AST) -> Iterable[ast.AST]:
    """``ast.walk`` that stays out of functions and classes (a ``raise`` there runs later, if ever)."""
    if isinstance(node, _LATER):
        return
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _walk_here(child)


def _suppresses_import_error(stmt: ast.With | ast.AsyncWith) -> bool:
    """``with suppress(ImportError):`` (jsonschema's optional format checkers)."""
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
               for item in stmt.items for n in ast.walk(item.context_expr))


def _reraises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(n, ast.Raise) for stmt in handler.body for n in _walk_here(stmt))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type)
             if isinstance(n, (ast.Name, ast.Attribute))}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def unconditional_import_lines(source: bytes) -> set[int]:
    """Lines of the import statements that always run when the module is imported.

    Directly in the module's body, in a ``with`` or ``try`` body, or in a
    ``try`` whose ``except ImportError`` raises again (dask's
    ``distributed.py`` re-raises with an install hint), but not under
    ``with suppress(ImportError)``. Imports under an
    ``if`` (``if not pa_version_under13p0: import pyarrow``, ``if
    TYPE_CHECKING``), in a loop or a function may not run and do not count.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    lines: set[int] = set()

    def collect(body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                lines.add(stmt.lineno)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                if not _suppresses_import_error(stmt):
                    collect(stmt.body)
            elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
                handlers = [h for h in getattr(stmt, "handlers", []) if _catches_import_error(h)]
                if all(_reraises(h) for h in handlers):
                    collect(getattr(stmt, "body", []))
                collect(getattr(stmt, "finalbody", []))

    collect(tree.body)
    return lines


def _needed(sites: Iterable[ImportSite], lines: set[int]) -> set[str]:
    """Modules imported by statements that always run (``lines``), with no marker."""
    return {s.module for s in sites
            if s.scope == "<module>" and s.marker is None and s.kind == Kind.STATIC
            and s.guard != Guard.TYPING and s.line in lines}


def _module_name(member: str) -> tuple[str, str] | None:
    """``dask/dataframe/__init__.py`` -> ``("dask.dataframe", "dask.dataframe")`` (module, package)."""
    if not member.endswith(".py") or ".dist-info/" in member or ".data/" in member:
        return None
    parts = member[:-3].split("/")
    if not all(p.isidentifier() for p in parts) or parts[0] in NOISE:
        return None
    if any(p in _TEST_PARTS or p.startswith("test_") or p.endswith("_test") for p in parts):
        return None  # a library's own tests need its test extra; no user imports them
    if parts[-1] == "__init__":
        module = ".".join(parts[:-1])
        return (module, module) if module else None
    return ".".join(parts), ".".join(parts[:-1])


_VENDOR_DIRS = frozenset({"_vendor", "vendor", "_vendored", "vendored", "extern", "_extern", "_vendor_packages"})


def _vendored_names(names: list[str]) -> set[str]:
    """Top-level names the wheel bundles under a vendor directory (``setuptools/_vendor/packaging``):
    setuptools puts them on ``sys.path``, so ``import packaging`` there needs no extra."""
    found = set()
    for name in names:
        parts = name.split("/")
        for i, part in enumerate(parts[:-1]):
            if part in _VENDOR_DIRS and i + 1 < len(parts):
                top = parts[i + 1].removesuffix(".py")
                if top.isidentifier():
                    found.add(top)
    return found


def _choose_extras(dists: set[str], by_extra: dict[str, set[str]]) -> tuple[str, ...]:
    """The fewest, smallest extras that bring ``dists`` (``dists`` and the extras are canonical names)."""
    chosen: set[str] = set()
    for dist in sorted(dists):
        offering = [e for e, reqs in by_extra.items() if dist in reqs]
        if offering:
            # the smallest; between equals, the one named like the distribution (pandas[pyarrow], not [feather])
            chosen.add(min(offering, key=lambda e: (len(by_extra[e]), e != dist, e)))
    kept = {e for e in chosen if not any(o != e and by_extra[e] < by_extra[o] for o in chosen)}
    return tuple(sorted(kept))


def module_extras(imports: dict[str, set[str]], own: Callable[[str], bool], to_dist: Callable[[str], str | None],
                  by_extra: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    """Each module's extras, from what it needs (``imports``), followed through the distribution's own modules."""
    extra_dists = set().union(*by_extra.values()) if by_extra else set()
    direct: dict[str, set[str]] = {}
    inner: dict[str, set[str]] = {}
    for module, needed in imports.items():
        direct[module], inner[module] = set(), set()
        for name in needed:
            if own(name):
                # `import dask.dataframe.core` runs each package above it too
                parts = name.split(".")
                inner[module] |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & imports.keys()
                continue
            dist = to_dist(name)
            if dist is not None and dist in extra_dists:
                direct[module].add(dist)
    needs = {m: set(d) for m, d in direct.items()}
    changed = True
    while changed:  # a fixed point over the distribution's own imports
        changed = False
        for module, others in inner.items():
            for other in others:
                if other != module and not needs[other] <= needs[module]:
                    needs[module] |= needs[other]
                    changed = True
    return {m: _choose_extras(d, by_extra) for m, d in needs.items() if d}


def compact_rows(distribution: str, found: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """Rows for modules whose extras are not already those of the packages above them."""
    rows = []
    for module in sorted(found):
        parts = module.split(".")
        above: set[str] = set()
        for i in range(1, len(parts)):
            above |= set(found.get(".".join(parts[:i]), ()))
        if not set(found[module]) <= above:
            rows.append((module, distribution, ",".join(found[module])))
    return rows


def project_extras(index: SimpleIndex, project: str, to_dist: Callable[[str], str | None],
                   limits: ExtrasLimits = ExtrasLimits(),
                   base_closure: Callable[[set[str]], set[str]] = lambda base: base) -> ExtrasResult:
    """Read one project's newest wheel and work out which of its modules need which extras.

    ``base_closure`` widens the base requirements to what they require in turn
    (the crawl's ``base_requires``): litellm's ``requests`` comes with its base
    requirement tiktoken, so the ``cli`` extra that lists it is not needed for it.
    """
    started = time.monotonic()
    res = ExtrasResult(project=project, distribution=project)
    try:
        page = index.project(project)
    except NotFound:
        res.reason = "not on the index"
        return res
    choice = newest_wheels(page.files)
    res.version = choice.version
    if not choice.wheels:
        res.reason = "no wheel"
        return res
    wheel = choice.wheels[0]
    res.wheel = wheel.filename
    archive = ArchiveLimits(compressed=limits.bytes)
    opened = open_wheel(index.session, wheel, archive)
    with opened.zip as zf:
        meta, _ = wheel_metadata(index.session, wheel, archive, opened)
        name, res.extras, base, by_extra = extra_requirements(meta)
        res.distribution = name or project
        anyway = base_closure(base)
        by_extra = {e: dists - anyway for e, dists in by_extra.items()}
        if not any(by_extra.values()):
            res.reason = "declares no extra with requirements" if res.extras else "declares no extras"
            return res
        me = canonicalize_name(res.distribution)
        members = sorted((i for i in zf.infolist() if _module_name(i.filename)), key=lambda i: i.header_offset)
        if len(members) > limits.files:
            res.truncated = f"{len(members)} modules, over {limits.files} files"
            members = members[: limits.files]
        imports: dict[str, set[str]] = {}
        for info in members:
            if time.monotonic() - started > limits.seconds:
                res.truncated = f"over {limits.seconds:.0f} s after {res.files} modules"
                break
            module, package = _module_name(info.filename) or ("", "")
            try:
                data = read_member(zf, info, wheel.url, archive)
            except OverLimit as exc:
                if exc.limit == "member":  # one huge generated module: the others still count
                    continue
                res.truncated = f"over {archive.describe('compressed')} fetched after {res.files} modules"
                break
            except BadResponse as exc:
                if exc.transient:
                    raise
                continue
            with _PARSE_LOCK:  # CPython 3.11's parser fails when several threads parse at once
                sites, _ = analyze_source(data, info.filename, package)
                imports[module] = _needed(sites, unconditional_import_lines(data))
            res.files += 1
        vendored = _vendored_names(zf.namelist())
    own_roots = {m.split(".", 1)[0] for m in imports}

    def own(name: str) -> bool:
        top = name.split(".", 1)[0]
        return top in vendored or (top in own_roots and to_dist(name) in (None, me))

    found = module_extras(imports, own, to_dist, by_extra)
    res.rows = compact_rows(res.distribution, {m: e for m, e in found.items() if public_module(m)})
    return res

"""The shipped index as a mapping source: longest dotted prefix, honest about ambiguity.

``import-index.tsv`` (written by the builder, :mod:`.build.store`) is read on
the first lookup, as one string split into lines: the lines are sorted by
import path, so a lookup is a binary search per dotted prefix and loading
costs no more than reading the file (a few milliseconds).

When several distributions provide a path the choice is made by
:func:`choose`: a distribution the analyzed project declares, then an exact
(normalized) name match, then the most downloaded; the others are kept as
``Mapping.alternatives`` and the reason says how to override.

A namespace several distributions share (``azure.storage``, ``google.cloud``,
``sphinxcontrib``: several ship the path itself and no one of them ships all
its subpackages) never answers for a submodule the index does not know:
``azure.storage.<new>`` is not the retired ``azure-storage``. The lookup
returns nothing and the next source (the live probe) or "unresolved" answers.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Mapping as _Table
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from .mapping import Mapping, Source, prefixes
from .neighbours import EMPTY, NEIGHBOURS_FILE, NEIGHBOURS_MIN, Evidence, Neighbourhood, parse_row, strongest, weigh

DATA_DIR = Path(__file__).parent / "data"  # the runtime data shipped in the wheel
INDEX_FILE = "import-index.tsv"
DEPENDENTS_FILE = "dependents.tsv"  # next to the index: reverse-dependency counts (see .build.store)
EXTRAS_FILE = "extras-index.tsv"  # next to the index: extras submodules need (see .build.extras)

# An exact-name match beats a more popular provider unless that one is at
# least this many times better ranked: ``import jwt`` is PyJWT (rank 44), not
# the unrelated ``jwt`` project (rank 2359); ``import serial`` is pyserial
# (1167), not ``serial`` (11087); but ``import psycopg2`` stays psycopg2 (555)
# though psycopg2-binary (147) provides it too.
EXACT_NAME_MARGIN = 5


# Reverse dependencies settle a choice between providers only when they are clear: the most
# depended-on candidate needs at least this many dependents and more than this many times the
# runner-up's. In the shipped tables: `import Xlib` is python-xlib (3 to 0); `import delta` stays
# delta-spark (databricks-connect, which bundles it, 4 to 2); `import psycopg2` stays psycopg2
# (psycopg2-binary, 29 to 8, is its variant: see _by_dependents).
DEPENDENTS_MIN = 3
DEPENDENTS_MARGIN = 2


@dataclass(frozen=True)
class Candidate:
    distribution: str
    rank: int
    dependents: int = 0  # crawled projects that require it (dependents.tsv); 0 when unknown
    neighbourhood: Neighbourhood = EMPTY  # what its dependents also require (neighbours.tsv), given a context


_IS_CANONICAL = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*").fullmatch


def _canonical(name: str) -> str:
    """``canonicalize_name``, skipped for a name already canonical (what the builder writes: a third of the cost)."""
    return name if _IS_CANONICAL(name) else canonicalize_name(name)


def _variant(path: str, pick: Candidate, candidates: list[Candidate]) -> bool:
    """Whether ``pick`` is named like a candidate named like the import plus a suffix (``psycopg2-binary``
    beside ``psycopg2``): a variant of the same project, which evidence about projects does not choose."""
    names = {canonicalize_name(c.distribution) for c in candidates}
    mine = canonicalize_name(pick.distribution)
    return any(mine.startswith(canonicalize_name(p) + "-") and canonicalize_name(p) in names for p in prefixes(path))


def _by_dependents(path: str, candidates: list[Candidate]) -> tuple[Candidate, str] | None:
    """The candidate the reverse-dependency evidence clearly favours, and why; None when it does not.

    A candidate named like the import plus a suffix (``psycopg2-binary`` beside
    ``psycopg2``) is a variant of the same-named project, not another project:
    choosing a binary or a source build is the resolver's business, so the
    evidence does not move the choice from one to the other.
    """
    ordered = sorted(candidates, key=lambda c: (-c.dependents, c.rank, c.distribution))
    top, runner = ordered[0], ordered[1]
    if top.dependents < DEPENDENTS_MIN or top.dependents <= DEPENDENTS_MARGIN * runner.dependents:
        return None
    if _variant(path, top, candidates):
        return None
    return top, (f"most depended on: {top.dependents} crawled projects require it, "
                 f"{runner.dependents} require {runner.distribution}")


def neighbour_evidence(candidates: list[Candidate], context: frozenset[str]) -> list[Evidence]:
    """Each candidate's neighbourhood laid over the project's ``context`` (see :mod:`.neighbours`)."""
    return weigh([(c.distribution, c.neighbourhood) for c in candidates], context)


def _by_neighbours(path: str, candidates: list[Candidate], context: frozenset[str],
                   fallback: Candidate) -> tuple[Candidate, str] | None:
    """The candidate the project's neighbours clearly favour, and why; None when they do not (or pick a variant).

    ``fallback`` is the pick without a context. When fewer than
    :data:`NEIGHBOURS_MIN` crawled projects require it, nothing says what
    projects that use it look like: any neighbour of another candidate
    (``requests`` beside libclang, against ``clang`` that no crawled project
    requires) would only be popularity, which the later rules weigh already.
    """
    if fallback.neighbourhood.projects < NEIGHBOURS_MIN:
        return None
    found = strongest(neighbour_evidence(candidates, context))
    if found is None:
        return None
    pick = next(c for c in candidates if c.distribution == found[0].distribution)
    return None if _variant(path, pick, candidates) else (pick, found[1])


def choose(path: str, candidates: list[Candidate], declared: _Table[str, str] | None = None,
           context: frozenset[str] = frozenset()) -> tuple[Candidate, str]:
    """The candidate to pick for ``path`` and why.

    A distribution the project declares (``declared``: canonical name -> where)
    comes first: ``psycopg2-binary`` in ``[project].dependencies`` beats
    ``psycopg2``. Then the one that projects using what this project uses
    (``context``: canonical names) clearly require (:mod:`.neighbours`):
    django-ninja for ``ninja`` in a Django project. Then the one far more projects depend on (``Candidate.dependents``,
    see :data:`DEPENDENTS_MARGIN`): ``python-crontab`` for ``crontab`` when the
    crawled projects say so. Then a distribution named like the path (or like its longest
    dotted prefix that names one: ``psycopg2`` for ``psycopg2.extras``), unless
    it is far less used than the most downloaded provider; then the most downloaded.
    """
    best = min(candidates, key=lambda c: (c.rank, c.distribution))
    if declared:
        mine = [c for c in candidates if canonicalize_name(c.distribution) in declared]
        if mine:
            pick = min(mine, key=lambda c: (c.rank, c.distribution))
            return pick, f"the project declares it ({declared[canonicalize_name(pick.distribution)]})"
    if len(candidates) == 1:
        return best, "the only distribution in the index that provides it"
    if context:
        by_context = _by_neighbours(path, candidates, context, choose(path, candidates)[0])
        if by_context is not None:
            return by_context
    by_count = _by_dependents(path, candidates)
    if by_count is not None:
        return by_count
    exact: list[Candidate] = []
    for prefix in prefixes(path):  # psycopg2.extras: psycopg2 is the name that matches
        want = canonicalize_name(prefix)
        exact = [c for c in candidates if canonicalize_name(c.distribution) == want]
        if exact:
            break
    if exact and exact[0] is not best:
        if exact[0].rank <= best.rank * EXACT_NAME_MARGIN:
            return exact[0], "its name matches the import"
        return best, (f"most downloaded (rank {best.rank}); the same-named {exact[0].distribution!r} "
                      f"(rank {exact[0].rank}) is far less used")
    if exact:
        return best, "its name matches the import and it is the most downloaded"
    return best, f"the most downloaded of {len(candidates)} (rank {best.rank})"


class ShippedIndex:
    """Mapping source over an ``import-index.tsv`` (the one shipped with poncho by default)."""

    source = Source.INDEX

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else DATA_DIR / INDEX_FILE
        self._lines: list[str] | None = None
        self._lock = threading.Lock()
        self._shared: dict[str, bool] = {}
        self._dependents: dict[str, int] | None = None
        self._extras: dict[str, dict[str, tuple[str, ...]]] | None = None
        self._neighbours: dict[str, str] | None = None  # canonical name -> its row, parsed when asked
        self._hoods: dict[str, Neighbourhood] = {}

    def _side_lines(self, name: str) -> list[str]:
        """Lines of a table next to the index (``dependents.tsv``, ``extras-index.tsv``); none when absent."""
        try:
            text = (self.path.parent / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise OSError(f"{self.path.parent / name}: cannot read: {exc.strerror or exc}") from exc
        return [line for line in text.splitlines() if line and not line.startswith("#")]

    def _side_table(self, name: str) -> list[list[str]]:
        return [line.split("\t") for line in self._side_lines(name)]

    def dependents(self, distribution: str) -> int:
        """How many crawled projects require ``distribution`` (0 when the table does not say)."""
        if self._dependents is None:
            with self._lock:
                if self._dependents is None:
                    self._dependents = {canonicalize_name(r[0]): int(r[1]) for r in self._side_table(DEPENDENTS_FILE)
                                        if len(r) == 2 and r[1].isdigit()}
        return self._dependents.get(canonicalize_name(distribution), 0)

    def neighbourhood(self, distribution: str) -> Neighbourhood:
        """What the crawled projects that require ``distribution`` also require, and what it requires
        (``neighbours.tsv``; empty when the table does not say)."""
        if self._neighbours is None:
            with self._lock:
                if self._neighbours is None:  # keyed by canonical name (a hand-edited row too); parsed when asked
                    self._neighbours = {_canonical(line.partition("\t")[0]): line
                                        for line in self._side_lines(NEIGHBOURS_FILE)}
        key = canonicalize_name(distribution)
        if key not in self._hoods:
            raw = self._neighbours.get(key)
            parsed = parse_row(raw.split("\t")) if raw is not None else None
            self._hoods[key] = parsed[1] if parsed is not None else EMPTY
        return self._hoods[key]

    def extras_for(self, module: str, distribution: str) -> tuple[tuple[str, ...], str | None]:
        """The extras of ``distribution`` that importing ``module`` needs, and the deepest module that says so.

        Importing ``a.b.c`` runs ``a`` and ``a.b`` first, so the rows of every
        package above it count (``extras-index.tsv``, built by :mod:`.build.extras`).
        """
        if self._extras is None:
            with self._lock:
                if self._extras is None:
                    table: dict[str, dict[str, tuple[str, ...]]] = {}
                    for row in self._side_table(EXTRAS_FILE):
                        if len(row) == 3:
                            table.setdefault(row[0], {})[canonicalize_name(row[1])] = \
                                tuple(e for e in row[2].split(",") if e)
                    self._extras = table
        dist = canonicalize_name(distribution)
        found: set[str] = set()
        where = None
        for prefix in reversed(prefixes(module)):
            got = self._extras.get(prefix, {}).get(dist)
            if got:
                found.update(got)
                where = prefix
        return tuple(sorted(found)), where

    def _load(self) -> list[str]:
        if self._lines is None:
            with self._lock:
                if self._lines is None:
                    try:
                        text = self.path.read_text(encoding="utf-8")
                    except OSError as exc:
                        raise OSError(f"{self.path}: cannot read the import index: {exc.strerror or exc}") from exc
                    lines = text.splitlines()
                    start = 0
                    while start < len(lines) and lines[start].startswith("#"):
                        start += 1
                    self._lines = lines[start:]
        return self._lines

    def __len__(self) -> int:
        return len(self._load())

    def candidates(self, path: str) -> list[Candidate]:
        """Every distribution the index says provides exactly ``path``, most downloaded first."""
        lines = self._load()
        key = path + "\t"
        i = bisect.bisect_left(lines, key)
        found: list[Candidate] = []
        while i < len(lines) and lines[i].startswith(key):
            _, dist, rank = lines[i].split("\t")
            found.append(Candidate(dist, int(rank)))
            i += 1
        found.sort(key=lambda c: (c.rank, c.distribution))
        if len(found) > 1:  # only a choice needs the evidence
            found = [Candidate(c.distribution, c.rank, self.dependents(c.distribution)) for c in found]
        return found

    def providers(self, module: str) -> list[str]:
        """Every distribution that provides ``module`` or a package above it, most specific first."""
        return list(dict.fromkeys(c.distribution for p in prefixes(module) for c in self.candidates(p)))

    def shared_namespace(self, path: str) -> bool:
        """True when ``path`` is a namespace several distributions share.

        Several distributions ship ``path`` itself, no one of them ships all
        its subpackages, and some subpackage comes from a distribution that
        does not ship ``path`` at all (a namespace portion):
        ``azure.storage`` (azure-storage and azure-storage-nspkg ship it;
        azure-storage-blob only ``azure.storage.blob``) is one. Variants and
        forks are not: ``psycopg2`` (psycopg2 and psycopg2-binary both ship
        all of it), ``jwt`` (PyJWT and the unrelated jwt each ship their own).
        """
        if path not in self._shared:
            shared = False
            owners = {c.distribution for c in self.candidates(path)}
            if len(owners) > 1:
                lines = self._load()
                key = path + "."
                i = bisect.bisect_left(lines, key)
                children: dict[str, set[str]] = {}
                while i < len(lines) and lines[i].startswith(key):
                    child_path, dist, _ = lines[i].split("\t")
                    child = child_path[len(key):].split(".", 1)[0]
                    if "." not in child_path[len(key):]:
                        children.setdefault(child, set()).add(dist)
                    i += 1
                if len(children) > 1:
                    shared = not set.intersection(*children.values()) and \
                        any(dists - owners for dists in children.values())
            self._shared[path] = shared
        return self._shared[path]

    def lookup(self, module: str) -> Mapping | None:
        return self.lookup_declared(module, None)

    def in_context(self, context: frozenset[str]) -> DeclaredIndex:
        """This index answering for a project whose other distributions are ``context`` (see :class:`Mapper`)."""
        return DeclaredIndex(self, {}, context)

    def lookup_declared(self, module: str, declared: _Table[str, str] | None,
                        context: frozenset[str] = frozenset()) -> Mapping | None:
        """:meth:`lookup`, preferring the ``declared`` distributions (canonical name -> where declared),
        then what projects using the ``context`` distributions require (:mod:`.neighbours`)."""
        for prefix in prefixes(module):
            cands = self.candidates(prefix)
            if not cands:
                continue
            namespace = self.shared_namespace(prefix)
            if namespace and prefix != module:
                # an unknown module inside a shared namespace: not the namespace root's owner (the probe may know)
                return None
            found: tuple[Evidence, ...] = ()
            if context and len(cands) > 1 and not (declared and any(canonicalize_name(c.distribution) in declared
                                                                    for c in cands)):
                cands = [replace(c, neighbourhood=self.neighbourhood(c.distribution)) for c in cands]
                found = tuple(e for e in neighbour_evidence(cands, context) if e.matched)
            chosen, why = choose(prefix, cands, declared, context)
            others = tuple(c.distribution for c in cands if c is not chosen)
            reason = f"shipped index: {chosen.distribution} provides {prefix!r}; {why}"
            if others:
                shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
                reason += (f"; also provided by {shown}: to choose another, set "
                           f"[tool.poncho.mapping] {prefix!r} = \"DIST\" in pyproject.toml or pass "
                           f"--map {prefix}=DIST")
            extras, where = self.extras_for(module, chosen.distribution)
            if extras:
                reason += (f"; needs {chosen.distribution}[{','.join(extras)}]: {where} imports what only "
                           f"{'that extra requires' if len(extras) == 1 else 'those extras require'} "
                           f"(extras index)")
            counts = tuple((c.distribution, c.dependents) for c in cands) if len(cands) > 1 else ()
            return Mapping(module, chosen.distribution, self.source, matched=prefix, alternatives=others,
                           reason=reason, namespace=namespace, extras=extras, dependents=counts, neighbours=found)
        return None


class DeclaredIndex:
    """The shipped index, preferring what the analyzed project declares when several provide a module,
    then what its ``context`` (the distributions its other imports need) points to."""

    source = Source.INDEX

    def __init__(self, index: ShippedIndex, declared: _Table[str, str],
                 context: frozenset[str] = frozenset()) -> None:
        self.index = index
        self.declared = dict(declared)
        self.context = frozenset(context)

    def in_context(self, context: frozenset[str]) -> DeclaredIndex:
        return DeclaredIndex(self.index, self.declared, context)

    def lookup(self, module: str) -> Mapping | None:
        return self.index.lookup_declared(module, self.declared, self.context)

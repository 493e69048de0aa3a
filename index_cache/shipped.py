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
import threading
from collections.abc import Mapping as _Table
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .mapping import Mapping, Source, prefixes

DATA_DIR = Path(__file__).parent / "data"  # the runtime data shipped in the wheel
INDEX_FILE = "import-index.tsv"

# An exact-name match beats a more popular provider unless that one is at
# least this many times better ranked: ``import jwt`` is PyJWT (rank 44), not
# the unrelated ``jwt`` project (rank 2359); ``import serial`` is pyserial
# (1167), not ``serial`` (11087); but ``import psycopg2`` stays psycopg2 (555)
# though psycopg2-binary (147) provides it too.
EXACT_NAME_MARGIN = 5


@dataclass(frozen=True)
class Candidate:
    distribution: str
    rank: int


def choose(path: str, candidates: list[Candidate],
           declared: _Table[str, str] | None = None) -> tuple[Candidate, str]:
    """The candidate to pick for ``path`` and why.

    A distribution the project declares (``declared``: canonical name -> where)
    comes first: ``psycopg2-binary`` in ``[project].dependencies`` beats
    ``psycopg2``. Then a distribution named like the path (or like its longest
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

    def lookup_declared(self, module: str, declared: _Table[str, str] | None) -> Mapping | None:
        """:meth:`lookup`, preferring the ``declared`` distributions (canonical name -> where declared)."""
        for prefix in prefixes(module):
            cands = self.candidates(prefix)
            if not cands:
                continue
            namespace = self.shared_namespace(prefix)
            if namespace and prefix != module:
                # an unknown module inside a shared namespace: not the namespace root's owner (the probe may know)
                return None
            chosen, why = choose(prefix, cands, declared)
            others = tuple(c.distribution for c in cands if c is not chosen)
            reason = f"shipped index: {chosen.distribution} provides {prefix!r}; {why}"
            if others:
                shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
                reason += (f"; also provided by {shown}: to choose another, set "
                           f"[tool.poncho.mapping] {prefix!r} = \"DIST\" in pyproject.toml or pass "
                           f"--map {prefix}=DIST")
            return Mapping(module, chosen.distribution, self.source, matched=prefix,
                           alternatives=others, reason=reason, namespace=namespace)
        return None


class DeclaredIndex:
    """The shipped index, preferring what the analyzed project declares when several provide a module."""

    source = Source.INDEX

    def __init__(self, index: ShippedIndex, declared: _Table[str, str]) -> None:
        self.index = index
        self.declared = dict(declared)

    def lookup(self, module: str) -> Mapping | None:
        return self.index.lookup_declared(module, self.declared)

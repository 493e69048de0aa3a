"""The builder's files on disk: the popularity list it reads, the tables it writes.

Output of a build (all sorted, tab-separated, one record a line, so a
re-build shows as a readable diff):

- ``import-index.tsv``: ``import_path  distribution  rank`` for every dotted
  path a distribution provides (several rows when several provide it);
- ``projects.tsv``: ``rank  project  status  version  wheels  skipped  reason``
  for every project of the input, indexed or not, and why;
- ``dependents.tsv``: ``distribution  dependents`` for every distribution
  that shares an import path with another: how many crawled projects name it
  in ``Requires-Dist`` (the evidence that settles ties before download rank);
- ``neighbours.tsv``: ``distribution  dependents  floor  neighbour:count,...
  requires,...`` for the same distributions: how many crawled projects
  require it, which others they also require and how many (its
  neighbourhood, :mod:`..neighbours`), the largest count not listed, and
  what it requires itself (``-`` when it was not crawled);
- ``extras-index.tsv`` (with ``--extras``, :mod:`.extras`): ``module
  distribution  extras`` for submodules that need an extra;
- ``manifest.json``: how, when and from where it was built.

Every file is written to a temporary name and moved into place with
``os.replace``, the manifest last: a reader never sees half a file.

The lookup (:mod:`poncho.index_cache.shipped`) reads ``import-index.tsv``
and the tables beside it (dependents, neighbours, extras); the popularity
list and a build's ``projects.tsv`` and ``manifest.json`` are builder data,
kept in the source tree under ``index_cache/build/data/``
and never shipped in the wheel.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name

from poncho.errors import ProjectListError
from poncho.fileio import write_atomic

from ..neighbours import NEIGHBOURS_FILE
from ..shipped import DEPENDENTS_FILE, EXTRAS_FILE, INDEX_FILE
from ..wheel_files import NOISE
from .results import INDEXED, ProjectResult

BUILD_DATA = Path(__file__).parent / "data"  # present in a source checkout only
TOP_LIST = BUILD_DATA / "pypi-top15000.tsv"
PROJECTS_FILE = "projects.tsv"
MANIFEST_FILE = "manifest.json"
INDEX_HEADER = "# import_path\tdistribution\trank  (poncho-resolve index; see manifest.json)\n"
DEPENDENTS_HEADER = ("# distribution\tdependents  (crawled projects whose Requires-Dist names it; only distributions "
                     "sharing an import path; see manifest.json)\n")
NEIGHBOURS_HEADER = ("# distribution\tdependents\tfloor\tneighbour:count,...\trequires,...|-  (crawled projects "
                     "requiring it, and it with each neighbour; floor: the largest count not listed; requires: "
                     "its own, - when not crawled; see manifest.json)\n")
NEIGHBOURS_LEAST = 2  # a pair fewer projects require together is not listed (one project is an anecdote) ...
NEIGHBOURS_SHARE = 0.05  # ... nor one less than this share of the distribution's dependents do
NEIGHBOURS_BUNDLE = 50  # a requirement list longer than this is a bundle (types-aiobotocore-*): not counted
EXTRAS_HEADER = "# module\tdistribution\textras  (poncho-resolve index build --extras; see manifest.json)\n"


def default_input() -> Path:
    """The popularity list ``index build`` reads without ``--input``: the checkout's top 15,000.

    It is builder data and not in the wheel, so an installed poncho-resolve
    needs ``--input``.
    """
    if not TOP_LIST.is_file():
        raise ProjectListError(f"--input is required: the default popularity list ({TOP_LIST.name}) ships only "
                               f"in a source checkout of poncho-resolve (index_cache/build/data/); give a TSV "
                               f"with 'rank' and 'name' columns")
    return TOP_LIST


def load_top_list(path: Path) -> list[tuple[int, str]]:
    """``(rank, project)`` pairs from a TSV with a header naming ``rank`` and ``name`` columns."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectListError(f"{path}: cannot read the project list: {exc.strerror or exc}") from exc
    lines = text.splitlines()
    if not lines:
        raise ProjectListError(f"{path}: empty project list")
    header = lines[0].split("\t")
    if "rank" not in header or "name" not in header:
        raise ProjectListError(f"{path}:1: expected a header with 'rank' and 'name' columns, got {lines[0]!r}")
    r_col, n_col = header.index("rank"), header.index("name")
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = line.split("\t")
        try:
            rank = int(cols[r_col])
            name = cols[n_col].strip()
        except (IndexError, ValueError):
            raise ProjectListError(f"{path}:{lineno}: expected '<rank>\\t<name>...', got {line!r}") from None
        if not name:
            raise ProjectListError(f"{path}:{lineno}: empty project name")
        key = canonicalize_name(name)
        if key not in seen:
            seen.add(key)
            out.append((rank, name))
    out.sort()
    return out


def _clean(text: str) -> str:
    return " ".join(str(text).split())  # no tabs or newlines inside a field


def index_rows(results: Iterable[ProjectResult]) -> list[tuple[str, str, int]]:
    """``(import_path, distribution, rank)`` rows, sorted.

    A path several distributions provide (``databricks`` with an
    ``__init__.py`` in each of databricks-sdk and databricks-sql-connector)
    also gets its providers' subpackages, so ``databricks.sdk`` finds its own.
    A directory without ``__init__.py`` inside another distribution's path
    (django-utils-six's ``django/utils/``, inside Django's ``django``) is
    recorded by the modules it holds (``django.utils.six``): the directory
    itself is the other distribution's, and a row for it would take
    ``from django.utils import timezone`` away from Django.
    """
    indexed = [r for r in results if r.status == INDEXED]
    providers: dict[str, set[str]] = {}
    for r in indexed:
        for path in r.provides:
            providers.setdefault(path, set()).add(canonicalize_name(r.project))
    rows: set[tuple[str, str, int]] = set()
    for r in indexed:
        dist = r.distribution or r.project
        mine = canonicalize_name(r.project)
        for path in r.provides:
            if path in r.loose and _inside_another(path, mine, providers):
                rows.update((child, dist, r.rank) for child in r.children if child.rsplit(".", 1)[0] == path)
                continue
            rows.add((path, dist, r.rank))
        for child in r.children:
            if len(providers.get(child.rsplit(".", 1)[0], ())) > 1:
                rows.add((child, dist, r.rank))
    # noise at the top (tests/, bin/) never maps, whichever way it came in (top_level.txt, Import-Name)
    return sorted((row for row in rows if row[0].split(".", 1)[0] not in NOISE),
                  key=lambda row: (row[0], row[2], row[1]))


def _inside_another(path: str, project: str, providers: dict[str, set[str]]) -> bool:
    """True when a package above ``path`` is provided by a distribution other than ``project``."""
    parts = path.split(".")
    return any(providers.get(".".join(parts[:i]), {project}) - {project} for i in range(1, len(parts)))


def render_index(results: Iterable[ProjectResult]) -> str:
    return INDEX_HEADER + "".join(f"{p}\t{d}\t{r}\n" for p, d, r in index_rows(results))


def dependents(results: Iterable[ProjectResult]) -> Counter[str]:
    """How many of ``results`` name each (canonical) distribution in ``Requires-Dist``, once per project."""
    counts: Counter[str] = Counter()
    for r in results:
        counts.update(set(r.requires) - {canonicalize_name(r.project)})
    return counts


def render_dependents(results: list[ProjectResult], rows: Iterable[tuple[str, str, int]] | None = None) -> str:
    """``dependents.tsv``: the counts of the distributions that share an import path with another.

    Only those can be in a tie, so the table stays small; a distribution no
    crawled project requires has no row (it counts as 0). ``rows`` are the
    index rows that say which are shared: this build's by default, or those
    of another index (a bounded crawl counting for the full shipped index).
    """
    contested = _contested(results, rows)
    counts = dependents(results)
    table = sorted((d, counts[d]) for d in contested if counts[d])
    return DEPENDENTS_HEADER + "".join(f"{d}\t{n}\n" for d, n in table)


def _contested(results: list[ProjectResult], rows: Iterable[tuple[str, str, int]] | None) -> set[str]:
    """Canonical names of the distributions that share an import path with another in ``rows``."""
    by_path: dict[str, set[str]] = {}
    for path, dist, _ in (index_rows(results) if rows is None else rows):
        by_path.setdefault(path, set()).add(dist)
    return {canonicalize_name(d) for dists in by_path.values() if len(dists) > 1 for d in dists}


def co_requirements(results: Iterable[ProjectResult], wanted: set[str]) -> dict[str, tuple[int, Counter[str]]]:
    """For each of ``wanted``: how many of ``results`` require it, and how many of those each other distribution.

    Only runtime requirements (no extra) count, on both sides: a project that
    names a distribution only under an extra (``test``, ``docs``, ``dev``)
    says what its developers use, not what projects like it run (counting
    them made documentation and release tools look like data-science
    libraries). A list of more than :data:`NEIGHBOURS_BUNDLE` names is a
    bundle (a meta-package naming every service's stubs) and is not counted.
    """
    out: dict[str, tuple[int, Counter[str]]] = {d: (0, Counter()) for d in sorted(wanted)}
    for r in results:
        base = set(r.base_requires) - {canonicalize_name(r.project)}
        for d in base & wanted:
            others = base - {d}
            if len(others) < NEIGHBOURS_BUNDLE:
                n, counts = out[d]
                counts.update(others)
                out[d] = (n + 1, counts)
    return out


def render_neighbours(results: list[ProjectResult], rows: Iterable[tuple[str, str, int]] | None = None) -> str:
    """``neighbours.tsv``: the neighbourhood of each distribution that shares an import path (see ``rows``
    in :func:`render_dependents`), for the neighbour rule (:mod:`poncho.index_cache.neighbours`).

    Per distribution: the crawled projects counted (:func:`co_requirements`);
    every neighbour that at least :data:`NEIGHBOURS_LEAST` of them, and at
    least :data:`NEIGHBOURS_SHARE` of them, require too, most first (ties by
    name); ``floor``, the largest count not listed (the lookup assumes it for
    a neighbour it does not find); and its own runtime requirements when it
    was crawled (``-`` when not). Same journal and index, same bytes.
    """
    contested = _contested(results, rows)
    own: dict[str, list[str]] = {canonicalize_name(r.project): sorted(r.base_requires) for r in results}
    lines = []
    for dist, (n, counts) in co_requirements(results, contested).items():
        least = max(NEIGHBOURS_LEAST, math.ceil(n * NEIGHBOURS_SHARE))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [kv for kv in ranked if kv[1] >= least]
        floor = ranked[len(kept)][1] if len(ranked) > len(kept) else 0
        requires = ",".join(own[dist]) if dist in own else "-"
        if n or dist in own:
            lines.append(f"{dist}\t{n}\t{floor}\t{','.join(f'{x}:{c}' for x, c in kept)}\t{requires}\n")
    return NEIGHBOURS_HEADER + "".join(lines)


def read_index_rows(path: Path) -> list[tuple[str, str, int]]:
    """The rows of an ``import-index.tsv``."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            p, d, r = line.split("\t")
            out.append((p, d, int(r)))
    return out


def render_extras(rows: Iterable[tuple[str, str, str]]) -> str:
    return EXTRAS_HEADER + "".join(f"{m}\t{d}\t{e}\n" for m, d, e in sorted(set(rows)))


def render_projects(results: Iterable[ProjectResult]) -> str:
    lines = ["rank\tproject\tstatus\tversion\twheels\tskipped\treason\n"]
    for r in sorted(results, key=lambda r: (r.rank, canonicalize_name(r.project))):
        lines.append("\t".join([str(r.rank), r.project, r.status, r.version or "",
                                " ".join(r.wheels), " ".join(r.skipped), _clean(r.reason)]) + "\n")
    return "".join(lines)


def write_outputs(out_dir: Path, results: list[ProjectResult], manifest: dict) -> None:
    """The tables, each atomically, the manifest last."""
    write_atomic(out_dir / INDEX_FILE, render_index(results))
    write_atomic(out_dir / DEPENDENTS_FILE, render_dependents(results))
    write_atomic(out_dir / NEIGHBOURS_FILE, render_neighbours(results))
    write_atomic(out_dir / PROJECTS_FILE, render_projects(results))
    write_manifest(out_dir, manifest)


def patch_rows(base: Iterable[tuple[str, str, int]], built: Iterable[tuple[str, str, int]],
               projects: Iterable[str]) -> list[tuple[str, str, int]]:
    """``base`` (a shipped index's rows) with every row of ``projects`` replaced by ``built``'s, sorted as
    :func:`index_rows` sorts.

    How a few projects are added or re-read without crawling 15,000 again
    (``index build --input data/supplement.tsv --patch-index import-index.tsv``):
    projects outside the popularity list seen on real code, or one whose
    rows a crawler fix changes. Rows of other distributions are kept as they are.
    """
    mine = {canonicalize_name(p) for p in projects}
    rows = {row for row in base if canonicalize_name(row[1]) not in mine}
    rows.update(built)
    return sorted(rows, key=lambda row: (row[0], row[2], row[1]))


def write_patched_index(out_dir: Path, base: Path, results: list[ProjectResult]) -> int:
    """Write ``out_dir``'s import index as ``base`` patched with ``results`` (:func:`patch_rows`); the row count."""
    indexed = [r for r in results if r.status == INDEXED]
    projects = {r.distribution or r.project for r in indexed} | {r.project for r in indexed}
    rows = patch_rows(read_index_rows(base), index_rows(results), projects)
    write_atomic(out_dir / INDEX_FILE, INDEX_HEADER + "".join(f"{p}\t{d}\t{r}\n" for p, d, r in rows))
    return len(rows)


def write_extras(out_dir: Path, rows: Iterable[tuple[str, str, str]]) -> None:
    write_atomic(out_dir / EXTRAS_FILE, render_extras(rows))


def write_manifest(out_dir: Path, manifest: dict) -> None:
    write_atomic(out_dir / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True) + "\n")

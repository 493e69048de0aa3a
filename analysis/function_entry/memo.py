"""A definition's walk kept on disk: a warm ``lock_for(fn)`` in a new process parses nothing and never loads libcst.

Importing libcst costs ~0.17 s of CPU, more than the rest of a warm
``lock_for`` in a new process. An entry is keyed by what the caller asks
(the file, the qualname and line, the roots, the Python, the working
directory that display paths are relative to) and by the analyzer's code. It
holds the walk (:class:`.walked.Walked`) and every answer the file system
gave it: the sha256 of each file the tree handed out (of the very bytes the
walk parsed, so a file edited during the walk is walked again), each module lookup
(``find``, ``is_module``, ``source_for``) and the program's top-level names.
A later run asks the same questions of a fresh :class:`.modules.ModuleTree`
(stat calls and small reads, no parse) and uses the entry only if every
answer is the same, so an edited helper module, a new ``helpers.py`` that
now shadows a package, or a removed file all walk again. The Analysis is
assembled afresh either way (:func:`.walked.assemble`).

Entries are JSON written atomically (never pickle: a cache directory is not
trusted to run code); one that does not read back is a miss and is rewritten.
They live under the analysis cache (``<cache>/analysis/functions``), whose
daily sweep removes the ones unused for a month (``SiteCache.sweep``); a hit
marks an entry used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from poncho.fileio import code_digest, write_cache_entry
from poncho.paths import cache_root

from .. import cache as site_cache
from ..analyze import Analysis
from ..roots import SourceFile
from ..sites import Diagnostic, ImportSite
from .modules import ModuleTree
from .walked import Walked, assemble

__all__ = ["cached_definition"]

SCHEMA = 1
MAX_ENTRY = 16 * 1024 * 1024


class RecordingTree(ModuleTree):
    """A ModuleTree that remembers every answer it gave: what the walk depended on."""

    def __init__(self, roots: Sequence[Path], primary: int | None = None) -> None:
        super().__init__(roots, primary)
        self.found: dict[str, SourceFile | None] = {}
        self.modules: dict[str, bool] = {}
        self.sources: dict[str, SourceFile] = {}
        self.names: frozenset[str] | None = None
        self.parsed: dict[str, str | None] = {}  # path -> sha256 of the bytes the walk read (None: unreadable)

    def read(self, source: SourceFile) -> bytes:
        try:
            data = super().read(source)
        except OSError:
            self.parsed[str(source.path)] = None
            raise
        self.parsed[str(source.path)] = hashlib.sha256(data).hexdigest()
        return data

    def find(self, module: str) -> SourceFile | None:
        self.found[module] = found = super().find(module)
        return found

    def is_module(self, module: str) -> bool:
        self.modules[module] = answer = super().is_module(module)
        return answer

    def source_for(self, path: Path) -> SourceFile:
        self.sources[str(path)] = source = super().source_for(path)
        return source

    @property
    def first_party(self) -> frozenset[str]:
        self.names = names = super().first_party
        return names


def cached_definition(path: Path, qualname: str, *, line: int | None, roots: Sequence[Path | str],
                      python_version: tuple[int, int] | str | None,
                      directory: Path | None = None) -> Analysis:
    """:func:`.analyze.analyze_definition` for a definition on disk, answered from the cache when nothing the
    walk read or looked up has changed; ``directory`` defaults to ``<cache>/analysis/functions``."""
    path = Path(path)
    where = Path(directory) if directory is not None else cache_root() / "analysis" / site_cache.FUNCTIONS
    key = _key(path, qualname, line, roots, python_version)
    entry = where / key[:2] / f"{key[2:]}.json"
    tree = ModuleTree.for_file(path, roots)
    walked = _read(entry, path, tree)
    if walked is None:
        from .analyze import EntryNotFound, walk_definition  # libcst: only when the walk runs

        recording = RecordingTree.for_file(path, roots)
        walked = walk_definition(path, qualname, recording, line=line, python_version=python_version)
        if not any(isinstance(d, EntryNotFound) for d in walked.diagnostics):  # callers tell that one by type
            if write_cache_entry(entry, json.dumps(_entry(recording, walked), separators=(",", ":")), "analysis") \
                    and where.name == site_cache.FUNCTIONS and where.parent.name == "analysis":
                site_cache.SiteCache(where.parent).sweep()  # at most once a day: a lock_for-only user's cache too
    return assemble(tree, python_version, walked)


def _key(path: Path, qualname: str, line: int | None, roots: Sequence[Path | str],
         python_version: tuple[int, int] | str | None) -> str:
    walker = code_digest(Path(__file__).resolve().parent)  # the walker's own code: analyzer_digest does not cover it
    h = hashlib.sha256(f"{SCHEMA}\0{site_cache.analyzer_digest()}\0{walker}".encode())
    h.update(json.dumps([str(path.resolve()), qualname, line, [str(Path(r).resolve()) for r in roots],
                         str(python_version), os.getcwd()]).encode())
    return h.hexdigest()


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _source_row(source: SourceFile | None) -> list | None:
    return None if source is None else [str(source.path), str(source.root), source.module, source.is_package]


def _entry(tree: RecordingTree, walked: Walked) -> dict[str, Any]:
    files = {str(s.path) for s in [*tree.found.values(), *tree.sources.values()] if s is not None} | set(tree.parsed)
    by_file: dict[str, list[ImportSite]] = {}
    for site in walked.sites:
        by_file.setdefault(site.file, []).append(site)
    return {
        "schema": SCHEMA,
        "files": sorted([f, tree.parsed[f] if f in tree.parsed else _digest(Path(f))] for f in files),
        "found": sorted([m, _source_row(s)] for m, s in tree.found.items()),
        "modules": sorted([m, b] for m, b in tree.modules.items()),
        "sources": sorted([p, _source_row(s)] for p, s in tree.sources.items()),
        "names": None if tree.names is None else sorted(tree.names),
        "sites": [[f, site_cache.dump(sites, []).decode()] for f, sites in by_file.items()],
        "diagnostics": [[d.file, site_cache.dump([], [d]).decode()] for d in walked.diagnostics],  # in order
        "reached": walked.files,
        "reached_sources": [_source_row(s) for s in walked.sources],
    }


def _read(entry: Path, path: Path, tree: ModuleTree) -> Walked | None:
    """The stored walk if every answer it depended on is still the same; None for a miss."""
    try:
        with open(entry, "rb") as fh:
            data = json.loads(fh.read(MAX_ENTRY + 1))
            site_cache.mark_used(fh.fileno(), site_cache.DAY)
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        if any(_digest(Path(f)) != d for f, d in data["files"]):
            return None
        if any(_source_row(tree.source_for(Path(p))) != row for p, row in data["sources"]):
            return None
        if any(_source_row(tree.find(m)) != row for m, row in data["found"]):
            return None
        if any(tree.is_module(m) != b for m, b in data["modules"]):
            return None
        if data["names"] is not None and sorted(tree.first_party) != data["names"]:
            return None
        sites: list[ImportSite] = []
        diags: list[Diagnostic] = []
        for file, raw in data["sites"]:
            sites += site_cache.load(raw.encode(), file)[0]
        for file, raw in data["diagnostics"]:
            diags += site_cache.load(raw.encode(), file)[1]
        sources = [SourceFile(Path(p), Path(r), m, bool(pkg)) for p, r, m, pkg in data["reached_sources"]]
        return Walked(sorted(set(sites)), diags, int(data["reached"]), sources)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None

"""The Analysis of one callable: find its definition, walk what it reaches, keep those sites.

Import sites are the ones :func:`analysis.analyze.analyze_source` finds
inside the reached regions, and the result is built and classified by the
same helpers as a whole-tree run (:meth:`Analysis.of_scope`,
:func:`~analysis.analyze.apply_target`), so a callable's records classify
like the tree's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analyze import Analysis, analyze_source
from ..entry import parse_entry
from ..roots import SourceFile, source_roots
from ..sites import Code, Diagnostic, ImportSite
from .definitions import definitions, listing, locate
from .tree import ModuleTree, display_path
from .walked import Walked, assemble
from .walker import Walker

__all__ = ["EntryNotFound", "analyze_definition", "analyze_function", "walk_definition"]


@dataclass(frozen=True)
class EntryNotFound(Diagnostic):
    """The entry itself is missing: callers treat this as a usage error, not a warning."""

    code: Code = field(default=Code.ENTRY_NOT_FOUND, compare=False)


def analyze_function(
    entry: str,
    roots: Sequence[Path | str] | None = None,
    python_version: tuple[int, int] | str | None = None,
) -> Analysis:
    """The import sites one callable needs, as an :class:`Analysis` of its own.

    ``entry`` is ``path/to/file.py:handler``, ``path/to/file.py:Class.method`` or
    ``package.module:function`` (looked up under ``roots``; by default the
    current directory and its ``src/``). ``roots`` are the directories the
    program's own imports resolve from; by default they are derived from the
    file (see :func:`analysis.roots.file_roots`). An entry that is not found
    yields no sites and one diagnostic naming what the module defines.
    """
    spec = parse_entry(entry)
    if spec.path is not None:
        path = spec.path
        if not path.is_file():
            return _empty(roots or [path.parent], python_version,
                          EntryNotFound(str(path), 0, "entry file not found"))
        return analyze_definition(path, spec.qualname, roots=roots, python_version=python_version)
    root_list = [Path(r) for r in roots] if roots else source_roots(Path.cwd())
    tree = ModuleTree(root_list)
    source = tree.find(spec.module or "")
    if source is None:
        where = ", ".join(str(r) for r in tree.roots)
        return _empty(root_list, python_version,
                      EntryNotFound(spec.module or "", 0, f"module {spec.module!r} not found under {where}"))
    return analyze_definition(source.path, spec.qualname, roots=root_list, python_version=python_version)


def analyze_definition(
    path: Path | str,
    qualname: str,
    *,
    line: int | None = None,
    roots: Sequence[Path | str] | None = None,
    python_version: tuple[int, int] | str | None = None,
    text: str | bytes | None = None,
    label: str | None = None,
) -> Analysis:
    """The sites one definition in ``path`` needs; the engine behind :func:`analyze_function`.

    ``qualname`` is a ``__qualname__`` (``outer.<locals>.inner``, ``C.m``,
    ``<lambda>``); ``line`` (a ``co_firstlineno``) picks among same-named
    definitions and lambdas. ``text``/``label`` analyze source that is not on
    disk (a notebook cell kept by linecache) under a display name.
    """
    path = Path(path)
    tree = ModuleTree.for_file(path, roots)
    return assemble(tree, python_version, walk_definition(path, qualname, tree, line=line,
                                                          python_version=python_version, text=text, label=label))


def walk_definition(path: Path, qualname: str, tree: ModuleTree, *, line: int | None = None,
                    python_version: tuple[int, int] | str | None = None, text: str | bytes | None = None,
                    label: str | None = None) -> Walked:
    """What :func:`analyze_definition` finds, before it is made an Analysis; every module is looked up
    through ``tree`` (the function-entry cache records those lookups)."""
    walker = Walker(tree, python_version)
    source = tree.source_for(path) if text is None else SourceFile(path, path.parent, "", False)
    display = label or (str(path) if not path.is_absolute() else display_path(path))
    flow = walker.load(source, text=text, label=display)
    if flow is None:
        return _walked(walker)
    nodes = locate(flow, qualname, line)
    if not nodes:
        defined = listing(definitions(flow))
        walker.diagnostics.append(EntryNotFound(display, line or 0,
                                                f"no function or class {qualname!r} in {display}; "
                                                f"it defines: {defined}"))
        walker.reached.pop(flow.label, None)
        return _walked(walker)
    for node in nodes:
        walker.add(flow, node)
    walker.run()
    return _walked(walker)


def _walked(walker: Walker) -> Walked:
    sites: list[ImportSite] = []
    diagnostics = list(walker.diagnostics)
    reached = [s for s in walker.reached.values() if s.regions or s.imports]
    for state in reached:
        found, diags = analyze_source(state.flow.text, state.flow.source)
        sites.extend(_relabel(s, state.flow.label) for s in found if state.selects(s))
        diagnostics.extend(replace(d, file=state.flow.label) for d in diags)
    return Walked(sorted(set(sites)), diagnostics, len(reached), [s.flow.source for s in reached])


def _relabel(site: ImportSite, label: str) -> ImportSite:
    return site if site.file == label else replace(site, file=label)


def _empty(roots: Sequence[Path | str], python_version: tuple[int, int] | str | None, diag: Diagnostic) -> Analysis:
    return assemble(ModuleTree([Path(r) for r in roots]), python_version, Walked(diagnostics=[diag]))

"""The program's own modules for a function entry: finding them under the roots, and reading one.

:class:`ModuleTree` finds first-party modules the way the import system
does; :class:`ParsedModule` is one of them parsed with libcst and the scope,
position and parent metadata the reach walker needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import Access, GlobalScope

from ..roots import SourceFile, package_root, top_level_names

__all__ = ["ModuleTree", "ParsedModule", "Pos", "display_path", "module_level_statements", "walk_nodes"]

Pos = tuple[int, int]


class ModuleTree:
    """First-party modules under the roots, found the way the import system finds them."""

    def __init__(self, roots: Iterable[Path], primary: int | None = None) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        # the roots a whole-tree analysis would be given (not an entry script's own directory)
        self.primary = self.roots[:primary] if primary else list(self.roots)
        self._cache: dict[str, SourceFile | None] = {}
        self._names: frozenset[str] | None = None

    @property
    def first_party(self) -> frozenset[str]:
        """Top-level names the roots define: imports of these are followed into their modules."""
        if self._names is None:
            self._names = top_level_names(self.roots)
        return self._names

    def find(self, module: str) -> SourceFile | None:
        """The file that defines ``module`` (``__init__.py`` for a package); None if none."""
        if module not in self._cache:
            self._cache[module] = self._find(module)
        return self._cache[module]

    def is_module(self, module: str) -> bool:
        if self.find(module) is not None:
            return True
        parts = module.split(".")
        return any((root.joinpath(*parts)).is_dir() for root in self.roots)  # PEP 420 directory

    def _find(self, module: str) -> SourceFile | None:
        parts = module.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        for root in self.roots:
            base = root.joinpath(*parts)
            if (base / "__init__.py").is_file():
                return SourceFile(base / "__init__.py", root, module, True)
            if base.with_name(parts[-1] + ".py").is_file():
                return SourceFile(base.with_name(parts[-1] + ".py"), root, module, False)
        return None

    def source_for(self, path: Path) -> SourceFile:
        """The SourceFile of a file given by path, named the way Python would import it.

        The root is the deepest one at or above the file's package root, so
        ``pkg/tasks.py`` is ``pkg.tasks`` even when the file's own directory
        is a root too.
        """
        path = path.resolve()
        climbed = package_root(path)
        containing = [r for r in self.roots if path.is_relative_to(r)]
        above = [r for r in containing if climbed.is_relative_to(r)]
        for root in sorted(above or containing, key=lambda r: len(r.parts), reverse=True):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                return SourceFile(path, root, ".".join(parts), is_package)
        return SourceFile(path, path.parent, path.stem if path.stem.isidentifier() else "", False)


class ParsedModule:
    """One module parsed with libcst, with the metadata the name flow needs."""

    def __init__(self, source: SourceFile, text: str | bytes, label: str) -> None:
        self.source = source
        self.label = label  # the file name used in ImportSite.file
        self.text = text
        module = cst.parse_module(text)
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.global_scope: GlobalScope = next(s for s in self.scopes.values() if isinstance(s, GlobalScope))
        self.accesses: dict[int, list[Access]] = {}
        for scope in {s for s in self.scopes.values() if s is not None}:
            for access in scope.accesses:
                self.accesses.setdefault(id(access.node), []).append(access)
        self.future_annotations = any(
            isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(x, cst.ImportFrom) and x.module is not None
                    and get_full_name_for_node(x.module) == "__future__"
                    and not isinstance(x.names, cst.ImportStar)
                    and any(get_full_name_for_node(a.name) == "annotations" for a in x.names)
                    for x in s.body)
            for s in module.body
        )

    def span(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        r = self.positions[node]
        return (r.start.line, r.start.column), (r.end.line, r.end.column)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def star_imports(self) -> list[cst.ImportFrom]:
        return [x for s in module_level_statements(self.module.body)
                if isinstance(s, cst.SimpleStatementLine)
                for x in s.body if isinstance(x, cst.ImportFrom) and isinstance(x.names, cst.ImportStar)]

    def side_effects(self) -> list[cst.CSTNode]:
        """Top-level bare calls: they run whenever the module is imported."""
        found: list[Any] = []
        for s in self.module.body:
            if isinstance(s, cst.SimpleStatementLine):
                found.extend(x for x in s.body if isinstance(x, cst.Expr) and _has_call(x.value))
        return found


def _has_call(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) or any(_has_call(c) for c in node.children)


def module_level_statements(body: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Statements that run at import time, looking into if/try/with/for blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        for block in _blocks(stmt):
            yield from module_level_statements(block)


def _blocks(stmt: cst.CSTNode) -> Iterator[Iterable[cst.CSTNode]]:
    if isinstance(stmt, (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.TryStar)):
        for child in stmt.children:
            if isinstance(child, cst.IndentedBlock):
                yield child.body
            elif isinstance(child, (cst.If, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
                yield from _blocks(child)
    elif (isinstance(stmt, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler))
          and isinstance(stmt.body, cst.IndentedBlock)):
        yield stmt.body.body
    if isinstance(stmt, cst.If) and stmt.orelse is not None:
        yield from _blocks(stmt.orelse)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        for h in stmt.handlers:
            yield from _blocks(h)
        for extra in (stmt.orelse, stmt.finalbody):
            if extra is not None:
                yield from _blocks(extra)


def walk_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything below it."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def display_path(path: Path) -> str:
    """A path as users see it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

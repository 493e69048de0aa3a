"""The program's own modules for a function entry: finding them under the roots, and reading one.

:class:`ModuleTree` finds first-party modules the way the import system
does; :class:`ParsedModule` is one of them parsed with libcst and the scope,
position and parent metadata the reach walker needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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

from ..parsing import PARSE_LOCK
from ..roots import SourceFile
from .modules import ModuleTree, display_path  # libcst-free, re-exported here

__all__ = ["ModuleTree", "ParsedModule", "Pos", "display_path", "module_level_statements", "walk_nodes"]

Pos = tuple[int, int]


class ParsedModule:
    """One module parsed with libcst, with the metadata the name flow needs."""

    def __init__(self, source: SourceFile, text: str | bytes, label: str) -> None:
        self.source = source
        self.label = label  # the file name used in ImportSite.file
        self.text = text
        with PARSE_LOCK:  # one parse at a time, as for the whole-tree parser (analysis.parsing)
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

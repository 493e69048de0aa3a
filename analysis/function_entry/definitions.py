"""Definition lookup: which syntax a qualified name (``C.m``, ``outer.<locals>.inner``) names in a module."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from .tree import ParsedModule, module_level_statements, walk_nodes

__all__ = ["definitions", "listing", "locate"]


def definitions(flow: ParsedModule) -> dict[str, list[cst.CSTNode]]:
    """Qualified names the module defines at import time -> their nodes (a name may be defined twice)."""
    found: dict[str, list[cst.CSTNode]] = {}

    def add(prefix: str, body: Iterable[cst.CSTNode], nested_in_function: bool) -> None:
        for stmt in module_level_statements(body):
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                name = f"{prefix}{stmt.name.value}"
                found.setdefault(name, []).append(stmt)
                if isinstance(stmt.body, cst.IndentedBlock):
                    add(f"{name}.", stmt.body.body, isinstance(stmt, cst.FunctionDef))
            elif isinstance(stmt, cst.SimpleStatementLine) and not nested_in_function:
                for small in stmt.body:
                    for target in _assigned_names(small):
                        found.setdefault(f"{prefix}{target}", []).append(stmt)

    add("", flow.module.body, False)
    return found


def _assigned_names(small: cst.CSTNode) -> list[str]:
    if isinstance(small, cst.Assign):
        return [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return [small.target.value]
    return []


def listing(defs: dict[str, list[cst.CSTNode]]) -> str:
    """The functions and classes a module defines, for a message naming what an entry could have been."""
    shown = [name for name, nodes in defs.items()
             if any(isinstance(n, (cst.FunctionDef, cst.ClassDef)) or _is_lambda_assignment(n) for n in nodes)]
    return ", ".join(sorted(shown)) or "no functions or classes"


def _is_lambda_assignment(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Assign, cst.AnnAssign)) and isinstance(s.value, cst.Lambda) for s in node.body)


def locate(flow: ParsedModule, qualname: str, line: int | None) -> list[cst.CSTNode]:
    """Nodes for ``qualname`` (``outer.<locals>.inner``, ``<lambda>`` at ``line``); [] if absent."""
    parts = [p for p in qualname.split(".") if p != "<locals>"]
    lambda_tail = parts and parts[-1] == "<lambda>"
    if lambda_tail:
        parts = parts[:-1]
    if parts:
        candidates = definitions(flow).get(".".join(parts), [])
    else:
        candidates = [flow.module]
    if line is not None and len(candidates) > 1:
        containing = [n for n in candidates if _contains_line(flow, n, line)]
        candidates = containing or candidates
    if lambda_tail:
        lambdas: list[cst.CSTNode] = [n for c in candidates for n in walk_nodes(c) if isinstance(n, cst.Lambda)]
        if line is not None:
            lambdas = [n for n in lambdas if flow.span(n)[0][0] == line]
        return lambdas
    return candidates


def _contains_line(flow: ParsedModule, node: cst.CSTNode, line: int) -> bool:
    (start, _), (end, _) = flow.span(node)
    if isinstance(node, cst.FunctionDef | cst.ClassDef) and node.decorators:
        start = min(start, flow.span(node.decorators[0])[0][0])
    return start <= line <= end

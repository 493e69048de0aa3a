"""The libcst import collector: the fallback for syntax newer than the running Python.

libcst's parser knows Python 3.9-3.14 whatever interpreter runs it, but it
is far slower than ``ast``, so only files that ``ast`` rejects come here. It
finds static imports (with scope and bound names), not guards or dynamic
imports.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import PositionProvider

from .relative import resolve_relative
from .sites import ImportSite, Kind


class ImportCollector(cst.CSTVisitor):
    """Collects every import statement at any depth (functions, classes, branches), with libcst."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, file: str, package: str) -> None:
        super().__init__()
        self.file = file
        self.package = package
        self.sites: list[ImportSite] = []
        self.unresolved_relative: list[tuple[int, str]] = []
        self._scope: list[str] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def _add(self, node: cst.CSTNode, module: str, binds: str | None = None, imported_name: str | None = None) -> None:
        pos = self.get_metadata(PositionProvider, node).start
        self.sites.append(ImportSite(
            file=self.file, line=pos.line, column=pos.column, module=module, kind=Kind.STATIC,
            scope=".".join(self._scope) or "<module>", binds=binds, imported_name=imported_name,
            note="found by the libcst fallback parser (syntax newer than the running Python); guards not analyzed",
        ))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if name:
                named = alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                bound = alias.asname.name.value if named else name.split(".")[0]  # type: ignore[union-attr]
                self._add(node, name, bound)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        level = len(node.relative)
        module = get_full_name_for_node(node.module) if node.module is not None else None
        base = resolve_relative(level, module, self.package)
        pos = self.get_metadata(PositionProvider, node).start
        if base is None:
            self.unresolved_relative.append((pos.line, "." * level + (module or "")))
            return
        if isinstance(node.names, cst.ImportStar):
            self._add(node, base, imported_name="*")
            return
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if module is None:
                self._add(node, f"{base}.{name}", _bound(alias), name)
            else:
                self._add(node, base, _bound(alias), name)


def _bound(alias: cst.ImportAlias) -> str | None:
    if alias.asname and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return get_full_name_for_node(alias.name)

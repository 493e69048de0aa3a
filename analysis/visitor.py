"""The libcst visitor that turns one module's syntax tree into ImportSite records."""

from __future__ import annotations

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import PositionProvider

from .sites import ImportSite, Kind


def resolve_relative(level: int, module: str | None, package: str) -> str | None:
    """Absolute name of ``from <level dots><module> import ...`` inside ``package``.

    Mirrors importlib._bootstrap._resolve_name; None when it climbs above the top.
    """
    if level == 0:
        return module
    bits = package.split(".") if package else []
    if level - 1 > len(bits) or (not bits and level >= 1):
        return None
    base = ".".join(bits[: len(bits) - (level - 1)]) if level > 1 else package
    if not base:
        return None
    return f"{base}.{module}" if module else base


class ImportCollector(cst.CSTVisitor):
    """Collects every import statement at any depth (functions, classes, branches)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, file: str, package: str) -> None:
        super().__init__()
        self.file = file
        self.package = package
        self.sites: list[ImportSite] = []
        self.unresolved_relative: list[tuple[int, str]] = []
        self._scope: list[str] = []

    # scopes ---------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def _add(self, node: cst.CSTNode, module: str, binds: str | None = None) -> None:
        pos = self.get_metadata(PositionProvider, node).start
        self.sites.append(
            ImportSite(
                file=self.file,
                line=pos.line,
                column=pos.column,
                module=module,
                kind=Kind.STATIC,
                scope=".".join(self._scope) or "<module>",
                binds=binds,
            )
        )

    # imports --------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if name:
                bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name.split(".")[0]
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
            self._add(node, base)
            return
        if module is None:
            # `from . import x`: each name may be a submodule of the package.
            for alias in node.names:
                self._add(node, f"{base}.{get_full_name_for_node(alias.name)}", _bound(alias))
            return
        for alias in node.names:
            self._add(node, base, _bound(alias))


def _bound(alias: cst.ImportAlias) -> str | None:
    if alias.asname and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return get_full_name_for_node(alias.name)

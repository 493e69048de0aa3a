"""Finding a function entry's first-party modules under the roots, the way the import system does.

Kept apart from :mod:`.tree` (libcst) so that what only looks modules up (the function-entry cache checking
an entry, ``--with-module-imports``) never loads the parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from ..roots import SourceFile, file_roots, package_root, top_level_names

__all__ = ["ModuleTree", "display_path"]

_Tree = TypeVar("_Tree", bound="ModuleTree")


class ModuleTree:
    """First-party modules under the roots, found the way the import system finds them."""

    def __init__(self, roots: Iterable[Path], primary: int | None = None) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        # the roots a whole-tree analysis would be given (not an entry script's own directory)
        self.primary = self.roots[:primary] if primary else list(self.roots)
        self._cache: dict[str, SourceFile | None] = {}
        self._names: frozenset[str] | None = None

    @classmethod
    def for_file(cls: type[_Tree], path: Path, roots: Iterable[Path | str] | None = None) -> _Tree:
        """The tree a definition in ``path`` is walked in: ``roots`` when given, else the file's own roots
        (the first of which is primary)."""
        root_list = [Path(r) for r in roots] if roots else file_roots(path)
        return cls(root_list, primary=None if roots else 1)

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

    def read(self, source: SourceFile) -> bytes:
        """The bytes of a module the walk parses (one place, so a recording tree sees what was parsed)."""
        return source.path.read_bytes()

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


def display_path(path: Path) -> str:
    """A path as users see it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

"""Where the analyzed program's own modules live, by Python's import semantics.

A *root* is a directory that would be on ``sys.path`` when the program runs:
the directory given on the command line (or its ``src/``), or the parent of a
package directory given directly. Names defined at the top of a root are
first-party; a ``yaml.py`` deeper inside a package is not a top-level ``yaml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "env",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules", "build", "dist",
     ".eggs", "site-packages"}
)


@dataclass(frozen=True)
class SourceFile:
    """A file to analyze and the dotted module name it has under its root."""

    path: Path
    root: Path
    module: str  # "" when the file is not importable by name (e.g. a script with a dash)
    is_package: bool  # True for __init__.py

    @property
    def package(self) -> str:
        """The package relative imports are resolved against."""
        if self.is_package:
            return self.module
        return self.module.rpartition(".")[0]


def _roots_for(path: Path) -> list[Path]:
    if path.is_file():
        start = path.parent
    else:
        start = path
    # A directory that is itself a package is imported from its parent.
    while (start / "__init__.py").is_file() and start.parent != start:
        start = start.parent
    roots = [start]
    src = start / "src"
    if path.is_dir() and src.is_dir() and not (src / "__init__.py").exists():
        roots.insert(0, src)
    return roots


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not all(p.isidentifier() for p in parts):
        return "", is_package
    return ".".join(parts), is_package


def iter_source_files(paths: list[Path], suffixes: tuple[str, ...] = (".py",)) -> list[SourceFile]:
    """Every analyzable file under ``paths``, each with its root and module name."""
    found: dict[Path, SourceFile] = {}
    for given in paths:
        given = Path(given)
        roots = _roots_for(given)
        if given.is_file():
            candidates = [given]
        else:
            candidates = []
            for dirpath, dirnames, filenames in os.walk(given, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
                candidates.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffixes))
        for file in candidates:
            root = next((r for r in roots if _is_within(file, r)), roots[-1])
            module, is_package = _module_name(file, root)
            found.setdefault(file, SourceFile(file, root, module, is_package))
    return sorted(found.values(), key=lambda f: str(f.path))


def first_party_names(files: list[SourceFile]) -> frozenset[str]:
    """Top-level names the analyzed tree defines at its roots."""
    names: set[str] = set()
    for f in files:
        if f.module:
            names.add(f.module.split(".", 1)[0])
    return frozenset(names)


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True

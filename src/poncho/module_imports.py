"""``--with-module-imports``: what runs when a function's module is imported, added to the function's own needs.

A per-function lock holds what the function reaches. Anything that imports
the function's module by reference (Dask or Ray pickling a function by
reference, an AWS Lambda handler ``handlers.main``) also runs the module's
top-level imports, so ``import handlers`` fails on ``import boto3`` when only
the function's needs were locked. This adds the module-scope import sites of
those modules (not imports inside other functions or classes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis import Analysis

MODULE_SCOPE = "<module>"


def module_imports(files: Sequence[Path], python_version: tuple[int, int] | str | None = None) -> Analysis:
    """The third-party imports at module scope of ``files``, classified as a tree analysis of them would."""
    from poncho.analysis import analyze

    analysis = analyze(list(dict.fromkeys(files)), python_version=python_version, jobs=1, cache=False)
    return replace(analysis, sites=[s for s in analysis.third_party if s.scope == MODULE_SCOPE])


def with_module_imports(base: Analysis, files: Sequence[Path],
                        python_version: tuple[int, int] | str | None = None) -> Analysis:
    """``base`` plus the module-scope imports of ``files`` (the modules its functions live in)."""
    extra = module_imports(files, python_version)
    return replace(base, sites=sorted(set(base.sites) | set(extra.sites)),
                   diagnostics=[*base.diagnostics, *extra.diagnostics])


def entry_module_file(entry: str) -> Path | None:
    """The file a ``file.py:func`` or ``pkg.mod:func`` entry lives in (None when it cannot be found)."""
    from poncho.analysis.entry import parse_entry
    from poncho.analysis.function_entry.modules import ModuleTree
    from poncho.analysis.roots import source_roots

    spec = parse_entry(entry)
    if spec.path is not None:
        return spec.path if spec.path.is_file() else None
    source = ModuleTree(source_roots(Path.cwd())).find(spec.module or "")
    return source.path if source is not None else None

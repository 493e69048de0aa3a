"""Analyze a source tree: files -> ImportSite records, classified."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper

from .roots import SourceFile, first_party_names, iter_source_files
from .sites import Diagnostic, ImportSite
from .stdlib import stdlib_names
from .visitor import ImportCollector


@dataclass
class Analysis:
    """Everything the analyzer learned about a tree; the mapping stage reads ``third_party``."""

    sites: list[ImportSite] = field(default_factory=list)
    first_party: frozenset[str] = frozenset()
    stdlib: frozenset[str] = frozenset()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0

    def classify(self, site: ImportSite) -> str:
        """``stdlib``, ``first-party`` or ``third-party``."""
        top = site.top_level
        if top in self.first_party:
            return "first-party"
        if top in self.stdlib:
            return "stdlib"
        return "third-party"

    @property
    def third_party(self) -> list[ImportSite]:
        return [s for s in self.sites if self.classify(s) == "third-party"]


def analyze_source(source: str | bytes, file: SourceFile | str, package: str = "") -> tuple[list[ImportSite], list[Diagnostic]]:
    """Sites in one module's text; never imports or executes it."""
    name = str(file.path) if isinstance(file, SourceFile) else str(file)
    if isinstance(file, SourceFile):
        package = file.package
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return [], [Diagnostic(name, exc.raw_line, f"cannot parse: {exc.message}")]
    except Exception as exc:  # libcst raises a few non-syntax errors on odd input
        return [], [Diagnostic(name, 1, f"cannot parse: {exc}")]
    collector = ImportCollector(name, package)
    MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
    diags = [Diagnostic(name, line, f"relative import {rel!r} goes above the top-level package")
             for line, rel in collector.unresolved_relative]
    return collector.sites, diags


def analyze(paths: Iterable[str | Path], python_version: tuple[int, int] | None = None) -> Analysis:
    """Analyze files and directories as the program that contains them."""
    files = iter_source_files([Path(p) for p in paths])
    result = Analysis(first_party=first_party_names(files), stdlib=stdlib_names(python_version), files=len(files))
    for f in files:
        try:
            data = f.path.read_bytes()
        except OSError as exc:
            result.diagnostics.append(Diagnostic(str(f.path), 0, f"cannot read: {exc.strerror or exc}"))
            continue
        sites, diags = analyze_source(data, f)
        result.sites.extend(sites)
        result.diagnostics.extend(diags)
    result.sites.sort()
    return result

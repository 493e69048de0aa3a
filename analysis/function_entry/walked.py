"""What walking one definition found, and the Analysis made from it.

Kept apart from :mod:`.analyze` (libcst) so that an Analysis can be made from a stored walk
(:mod:`.memo`) without loading the parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..analyze import Analysis, apply_target
from ..roots import SourceFile, first_party
from ..sites import Diagnostic, ImportSite
from .modules import ModuleTree

__all__ = ["Walked", "assemble"]


@dataclass
class Walked:
    """The sites and diagnostics of the reached regions, how many files were reached, and which."""

    sites: list[ImportSite] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    sources: Sequence[SourceFile] = ()


def assemble(tree: ModuleTree, python_version: tuple[int, int] | str | None, walked: Walked) -> Analysis:
    """An Analysis shaped like the one :func:`analysis.analyze` returns for the tree's primary roots."""
    scope = first_party(list(tree.primary), list(walked.sources))
    result = Analysis.of_scope(scope, python_version, sites=list(walked.sites),
                               diagnostics=[*walked.diagnostics, *scope.diagnostics], files=walked.files)
    apply_target(result)
    result.sites.sort()
    return result

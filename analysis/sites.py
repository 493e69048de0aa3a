"""The records the analyzer emits: one ``ImportSite`` per place a module is needed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Kind(str, enum.Enum):
    """How an import was found; later stages trust static sites most."""

    STATIC = "static"  # import / from-import statement
    DYNAMIC = "dynamic"  # importlib.import_module, __import__, find_spec ...
    PLUGIN = "plugin"  # implied by a plugin rule (URL scheme, engine name, ...)
    HINT = "hint"  # a weaker signal, e.g. `%pip install x` in a notebook


class Guard(str, enum.Enum):
    """Whether the program needs the module to run at all."""

    REQUIRED = "required"
    OPTIONAL = "optional"  # inside try/except ImportError, or a find_spec probe
    TYPING = "typing"  # inside `if TYPE_CHECKING:`; never needed at run time


@dataclass(frozen=True, order=True)
class ImportSite:
    """One place where the analyzed program needs a module.

    ``module`` is absolute and dotted (relative imports are already resolved).
    ``marker`` is a PEP 508 marker string when the import sits under a
    version or platform test; ``distribution`` is set only by rules that name
    a distribution directly rather than a module.
    """

    file: str
    line: int
    module: str
    column: int = 0
    kind: Kind = Kind.STATIC
    scope: str = "<module>"
    guard: Guard = Guard.REQUIRED
    marker: str | None = None
    distribution: str | None = None
    cell: int | None = None
    binds: str | None = None  # the local name the import binds (`np` for `import numpy as np`)
    alternative: str | None = None  # the module tried in the `except ImportError` branch
    note: str | None = field(default=None, compare=False)
    rule: str | None = field(default=None, compare=False)  # id of the plugin/dynamic rule that found it
    imported_name: str | None = None  # `c` in `from a.b import c` (may be the submodule a.b.c); "*" for star imports
    # the module an `except ImportError:` branch stands in for (`simplejson` under a failed `import json`)
    fallback_for: str | None = field(default=None, compare=False)
    # a requirement on another distribution under which a plugin rule's need holds ("sqlalchemy>=2.1"
    # for psycopg from a bare postgresql:// URL); sites of one place with conditions are alternatives
    condition: str | None = None

    @property
    def top_level(self) -> str:
        return self.module.split(".", 1)[0]

    @property
    def location(self) -> str:
        """``path:line`` (``path:cell N:line`` in notebooks), as shown to users."""
        if self.cell is not None:
            return f"{self.file}:cell {self.cell}:{self.line}"
        return f"{self.file}:{self.line}"


# One diagnostic record for every stage (re-exported here, where the analyzer's users look).
from poncho.diagnostics import Code, Diagnostic, Severity  # noqa: E402

__all__ = ["Code", "Diagnostic", "Guard", "ImportSite", "Kind", "Severity"]

"""Import names decided by rule rather than by lookup: ``data/import-names.txt``.

Two lists, both data so they are easy to read and extend:

- *runtime* names (``__main__``, ``__builtin__``, Jython's ``java.*``) are
  provided by the interpreter or the platform; they never map, and a site
  importing one is set aside with a note, not reported as unmapped;
- *usually-local* names (``config``, ``settings``, ``utils``, ...) are most
  often a module the project keeps out of version control. A distribution that
  happens to ship a top-level ``config`` is no evidence that the code meant
  it: they map only when the project declares a distribution that provides
  them (or the user maps them). Otherwise they stay unmapped with the fix, and
  the live probe is never asked about them: a guessed name on the index is how
  dependency confusion lands.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping as _Table
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from .mapping import Mapping, Source, prefixes

NAMES_FILE = Path(__file__).parent / "data" / "import-names.txt"


class NameListError(ValueError):
    """The shipped name list is malformed: a packaging bug (exit 70), never the user's input."""


@dataclass(frozen=True)
class NameRules:
    runtime: frozenset[str]
    usually_local: frozenset[str]

    def is_runtime(self, module: str) -> bool:
        """``module`` or a package above it is provided at run time (``java.util`` by ``java``)."""
        return any(p in self.runtime for p in prefixes(module))

    def is_usually_local(self, module: str) -> bool:
        return module.split(".", 1)[0] in self.usually_local


def parse_names(text: str) -> NameRules:
    """``[section]`` headers, then one dotted name a line; ``#`` starts a comment."""
    sections: dict[str, set[str]] = {"runtime": set(), "usually-local": set()}
    current: set[str] | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.get(line[1:-1])
            if current is None:
                raise NameListError(f"{NAMES_FILE.name}:{n}: unknown section {line}")
            continue
        if current is None or not all(p.isidentifier() for p in line.split(".")):
            raise NameListError(f"{NAMES_FILE.name}:{n}: expected a dotted name inside a section, got {raw!r}")
        current.add(line)
    return NameRules(frozenset(sections["runtime"]), frozenset(sections["usually-local"]))


@functools.cache
def name_rules() -> NameRules:
    """The shipped lists (read once)."""
    return parse_names(NAMES_FILE.read_text(encoding="utf-8"))


RUNTIME = "runtime"  # Mapping.withheld values
USUALLY_LOCAL = "usually-local"
NAMESPACE = "namespace"  # a portion of a shared namespace that no source knows
RUNTIME_REASON = "provided by the interpreter or the platform at run time (never mapped to a distribution)"


def local_reason(module: str) -> str:
    top = module.split(".", 1)[0]
    return (f"{top!r} is usually the project's own module, and it is not in the analyzed tree: not mapped "
            f"(add {top}.py to the tree, declare the distribution that provides it in pyproject.toml or "
            f"requirements.txt, or pass --map {top}=DIST)")


def namespace_reason(module: str, namespace: str) -> str:
    return (f"{namespace!r} is a namespace several distributions share, and none that the index or the "
            f"probe knows provides {module!r}: not given to the namespace's owner (pass --map {module}=DIST "
            f"or set [tool.poncho.mapping] \"{module}\" = \"DIST\")")


class NameGate:
    """Mapping source placed after the user's overrides: rules that stop the lookup.

    A runtime name answers "unresolved, provided at run time"; a usually-local
    name answers "unresolved, not in the tree" unless one of the ``declared``
    distributions (canonical name -> where declared) provides it according to
    ``provides(module)`` (the shipped index's candidates), or is named like it.
    Anything else passes on to the next source.
    """

    source = Source.UNRESOLVED

    def __init__(self, declared: _Table[str, str] | None = None, provides: object = None,
                 rules: NameRules | None = None) -> None:
        self.declared = dict(declared or {})
        self._provides = provides  # callable: module -> iterable of distribution names
        self.rules = rules or name_rules()

    def lookup(self, module: str) -> Mapping | None:
        if self.rules.is_runtime(module):
            return Mapping(module, None, Source.UNRESOLVED, reason=RUNTIME_REASON, withheld=RUNTIME)
        if not self.rules.is_usually_local(module):
            return None
        if self._declared_provider(module):
            return None  # evidence from the project: let the index (which prefers declared names) decide
        return Mapping(module, None, Source.UNRESOLVED, reason=local_reason(module), withheld=USUALLY_LOCAL)

    def _declared_provider(self, module: str) -> bool:
        if not self.declared:
            return False
        if any(canonicalize_name(p) in self.declared for p in prefixes(module)):
            return True
        if callable(self._provides):
            return any(canonicalize_name(d) in self.declared for d in self._provides(module))
        return False

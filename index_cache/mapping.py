"""The record and protocol of the mapping stage: import path -> distribution.

Sources are consulted in order (user override > installed environment >
shipped index > live probe); the first that knows an answer wins and the
answer says which source decided, the dotted prefix that matched and any
alternatives, so ``explain`` and lock comments can show why.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from .neighbours import Evidence


class Source(str, enum.Enum):
    OVERRIDE = "override"
    ENVIRONMENT = "environment"
    INDEX = "index"
    PROBE = "probe"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Mapping:
    """Which distribution provides ``module``, and why we think so."""

    module: str
    distribution: str | None
    source: Source
    matched: str | None = None  # the dotted prefix of ``module`` that decided
    alternatives: tuple[str, ...] = ()
    reason: str = ""
    extras: tuple[str, ...] = ()  # extras the code needs (``dask[distributed]`` from a mapping)
    namespace: bool = False  # ``matched`` is a namespace several distributions share (``azure.storage``)
    withheld: str | None = None  # the rule that kept it unmapped: "runtime", "usually-local", "namespace" (.names)
    specifier: str = ""  # a version range the module needs (``setuptools<82`` for pkg_resources, .dropped)
    # (distribution, dependents) of every provider when several provide ``matched`` (dependents.tsv)
    dependents: tuple[tuple[str, int], ...] = ()
    # how each provider's neighbourhood met the project's other distributions, when it did (neighbours.tsv)
    neighbours: tuple[Evidence, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.distribution is not None


@runtime_checkable
class MappingSource(Protocol):
    """Anything that may know which distribution provides an import path."""

    source: Source

    def lookup(self, module: str) -> Mapping | None:
        """The mapping for ``module``, or None when this source does not know."""


@runtime_checkable
class ContextualSource(Protocol):
    """A source whose choice among several providers may depend on the project's other distributions."""

    def in_context(self, context: frozenset[str]) -> MappingSource:
        """This source, answering for a project that needs the ``context`` distributions (canonical names)."""


def prefixes(module: str) -> list[str]:
    """``a.b.c`` -> ``["a.b.c", "a.b", "a"]``: longest prefix first."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


class Mapper:
    """Asks each source in order; remembers answers for the run."""

    def __init__(self, sources: Sequence[MappingSource]) -> None:
        self.sources = list(sources)
        self._plain: list[MappingSource] | None = None  # the sources before any context
        self._memo: dict[str, Mapping] = {}
        self.context: frozenset[str] = frozenset()

    def use_context(self, context: frozenset[str]) -> None:
        """Answer from now on for a project that needs the ``context`` distributions (canonical names).

        Only a choice among several providers can change, so only those answers
        are forgotten; the rest (and whatever the probe learned) are kept.
        """
        context = frozenset(context)
        if context == self.context:
            return
        self.context = context
        if self._plain is None:
            self._plain = list(self.sources)
        self.sources = [s.in_context(context) if isinstance(s, ContextualSource) else s for s in self._plain]
        self._memo = {k: m for k, m in self._memo.items() if not m.alternatives}

    def map(self, module: str) -> Mapping:
        if module not in self._memo:
            self._memo[module] = self._map(module)
        return self._memo[module]

    def _map(self, module: str) -> Mapping:
        for src in self.sources:
            found = src.lookup(module)
            if found is not None:
                return found
        return Mapping(module, None, Source.UNRESOLVED,
                       reason="no source knows this module; add [tool.poncho.mapping] or --map")

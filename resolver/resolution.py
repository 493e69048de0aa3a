"""The records a resolution produces: :class:`Pin` and :class:`Resolution`.

Kept apart from :mod:`.resolve` (which runs resolvelib) so that whatever only reads a resolution (the
resolution cache, the lock builder, the universal merge) never loads resolvelib: a repeated lock answered
from the cache does not need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from poncho.net import IndexFile

from .target import Target

if TYPE_CHECKING:  # pragma: no cover
    from .repository import FetchStats

__all__ = ["Pin", "Resolution"]


@dataclass(frozen=True)
class Pin:
    """One distribution of the resolved set."""

    name: NormalizedName
    display_name: str
    version: Version
    files: tuple[IndexFile, ...]
    parents: tuple[NormalizedName, ...]  # empty for a direct requirement only
    direct: bool
    extras: frozenset[str] = frozenset()
    index_url: str = ""  # the index the files were listed by


@dataclass
class Resolution:
    pins: dict[NormalizedName, Pin]
    target: Target
    warnings: list[str] = field(default_factory=list)
    rounds: int = 0
    # "name version": newer releases skipped because the index failed to serve them (--allow-fallback)
    fallbacks: list[str] = field(default_factory=list)
    # what it cost on the wire (pages, metadata, critical-path round trips), when the repository counts
    fetches: FetchStats | None = None

    def summary(self) -> str:
        """One line for -v: pins, rounds, and the network's share."""
        text = f"{len(self.pins)} pins in {self.rounds} rounds"
        if self.fetches is not None:
            f = self.fetches
            text += (f"; {f.pages} pages and {f.metadata} metadata files fetched, {f.round_trips} sequential "
                     f"round trips on the critical path ({f.speculated} fetched ahead of the resolver)")
        return text

    def __iter__(self):
        return iter(sorted(self.pins.values(), key=lambda p: p.name))

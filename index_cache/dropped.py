"""Modules that newer releases of their distribution dropped: ``data/dropped-modules.tsv``.

``import pkg_resources`` needs setuptools, but setuptools 82 no longer ships
it (81.0.0 is the last wheel with ``pkg_resources/__init__.py``): locking the
newest setuptools gives a program that fails at its first line. The table is
data, one row per module, and a lookup answers with the distribution and the
upper bound (``setuptools<82``), which the mapping stage carries into
resolution like a declared range.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .mapping import Mapping, Source, prefixes

DROPPED_FILE = Path(__file__).parent / "data" / "dropped-modules.tsv"


class DroppedListError(ValueError):
    """The shipped table is malformed: a packaging bug (exit 70), never the user's input."""


@dataclass(frozen=True)
class Dropped:
    module: str
    distribution: str
    removed_in: Version  # the first release without the module
    evidence: str


def parse_dropped(text: str) -> dict[str, Dropped]:
    """Tab-separated rows ``module, distribution, first release without it, evidence``; ``#`` comments."""
    out: dict[str, Dropped] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != 4 or not all(p.isidentifier() for p in cells[0].split(".")):
            raise DroppedListError(f"{DROPPED_FILE.name}:{n}: expected module, distribution, version, evidence")
        try:
            version = Version(cells[2])
        except InvalidVersion:
            raise DroppedListError(f"{DROPPED_FILE.name}:{n}: {cells[2]!r} is not a version") from None
        out[cells[0]] = Dropped(cells[0], cells[1], version, cells[3])
    return out


@functools.cache
def dropped_modules() -> dict[str, Dropped]:
    return parse_dropped(DROPPED_FILE.read_text(encoding="utf-8"))


class DroppedModules:
    """Mapping source placed before the shipped index: a dropped module maps with its upper bound."""

    source = Source.INDEX

    def __init__(self, table: dict[str, Dropped] | None = None) -> None:
        self.table = dropped_modules() if table is None else table

    def lookup(self, module: str) -> Mapping | None:
        for prefix in prefixes(module):
            row = self.table.get(prefix)
            if row is not None:
                bound = f"<{row.removed_in}"
                return Mapping(module, row.distribution, self.source, matched=prefix, specifier=bound,
                               reason=f"{row.distribution} {row.removed_in} and later no longer ship {prefix!r}: "
                                      f"{row.distribution}{bound} ({row.evidence})")
        return None

"""A small hand-checked table of import names that differ from their distribution.

It stands in front of the full shipped index for the most common mismatches;
every entry was checked against the wheel's file list.
"""

from __future__ import annotations

from .mapping import Mapping, Source, prefixes

KNOWN: dict[str, str] = {
    "yaml": "PyYAML",
    "_yaml": "PyYAML",
    "PIL": "Pillow",
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "attr": "attrs",
    "jwt": "PyJWT",
    "zmq": "pyzmq",
    "google.protobuf": "protobuf",
}


class KnownNames:
    """The table above as a mapping source (longest dotted prefix wins)."""

    source = Source.INDEX

    def __init__(self, table: dict[str, str] | None = None) -> None:
        self.table = dict(KNOWN if table is None else table)

    def lookup(self, module: str) -> Mapping | None:
        for prefix in prefixes(module):
            dist = self.table.get(prefix)
            if dist:
                return Mapping(module, dist, self.source, matched=prefix, reason="known mismatch table")
        return None

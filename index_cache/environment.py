"""The installed environment as a mapping source (``--use-env``, opt-in).

What is installed is the best evidence of what the code runs with: when
``opencv-python-headless`` is installed, ``import cv2`` means it, not the
more popular ``opencv-python``. Each installed distribution's file list
(``RECORD`` via :mod:`importlib.metadata`) is read with the same rules as a
wheel's (:func:`.wheel_files.provided_modules`), so namespace packages map
by their subpackage; a distribution without a file list falls back to
``top_level.txt``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from packaging.utils import canonicalize_name

from .mapping import Mapping, Source, prefixes
from .wheel_files import provided_modules


class EnvironmentSource:
    """Mapping source over the distributions installed on ``path`` (default: ``sys.path``)."""

    source = Source.ENVIRONMENT

    def __init__(self, path: Sequence[str] | None = None) -> None:
        self.path = list(path) if path is not None else None
        self._table: dict[str, list[str]] | None = None
        self._lock = threading.Lock()

    def _scan(self) -> dict[str, list[str]]:
        with self._lock:
            if self._table is not None:
                return self._table
            table: dict[str, set[str]] = {}
            import importlib.metadata as md  # with email.*: only when an environment is asked (--use-env)

            dists = md.distributions(path=self.path) if self.path is not None else md.distributions()
            for dist in dists:
                name = dist.metadata["Name"] if dist.metadata else None
                if not name:
                    continue
                files = dist.files
                if files is not None:
                    provided, _ = provided_modules([f.as_posix() for f in files])
                else:
                    text = dist.read_text("top_level.txt") or ""
                    provided = {line.strip() for line in text.splitlines() if line.strip().isidentifier()}
                for p in provided:
                    table.setdefault(p, set()).add(name)
            self._table = {k: sorted(v, key=canonicalize_name) for k, v in table.items()}
            return self._table

    def lookup(self, module: str) -> Mapping | None:
        table = self._scan()
        for prefix in prefixes(module):
            dists = table.get(prefix)
            if not dists:
                continue
            want = canonicalize_name(prefix)
            chosen = next((d for d in dists if canonicalize_name(d) == want), dists[0])
            others = tuple(d for d in dists if d != chosen)
            reason = f"installed: {chosen} provides {prefix!r}"
            if others:
                reason += (f"; also installed: {', '.join(others)} (choose with --map {prefix}=DIST)")
            return Mapping(module, chosen, self.source, matched=prefix, alternatives=others, reason=reason)
        return None

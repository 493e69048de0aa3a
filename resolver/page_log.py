"""A project source that remembers what it served: the resolution cache's record of the pages it read.

Kept apart from :mod:`.cache` so that answering from the cache never loads the HTTP client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from packaging.utils import canonicalize_name

from poncho.errors import NotFound
from poncho.net import ProjectPage

from .cache import MISSING, compact_digest, page_digest

if TYPE_CHECKING:  # pragma: no cover
    from poncho.net.page_cache import CompactPage

    from .repository import ProjectSource

_Page = TypeVar("_Page")


class PageLog:
    """A project source (an index, find-links) that keeps the digest of each page read through it.

    It reads pages the way the source offers them: ``compact`` (an index's page cache, decoded once per
    change) where the source has one, ``project`` otherwise. Thread-safe: the repository's fetch
    threads share it.
    """

    def __init__(self, source: ProjectSource) -> None:
        self.source = source
        self.index_url = source.index_url
        self.pages: dict[str, str] = {}  # canonical project name -> page digest (MISSING for a 404)
        self._lock = threading.Lock()
        compact = getattr(source, "compact", None)  # only where the source has it: the repository asks so too
        if compact is not None:
            self._source_compact: Callable[[str], CompactPage] = compact
            self.compact: Callable[[str], CompactPage] = self._compact

    def project(self, name: str) -> ProjectPage:
        return self._logged(name, lambda: self.source.project(name), page_digest)

    def _compact(self, name: str) -> CompactPage:
        return self._logged(name, lambda: self._source_compact(name), compact_digest)

    def _logged(self, name: str, read: Callable[[], _Page], digest: Callable[[_Page], str]) -> _Page:
        key = canonicalize_name(name)
        try:
            page = read()
        except NotFound:
            with self._lock:
                self.pages[key] = MISSING
            raise
        value = digest(page)
        with self._lock:
            self.pages[key] = value
        return page

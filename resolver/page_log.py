"""A project source that remembers what it served: the resolution cache's record of the pages it read.

Kept apart from :mod:`.cache` so that answering from the cache never loads the HTTP client.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from poncho.errors import NotFound
from poncho.net import ProjectPage

from .cache import MISSING, page_digest

if TYPE_CHECKING:  # pragma: no cover
    from .repository import ProjectSource


class PageLog:
    """A project source (an index, find-links) that keeps the digest of each page read through it.

    Thread-safe: the repository's fetch threads share it.
    """

    def __init__(self, source: ProjectSource) -> None:
        self.source = source
        self.index_url = source.index_url
        self.pages: dict[str, str] = {}  # canonical project name -> page digest (MISSING for a 404)
        self._lock = threading.Lock()

    def project(self, name: str) -> ProjectPage:
        key = canonicalize_name(name)
        try:
            page = self.source.project(name)
        except NotFound:
            with self._lock:
                self.pages[key] = MISSING
            raise
        digest = page_digest(page)
        with self._lock:
            self.pages[key] = digest
        return page

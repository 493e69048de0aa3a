"""A session made when the first request is sent, so a run the caches answer never loads the HTTP client.

requests, urllib3, CacheControl and ssl cost ~0.2 s to import, more than a
re-lock answered from disk costs in all. The page cache (parsed project
pages) and the metadata cache read without them, so :class:`DeferredSession`
holds the page cache at once and builds :func:`poncho.net.session.make_session`'s
session only when something reads one of its attributes (``get``, ``hooks``,
``headers`` ...): an offline resolution, or a repeated lock served by the
resolution cache, never does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from poncho.errors import UsageError

from .page_cache import PageCache

PAGE_TTL = 600  # seconds; make_session's default page lifetime (poncho.net.session)


class DeferredSession:
    """Stands for ``make_session(cache_dir, cert=..., offline=...)`` until it is used.

    ``page_cache`` is the one the session would carry (shared with it once
    made); ``on_make`` runs once on the new session (the CLI's progress hook).
    Thread-safe: the repository's fetch threads may all want it at once.
    """

    def __init__(self, cache_dir: Path | str | None, *, cert: str | None = None, offline: bool = False,
                 page_ttl: int = PAGE_TTL, on_make: Callable[[Any], None] | None = None) -> None:
        if offline and cache_dir is None:
            raise UsageError("offline mode needs the cache (drop --no-cache)")  # as make_session says, at once
        self._args = (Path(cache_dir) if cache_dir is not None else None, cert, offline, page_ttl)
        self._on_make = on_make
        self._session: Any = None
        self._lock = threading.Lock()
        self.page_cache = PageCache(Path(cache_dir), ttl=page_ttl, offline=offline) if cache_dir is not None else None

    @property
    def made(self) -> bool:
        """Whether the real session exists (a request was sent, or something asked for one)."""
        return self._session is not None

    def real(self) -> Any:
        """The ``requests.Session``, made on first call."""
        with self._lock:
            if self._session is None:
                from .session import make_session

                cache_dir, cert, offline, page_ttl = self._args
                session: Any = make_session(cache_dir, cert=cert, offline=offline, page_ttl=page_ttl)
                if cache_dir is not None:
                    session.page_cache = self.page_cache  # one page cache (and its counters) for the run
                if self._on_make is not None:
                    self._on_make(session)
                self._session = session
            return self._session

    def __getattr__(self, name: str) -> Any:
        # Only names not set in __init__ arrive here: everything of requests.Session's (whose public names
        # need no underscore; a private one asked before __init__ set it must not recurse into real()).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.real(), name)

    def close(self) -> None:
        """Close the real session if one was made; nothing to do otherwise."""
        if self._session is not None:
            self._session.close()

"""One resolution against a loopback index, as the resolver tests run it: a fresh session and repository over
a cache directory of the test's own, closed when done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from poncho.net import SimpleIndex, make_session
from poncho.net.page_cache import PageCache
from poncho.resolver import MetadataFetcher, SimpleRepository, Target
from poncho.resolver.solve import resolve


def resolve_in(index_server: Any, cache: Path, requirements: list[str], *, offline: bool = False,
               **kwargs: Any) -> tuple[Any, SimpleRepository]:
    """(``resolve(requirements)`` for this interpreter's target against ``index_server`` with the page and
    metadata caches in ``cache``, the repository it read); ``kwargs`` go to ``resolve``."""
    session = make_session(cache, offline=offline)
    target = Target.current()
    index = SimpleIndex(session, index_server.url, pages=PageCache(cache, offline=offline))
    repo = SimpleRepository([index], MetadataFetcher(session, cache, offline=offline), target)
    try:
        return resolve(requirements, repo, target, **kwargs), repo
    finally:
        repo.close()


def resolve_on(index_server: Any, tmp_path: Path, requirements: list[str], **kwargs: Any) -> Any:
    """The resolution alone, with its caches in ``tmp_path / "cache"``."""
    return resolve_in(index_server, tmp_path / "cache", requirements, **kwargs)[0]

"""One resolution against a loopback index, as the resolver tests run it: a fresh session and repository over
a cache directory of the test's own, closed when done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from poncho.net import SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target
from poncho.resolver.solve import resolve


def resolve_on(index_server: Any, tmp_path: Path, requirements: list[str], **kwargs: Any) -> Any:
    """``resolve(requirements)`` for this interpreter's target against ``index_server``; ``kwargs`` go to it."""
    session = make_session(tmp_path / "cache")
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, tmp_path / "cache"),
                            target)
    try:
        return resolve(requirements, repo, target, **kwargs)
    finally:
        repo.close()

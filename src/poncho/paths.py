"""Where poncho-resolve keeps its caches: one root, one subdirectory per stage."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """The user cache directory for poncho-resolve (``PONCHO_CACHE_DIR`` overrides it)."""
    env = os.environ.get("PONCHO_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("poncho-resolve", appauthor=False))


def index_digest(index_url: str) -> str:
    """32 hex digits naming the index some cached content came from, part of every cache key for it.

    Caches keyed by the sha256 an index *claims* alone let one index's answer
    (a mirror's ``.metadata``, a wheel's file list) stand in for another's
    file with the same claimed hash. The URL is normalized first, so one index
    keeps one key: credentials, query and fragment dropped, scheme and host
    lowercased, a default port dropped, the path ending in ``/``.
    """
    import hashlib
    import urllib.parse

    parts = urllib.parse.urlsplit(index_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    normalized = urllib.parse.urlunsplit((scheme, host, path, "", ""))
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:32]

"""The input digest: what decided a lock, hashed, so ``check`` can tell a stale lock without resolving.

Kept apart from :mod:`.build` so that ``check`` loads neither the resolver
nor the HTTP client.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from poncho import __version__
from poncho.errors import redact_url

if TYPE_CHECKING:  # pragma: no cover
    from poncho.index_cache.requirements import DirectRequirement
    from poncho.resolver.target import Target


def input_digest(direct: Sequence[DirectRequirement], target: Target, index_urls: Sequence[str],
                 constraints: Mapping[str, object] | None = None, fallbacks: Sequence[str] = ()) -> str:
    """A digest of everything that decides the lock except the index's contents.

    ``fallbacks`` (releases the index failed to serve, locked older under
    ``--allow-fallback``) change it, so ``check`` asks for a clean re-lock.
    """
    payload: dict[str, object] = {
        "constraints": sorted(f"{k} {v}" for k, v in (constraints or {}).items()),
        "requirements": sorted(str(r) for r in direct),
        "python": target.python_full_version,
        "implementation": target.implementation,
        "platform": target.platform_label,
        "indexes": [redact_url(u) for u in index_urls],  # credentials differ per machine and stay out
        "tool": __version__,
    }
    if fallbacks:
        payload["fallbacks"] = sorted(fallbacks)
    return "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

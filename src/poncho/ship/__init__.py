"""Shipping a lock: PONCHO's ``package_create`` and ``package_run`` roles, with real packers.

``pack(lock, out)`` turns a lock into something runnable (a PEX file through
``pex --pylock`` or ``pex -r``; a relocatable virtual environment made by
``uv venv --relocatable`` plus a hashed install, archived as tar.gz; or, where
the tools exist, ``poncho_package_create`` / ``conda-pack`` tarballs), and
records in it the digest of the lock it came from. ``run(artifact, command)``
unpacks an artifact once per lock digest into a cache that concurrent runs
share, and runs the command inside.
"""

from __future__ import annotations

from .pack import KINDS, pack
from .record import ArtifactRecord, lock_digest, read_record
from .run import run, unpacked

__all__ = ["KINDS", "ArtifactRecord", "lock_digest", "pack", "read_record", "run", "unpacked"]

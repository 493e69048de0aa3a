"""Running the real CLI in a subprocess, as a user does: one helper for every CLI test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path, env_extra: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m poncho ARGS`` in ``cwd`` with this environment (plus ``env_extra``), no stdin."""
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=timeout)


def closed_port() -> int:
    """A loopback port nothing listens on: an index that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Fresh virtual environments for end-to-end tests, isolated from machine pip config."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path


def pip_env() -> dict[str, str]:
    """The environment a user's pip sees: no machine-wide config, certificates kept."""
    env = dict(os.environ)
    env["PIP_CONFIG_FILE"] = os.devnull
    for key in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PYTHONPATH"):
        env.pop(key, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def make_venv(path: Path) -> Path:
    """Create a venv with pip and return its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / ("Scripts" if sys.platform == "win32" else "bin") / "python"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", pip_env())
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900, **kw)

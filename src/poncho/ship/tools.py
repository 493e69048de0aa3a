"""The real packers and installers ``pack`` drives, found on this machine, and how they are run."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from poncho.errors import PackError, ShipError

INSTALL_HINTS = {
    "pex": "pip install pex",
    "uv": "pip install uv",
    "conda-pack": "conda install conda-pack",
    "conda": "install Miniforge or Miniconda",
    "poncho_package_create": "conda install -c conda-forge ndcctools",
}


def find(tool: str) -> list[str]:
    """The command line prefix that runs ``tool``: on PATH, next to this Python, or as a module of it."""
    found = shutil.which(tool) or shutil.which(tool, path=str(Path(sys.executable).parent))
    if found:
        return [found]
    if tool == "uv" and importlib.util.find_spec("uv") is not None:
        from uv import find_uv_bin  # the uv wheel ships its binary

        return [find_uv_bin()]
    if tool == "pex" and importlib.util.find_spec("pex") is not None:
        return [sys.executable, "-m", "pex"]
    raise PackError(f"{tool} is not installed on this machine ({INSTALL_HINTS.get(tool, 'install it')}, "
                    "then pack again)")


def available(tool: str) -> bool:
    try:
        find(tool)
    except PackError:
        return False
    return True


def run_tool(cmd: Sequence[str], what: str, env: Mapping[str, str] | None = None,
             error: type[ShipError] = PackError) -> subprocess.CompletedProcess[str]:
    """Run a packer; a failure is ``error`` (a PackError) quoting the end of its output."""
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              env=dict(env) if env is not None else None)
    except OSError as exc:
        raise error(f"{what}: cannot start {cmd[0]}: {exc}") from None
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise error(f"{what} failed (exit {proc.returncode}; nothing was kept):\n{tail}")
    return proc


def environ(**extra: str) -> dict[str, str]:
    """This process's environment plus ``extra``: the user's certificates and proxies reach the packers."""
    env = dict(os.environ)
    env.update(extra)
    return env

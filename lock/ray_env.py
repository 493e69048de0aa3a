"""Ray's ``runtime_env``: the lock as the ``pip`` field Ray installs on its workers, hashes included.

Why it is shaped as it is: Ray's ``pip`` field may be a dict with
``packages`` (requirement lines), ``pip_check``, ``pip_version`` and
``pip_install_options``; Ray writes ``packages`` to a requirements file in a
fresh virtualenv per runtime_env and runs ``pip install <pip_install_options>
-r`` on it. So each package is one requirements line with its pin, its
marker and a ``--hash`` per locked file (pip then requires hashes for all of
them), and the options say ``--no-deps`` (the lock is complete; nothing is
resolved on the worker) and name the lock's indexes. ``pip_check`` is off:
Ray's virtualenv also sees Ray's own packages, whose pins are not ours.

Use it as ``ray.init(runtime_env=json.load(open("ray-runtime-env.json")))`` or
``@ray.remote(runtime_env=...)``.
"""

from __future__ import annotations

import json

from .records import Lock

#: Ray's own defaults for pip_install_options, kept, then ours.
RAY_DEFAULT_OPTIONS = ("--disable-pip-version-check", "--no-cache-dir")


def packages(lock: Lock) -> list[str]:
    """One requirements line per entry: ``name==version ; marker --hash=sha256:...``."""
    lines = []
    for e in lock.entries:
        line = f"{e.name}=={e.version}"
        if e.marker:
            line += f" ; {e.marker}"
        lines.append(" ".join([line, *(f"--hash=sha256:{h}" for h in sorted({a.sha256 for a in e.artifacts}))]))
    return lines


def runtime_env(lock: Lock) -> dict[str, object]:
    """The ``runtime_env`` dict: ``{"pip": {"packages": [...], "pip_check": False, "pip_install_options": [...]}}``."""
    options = [*RAY_DEFAULT_OPTIONS, "--no-deps", "--require-hashes"]
    for i, url in enumerate(lock.index_urls):
        options += ["--index-url" if i == 0 else "--extra-index-url", url]
    return {"pip": {"packages": packages(lock), "pip_check": False, "pip_install_options": options}}


def render(lock: Lock) -> str:
    return json.dumps(runtime_env(lock), indent=2, sort_keys=True) + "\n"

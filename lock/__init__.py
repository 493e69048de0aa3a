"""Lock records and the formats they render to."""

from typing import Callable

from . import conda_env, json_lock, poncho_spec, pylock, requirements_txt
from .build import build_lock, input_digest
from .records import Artifact, Lock, LockEntry
from .requirements_txt import render, render_direct

# --format NAME -> renderer; every renderer is a pure function of the Lock.
FORMATS: dict[str, Callable[[Lock], str]] = {
    "requirements": requirements_txt.render,
    "pylock": pylock.render,
    "poncho": poncho_spec.render,
    "conda": conda_env.render,
    "json": json_lock.render,
}

# The file name each format is conventionally read from (pylock.toml is fixed by PEP 751).
FILENAMES: dict[str, str] = {
    "requirements": "env.lock",
    "pylock": "pylock.toml",
    "poncho": "poncho-spec.json",
    "conda": "environment.yml",
    "json": "poncho-lock.json",
}

__all__ = ["FILENAMES", "FORMATS", "Artifact", "Lock", "LockEntry", "build_lock", "input_digest", "render",
           "render_direct"]

"""Lock records and the formats they render to."""

from .build import build_lock, input_digest
from .records import Artifact, Lock, LockEntry
from .requirements_txt import render, render_direct

__all__ = ["Artifact", "Lock", "LockEntry", "build_lock", "input_digest", "render", "render_direct"]

"""Lock records and the formats they render to.

``Lock`` is the record every format is rendered from (``lock.render("pylock")``,
``lock.write("pylock.toml")``). Submodules load on first use, so reading the
record does not load every format's dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poncho.lazy import lazy_names

from .formats import FILENAMES, MODULES, renderer
from .inputs import LockInputs, changes, relock_command
from .records import Artifact, Lock, LockEntry, LockTarget

if TYPE_CHECKING:  # pragma: no cover
    from .build import build_lock
    from .requirements_txt import render, render_direct

_LAZY = {
    "build_lock": ".build",
    "render": ".requirements_txt",
    "render_direct": ".requirements_txt",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = ["FILENAMES", "MODULES", "Artifact", "Lock", "LockEntry", "LockInputs", "LockTarget", "build_lock",
           "changes", "relock_command", "render", "render_direct", "renderer"]

"""Lock records and the formats they render to.

``Lock`` is the record every format is rendered from (``lock.render("pylock")``,
``lock.write("pylock.toml")``). Submodules load on first use, so reading the
record does not load every format's dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .formats import FILENAMES, MODULES, renderer
from .records import Artifact, Lock, LockEntry

if TYPE_CHECKING:  # pragma: no cover
    from .build import build_lock
    from .digest import input_digest
    from .requirements_txt import render, render_direct

_LAZY = {
    "build_lock": ".build",
    "input_digest": ".digest",
    "render": ".requirements_txt",
    "render_direct": ".requirements_txt",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        # Bind every name the submodule provides now: importing it set the package attribute of the
        # same name (``resolve``) to the submodule itself, which must not win on later lookups.
        globals().update({n: getattr(module, n) for n, where in _LAZY.items() if where == _LAZY[name]})
        return globals()[name]
    if name in MODULES.values():
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FILENAMES", "MODULES", "Artifact", "Lock", "LockEntry", "build_lock", "input_digest", "render",
           "render_direct", "renderer"]

"""Package names that load their module on first use (PEP 562), so start-up pays only for what it uses."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``table`` maps each name to the submodule defining it.

    Every name a submodule provides is bound at once when it loads: importing ``.resolve`` sets the
    package attribute ``resolve`` to the submodule itself, which must not win over the function.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(where, package)
        namespace.update({n: getattr(module, n) for n, w in table.items() if w == where})
        return namespace[name]

    return __getattr__

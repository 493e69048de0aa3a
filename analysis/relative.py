"""Relative import names made absolute, the way importlib does it.

A leaf module: the ast visitor, the libcst fallback and function entries all
resolve ``from ..x import y`` with it, and none of them imports another for it.
"""

from __future__ import annotations

__all__ = ["resolve_relative"]


def resolve_relative(level: int, module: str | None, package: str) -> str | None:
    """Absolute name of ``from <level dots><module> import ...`` inside ``package``.

    Mirrors importlib._bootstrap._resolve_name; None when it climbs above the top.
    """
    if level == 0:
        return module
    bits = package.split(".") if package else []
    if level - 1 > len(bits) or (not bits and level >= 1):
        return None
    base = ".".join(bits[: len(bits) - (level - 1)]) if level > 1 else package
    if not base:
        return None
    return f"{base}.{module}" if module else base

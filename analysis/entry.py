"""The one syntax of a callable entry: ``path/to/file.py:func``, ``pkg.mod:Class.method``.

The CLI decides whether an argument is an entry or a path with
:func:`is_entry`, and the function-entry analysis reads it with
:func:`parse_entry`; both use the rules below, so an argument the CLI takes
for an entry always parses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from poncho.errors import EntryError

__all__ = ["EntryPoint", "is_entry", "parse_entry"]

#: ``__qualname__`` parts that are not identifiers but name a definition all the same
QUALNAME_MARKERS = frozenset({"<locals>", "<lambda>"})
PATH_SUFFIXES = (".py", ".pyw")


@dataclass(frozen=True)
class EntryPoint:
    """A parsed entry: where the callable lives and its dotted qualified name."""

    qualname: str  # "handler", "Class.method", "outer.<locals>.inner", "<lambda>"
    path: Path | None = None  # for ``path/to/file.py:handler``
    module: str | None = None  # for ``pkg.module:handler``

    def __str__(self) -> str:
        return f"{self.path if self.path is not None else self.module}:{self.qualname}"


def parse_entry(text: str | os.PathLike[str]) -> EntryPoint:
    """``file.py:name`` or ``pkg.module:name``; the name may be dotted (``Class.method``).

    The last colon separates the callable, so Windows drive letters survive.
    Raises :class:`~poncho.errors.EntryError` (a usage error) for anything else.
    """
    entry = os.fspath(text)
    target, sep, qualname = entry.rpartition(":")
    if not sep or not target or not qualname:
        raise EntryError(f"entry {entry!r} is not 'path/to/file.py:function' or 'package.module:function'")
    if not all(part.isidentifier() or part in QUALNAME_MARKERS for part in qualname.split(".")):
        raise EntryError(f"entry {entry!r}: {qualname!r} is not a dotted function or class name")
    if target.endswith(PATH_SUFFIXES) or "/" in target or os.sep in target or Path(target).is_file():
        return EntryPoint(qualname, path=Path(target))
    if not all(part.isidentifier() for part in target.split(".")):
        raise EntryError(f"entry {entry!r}: {target!r} is neither a file nor a dotted module name")
    return EntryPoint(qualname, module=target)


def is_entry(text: str | os.PathLike[str]) -> bool:
    """True for a callable entry; an existing path with a colon in its name is a path."""
    entry = os.fspath(text)
    if ":" not in entry or Path(entry).exists():
        return False
    try:
        parse_entry(entry)
    except EntryError:
        return False
    return True

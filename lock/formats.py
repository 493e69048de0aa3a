"""The lock formats by name: which module renders each, its usual file name, and which one a path asks for."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poncho.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .records import Lock

# --format NAME -> the module whose ``render(lock)`` writes it; imported on use.
MODULES: dict[str, str] = {
    "requirements": "requirements_txt",
    "pylock": "pylock",
    "poncho": "poncho_spec",
    "conda": "conda_env",
    "json": "json_lock",
}

# The file name each format is conventionally read from (pylock.toml is fixed by PEP 751).
FILENAMES: dict[str, str] = {
    "requirements": "env.lock",
    "pylock": "pylock.toml",
    "poncho": "poncho-spec.json",
    "conda": "environment.yml",
    "json": "poncho-lock.json",
}

#: formats that pin versions but cannot carry hashes
UNHASHED = frozenset({"poncho", "conda"})


def renderer(fmt: str) -> Callable[[Lock], str]:
    if fmt not in MODULES:
        raise UsageError(f"unknown lock format {fmt!r}; choose one of {', '.join(MODULES)}")
    module = importlib.import_module(f"{__package__}.{MODULES[fmt]}")
    render: Callable[[Lock], str] = module.render
    return render


def _is_pylock_name(name: str) -> bool:
    # PEP 751: pylock.toml or pylock.<name>.toml (packaging.pylock.is_valid_pylock_path says the same)
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml")
                                     and name.count(".") == 2 and len(name) > len("pylock..toml"))


def choose_format(fmt: str | None, output: str | Path | None) -> tuple[str, Path | None]:
    """(format, output path): ``fmt`` wins; else inferred from the path; a directory gets the usual name."""
    path = Path(output) if output is not None else None
    if fmt is None and path is not None and not path.is_dir():
        if _is_pylock_name(path.name):
            fmt = "pylock"
        elif path.name.endswith((".yml", ".yaml")):
            fmt = "conda"
        elif path.name.endswith(".json"):
            raise UsageError(f"{output}: say which JSON: --format poncho (poncho_package_create spec) "
                             "or --format json (the lock record)")
    fmt = fmt or "requirements"
    if fmt not in MODULES:
        raise UsageError(f"unknown lock format {fmt!r}; choose one of {', '.join(MODULES)}")
    if path is not None and path.is_dir():
        path = path / FILENAMES[fmt]
    if fmt == "pylock" and path is not None and not _is_pylock_name(path.name):
        print(f"warning: {path}: PEP 751 names lock files pylock.toml or pylock.<name>.toml", file=sys.stderr)
    return fmt, path


SOURCE_SUFFIXES = (".py", ".pyi", ".pyw", ".ipynb")


def output_path(path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Where a lock for ``path`` really goes: through a symlink to its target; never over a special file
    (a device, a FIFO, a socket) or over the analyzed program's own sources."""
    given = Path(path)
    target = given.resolve()
    if target.exists() and not target.is_file():
        raise UsageError(f"{path}: not a regular file (a device, FIFO, socket or directory); "
                         "refusing to replace it (use -o - for standard output)")
    for item in inputs:
        text = str(item)
        source = Path(text.rpartition(":")[0] if ":" in text and not Path(text).exists() else text).resolve()
        inside = source.is_dir() and target.suffix in SOURCE_SUFFIXES and target.is_relative_to(source)
        if target == source or inside:
            raise UsageError(f"{path}: part of the analyzed program ({item}); refusing to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"{path}: its directory does not exist")
    return target


def write(text: str, path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Replace ``path`` atomically with ``text``: never a partial lock file, never a clobbered input."""
    from poncho.fileio import write_atomic

    target = output_path(path, inputs)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the lock: {exc.strerror or exc}") from None
    return Path(path)

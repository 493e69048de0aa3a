"""The lock formats by name: which module renders each, its usual file name, and which one a path asks for."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

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


def write(text: str, path: str | Path) -> Path:
    """Replace ``path`` atomically with ``text``: never a partial lock file."""
    from poncho.fileio import write_atomic

    path = Path(path)
    if not path.resolve().parent.is_dir():
        raise UsageError(f"{path}: its directory does not exist")
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the lock: {exc.strerror or exc}") from None
    return path

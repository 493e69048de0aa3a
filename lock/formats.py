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
    "ray": "ray_env",
}

# The file name each format is conventionally read from (pylock.toml is fixed by PEP 751).
FILENAMES: dict[str, str] = {
    "requirements": "env.lock",
    "pylock": "pylock.toml",
    "poncho": "poncho-spec.json",
    "conda": "environment.yml",
    "json": "poncho-lock.json",
    "ray": "ray-runtime-env.json",
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
    """PEP 751's names, pylock.toml or pylock.<name>.toml, as packaging checks them."""
    from packaging.pylock import is_valid_pylock_path

    return is_valid_pylock_path(Path(name))


def choose_format(fmt: str | None, output: str | Path | None) -> tuple[str, Path | None]:
    """(format, output path): ``fmt`` wins; else inferred from the path; a directory gets the usual name."""
    path = Path(output) if output is not None else None
    if fmt is None and path is not None and not path.is_dir():
        if _is_pylock_name(path.name):
            fmt = "pylock"
        elif path.name.endswith((".yml", ".yaml")):
            fmt = "conda"
        elif path.name.endswith(".json"):
            raise UsageError(f"{output}: say which JSON: --format poncho (poncho_package_create spec), "
                             "--format json (the lock record) or --format ray (Ray's runtime_env)")
    fmt = fmt or "requirements"
    if fmt not in MODULES:
        raise UsageError(f"unknown lock format {fmt!r}; choose one of {', '.join(MODULES)}")
    if path is not None and path.is_dir():
        path = path / FILENAMES[fmt]
    if fmt == "pylock" and path is not None and not _is_pylock_name(path.name):
        print(f"warning: {path}: PEP 751 names lock files pylock.toml or pylock.<name>.toml", file=sys.stderr)
    return fmt, path


SOURCE_SUFFIXES = (".py", ".pyi", ".pyw", ".ipynb")
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")  # the analyzed project's configuration


def output_path(path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Where a lock for ``path`` really goes: through a symlink to its target; never over a special file
    (a device, a FIFO, a socket) or over the analyzed program's own sources."""
    try:
        return _output_path(Path(path), inputs)
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before 3.13), an unreadable parent
        raise UsageError(f"{path}: cannot be used as the output: {exc}") from None


def _output_path(given: Path, inputs: Sequence[str | Path]) -> Path:
    path = given
    target = given.resolve()
    if target.exists() and not target.is_file():
        raise UsageError(f"{path}: not a regular file (a device, FIFO, socket or directory); "
                         "refusing to replace it (use -o - for standard output)")
    for item in inputs:
        for source in _sources_of(str(item)):
            inside = source.is_dir() and target.suffix in SOURCE_SUFFIXES and target.is_relative_to(source)
            if target == source or inside:
                raise UsageError(f"{path}: part of the analyzed program ({item}); refusing to overwrite it")
    if inputs and target.name in PROJECT_FILES:
        from poncho.analysis.roots import find_pyproject

        project = find_pyproject(list(inputs))
        if target.parent == (project.parent.resolve() if project else Path.cwd().resolve()) or any(
                target.parent == _sources_of(str(i))[0] for i in inputs):
            raise UsageError(f"{path}: the analyzed project's own configuration; refusing to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"{path}: its directory does not exist")
    return target


def _sources_of(item: str) -> list[Path]:
    """The files and directories an input names: a path, ``file.py:func``, or ``pkg.mod:func`` (its module file)."""
    if ":" not in item or Path(item).exists():
        return [Path(item).resolve()]
    module = item.rpartition(":")[0]
    if Path(module).exists() or module.endswith(".py"):
        return [Path(module).resolve()]
    base = Path(*module.split("."))
    return [base.with_suffix(".py").resolve(), (base / "__init__.py").resolve()]


def write(text: str, path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """Replace ``path`` atomically with ``text``: never a partial lock file, never a clobbered input."""
    from poncho.fileio import write_atomic

    target = output_path(path, inputs)
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the lock: {exc.strerror or exc}") from None
    return Path(path)

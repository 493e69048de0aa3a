"""Where the analyzed program's own modules live, by Python's import semantics.

A *root* is a directory that would be on ``sys.path`` when the program runs:
the directory given on the command line (and its ``src/`` for src-layout), or
the parent of a package directory given directly; for a file given directly,
its directory (``python file.py`` puts it first on ``sys.path``).

First-party names are what the roots define at their top: modules (``x.py``),
regular packages (``x/__init__.py``) and, for PEP 420 namespace directories
(``ns/`` without ``__init__.py``), the portions inside them (``ns.sub``): a
namespace ``google/`` of the project does not make ``google.protobuf``
first-party. A ``yaml.py`` deeper inside a package is ``pkg.yaml``, not a
top-level ``yaml``. A script in a plain (non-package) directory below a root
sees its sibling modules as top-level names: they are first-party for the
files of that directory only. ``[tool.poncho] first-party = [...]`` in the
project's ``pyproject.toml`` (the one :func:`find_pyproject` names, as for the
rest of ``[tool.poncho]``) adds names.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .entry import is_entry, parse_entry
from .sites import Code, Diagnostic, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".venv", "venv", "env",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules", "build", "dist",
     ".eggs", "site-packages", ".ipynb_checkpoints"}
)
SOURCE_SUFFIXES = (".py", ".ipynb")
MODULE_SUFFIXES = (".py", ".pyi", ".pyw", ".so", ".pyd")
#: files whose directory is a project: its ``src/`` is a source root
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
MAX_PYPROJECT = 1024 * 1024  # a project's pyproject.toml is a few KB; a larger one is not read


@dataclass(frozen=True)
class SourceFile:
    """A file to analyze and the dotted module name it has under its root."""

    path: Path
    root: Path
    module: str  # "" when the file is not importable by name (e.g. a script with a dash)
    is_package: bool  # True for __init__.py

    @property
    def package(self) -> str:
        """The package relative imports are resolved against."""
        if self.is_package:
            return self.module
        return self.module.rpartition(".")[0]


@dataclass(frozen=True)
class FirstParty:
    """The names the analyzed program defines itself."""

    names: frozenset[str] = frozenset()  # top-level names, and dotted namespace portions ("ns.sub")
    script_dirs: dict = field(default_factory=dict, hash=False, compare=False)  # dir -> names its scripts see
    roots: tuple[Path, ...] = ()
    namespaces: frozenset[str] = frozenset()  # namespace directories holding first-party portions ("ns", "ns.sub")
    diagnostics: tuple[Diagnostic, ...] = field(default=(), hash=False, compare=False)  # unusable configuration

    def contains(self, module: str, file: str | None = None) -> bool:
        if module in self.namespaces:
            return True
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            if ".".join(parts[:i]) in self.names:
                return True
        if file is not None and self.script_dirs:
            local = self.script_dirs.get(os.path.dirname(os.path.abspath(file)))
            if local and parts[0] in local:
                return True
        return False


def package_root(path: Path) -> Path:
    """The directory Python imports ``path`` from: above the outermost regular package holding it.

    A file starts from its directory, a directory from itself; every
    ``__init__.py`` package on the way up is climbed out of. Whole-tree runs,
    function entries and the pyproject lookup all use this one rule, so they
    agree on what the program's own code is.
    """
    start = path if path.is_dir() else path.parent
    while (start / "__init__.py").is_file() and start.parent != start:
        start = start.parent
    return start


def source_roots(path: Path) -> list[Path]:
    """The roots a path given to a whole-tree run is imported from: its package root, after its ``src/``."""
    start = package_root(path)
    roots = [start]
    src = start / "src"
    if path.is_dir() and src.is_dir() and not (src / "__init__.py").exists():
        roots.insert(0, src)
    return roots


def file_roots(file: Path) -> list[Path]:
    """Where Python would import one ``file`` (a function entry's) from, as far as the file system tells.

    Its package root, or the ``src/`` directory of a project above it (which
    also covers PEP 420 namespace packages in a src layout); then the file's
    own directory, as ``sys.path[0]`` of a script.
    """
    file = file.resolve()
    roots = [package_root(file)]
    for ancestor in [file.parent, *file.parent.parents]:
        if ancestor.name == "src" and any((ancestor.parent / m).is_file() for m in PROJECT_MARKERS):
            roots = [ancestor]
            break
    if file.parent not in roots:
        roots.append(file.parent)
    return roots


def find_pyproject(paths: Sequence[str | Path]) -> Path | None:
    """The analyzed project's pyproject.toml: at the first path's package root, if any.

    An unrelated pyproject.toml further up (say, of a monorepo) is not used.
    A module entry (``pkg.mod:func``) is looked up from the working directory.
    """
    if not paths:
        return None
    first = str(paths[0])
    if is_entry(first):
        spec = parse_entry(first)
        first = str(spec.path) if spec.path is not None else "."
    candidate = package_root(Path(first)) / "pyproject.toml"
    return candidate if candidate.is_file() else None


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    rel = path.relative_to(root)
    parts = list(rel.parts)
    parts[-1] = parts[-1].split(".", 1)[0]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if path.suffix == ".ipynb" or not all(p.isidentifier() for p in parts):
        return "", is_package
    return ".".join(parts), is_package


def _bounds(paths: Sequence[str | Path]) -> tuple[str, ...]:
    """The real directories a walk may enter: the given directories (a file's: its own directory)."""
    out = []
    for p in paths:
        p = Path(p)
        out.append(os.path.realpath(p if p.is_dir() else p.parent))
    return tuple(dict.fromkeys(out))


def escapes(path: str | Path, bounds: tuple[str, ...]) -> bool:
    """True for a symlink whose target lies outside every bound: it is not followed.

    A link to ``/`` in an unreviewed tree would otherwise walk the whole disk
    (and read whatever Python files it holds); links within the tree are fine.
    """
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    return not any(target == b or target.startswith(b.rstrip(os.sep) + os.sep) for b in bounds)


def walk_sources(paths: list[Path],
                 suffixes: tuple[str, ...] = SOURCE_SUFFIXES) -> tuple[list[SourceFile], list[Diagnostic]]:
    """Every analyzable file under ``paths`` with its root and module name; diagnostics for what cannot be walked.

    Directory symlinks are followed once if they stay inside the given
    directories (a link out of them is skipped, with an INFO diagnostic); a
    symlink that leads back into a directory being walked is reported as a loop.
    """
    found: dict[Path, SourceFile] = {}
    diags: list[Diagnostic] = []
    bounds = _bounds([p for p in paths if Path(p).exists()])
    for given in paths:
        given = Path(given)
        if not given.exists() and not given.is_symlink():
            diags.append(Diagnostic(str(given), 0, "no such file or directory", code=Code.UNREADABLE))
            continue
        roots = source_roots(given) if given.exists() else [given.parent]
        if not given.is_dir():
            candidates = [given]
        else:
            candidates = []
            seen: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(given, followlinks=True, onerror=lambda e: diags.append(
                    Diagnostic(str(e.filename), 0, f"cannot read directory: {e.strerror}", code=Code.UNREADABLE))):
                try:
                    st = os.stat(dirpath)
                except OSError as exc:
                    diags.append(Diagnostic(dirpath, 0, f"cannot read directory: {exc.strerror}", code=Code.UNREADABLE))
                    dirnames[:] = []
                    continue
                if (st.st_dev, st.st_ino) in seen:
                    # Harmless (its files are analyzed once, where first walked): a note, not a --strict failure.
                    diags.append(Diagnostic(dirpath, 0, "symlink loop: directory already walked", Severity.INFO,
                                            code=Code.UNREADABLE))
                    dirnames[:] = []
                    continue
                seen.add((st.st_dev, st.st_ino))
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
                                     and not _skipped_link(os.path.join(dirpath, d), bounds, diags))
                candidates.extend(Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffixes))
        for file in candidates:
            root = next((r for r in roots if file.is_relative_to(r)), roots[-1])
            try:
                module, is_package = _module_name(file, root)
            except ValueError:
                module, is_package = "", False
            found.setdefault(file, SourceFile(file, root, module, is_package))
    return sorted(found.values(), key=lambda f: str(f.path)), diags


def _skipped_link(path: str, bounds: tuple[str, ...], diags: list[Diagnostic]) -> bool:
    if not escapes(path, bounds):
        return False
    diags.append(Diagnostic(path, 0, f"symlink not followed: it leads out of the analyzed tree "
                                     f"(to {os.path.realpath(path)})", Severity.INFO, code=Code.UNREADABLE))
    return True


def iter_source_files(paths: list[Path], suffixes: tuple[str, ...] = (".py",)) -> list[SourceFile]:
    """Every analyzable file under ``paths``, each with its root and module name."""
    return walk_sources(paths, suffixes)[0]


def _identifier(name: str) -> str | None:
    stem = name.split(".", 1)[0]
    if not stem.isidentifier():
        return None
    if name.endswith(MODULE_SUFFIXES) or "." not in name:
        return stem
    return None


def _is_dir(e: os.DirEntry) -> bool:
    try:
        return e.is_dir()
    except OSError:  # symlink loop, permission
        return False


def _is_file(e: os.DirEntry) -> bool:
    try:
        return e.is_file()
    except OSError:
        return False


def _has_python(directory: Path, bounds: tuple[str, ...], depth: int = 4) -> bool:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    for e in entries:
        if _is_file(e) and e.name.endswith(".py"):
            return True
    return depth > 0 and any(_is_dir(e) and e.name not in SKIP_DIRS and not escapes(e.path, bounds)
                             and _has_python(Path(e.path), bounds, depth - 1) for e in entries)


def _defined_at(directory: Path, prefix: str, skip: set[Path], namespaces: set[str] | None = None,
                bounds: tuple[str, ...] | None = None) -> set[str]:
    """Names importable from ``directory`` as if it were on sys.path (``prefix`` for namespace portions).

    Namespace directories met on the way are added to ``namespaces``. Symlinks
    out of ``bounds`` (default: ``directory`` itself) are not followed.
    """
    if bounds is None:
        bounds = _bounds([directory])
    names: set[str] = set()
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return names
    for e in entries:
        path = Path(e.path)
        if _is_dir(e):
            if e.name in SKIP_DIRS or not e.name.isidentifier() or path in skip or escapes(path, bounds):
                continue
            if (path / "__init__.py").is_file():
                names.add(prefix + e.name)
            elif _has_python(path, bounds):
                # PEP 420 namespace portion: name what it contains, never the bare namespace.
                inner = _defined_at(path, f"{prefix}{e.name}.", skip, namespaces, bounds)
                if inner and namespaces is not None:
                    namespaces.add(prefix + e.name)
                names |= inner
        elif _is_file(e):
            ident = _identifier(e.name)
            if ident and e.name.endswith(MODULE_SUFFIXES) and ident != "__init__":
                names.add(prefix + ident)
    return names


def top_level_names(roots: Sequence[Path]) -> frozenset[str]:
    """Top-level names importable from ``roots``; a namespace directory counts by its own name.

    Function entries follow imports of these names into the program's own code.
    """
    names: set[str] = set()
    for root in roots:
        names |= {n.split(".", 1)[0] for n in _defined_at(Path(root), "", set())}
    return frozenset(names)


def configured_first_party(pyproject: Path) -> tuple[set[str], Diagnostic | None]:
    """``[tool.poncho] first-party`` of ``pyproject``, or a warning naming the file when it cannot be used.

    The file is the project's own configuration, written by anyone: bytes that
    are not UTF-8, invalid TOML or a value of the wrong type are a WARNING
    diagnostic (the names are then not added), never an exception.
    """
    def problem(reason: str) -> tuple[set[str], Diagnostic]:
        return set(), Diagnostic(str(pyproject), 0, f"[tool.poncho] first-party not read: {reason}",
                                 code=Code.UNREADABLE)

    try:
        if pyproject.stat().st_size > MAX_PYPROJECT:
            return problem(f"larger than {MAX_PYPROJECT // 1024 // 1024} MB")
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        return problem(f"cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return problem(f"not UTF-8 ({exc.reason} at byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        return problem(f"invalid TOML: {exc}")
    except RecursionError:  # tomli (Python < 3.11) on very deep arrays
        return problem("invalid TOML: nested too deeply")
    tool = data.get("tool", {})
    table = tool.get("poncho", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return problem("[tool] and [tool.poncho] must be tables")
    names = table.get("first-party", [])
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        return problem("first-party must be a list of strings")
    return set(names), None


def first_party(paths: list[Path], files: list[SourceFile]) -> FirstParty:
    """The first-party names of the program made of ``paths``."""
    roots: list[Path] = []
    extra: set[str] = set()
    diagnostics: list[Diagnostic] = []
    for pyproject in dict.fromkeys(filter(None, (find_pyproject([p]) for p in paths if Path(p).exists()))):
        configured, problem = configured_first_party(pyproject)
        extra |= configured
        diagnostics.extend([problem] if problem else [])
    for given in paths:
        given = Path(given)
        if not given.exists():
            continue
        for r in source_roots(given):
            if r not in roots:
                roots.append(r)
    names: set[str] = set(extra)
    namespaces: set[str] = set()
    bounds = _bounds([*roots, *(p for p in paths if Path(p).exists())])
    for r in roots:
        names |= _defined_at(r, "", set(roots), namespaces, bounds)
    script_dirs: dict[str, frozenset[str]] = {}
    root_set = {os.path.abspath(r) for r in roots}
    for f in files:
        d = f.path.parent
        key = os.path.abspath(d)
        if key in root_set or key in script_dirs or (d / "__init__.py").is_file():
            continue
        script_dirs[key] = frozenset(n for n in _defined_at(d, "", set()) if "." not in n)
    return FirstParty(frozenset(names), script_dirs, tuple(roots), frozenset(namespaces), tuple(diagnostics))


def first_party_names(files: list[SourceFile]) -> frozenset[str]:
    """Top-level names the analyzed files define at their roots (without looking at the directories)."""
    names: set[str] = set()
    for f in files:
        if f.module:
            names.add(f.module.split(".", 1)[0])
    return frozenset(names)



"""Runtime scope: which files of a tree the shipped program runs, and which only its developers do.

Tests (``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``), docs
(``docs/``, and ``docs_src/``, FastAPI's and SQLModel's documentation
examples), examples, benchmarks, ``noxfile.py`` and ``setup.py`` import
pytest, nox, sphinx themes and setuptools: none of that belongs in the lock
shipped to workers. At a packaged project's root (a directory holding
``pyproject.toml``, ``setup.py`` or ``setup.cfg``) two more are left out:
the ``scripts/`` directory (maintenance scripts, never in the wheel; a
``scripts`` package deeper down, like ``pyramid/scripts``, is code and
stays) and build hooks run by the build backend (``pdm_build.py``,
``hatch_build.py``, ``build.py``), like ``setup.py``.
:class:`RuntimeScope` says what to leave out; the pipeline applies it by
default (``--include-tests`` turns the defaults off, ``--exclude GLOB`` and
``[tool.poncho] exclude`` add patterns). A file given by name is always
analyzed. First-party names are still computed from the whole tree, so
runtime code importing ``tests.fixtures`` is not sent to the index.

Patterns are matched, ``fnmatch``-style, against the path relative to the
directory given on the command line (``/`` separated) and against each
directory on that path: ``scripts`` leaves out every ``scripts/``
directory, ``app/legacy/*`` one subtree, ``*_pb2.py`` generated files. The
defaults never apply inside a directory given by name that they would leave
out: ``poncho-resolve tests/`` analyzes the tests.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .roots import SourceFile

#: directories that hold tests, docs, examples and benchmarks, left out by default
TEST_DIRS = ("tests", "test")
DEV_DIRS = ("docs", "doc", "docs_src", "docs-src", "examples", "example", "benchmarks", "benchmark", "asv_bench")
#: file names left out by default
TEST_FILES = ("test_*.py", "*_test.py", "tests.py", "conftest.py")
DEV_FILES = ("noxfile.py", "setup.py", "fabfile.py")
DEFAULT_EXCLUDES = (*TEST_DIRS, *DEV_DIRS, *TEST_FILES, *DEV_FILES)
#: left out by default only at a packaged project's root (:func:`_is_project_root`): a directory of
#: maintenance scripts, and the build backends' hooks
ROOT_DIRS = ("scripts",)
ROOT_FILES = ("pdm_build.py", "hatch_build.py", "build.py")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


@functools.lru_cache(maxsize=256)
def _is_project_root(directory: Path) -> bool:
    """Whether ``directory`` holds a packaged project (its wheel ships packages, not its scripts/)."""
    return any((directory / name).is_file() for name in PROJECT_FILES)


@dataclass(frozen=True)
class RuntimeScope:
    """What to leave out of the runtime analysis: the defaults unless ``include_tests``, plus ``exclude``."""

    exclude: tuple[str, ...] = ()
    include_tests: bool = False

    @property
    def patterns(self) -> tuple[str, ...]:
        return (*(() if self.include_tests else DEFAULT_EXCLUDES), *self.exclude)

    @cached_property
    def _any(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """Every pattern in one regex per kind (a name; a path with ``/``): most files match none, and one
        regex answers that in a single pass instead of one ``fnmatch`` call per pattern and path part."""
        cleaned = [p.strip().rstrip("/") for p in self.patterns]
        names = [fnmatch.translate(p) for p in cleaned if p and "/" not in p] or ["(?!)"]
        paths = [fnmatch.translate(p) for p in cleaned if "/" in p] or ["(?!)"]
        return re.compile("|".join(names)), re.compile("|".join(paths))

    def reason(self, file: SourceFile, base: Path | None = None) -> str | None:
        """The pattern that leaves ``file`` out (matched below ``base``, else its root), or None."""
        try:
            rel = file.path.relative_to(base if base is not None else file.root).as_posix()
        except ValueError:
            rel = file.path.name
        return self._reason(rel.split("/"), base if base is not None else file.root)

    def _reason(self, parts: list[str], root: Path) -> str | None:
        """:meth:`reason` for the path ``parts`` (``/``-separated) below ``root``."""
        if not self.include_tests and ((len(parts) > 1 and parts[0] in ROOT_DIRS)
                                       or (len(parts) == 1 and parts[0] in ROOT_FILES)):
            if _is_project_root(root):
                return f"./{parts[0]}"  # the note says where: the project's root, not any such name
        names, paths = self._any
        if not any(names.match(c) for c in parts) and \
                not any(paths.match("/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            return None
        for pattern in self.patterns:  # which one: the note names it
            pattern = pattern.strip().rstrip("/")
            if not pattern:
                continue
            if "/" in pattern:
                candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
            else:
                candidates = parts
            if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
                return pattern
        return None


def _prefix(directory: str) -> str:
    """What the text of a path below ``directory`` starts with."""
    return directory if directory.endswith(os.sep) else directory + os.sep


def split_runtime(files: Sequence[SourceFile], scope: RuntimeScope | None,
                  given: Iterable[str | Path] = ()) -> tuple[list[SourceFile], dict[str, list[SourceFile]]]:
    """(files to analyze, pattern -> files left out). Files named in ``given`` are always kept."""
    if scope is None or not scope.patterns:
        return list(files), {}
    named = {os.path.abspath(p) for p in given if Path(p).is_file()}
    dirs = sorted((Path(os.path.abspath(p)) for p in given if Path(p).is_dir()), key=lambda d: -len(d.parts))
    # Strings, not Path objects, per file (a warm `check` of a 1,000-file app spent 19 ms here): a path is
    # below a directory exactly when its text starts with the directory's and a separator (both absolute,
    # normalized), as PurePath.relative_to decides.
    below = [(_prefix(str(d)), d) for d in dirs]
    inside_tests = RuntimeScope(scope.exclude, include_tests=True)
    roots: dict[Path, str] = {}
    kept: list[SourceFile] = []
    left: dict[str, list[SourceFile]] = {}
    for f in files:
        text = os.path.abspath(f.path)
        base = next((d for prefix, d in below if text.startswith(prefix)), None)
        # A tests/ or docs/ directory given by name is what the user wants analyzed: defaults off inside it.
        applies = scope if base is None or base.name not in (*TEST_DIRS, *DEV_DIRS) else inside_tests
        if text in named:
            why = None
        else:
            root = base if base is not None else f.root
            prefix = roots.get(root)
            if prefix is None:
                prefix = roots[root] = _prefix(str(root))
            rel = text[len(prefix):] if text.startswith(prefix) else os.path.basename(text)
            why = applies._reason(rel.split(os.sep), root)
        if why is None:
            kept.append(f)
        else:
            left.setdefault(why, []).append(f)
    return kept, left

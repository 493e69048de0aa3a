"""What the analyzed project already declares: its dependency lists, read as data.

``[project].dependencies`` and ``optional-dependencies``, PEP 735
``[dependency-groups]``, Poetry's and PDM's tables, ``setup.cfg``'s
``install_requires`` / ``extras_require`` and ``requirements*.txt`` (also
``requirements/*.txt`` and pip-tools' ``dev-requirements.in``) at the project's root. Nothing is executed:
``setup.py`` is never run, ``-r`` includes are not followed, a line that is
not a PEP 508 requirement is skipped with a note naming its file and line.

The mapping stage uses the result as evidence (a declared distribution wins
over any guess among providers, its version specifiers and extras are
carried into resolution) and ``check`` compares it with the imports.

Development declarations are kept apart (:attr:`Declared.dev`): PEP 735
groups, Poetry's dev groups, PDM's dev-dependencies, and requirements files
named for tests, docs, linting, CI and the like (``requirements-tests.txt``,
``requirements/dev.txt``, ``dev-requirements.in``), or that install the
project itself (``-e .``) and include such a file, when the project declares
its runtime dependencies elsewhere. They still say which distribution the project means when several
provide a module, but their pins (sqlmodel's ``typing-extensions==4.6.1`` for
its test suite) never reach the runtime lock, and they are not runtime
declarations for ``check``.
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .roots import MAX_PYPROJECT, find_pyproject, package_root
from .sites import Code, Diagnostic, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: requirements files whose stem names the runtime set rather than a group (``requirements/base.txt``)
RUNTIME_STEMS = frozenset({"requirements", "base", "main", "prod", "production", "runtime", "common", "install"})
MAX_REQUIREMENTS_FILE = 1024 * 1024
#: words in a requirements file's name that make it a development declaration (the names real projects use)
DEV_WORDS = frozenset({
    "test", "tests", "testing", "dev", "devel", "develop", "development", "docs", "doc", "documentation",
    "lint", "linting", "linters", "ci", "typing", "types", "mypy", "github", "actions", "style", "format",
    "formatting", "qa", "check", "checks", "bench", "benchmark", "benchmarks", "coverage", "tox", "nox",
    "precommit", "pre-commit", "release", "publish", "build", "tools", "tooling", "local", "insiders",
    "examples", "notebooks", "debug", "fuzz", "perf", "e2e", "integration", "unit",
})


@dataclass(frozen=True)
class Declared:
    """One declared requirement and where it was declared."""

    requirement: Requirement
    file: str
    line: int = 0
    group: str | None = None  # None: the runtime set; else the extra or group that holds it
    dev: bool = False  # a development declaration (tests, docs, lint): evidence, never carried into the lock

    @property
    def key(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def where(self) -> str:
        name = Path(self.file).name
        if self.group and (self.group == name or self.group.endswith(f"/{name}")):  # a requirements file
            return self.group
        return f"{name} {self.group}" if self.group else name


@dataclass
class Declarations:
    """Every requirement the project declares, runtime ones first."""

    items: list[Declared] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, name: str) -> Declared | None:
        """The declaration of ``name`` (a runtime one before any group's)."""
        key = canonicalize_name(name)
        found = [d for d in self.items if d.key == key]
        return min(found, key=lambda d: (d.dev, d.group is not None)) if found else None

    def shipped(self, name: str) -> Declared | None:
        """The declaration of ``name`` whose version range and extras the runtime lock carries: a runtime
        or extra declaration, never a development one (:attr:`Declared.dev`)."""
        said = self.get(name)
        return None if said is None or said.dev else said

    @property
    def runtime(self) -> list[Declared]:
        return [d for d in self.items if d.group is None]

    def where(self) -> dict[str, str]:
        """canonical name -> where it is declared, for every declared distribution."""
        out: dict[str, str] = {}
        for d in sorted(self.items, key=lambda d: (d.dev, d.group is not None)):
            out.setdefault(d.key, d.where)
        return out


def project_root(paths: Sequence[str | Path]) -> Path | None:
    """The directory whose declarations describe the program made of ``paths``.

    The directory of the project's pyproject.toml (:func:`find_pyproject`, as for
    ``[tool.poncho]``), else the first path's package root.
    """
    pyproject = find_pyproject(paths)
    if pyproject is not None:
        return pyproject.parent
    if not paths:
        return None
    first = Path(str(paths[0]).split(":", 1)[0]) if ":" in str(paths[0]) else Path(paths[0])
    return package_root(first) if first.exists() else None


def read_declarations(paths: Sequence[str | Path]) -> Declarations:
    """The declarations found at :func:`project_root` of ``paths`` (empty when there are none)."""
    root = project_root(paths)
    out = Declarations()
    if root is None:
        return out
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        _from_pyproject(pyproject, out)
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        _from_setup_cfg(setup_cfg, out)
    files = [f for pattern in ("requirements*.txt", "requirements*.in", "*[-_]requirements.txt",
                               "*[-_]requirements.in") for f in sorted(root.glob(pattern))]
    if (root / "requirements").is_dir():
        files += sorted((root / "requirements").glob("*.txt")) + sorted((root / "requirements").glob("*.in"))
    elsewhere = bool(out.runtime)  # runtime dependencies declared in pyproject/setup.cfg
    for f in dict.fromkeys(files):
        if f.is_file():
            _from_requirements(f, out, elsewhere)
    return out


def dev_requirements_name(path: Path) -> bool:
    """Whether a requirements file's name says it is for development: a word of :data:`DEV_WORDS` in its
    stem (``requirements-docs-tests.txt``, ``dev-requirements.in``, ``requirements/test.txt``)."""
    words = set(re.split(r"[-_.]", path.stem.lower())) - {"requirements", "requirement", "reqs"}
    return bool(words & DEV_WORDS) or "pre-commit" in path.stem.lower()


def _add(out: Declarations, text: object, file: Path, line: int, group: str | None, dev: bool = False) -> None:
    if not isinstance(text, str):
        out.diagnostics.append(_note(file, line, f"not a requirement string: {text!r}; skipped"))
        return
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        out.diagnostics.append(_note(file, line, f"not a PEP 508 requirement: {text!r} ({exc}); skipped"))
        return
    out.items.append(Declared(req, str(file), line, group, dev))


def _note(file: Path, line: int, message: str) -> Diagnostic:
    return Diagnostic(str(file), line, f"declared dependencies: {message}", Severity.NOTE, code=Code.UNREADABLE)


def _line_of(text: str, needle: str) -> int:
    i = text.find(needle)
    return text.count("\n", 0, i) + 1 if i >= 0 else 0


def _from_pyproject(path: Path, out: Declarations) -> None:
    try:
        if path.stat().st_size > MAX_PYPROJECT:
            out.diagnostics.append(_note(path, 0, "too large to read"))
            return
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        out.diagnostics.append(_note(path, 0, f"cannot read: {exc}"))
        return
    project = _table(data.get("project"))
    for req in _strings(project.get("dependencies")):
        _add(out, req, path, _line_of(text, req), None)
    for extra, reqs in _table(project.get("optional-dependencies")).items():
        for req in _strings(reqs):
            _add(out, req, path, _line_of(text, req), f"[{extra}]")
    for group, reqs in _table(data.get("dependency-groups")).items():  # PEP 735: development, by definition
        for req in _strings(reqs):  # {include-group = "..."} tables are not requirements
            _add(out, req, path, _line_of(text, req), f"group {group}", dev=True)
    tool = _table(data.get("tool"))
    poetry = _table(tool.get("poetry"))
    # `optional = true` dependencies are extras (named by [tool.poetry.extras]), not the runtime set
    extra_of: dict[str, str] = {canonicalize_name(req.split("[")[0].strip()): f"[{extra}]"
                for extra, reqs in _table(poetry.get("extras")).items() for req in _strings(reqs)}
    _poetry_table(_table(poetry.get("dependencies")), path, text, out, None, extra_of)
    _poetry_table(_table(poetry.get("dev-dependencies")), path, text, out, "group dev", dev=True)
    for group, table in _table(poetry.get("group")).items():  # not installed by `pip install` of the project
        _poetry_table(_table(_table(table).get("dependencies")), path, text, out, f"group {group}", dev=True)
    for group, reqs in _table(_table(tool.get("pdm")).get("dev-dependencies")).items():
        for req in _strings(reqs):
            _add(out, req, path, _line_of(text, req), f"group {group}", dev=True)


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _poetry_table(table: dict[str, Any], path: Path, text: str, out: Declarations, group: str | None,
                  extra_of: dict[str, str] | None = None, dev: bool = False) -> None:
    for name, spec in table.items():
        if canonicalize_name(name) == "python":
            continue
        extras: list[str] = []
        where = group
        if isinstance(spec, dict) and spec.get("optional") is True and group is None:
            where = (extra_of or {}).get(canonicalize_name(name), "[optional]")
        if isinstance(spec, dict):
            extras = _strings(spec.get("extras"))
            if "version" not in spec:  # path, git or url dependencies: the name is what counts here
                spec = "*"
            else:
                spec = spec["version"]
        if isinstance(spec, list):  # multiple constraints by marker: keep the name only
            spec = "*"
        specifier = poetry_specifier(spec) if isinstance(spec, str) else None
        if specifier is None:
            out.diagnostics.append(_note(path, _line_of(text, name), f"Poetry constraint {spec!r} of {name} "
                                                                     "not understood; its name alone is kept"))
            specifier = ""
        extra = f"[{','.join(extras)}]" if extras else ""
        _add(out, f"{name}{extra}{specifier}", path, _line_of(text, name), where, dev)


_POETRY_VERSION = re.compile(r"^\s*(\^|~(?!=)|==|!=|>=|<=|>|<|~=|=)?\s*([0-9][0-9A-Za-z.*+!-]*)\s*$")


def poetry_specifier(spec: str) -> str | None:
    """A Poetry constraint as a PEP 440 specifier: ``^1.2`` -> ``>=1.2,<2.0``, ``~1.2`` -> ``>=1.2,<1.3``.

    None when it cannot be read (the caller keeps the name alone).
    """
    parts = []
    for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", spec.strip()):
        if piece in ("", "*"):
            continue
        m = _POETRY_VERSION.match(piece)
        if not m:
            return None
        op, version = m.group(1) or "", m.group(2)
        if op in ("", "=") and "*" not in version:
            parts.append(f"=={version}")
        elif op in ("", "=", "=="):
            parts.append(f"=={version}")
        elif op in ("^", "~"):
            nums = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
            if not nums:
                return None
            if op == "^":
                i = next((k for k, n in enumerate(nums) if n != 0), len(nums) - 1)
            else:
                i = 1 if len(nums) > 1 else 0
            upper = [*nums[:i], nums[i] + 1]
            parts.append(f">={version},<{'.'.join(map(str, upper))}")
        else:
            parts.append(f"{op}{version}")
    return ",".join(parts)


def _from_setup_cfg(path: Path, out: Declarations) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        out.diagnostics.append(_note(path, 0, f"cannot read: {exc}"))
        return
    text = path.read_text(encoding="utf-8")
    if parser.has_option("options", "install_requires"):
        for req in _lines(parser.get("options", "install_requires")):
            _add(out, req, path, _line_of(text, req), None)
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            for req in _lines(value):
                _add(out, req, path, _line_of(text, req), f"[{extra}]")


def _lines(value: str) -> list[str]:
    out = []
    for line in value.replace(";", "\0").splitlines():
        line = line.replace("\0", ";").split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


_INSTALLS_ITSELF = re.compile(r"^(-e|--editable)?\s*\.(/)?(\[[^]]*\])?$")
_INCLUDE = re.compile(r"^(?:-r|--requirement)[\s=]*(\S+)$")


def _from_requirements(path: Path, out: Declarations, elsewhere: bool = False) -> None:
    """One requirements file. ``elsewhere``: the project declares its runtime dependencies in pyproject or
    setup.cfg; then a file that installs the project itself (``-e .``) and includes a development file
    (``-r requirements-tests.txt``) is a developer's environment."""
    stem = path.stem.lower()
    dev = dev_requirements_name(path)
    if path.parent.name == "requirements":
        group = None if stem in RUNTIME_STEMS and not dev else f"requirements/{path.name}"
    elif stem.startswith("requirements"):
        rest = stem[len("requirements"):].lstrip("-_.")
        group = None if (not rest or rest in RUNTIME_STEMS) and not dev else path.name
    else:  # dev-requirements.txt, test_requirements.in
        group = path.name
    try:
        if path.stat().st_size > MAX_REQUIREMENTS_FILE:
            out.diagnostics.append(_note(path, 0, "too large to read"))
            return
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        out.diagnostics.append(_note(path, 0, f"cannot read: {exc}"))
        return
    found: list[tuple[str, int]] = []
    itself = with_dev = False
    logical = ""
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not logical:
            start = n
        if raw.endswith("\\"):
            logical += raw[:-1] + " "
            continue
        line = re.split(r"(^|\s)#", logical + raw, maxsplit=1)[0].strip()
        logical = ""
        if _INSTALLS_ITSELF.match(line):
            itself = True
        include = _INCLUDE.match(line)
        if include and dev_requirements_name(Path(include.group(1))):
            with_dev = True
        if not line or line.startswith("-") or line.startswith("."):
            continue  # options, -r/-c includes, -e editables, local paths: not followed
        line = re.split(r"\s--?[a-z]", line, maxsplit=1)[0].strip()  # per-line options (--hash=...)
        found.append((line, start))
    # sqlmodel's and FastAPI's requirements.txt: `-e .`, `-r requirements-tests.txt`, pre-commit
    dev = dev or (elsewhere and itself and with_dev)
    if dev and group is None:
        group = path.name if path.parent.name != "requirements" else f"requirements/{path.name}"
    for line, start in found:
        _add(out, line, path, start, group, dev)

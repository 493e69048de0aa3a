"""One error model: every user-caused failure is a PonchoError with an exit code; nothing branches on text."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import poncho.errors as errors
from poncho.errors import ExitCode, PonchoError

SOURCE_DIRS = ("analysis", "index_cache", "resolver", "lock", "src/poncho")

# Branching on what an exception or a message *says*: `"x" in str(exc)`, `exc.reason.startswith(...)`,
# `note == "..."`. Data (kind, status, code, fields) is what callers branch on.
TEXT_TESTS = [
    re.compile(r"\bin\s+(str|repr)\(\s*\w*(exc|err|error|e)\w*\s*\)"),
    re.compile(r"\.(reason|message|note|args)\b[^\n]*\.(startswith|endswith)\("),
    re.compile(r"\bin\s+\w+\.(reason|message|note)\b"),
    re.compile(r"\.(reason|message|note)\s*==\s*['\"]"),
]


def _sources(repo: Path) -> list[Path]:
    return [p for d in SOURCE_DIRS for p in sorted((repo / d).rglob("*.py"))
            if "data" not in p.parts and p.name != "make_stdlib_lists.py"]


def test_no_behaviour_depends_on_message_text(repo):
    offenders = []
    for path in _sources(repo):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(rx.search(code) for rx in TEXT_TESTS):
                offenders.append(f"{path.relative_to(repo)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_grep_catches_what_it_must():
    for bad in ('if "--offline" in str(exc):', 'if "not a valid zip" not in exc.reason:',
                'is_fallback = (s.note or "").startswith("fallback for")', 'if exc.reason == "gone":'):
        assert any(rx.search(bad) for rx in TEXT_TESTS), bad


def test_no_plain_builtin_exceptions_as_domain_errors(repo):
    """ValueError/RuntimeError raised for users end as exit 70; internal control flow is allowed by name."""
    allowed = {
        ("analysis/cache.py", "ValueError"),  # a cache entry of another schema: caught two lines below
        ("lock/parse.py", "TypeError"),  # a pylock field of the wrong type: caught and made a LockFileError
        ("src/poncho/net/simple_api.py", "TypeError"),  # a page name of the wrong type: made a BadResponse
        ("src/poncho/net/index_file.py", "TypeError"),  # a PEP 691 entry of the wrong shape: made a BadResponse
        ("src/poncho/__init__.py", "TypeError"),  # lock_for(options=..., target=...): a programming error
    }
    found = set()
    for path in _sources(repo):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                if node.exc.func.id in ("ValueError", "RuntimeError", "Exception", "TypeError"):
                    found.add((str(path.relative_to(repo)), node.exc.func.id))
    assert found <= allowed, found - allowed


def test_every_error_class_has_an_exit_code_and_errors_is_a_leaf():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, PonchoError)]
    assert len(classes) >= 12
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode) and cls.exit_code not in (ExitCode.OK, ExitCode.INTERNAL), cls
    imported = {n.module for n in ast.walk(ast.parse(inspect.getsource(errors))) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(ast.parse(inspect.getsource(errors))) if isinstance(n, ast.Import)
                 for a in n.names}
    assert not {m for m in imported if m and m.startswith("poncho")}, imported

"""From a file's bytes to a syntax tree, or to exactly one diagnostic saying why not.

Python's own parser honours PEP 263 coding cookies and a UTF-8 BOM when given
bytes. Input that is not Python (NUL bytes, undecodable text, Python 2) gets
a ``path:line: reason`` diagnostic. Syntax newer than the running interpreter
(e.g. PEP 695 on 3.11) is retried with libcst, whose parser knows 3.9-3.14,
unless the text nests deeper than libcst survives (:mod:`.nesting`): its
native parser would overflow the C stack and kill the process.
"""

from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
import warnings
from dataclasses import dataclass

from .nesting import describe, too_deep
from .sites import Code, Diagnostic, ImportSite, Severity

_PY2_LINE = re.compile(
    rb"^\s*(print\s+[^\s(=]|print\s*$|exec\s+[\"'\w]|except\s+[\w.]+\s*,\s*\w+\s*:|raise\s+\w+\s*,|"
    rb".*\bur[\"']|.*(?<![\w.])0\d+\b|.*`)"
)


@dataclass
class Parsed:
    tree: ast.Module | None = None
    sites: list[ImportSite] | None = None  # set when the libcst fallback collected them directly
    diagnostics: list[Diagnostic] | None = None


# ``warnings.catch_warnings`` swaps the process-wide filter list and puts back what it saw on entry: two
# threads parsing at once could put back each other's "ignore" (silencing the program's warnings for good)
# or parse while a program's "error" filter is back in place (a valid file with an invalid escape then
# reads as a syntax error). One lock keeps each parse and its filter swap together; the GIL runs one
# parse at a time anyway, so it costs nothing. libcst's native fallback parser runs under it too.
PARSE_LOCK = threading.RLock()


def quiet_parse(source: str | bytes, file: str) -> ast.Module:
    """``ast.parse`` without the parser's warnings (invalid escapes ...), safe to call from several threads."""
    with PARSE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=file)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _line_text(data: bytes, lineno: int | None) -> bytes:
    if not lineno:
        return b""
    lines = data.split(b"\n", lineno)
    return lines[lineno - 1] if len(lines) >= lineno else b""


def parse_python(data: bytes, file: str, package: str = "") -> Parsed:
    """Parse ``data`` (a .py file's bytes) without running anything."""
    nul = data.find(b"\0")
    if nul >= 0:
        return Parsed(diagnostics=[Diagnostic(file, _line_of(data, nul),
                                              "not Python source: contains a NUL byte (binary file?)",
                                                  code=Code.UNREADABLE)])
    try:
        return Parsed(tree=quiet_parse(data, file))
    except SyntaxError as exc:
        error = exc
    except (ValueError, MemoryError, RecursionError) as exc:  # ValueError: source cannot contain null bytes
        return Parsed(diagnostics=[Diagnostic(file, 1, f"cannot parse: {exc}", code=Code.UNREADABLE)])
    msg = error.msg or "invalid syntax"
    line = error.lineno or 1
    undecodable = _undecodable(data)
    if undecodable is not None:
        at, reason = undecodable
        return Parsed(diagnostics=[Diagnostic(file, at or line, f"cannot decode: {reason}", code=Code.UNREADABLE)])
    deep = too_deep(data)
    if deep is not None:
        reason = f"cannot parse: {msg} (line {line}); nesting too deep for the fallback parser: {describe(deep)}"
        return Parsed(diagnostics=[Diagnostic(file, deep.line, reason, code=Code.UNREADABLE)])
    fallback = _libcst_fallback(data, file, package)
    if fallback is not None:
        return fallback
    if _reports_python2(error) or _PY2_LINE.match(_line_text(data, error.lineno)):
        return Parsed(diagnostics=[Diagnostic(file, line, f"Python 2 syntax, not analyzed: {msg}",
                                                  code=Code.UNREADABLE)])
    return Parsed(diagnostics=[Diagnostic(file, line, f"cannot parse: {msg}", code=Code.UNREADABLE)])


def _undecodable(data: bytes) -> tuple[int, str] | None:
    """``(line, reason)`` when ``data`` is not text in its PEP 263 encoding, else None (0: line unknown).

    Typed, where CPython's SyntaxError only says it in its message:
    ``detect_encoding`` raises SyntaxError for nothing but a bad or unknown
    cookie, and decoding raises UnicodeDecodeError at the offending byte.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return 0, str(exc)
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return _line_of(data, exc.start), f"{exc} (no PEP 263 coding cookie?)"
    except LookupError as exc:  # a codec that cannot decode (e.g. a text transform)
        return 0, str(exc)
    return None


def _reports_python2(error: SyntaxError) -> bool:
    """Whether CPython's parser recognized a Python 2 ``print``/``exec`` statement.

    The one place where behaviour reads a message: CPython says so only in
    the text ("Missing parentheses in call to 'print'"), with no SyntaxError
    subclass or attribute to test. A changed wording only loses the "Python 2"
    label (``_PY2_LINE`` still catches most such lines); the file is
    reported as unparsable either way.
    """
    return (error.msg or "").startswith("Missing parentheses in call to")


def _libcst_fallback(data: bytes, file: str, package: str) -> Parsed | None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from .cst_fallback import ImportCollector

    try:
        with PARSE_LOCK:
            module = cst.parse_module(data)
    except Exception:
        return None
    collector = ImportCollector(file, package)
    try:
        MetadataWrapper(module, unsafe_skip_copy=True).visit(collector)
    except Exception:
        return None
    diags = [Diagnostic(file, ln, f"relative import {rel!r} goes above the top-level package",
                        code=Code.UNREADABLE)
             for ln, rel in collector.unresolved_relative]
    diags.append(Diagnostic(file, 1, "syntax newer than the running Python: static imports only (no guards, "
                                     "dynamic imports or plugin hints)", Severity.INFO,
                        code=Code.PARTIAL_ANALYSIS))
    return Parsed(sites=collector.sites, diagnostics=diags)

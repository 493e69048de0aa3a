"""Jupyter notebooks: the code cells, with IPython syntax blanked so the rest parses.

Cells are numbered from 1 by their position in the notebook (markdown cells
count, as in the notebook's own order), and lines from 1 within the cell.
``%pip install x`` / ``!pip install x`` (and conda/uv variants) become
:attr:`Kind.HINT` sites naming distribution ``x``.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field, replace

from .parsing import quiet_parse
from .sites import Code, Diagnostic, ImportSite, Kind, Severity

# cell magics whose body is Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "tracemalloc",
                                "snakeviz"})
_INSTALL = re.compile(
    r"^\s*[!%]\s*(?:\{[^}]*\}\s+-m\s+|python[\d.]*\s+-m\s+)?(?:pip3?|conda|mamba|micromamba|uv\s+pip)\s+install\s+(?P<args>.*)$"
)
_SHELL_INSTALL = re.compile(r"^\s*(?:python[\d.]*\s+-m\s+)?(?:pip3?|conda|mamba|uv\s+pip)\s+install\s+(?P<args>.*)$")
# No leading \s*: the class holds whitespace already, and the overlap made a long blank line quadratic.
_ASSIGN_MAGIC = re.compile(r"^[\w.,\s\[\]()*]+=\s*[!%]")
_OPTIONS_WITH_VALUE = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                                 "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                                 "-n", "--name", "-p", "--channel", "--python"})


@dataclass
class Cell:
    number: int  # 1-based position in the notebook
    source: str  # with IPython syntax blanked
    hints: list[tuple[int, str, str]] = field(default_factory=list)  # (line, distribution, line text)
    problem: str | None = None  # why the cell was not read (its source is not text)


def _install_names(args: str) -> list[str]:
    from packaging.requirements import InvalidRequirement, Requirement  # only notebooks with %pip pay for it

    try:
        tokens = shlex.split(args, comments=True)
    except ValueError:
        tokens = args.split()
    names, skip = [], False
    for tok in tokens:
        if skip:
            skip = False
            continue
        if tok.startswith("-"):
            skip = tok in _OPTIONS_WITH_VALUE
            continue
        if (any(ch in tok for ch in "/\\{$") or tok.startswith(".") or "://" in tok
                or tok.endswith((".whl", ".tar.gz", ".zip"))):
            continue
        try:
            names.append(Requirement(tok).name)
        except InvalidRequirement:
            continue
    return names


def clean_cell(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """Python text with magics/shell/help lines replaced by ``pass`` (same indentation), and install hints."""
    lines = text.split("\n")
    hints: list[tuple[int, str, str]] = []
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(None, 1)[0] if lines[first].lstrip()[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            for i, ln in enumerate(lines[first + 1:], first + 2):
                m = _SHELL_INSTALL.match(ln) if magic in ("bash", "sh", "script", "system") else None
                if m:
                    hints += [(i, n, ln.strip()) for n in _install_names(m.group("args"))]
            return "", hints
        lines[first] = ""
    out = []
    for i, ln in enumerate(lines, 1):
        stripped = ln.lstrip()
        indent = ln[: len(ln) - len(stripped)]
        if stripped.startswith(("%", "!")) or _ASSIGN_MAGIC.match(ln):
            m = _INSTALL.match(ln)
            if m:
                hints += [(i, n, stripped) for n in _install_names(m.group("args"))]
            out.append(indent + "pass")
        elif stripped.startswith("?") or (stripped.endswith("?") and not stripped.startswith("#")
                                          and "#" not in stripped):
            out.append(indent + "pass")
        else:
            out.append(ln)
    return "\n".join(out), hints


def _object(value: object) -> dict:
    """``value`` if it is a JSON object, else an empty one: notebooks from anywhere have any shape."""
    return value if isinstance(value, dict) else {}


def _source_text(src: object) -> str | None:
    """A cell's source: a string, or a list of strings (nbformat 4); None for anything else."""
    if isinstance(src, str):
        return src
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    return None


_JSON_NAMES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string",
               list: "a list", dict: "an object"}


def _shape(value: object) -> str:
    """``value``'s JSON type for a diagnostic (``a list holding null``)."""
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        return f"a list holding {_JSON_NAMES.get(type(bad), 'something else')}"
    return _JSON_NAMES.get(type(value), "something else")


def notebook_cells(data: bytes) -> tuple[list[Cell], str | None]:
    """The cleaned code cells, or an error text when the file is not a Python notebook.

    A code cell whose source is not text comes back with ``problem`` set and
    no source; other cells that are not objects are skipped (they have no type).
    """
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [], f"not a notebook: {exc}"
    except RecursionError:
        return [], "not a notebook: JSON nested too deeply"
    if not isinstance(nb, dict):
        return [], "not a notebook: top level is not an object"
    meta = _object(nb.get("metadata"))
    language = (_object(meta.get("kernelspec")).get("language") or _object(meta.get("language_info")).get("name")
                or "python")
    if not isinstance(language, str) or language.lower() != "python":
        return [], f"notebook language is {language!r}, not Python"
    raw = nb.get("cells")
    if raw is None and nb.get("worksheets"):  # nbformat 3
        worksheets = nb["worksheets"]
        if not isinstance(worksheets, list):
            return [], "not a notebook: worksheets is not a list"
        raw = [dict(c, source=c.get("input", "")) if isinstance(c, dict) else c
               for ws in worksheets for c in (_object(ws).get("cells") or [])]
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        return [], f"not a notebook: cells is {_shape(raw)}, not a list"
    cells = []
    for number, c in enumerate(raw, 1):
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            continue
        text = _source_text(c.get("source", ""))
        if text is None:
            cells.append(Cell(number, "", problem=f"cell source is {_shape(c.get('source'))}, not text: "
                                                  "cell not analyzed"))
            continue
        cleaned, hints = clean_cell(text)
        cells.append(Cell(number, cleaned, hints))
    return cells, None


def _parse(source: str, file: str) -> ast.Module:
    """``ast.parse``; every way it can refuse text is a SyntaxError, so callers catch one type."""
    if "\0" in source:
        raise SyntaxError("source contains a NUL byte")
    try:
        return quiet_parse(source, file)
    except (MemoryError, RecursionError):
        raise SyntaxError("nested too deeply to parse") from None
    except ValueError as exc:  # e.g. surrogates the encoder refuses
        raise SyntaxError(f"cannot read: {exc}") from None


def analyze_notebook(data: bytes, file: str, collect) -> tuple[list[ImportSite], list[Diagnostic]]:
    """Sites of a notebook; ``collect(tree, text_bytes)`` runs the module visitor on a parsed tree."""
    cells, error = notebook_cells(data)
    if error:
        return [], [Diagnostic(file, 1, error, code=Code.UNREADABLE)]
    sites: list[ImportSite] = []
    diags: list[Diagnostic] = [Diagnostic(file, 1, c.problem, Severity.WARNING, c.number, Code.UNREADABLE)
                               for c in cells if c.problem]
    for cell in cells:
        for line, dist, text in cell.hints:
            sites.append(ImportSite(file=file, line=line, module=dist, kind=Kind.HINT, distribution=dist,
                                    cell=cell.number, note=text, rule="notebook-install"))
    # One module of all cells (they share a namespace), mapping lines back to cells.
    where: list[tuple[int, int]] = []
    chunks = []
    for cell in cells:
        lines = cell.source.split("\n")
        chunks.extend(lines)
        where.extend((cell.number, i) for i in range(1, len(lines) + 1))
    joined = "\n".join(chunks) + "\n"
    try:
        trees: list[tuple[ast.Module, str, int | None]] = [(_parse(joined, file), joined, None)]
    except SyntaxError:
        trees = []
        for cell in cells:
            try:
                trees.append((_parse(cell.source, file), cell.source, cell.number))
            except SyntaxError as exc:
                diags.append(Diagnostic(file, exc.lineno or 1, f"cannot parse: {exc.msg}", Severity.WARNING,
                                        cell.number,
                                        Code.UNREADABLE))
    for tree, text, number in trees:
        found, more = collect(tree, text.encode("utf-8"))
        for s in found:
            cell_no, line = (number, s.line) if number is not None else where[min(s.line, len(where)) - 1]
            sites.append(replace(s, cell=cell_no, line=line))
        for d in more:
            cell_no, line = (number, d.line) if number is not None else where[min(max(d.line, 1), len(where)) - 1]
            diags.append(replace(d, cell=cell_no, line=line))
    return sites, diags

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
import warnings
from dataclasses import dataclass, field, replace


from .sites import Code, Diagnostic, ImportSite, Kind, Severity

# cell magics whose body is Python
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "tracemalloc", "snakeviz"})
_INSTALL = re.compile(
    r"^\s*[!%]\s*(?:\{[^}]*\}\s+-m\s+|python[\d.]*\s+-m\s+)?(?:pip3?|conda|mamba|micromamba|uv\s+pip)\s+install\s+(?P<args>.*)$"
)
_SHELL_INSTALL = re.compile(r"^\s*(?:python[\d.]*\s+-m\s+)?(?:pip3?|conda|mamba|uv\s+pip)\s+install\s+(?P<args>.*)$")
_ASSIGN_MAGIC = re.compile(r"^\s*[\w.,\s\[\]()*]+=\s*[!%]")
_OPTIONS_WITH_VALUE = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
                                 "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
                                 "-n", "--name", "-p", "--prefix", "--channel", "--python"})


@dataclass
class Cell:
    number: int  # 1-based position in the notebook
    source: str  # with IPython syntax blanked
    hints: list[tuple[int, str, str]] = field(default_factory=list)  # (line, distribution, line text)


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
        if any(ch in tok for ch in "/\\{$") or tok.startswith(".") or "://" in tok or tok.endswith((".whl", ".tar.gz", ".zip")):
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
        elif stripped.startswith("?") or (stripped.endswith("?") and not stripped.startswith("#") and "#" not in stripped):
            out.append(indent + "pass")
        else:
            out.append(ln)
    return "\n".join(out), hints


def notebook_cells(data: bytes) -> tuple[list[Cell], str | None]:
    """The cleaned code cells, or an error text when the file is not a Python notebook."""
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [], f"not a notebook: {exc}"
    if not isinstance(nb, dict):
        return [], "not a notebook: top level is not an object"
    meta = nb.get("metadata") or {}
    language = ((meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name") or "python")
    if str(language).lower() != "python":
        return [], f"notebook language is {language!r}, not Python"
    raw = nb.get("cells")
    if raw is None and nb.get("worksheets"):  # nbformat 3
        raw = [dict(c, source=c.get("input", "")) for ws in nb["worksheets"] for c in ws.get("cells", [])]
    cells = []
    for number, c in enumerate(raw or [], 1):
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            continue
        src = c.get("source", "")
        text = "".join(src) if isinstance(src, list) else str(src)
        cleaned, hints = clean_cell(text)
        cells.append(Cell(number, cleaned, hints))
    return cells, None


def analyze_notebook(data: bytes, file: str, collect) -> tuple[list[ImportSite], list[Diagnostic]]:
    """Sites of a notebook; ``collect(tree, text_bytes)`` runs the module visitor on a parsed tree."""
    cells, error = notebook_cells(data)
    if error:
        return [], [Diagnostic(file, 1, error, code=Code.UNREADABLE)]
    sites: list[ImportSite] = []
    diags: list[Diagnostic] = []
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(joined, filename=file)
        trees = [(tree, joined, None)]
    except SyntaxError:
        trees = []
        for cell in cells:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    trees.append((ast.parse(cell.source, filename=file), cell.source, cell.number))
            except SyntaxError as exc:
                diags.append(Diagnostic(file, exc.lineno or 1, f"cannot parse: {exc.msg}", Severity.WARNING, cell.number,
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

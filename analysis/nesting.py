"""How deeply a source text nests, measured before it may reach libcst.

libcst's native parser recurses once per nesting level on the C stack and
takes time quadratic in the length of an operator chain: 2,000 nested
brackets, or a 10,000-term ``+`` chain after a ``type X = int`` line that
makes CPython give up early, kill the process with a segfault (no Python
exception, no diagnostic). CPython rejects such input itself (brackets
deeper than 200, indentation deeper than 100 levels), so the libcst fallback
never needs it. :func:`measure` scans the bytes once with a regular
expression, without parsing, and :func:`too_deep` says whether the fallback
may run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: CPython's tokenizer limits (MAXLEVEL, MAXINDENT in Parser/tokenizer.h): deeper input is never Python.
MAX_BRACKETS = 200
MAX_INDENT = 100
#: Operators chained inside one expression (``a + b + ...``, ``- - - x``, ``a.b.c...``), summed over
#: the enclosing brackets. libcst parses 300 in ~30 ms; past a few thousand it overflows an 8 MB stack.
MAX_CHAIN = 300
#: ``elif`` branches of one ``if``: each nests in the previous one's else (libcst segfaults near 10,000).
MAX_ELIFS = 1000

_TOKEN = re.compile(
    rb"""(?P<str>[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\""""
    rb"""|'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))"""
    rb"|(?P<comment>\#[^\n]*)"
    rb"|(?P<cont>\\\r?\n)"
    rb"|(?P<nl>\r?\n[ \t\f]*)"
    rb"|(?P<open>[(\[{])"
    rb"|(?P<close>[)\]}])"
    rb"|(?P<sep>[,;])"
    rb"|(?P<word>\b(?:not|and|or|if|else|lambda|await|in|is|for|yield)\b)"
    rb"|(?P<op>\*\*|//|->|:=|[-+*/%@&|^~<>=!.:])",
    re.S,
)
_ELIF = re.compile(rb"elif\b")


@dataclass(frozen=True)
class Nesting:
    brackets: int = 0  # deepest bracket nesting
    indent: int = 0  # deepest block indentation, in levels
    chain: int = 0  # longest operator chain, summed over the brackets around it
    elifs: int = 0  # longest run of ``elif`` branches
    line: int = 1  # where the first limit was exceeded (else 1)


def measure(data: bytes) -> Nesting:
    """One pass over ``data``: strings and comments are skipped, nothing is parsed."""
    depth = max_depth = max_chain = total = 0
    chains = [0]  # operator count of the current expression at each bracket level; ``total`` is their sum
    indents = [0]
    max_indent = 0
    where = -1  # offset at which a limit was first exceeded
    elifs: dict[int, int] = {}  # indentation width -> elif branches in a row there
    max_elifs = 0
    for m in _TOKEN.finditer(data):
        kind = m.lastgroup
        if kind == "open":
            chains[-1] += 1
            total += 1
            depth += 1
            chains.append(0)
            max_depth = max(max_depth, depth)
            max_chain = max(max_chain, total)
            if where < 0 and (depth > MAX_BRACKETS or total > MAX_CHAIN):
                where = m.start()
        elif kind == "close":
            if depth:
                depth -= 1
                total -= chains.pop()
        elif kind in ("op", "word"):
            chains[-1] += 1
            total += 1
            max_chain = max(max_chain, total)
            if where < 0 and total > MAX_CHAIN:
                where = m.start()
        elif kind == "sep":
            total -= chains[-1]
            chains[-1] = 0
        elif kind == "nl" and depth == 0:
            chains, total = [0], 0
            nxt = data[m.end():m.end() + 1]
            if nxt in (b"", b"\n", b"\r", b"#"):
                continue  # blank lines and comments do not indent
            width = len(m.group().lstrip(b"\r\n").expandtabs(8))
            if _ELIF.match(data, m.end()):
                elifs[width] = run = elifs.get(width, 0) + 1
                max_elifs = max(max_elifs, run)
                if where < 0 and run > MAX_ELIFS:
                    where = m.end()
            elif not data.startswith(b"else", m.end()):
                elifs = {w: n for w, n in elifs.items() if w < width}
            while width < indents[-1]:
                indents.pop()
            if width > indents[-1]:
                indents.append(width)
                max_indent = max(max_indent, len(indents) - 1)
                if where < 0 and max_indent > MAX_INDENT:
                    where = m.end()
    line = data.count(b"\n", 0, where) + 1 if where >= 0 else 1
    return Nesting(max_depth, max_indent, max_chain, max_elifs, line)


def too_deep(data: bytes) -> Nesting | None:
    """The measure when ``data`` nests deeper than the libcst fallback may be given, else None."""
    n = measure(data)
    if n.brackets > MAX_BRACKETS or n.indent > MAX_INDENT or n.chain > MAX_CHAIN or n.elifs > MAX_ELIFS:
        return n
    return None


def describe(n: Nesting) -> str:
    """Which limit ``n`` exceeds, for a diagnostic."""
    if n.brackets > MAX_BRACKETS:
        return f"brackets nested {n.brackets} deep (Python allows {MAX_BRACKETS})"
    if n.indent > MAX_INDENT:
        return f"blocks nested {n.indent} deep (Python allows {MAX_INDENT})"
    if n.elifs > MAX_ELIFS:
        return f"an if with {n.elifs} elif branches (the fallback parser takes at most {MAX_ELIFS})"
    return f"an expression chaining {n.chain} operators (the fallback parser takes at most {MAX_CHAIN})"

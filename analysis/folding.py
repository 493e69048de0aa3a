"""Constant folding of strings, enough to name the module a dynamic import loads.

``fold(expr, env)`` returns the candidate values an expression can have, each
a :class:`Folded` that is either the exact string or only its known prefix
(``f"plugins.{name}"`` -> prefix ``plugins.``). An empty list means unknown.
Nothing is evaluated: only literals, names bound to literals, ``+``, ``%``,
``str.format`` and f-strings.
"""

from __future__ import annotations

import ast
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from itertools import product

MAX_CANDIDATES = 32  # values kept for one expression; more are cut (a plugin list rarely has more)
MAX_TEXT = 4096  # longest string a fold builds: module names and URLs are far shorter
MAX_COMBINATIONS = 1024  # argument combinations one `%` or `.format` may try (n**k over loop lists)
MAX_STRINGS = 10_000  # strings one sequence value may hold (`a = a + a` doubles it)
MAX_WORK = 4_000_000  # characters one fold may copy, all steps together
MAX_DEPTH = 100  # nested expressions one fold follows (a flat `a + b + ...` chain counts once)


class FoldLimit(Exception):
    """A fold went past a bound: the caller drops the site and reports ``reason`` (PR103), nothing huge is built."""

    def __init__(self, reason: str, inherited: bool = False) -> None:
        self.reason = reason
        self.inherited = inherited  # raised by using a name already past a bound: ``reason`` names it
        super().__init__(reason)


@dataclass(frozen=True)
class Folded:
    text: str
    exact: bool = True

    def module_prefix(self) -> str | None:
        """The dotted module this value certainly names or lies inside."""
        if self.exact:
            return self.text
        head = self.text.rpartition(".")[0]
        return head or None


# An environment maps names to candidate values: ("str", [...]) or ("seq", [...]) for lists of strings,
# or ("limit", reason) for a name whose value went past a bound (using it reports the reason).
# A function's environment is a ChainMap over its module's (copying would cost O(globals) per
# function); so a name is never deleted, it is rebound to _UNKNOWN, which hides an outer value.
Env = MutableMapping
_UNKNOWN: tuple = ("", [])


def fold(node: ast.expr | None, env: Env | None = None) -> list[Folded]:
    """Candidate values of ``node``; raises :class:`FoldLimit` rather than build something huge."""
    if isinstance(node, ast.Constant):  # the common cases, without a _Folder
        return [Folded(node.value)] if isinstance(node.value, str) else []
    if not isinstance(node, (ast.Name, ast.JoinedStr, ast.BinOp, ast.Call)):
        return []
    return _Folder(env or {}).fold(node)


def strings_in(node: ast.expr | None, env: Env | None = None, keys: frozenset[str] = frozenset()) -> list[Folded]:
    """All string values in a literal container (lists, tuples, sets, dicts, ``a + b``).

    With ``keys``, only dict values under those keys are taken (``{"ENGINE": ...}``).
    Raises :class:`FoldLimit` like :func:`fold`.
    """
    return _Folder(env or {}).strings(node, keys)


def environment_default(call: ast.Call) -> ast.expr | None:
    """The default of an environment lookup: ``os.environ.get("DATABASE_URL", "postgresql://...")``,
    ``os.getenv("X", default=...)``, ``os.environ.setdefault(...)``; the value the program has when
    the variable is unset, which names the back end its author runs (None for any other call)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("get", "setdefault"):
        owner = func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
        if name != "environ":
            return None
    elif not ((isinstance(func, ast.Attribute) and func.attr == "getenv")
              or (isinstance(func, ast.Name) and func.id == "getenv")):
        return None
    for k in call.keywords:
        if k.arg in ("default", "value"):
            return k.value
    return call.args[1] if len(call.args) > 1 and not isinstance(call.args[0], ast.Starred) else None


def _operands(node: ast.expr) -> list[ast.expr]:
    """``a + b + c`` (left-nested BinOps) as ``[a, b, c]``, without recursion: chains may be thousands long."""
    out = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        out.append(node.right)
        node = node.left
    out.append(node)
    out.reverse()
    return out


def _is_seq(node: ast.expr, env: Env) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return True
    if isinstance(node, ast.Name):
        return env.get(node.id, _UNKNOWN)[0] == "seq"
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return False
    for operand in _operands(node):
        if isinstance(operand, (ast.List, ast.Tuple, ast.Set)):
            return True
        if isinstance(operand, ast.Name) and env.get(operand.id, ("", []))[0] == "seq":
            return True
        if isinstance(operand, ast.BinOp) and isinstance(operand.op, ast.Add) and _is_seq(operand, env):
            return True  # a parenthesized right operand: bounded by Python's bracket limit
    return False


def bind(env: Env, name: str, value: ast.expr) -> None:
    """Record ``name = value`` in ``env``; a second, different binding keeps the common prefix.

    A value past a bound is remembered as such: only a site that uses the
    name reports it (a long SQL text nobody imports must not warn).
    """
    try:
        _bind(env, name, value)
    except FoldLimit as exc:
        where = f"{name} on line {value.lineno}" if hasattr(value, "lineno") else name
        env[name] = ("limit", exc.reason if exc.inherited else f"{where}: {exc.reason}")


def _bind(env: Env, name: str, value: ast.expr) -> None:
    if _is_seq(value, env):
        values = strings_in(value, env)
        if values:
            env[name] = ("seq", values)
        return
    values = fold(value, env)
    if not values:
        env[name] = _UNKNOWN
        return
    old = env.get(name)
    if old and old[0] == "str" and old[1] != values:
        prefix = _common_prefix([v.text for v in old[1] + values])
        if prefix:
            env[name] = ("str", [Folded(prefix, False)])
        else:
            env[name] = _UNKNOWN
        return
    env[name] = ("str", values)


def _common_prefix(texts: list[str]) -> str:
    first, last = min(texts), max(texts)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    return first[:n]


def _cap(values: list[Folded]) -> list[Folded]:
    return list(dict.fromkeys(values))[:MAX_CANDIDATES]


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdirf]")
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*)(?:\.(\d+))?")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_NESTED_FIELD = re.compile(r"\{[^{}]+\{")  # "{0:{1}}"; an escaped "{{" has nothing between


class _Folder:
    """One fold: the environment, and the work and depth spent so far (the bounds are per fold)."""

    __slots__ = ("env", "work", "depth")

    def __init__(self, env: Env) -> None:
        self.env = env
        self.work = 0
        self.depth = 0

    # bounds ---------------------------------------------------------------------------------
    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FoldLimit(f"an expression nested more than {MAX_DEPTH} deep")

    def _charge(self, length: int, combinations: int = 1) -> None:
        """Account for building ``combinations`` strings of up to ``length`` characters, before building them."""
        if length > MAX_TEXT:
            raise FoldLimit(f"a string longer than {MAX_TEXT} characters")
        if combinations > MAX_COMBINATIONS:
            raise FoldLimit(f"more than {MAX_COMBINATIONS} combinations of candidate values")
        self.work += length * combinations
        if self.work > MAX_WORK:
            raise FoldLimit(f"more than {MAX_WORK:,} characters of folding work")

    def _text(self, a: str, b: str) -> str:
        self._charge(len(a) + len(b))
        return a + b

    # values ---------------------------------------------------------------------------------
    def fold(self, node: ast.expr | None) -> list[Folded]:
        if node is None:
            return []
        if isinstance(node, ast.Constant):
            return [Folded(node.value)] if isinstance(node.value, str) else []
        if isinstance(node, ast.Name):
            kind, values = self.env.get(node.id, ("", []))
            if kind == "limit":
                raise FoldLimit(values, inherited=True)
            return list(values) if kind == "str" else []
        if not isinstance(node, (ast.JoinedStr, ast.BinOp, ast.Call)):
            return []
        # No try/finally around the depth: a FoldLimit ends this whole fold, and the _Folder with it.
        self._enter()
        if isinstance(node, ast.JoinedStr):
            out = self._fstring(node)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            out = self._sum(node)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            out = self._percent(self.fold(node.left), node.right)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            out = self._format(self.fold(node.func.value), node)
        elif isinstance(node, ast.Call) and (default := environment_default(node)) is not None:
            out = self.fold(default)
        else:
            out = []
        self.depth -= 1
        return out

    def strings(self, node: ast.expr | None, keys: frozenset[str]) -> list[Folded]:
        out: list[Folded] = []
        if node is None:
            return out
        self._enter()
        self._strings(node, keys, out)
        self.depth -= 1
        return out

    def _strings(self, node: ast.expr, keys: frozenset[str], out: list[Folded]) -> None:
        env = self.env
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for e in node.elts:
                self._extend(out, self.strings(e.value if isinstance(e, ast.Starred) else e, keys))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                key = k.value if isinstance(k, ast.Constant) else None
                if keys and key in keys:
                    self._extend(out, self.fold(v) or self.strings(v, keys))
                elif isinstance(v, (ast.Dict, ast.List, ast.Tuple)) or (not keys and v is not None):
                    self._extend(out, self.strings(v, keys))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _is_seq(node, env):
            for operand in _operands(node):
                self._extend(out, self.strings(operand, keys))
        elif isinstance(node, ast.Name) and env.get(node.id, ("", []))[0] == "seq":
            self._extend(out, env[node.id][1])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args \
                and node.func.id in ("list", "tuple", "set"):
            self._extend(out, self.strings(node.args[0], keys))
        elif not keys:
            self._extend(out, self.fold(node))

    @staticmethod
    def _extend(out: list[Folded], values: list[Folded]) -> None:
        if len(out) + len(values) > MAX_STRINGS:
            raise FoldLimit(f"more than {MAX_STRINGS:,} strings in one value")
        out.extend(values)

    # operators ------------------------------------------------------------------------------
    def _sum(self, node: ast.BinOp) -> list[Folded]:
        operands = _operands(node)
        values = self.fold(operands[0])
        for right_node in operands[1:]:
            if not values:
                return []
            values = self._concat(values, self.fold(right_node))
        return values

    def _concat(self, left: list[Folded], right: list[Folded]) -> list[Folded]:
        """Every left + right; a prefix stays a prefix, and an unknown right end makes a known left a prefix."""
        out = []
        for a in left:
            if not a.exact:
                out.append(a)
            elif not right:
                out.append(Folded(a.text, False))
            else:
                out.extend(Folded(self._text(a.text, b.text), b.exact) for b in right)
        return _cap(out)

    def _fstring(self, node: ast.JoinedStr) -> list[Folded]:
        out = [Folded("")]
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out = [Folded(self._text(o.text, part.value), True) if o.exact else o for o in out]
                continue
            simple = (isinstance(part, ast.FormattedValue) and part.format_spec is None
                      and part.conversion in (-1, 115))
            values = self.fold(part.value) if isinstance(part, ast.FormattedValue) and simple else []
            out = self._concat(out, values)
        return out

    def _percent(self, left: list[Folded], right_node: ast.expr) -> list[Folded]:
        out = []
        args_nodes = right_node.elts if isinstance(right_node, ast.Tuple) else [right_node]
        arg_values = [self.fold(a) for a in args_nodes]
        for fmt in left:
            if not fmt.exact:
                out.append(fmt)
                continue
            if all(arg_values) and all(v.exact for vs in arg_values for v in vs):
                widths = [int(w) for m in _PERCENT_WIDTH.finditer(fmt.text) for w in m.groups() if w]
                self._bound(fmt.text, fmt.text.count("%"), arg_values, widths, len(left))
                for combo in product(*arg_values):
                    try:
                        out.append(Folded(fmt.text % tuple(v.text for v in combo)))
                    except (TypeError, ValueError, KeyError):
                        return []
            else:
                m = _PERCENT.search(fmt.text)
                out.append(Folded(fmt.text[: m.start()] if m else fmt.text, m is None))
        return _cap(out)

    def _format(self, left: list[Folded], call: ast.Call) -> list[Folded]:
        out = []
        args = [self.fold(a) for a in call.args]
        kwargs = {k.arg: self.fold(k.value) for k in call.keywords if k.arg}
        known = all(args) and all(kwargs.values()) and all(v.exact for vs in [*args, *kwargs.values()] for v in vs) \
            and not any(isinstance(a, ast.Starred) for a in call.args) and all(k.arg for k in call.keywords)
        for fmt in left:
            if not fmt.exact:
                out.append(fmt)
                continue
            specs = _FORMAT_SPEC.findall(fmt.text)
            if known and not _NESTED_FIELD.search(fmt.text):  # a nested field takes its width from a value
                widths = [int(w) for spec in specs for w in re.findall(r"\d+", spec)]
                self._bound(fmt.text, fmt.text.count("{"), [*args, *kwargs.values()], widths, len(left))
                keys = list(kwargs)
                for combo in product(*args, *kwargs.values()):
                    texts = [v.text for v in combo]
                    try:
                        out.append(Folded(fmt.text.format(*texts[: len(args)], **dict(zip(keys, texts[len(args):])))))
                    except (IndexError, KeyError, ValueError, AttributeError):
                        return []
            else:
                cut = fmt.text.find("{")
                out.append(Folded(fmt.text[:cut] if cut >= 0 else fmt.text, cut < 0))
        return _cap(out)

    def _bound(self, fmt: str, fields: int, values: list[list[Folded]], widths: list[int], formats: int) -> None:
        """Charge a ``%`` or ``.format`` before it runs: its longest possible result times its combinations."""
        combinations = formats
        for vs in values:
            combinations *= len(vs)
            if combinations > MAX_COMBINATIONS:
                break
        longest = max([len(v.text) for vs in values for v in vs] + widths + [0])
        self._charge(len(fmt) + fields * longest, combinations)

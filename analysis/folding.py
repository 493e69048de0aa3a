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
from dataclasses import dataclass
from itertools import product

MAX_CANDIDATES = 32


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


# An environment maps names to candidate values: ("str", [...]) or ("seq", [...]) for lists of strings.
Env = dict


def fold(node: ast.expr | None, env: Env | None = None) -> list[Folded]:
    if node is None:
        return []
    env = env or {}
    if isinstance(node, ast.Constant):
        return [Folded(node.value)] if isinstance(node.value, str) else []
    if isinstance(node, ast.Name):
        kind, values = env.get(node.id, ("", []))
        return list(values) if kind == "str" else []
    if isinstance(node, ast.JoinedStr):
        return _fstring(node, env)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _concat(fold(node.left, env), node.right, env)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _percent(fold(node.left, env), node.right, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _format(fold(node.func.value, env), node, env)
    return []


def strings_in(node: ast.expr | None, env: Env | None = None, keys: frozenset[str] = frozenset()) -> list[Folded]:
    """All string values in a literal container (lists, tuples, sets, dicts, ``a + b``).

    With ``keys``, only dict values under those keys are taken (``{"ENGINE": ...}``).
    """
    env = env or {}
    out: list[Folded] = []
    if node is None:
        return out
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for e in node.elts:
            out.extend(strings_in(e.value if isinstance(e, ast.Starred) else e, env, keys))
    elif isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values):
            key = k.value if isinstance(k, ast.Constant) else None
            if keys and key in keys:
                out.extend(fold(v, env) or strings_in(v, env, keys))
            elif isinstance(v, (ast.Dict, ast.List, ast.Tuple)) or (not keys and v is not None):
                out.extend(strings_in(v, env, keys))
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _is_seq(node, env):
        out.extend(strings_in(node.left, env, keys))
        out.extend(strings_in(node.right, env, keys))
    elif isinstance(node, ast.Name) and env.get(node.id, ("", []))[0] == "seq":
        out.extend(env[node.id][1])
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple", "set") and node.args:
        out.extend(strings_in(node.args[0], env, keys))
    elif not keys:
        out.extend(fold(node, env))
    return out


def _is_seq(node: ast.expr, env: Env) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return True
    if isinstance(node, ast.Name):
        return env.get(node.id, ("", []))[0] == "seq"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_seq(node.left, env) or _is_seq(node.right, env)
    return False


def bind(env: Env, name: str, value: ast.expr) -> None:
    """Record ``name = value`` in ``env``; a second, different binding keeps the common prefix."""
    if _is_seq(value, env):
        values = strings_in(value, env)
        if values:
            env[name] = ("seq", values)
        return
    values = fold(value, env)
    if not values:
        env.pop(name, None)
        return
    old = env.get(name)
    if old and old[0] == "str" and old[1] != values:
        prefix = _common_prefix([v.text for v in old[1] + values])
        if prefix:
            env[name] = ("str", [Folded(prefix, False)])
        else:
            env.pop(name, None)
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


def _concat(left: list[Folded], right_node: ast.expr, env: Env) -> list[Folded]:
    if not left:
        return []
    right = fold(right_node, env)
    out = []
    for a in left:
        if not a.exact:
            out.append(a)
        elif not right:
            out.append(Folded(a.text, False))
        else:
            out.extend(Folded(a.text + b.text, b.exact) for b in right)
    return _cap(out)


def _fstring(node: ast.JoinedStr, env: Env) -> list[Folded]:
    out = [Folded("")]
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            out = [Folded(o.text + part.value, True) if o.exact else o for o in out]
            continue
        values = fold(part.value, env) if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion in (-1, 115) else []
        nxt = []
        for o in out:
            if not o.exact:
                nxt.append(o)
            elif not values:
                nxt.append(Folded(o.text, False))
            else:
                nxt.extend(Folded(o.text + v.text, v.exact) for v in values)
        out = _cap(nxt)
    return out


_PERCENT = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdirf]")


def _percent(left: list[Folded], right_node: ast.expr, env: Env) -> list[Folded]:
    out = []
    args_nodes = right_node.elts if isinstance(right_node, ast.Tuple) else [right_node]
    arg_values = [fold(a, env) for a in args_nodes]
    for fmt in left:
        if not fmt.exact:
            out.append(fmt)
            continue
        if all(arg_values) and all(v.exact for vs in arg_values for v in vs):
            for combo in product(*arg_values):
                try:
                    out.append(Folded(fmt.text % tuple(v.text for v in combo)))
                except (TypeError, ValueError, KeyError):
                    return []
        else:
            m = _PERCENT.search(fmt.text)
            out.append(Folded(fmt.text[: m.start()] if m else fmt.text, m is None))
    return _cap(out)


def _format(left: list[Folded], call: ast.Call, env: Env) -> list[Folded]:
    out = []
    args = [fold(a, env) for a in call.args]
    kwargs = {k.arg: fold(k.value, env) for k in call.keywords if k.arg}
    known = all(args) and all(kwargs.values()) and all(v.exact for vs in [*args, *kwargs.values()] for v in vs) \
        and not any(isinstance(a, ast.Starred) for a in call.args) and all(k.arg for k in call.keywords)
    for fmt in left:
        if not fmt.exact:
            out.append(fmt)
            continue
        if known:
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

"""Guards: which conditions surround an import, as PEP 508 markers or optional/typing flags.

Everything here reads syntax only. A condition the translator does not
understand is *unknown* (``None``): the import then carries no marker, which
over-approximates what the program needs; that is the safe direction. Inside
``and`` an unknown conjunct is dropped for the same reason.

Decisions worth knowing:

* ``except ImportError``/``ModuleNotFoundError``, and also bare ``except:``,
  ``except Exception``/``BaseException`` make the ``try`` body's imports
  optional: all of them catch the ImportError. A handler that ends in
  ``raise`` does not (the import is required; the handler only rewords the
  error). ``contextlib.suppress(ImportError)`` counts too.
* A ``try`` guards only code that runs inside it: a ``def`` in a ``try`` body
  is not guarded when called later. ``if`` conditions (markers,
  ``TYPE_CHECKING``) do carry into nested ``def``/``class``: the function
  only exists when the condition held.
* ``if False:`` (the pre-``TYPE_CHECKING`` idiom) is typing-only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import lru_cache

# A condition: ("cmp", lhs, op, rhs) | ("and", (c, ...)) | ("or", (c, ...)); None = unknown.
Cond = tuple | None
Resolve = Callable[[ast.expr], str | None]

#: Conditions one import's marker may combine. Each elif branch adds one (the negation of the branches
#: before it), so a 1,000-branch dispatcher would build 1,000 markers of 1,000 clauses each; past the
#: bound the marker is unknown, which over-approximates (the safe direction).
MAX_CONDITIONS = 64

IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}

# platform-like expressions -> PEP 508 variables
_VARIABLES = {
    "sys.platform": "sys_platform",
    "os.name": "os_name",
    "platform.system()": "platform_system",
    "platform.machine()": "platform_machine",
    "platform.python_implementation()": "platform_python_implementation",
    "platform.release()": "platform_release",
    "sys.implementation.name": "implementation_name",
}
# sys.platform.startswith(prefix) -> the exact sys.platform value where there is one
_PLATFORM_PREFIX = {"linux": "linux", "win": "win32", "win32": "win32", "darwin": "darwin",
                    "cygwin": "cygwin", "aix": "aix", "emscripten": "emscripten", "wasi": "wasi"}
_TRUTHY = {"six.PY2": ("cmp", "python_version", "<", '"3"'), "six.PY3": ("cmp", "python_version", ">=", '"3"')}


def _quote(value: str) -> str:
    return '"' + value.replace('"', "'") + '"'


def negate(cond: Cond) -> Cond:
    if cond is None:
        return None
    tag = cond[0]
    if tag == "cmp":
        return ("cmp", cond[1], _NEGATE[cond[2]], cond[3])
    parts = tuple(negate(c) for c in cond[1])
    if any(p is None for p in parts):
        return None
    return ("or" if tag == "and" else "and", parts)


def conj(conds: list[Cond] | tuple[Cond, ...]) -> Cond:
    """``and`` of known conditions (unknown ones dropped); None when nothing is known."""
    parts: list[tuple] = []
    for c in conds:
        if c is None:
            continue
        for p in (c[1] if c[0] == "and" else (c,)):
            if p not in parts:
                parts.append(p)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ("and", tuple(parts))


def render(cond: Cond) -> str | None:
    """The PEP 508 marker text, validated by ``packaging``; None if unknown or invalid."""
    if cond is None:
        return None
    return _valid(_render(cond, top=True))


def _render(cond: tuple, top: bool = False) -> str:
    if cond[0] == "cmp":
        return f"{cond[1]} {cond[2]} {cond[3]}"
    joiner = f" {cond[0]} "
    text = joiner.join(_render(c) for c in cond[1])
    return text if top or cond[0] == "and" else f"({text})"


@lru_cache(maxsize=4096)
def _valid(text: str) -> str | None:
    # packaging's marker parser costs ~20 ms to import: only code with guards pays it.
    from packaging.markers import InvalidMarker, Marker

    try:
        Marker(text)
    except InvalidMarker:
        return None
    return text


def combine_markers(*markers: str | None) -> str | None:
    """``a and b`` for marker strings, parenthesized where needed."""
    known = [m for m in markers if m]
    if not known:
        return None
    if len(known) == 1:
        return known[0]
    return _valid(" and ".join(f"({m})" if " or " in m else m for m in dict.fromkeys(known)))


# --- translating `if` tests -------------------------------------------------------------

def is_type_checking(test: ast.expr, resolve: Resolve) -> bool | None:
    """True for ``TYPE_CHECKING``/``typing.TYPE_CHECKING``/``if False``; False for ``not TYPE_CHECKING``."""
    if isinstance(test, ast.Constant) and test.value in (False, 0) and not isinstance(test.value, str):
        return True
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = is_type_checking(test.operand, resolve)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return True if any(is_type_checking(v, resolve) for v in test.values) else None
    name = resolve(test)
    if name and (name == "TYPE_CHECKING" or name.endswith(".TYPE_CHECKING")):
        return True
    return None


def translate(test: ast.expr, resolve: Resolve, env: dict[str, Cond] | None = None) -> Cond:
    """A PEP 508 condition equivalent to (or, for ``and``, weaker than) ``test``."""
    env = env or {}
    if isinstance(test, ast.BoolOp):
        parts = [translate(v, resolve, env) for v in test.values]
        if isinstance(test.op, ast.And):
            return conj(parts)
        if any(p is None for p in parts):
            return None
        return ("or", tuple(parts))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return negate(translate(test.operand, resolve, env))
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        return _compare(test.left, _OPS.get(type(test.ops[0])), test.comparators[0], resolve)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith":
        if _variable(test.func.value, resolve) == "sys_platform" and len(test.args) == 1:
            values = _strings(test.args[0])
            if values:
                alts = tuple(_startswith(v) for v in values)
                return alts[0] if len(alts) == 1 else ("or", alts)
        return None
    if isinstance(test, ast.Name) and test.id in env:
        return env[test.id]
    name = resolve(test)
    if name in _TRUTHY:
        return _TRUTHY[name]
    return None


def _startswith(prefix: str) -> tuple:
    if prefix in _PLATFORM_PREFIX:
        return ("cmp", "sys_platform", "==", _quote(_PLATFORM_PREFIX[prefix]))
    return ("cmp", _quote(prefix), "in", "sys_platform")


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return out if len(out) == len(node.elts) and out else None
    return None


def _variable(node: ast.expr, resolve: Resolve) -> str | None:
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        name = resolve(node.func)
        return _VARIABLES.get(f"{name}()") if name else None
    name = resolve(node)
    return _VARIABLES.get(name) if name else None


def _version_form(node: ast.expr, resolve: Resolve) -> str | None:
    """'full' for sys.version_info, 'slice2'/'slice3' for [:2]/[:3], 'major' for [0]/.major."""
    if resolve(node) == "sys.version_info":
        return "full"
    if isinstance(node, ast.Attribute) and node.attr == "major" and resolve(node.value) == "sys.version_info":
        return "major"
    if isinstance(node, ast.Subscript) and resolve(node.value) == "sys.version_info":
        index = node.slice
        if isinstance(index, ast.Constant) and index.value == 0:
            return "major"
        if isinstance(index, ast.Slice) and index.lower is None and index.step is None \
                and isinstance(index.upper, ast.Constant) and index.upper.value in (1, 2, 3):
            return f"slice{index.upper.value}"
    return None


def _ints(node: ast.expr) -> tuple[int, ...] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return (node.value,)
    if isinstance(node, ast.Tuple):
        out = []
        for e in node.elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, int) and not isinstance(e.value, bool):
                out.append(e.value)
            else:
                break  # (3, 11, 0, "final") -> (3, 11, 0)
        return tuple(out) or None
    return None


def _compare(left: ast.expr, op: str | None, right: ast.expr, resolve: Resolve) -> Cond:
    if op is None:
        return None
    form = _version_form(left, resolve)
    if form is None and _version_form(right, resolve) is not None and op in _FLIP:
        left, right, op = right, left, _FLIP[op]
        form = _version_form(left, resolve)
    if form is not None:
        value = _ints(right)
        return _version(form, op, value) if value else None
    var = _variable(left, resolve)
    if var is not None:
        if op in ("==", "!=") and isinstance(right, ast.Constant) and isinstance(right.value, str):
            return ("cmp", var, op, _quote(right.value))
        if op in ("in", "not in"):
            values = _strings(right)
            if not values:
                return None
            eq = "==" if op == "in" else "!="
            parts = tuple(("cmp", var, eq, _quote(v)) for v in values)
            return parts[0] if len(parts) == 1 else ("or" if op == "in" else "and", parts)
        return None
    var = _variable(right, resolve)
    if var is not None and op in ("in", "not in") and isinstance(left, ast.Constant) and isinstance(left.value, str):
        return ("cmp", _quote(left.value), op, var)  # "linux" in sys.platform
    return None


def _version(form: str, op: str, value: tuple[int, ...]) -> Cond:
    if form == "major" or len(value) == 1:
        if form not in ("major", "full", "slice1"):
            return None
        k = value[0]
        if op == "==":
            return ("and", (("cmp", "python_version", ">=", _quote(str(k))),
                            ("cmp", "python_version", "<", _quote(str(k + 1)))))
        if op == "!=":
            return negate(_version(form, "==", value))
        bound = {">=": (">=", k), ">": (">=", k + 1), "<": ("<", k), "<=": ("<", k + 1)}.get(op)
        return ("cmp", "python_version", bound[0], _quote(str(bound[1]))) if bound else None
    var = "python_version" if len(value) == 2 else "python_full_version"
    text = _quote(".".join(str(v) for v in value[:3]))
    if form.startswith("slice"):
        if int(form[-1]) != len(value[:3]) or op in ("in", "not in"):
            return None
        return ("cmp", var, op, text)
    # sys.version_info is longer than the tuple: (3, 11, 0, 'final', 0) > (3, 11)
    mapped = {">=": ">=", ">": ">=", "<": "<", "<=": "<"}.get(op)
    return ("cmp", var, mapped, text) if mapped else None


# --- try/except ---------------------------------------------------------------------------

def catches_import_error(handler: ast.ExceptHandler, resolve: Resolve) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for t in types:
        name = resolve(t) or ""
        if name.rpartition(".")[2] in IMPORT_ERRORS:
            return True
    return False


def reraises(handler: ast.ExceptHandler) -> bool:
    return bool(handler.body) and isinstance(handler.body[-1], ast.Raise)


def makes_optional(handlers: list[ast.ExceptHandler], resolve: Resolve) -> bool:
    """True when some handler swallows an ImportError raised in the try body."""
    return any(catches_import_error(h, resolve) for h in handlers)


def suppresses_import_error(item: ast.withitem, resolve: Resolve) -> bool:
    call = item.context_expr
    if not isinstance(call, ast.Call) or (resolve(call.func) or "").rpartition(".")[2] != "suppress":
        return False
    return any((resolve(a) or "").rpartition(".")[2] in IMPORT_ERRORS for a in call.args)

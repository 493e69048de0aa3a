"""The visitor that turns one module's syntax tree into ImportSite records.

It walks Python's own ``ast`` (the C parser is ~50x faster than building a
libcst tree with positions, which matters for whole trees and pre-commit
hooks). It visits every statement, tracking scope and guards, but looks
inside expressions only on lines that mention a trigger word (a dynamic-import
function or a plugin rule's function), so plain modules cost little more than
the parse. Files whose syntax is newer than the running interpreter fall back
to :class:`~.cst_fallback.ImportCollector`, the libcst visitor (static imports only),
which :mod:`.parsing` calls; this module never imports it.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections import ChainMap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from . import guards
from .dynamic import DISCOVERY, DYNAMIC_IMPORTS, OPTIONAL_HELPERS, TRIGGER_WORDS
from .folding import Env, Folded, FoldLimit, bind, fold
from .relative import resolve_relative
from .rules import MUTATORS, Hit, RuleSet, assign_hits, call_hits, load_rules, mutation_hits
from .sites import Code, Diagnostic, Guard, ImportSite, Kind, Severity
from .stdlib import added_in, stdlib_names

_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_DECORATED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SIMPLE = frozenset({ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Pass, ast.Raise,
                     ast.Assert, ast.Delete, ast.Global, ast.Nonlocal, ast.Break, ast.Continue})
_ASSIGNS = frozenset({ast.Assign, ast.AugAssign, ast.AnnAssign})
_FOLDABLE = (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call, ast.List, ast.Tuple, ast.Set, ast.Name, ast.Dict)
_CONDITIONS = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Call, ast.Attribute)


@dataclass
class _TryContext:
    optional: bool  # the try body's ImportError is swallowed
    alternative: str | None = None  # body: the first module the handlers import instead
    fallback_for: str | None = None  # handler: the module the try body tried first


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_WORDS_ONLY = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256))  # the rest (and non-ASCII) -> space


class _Scan:
    """What one rule set looks for in a file's bytes, precomputed once per rule set.

    The words of a file are split out in C (``translate`` + ``split``, the ASCII word characters of
    a bytes regex's ``\\b``) and intersected with the words sought: one pass for all of them, where a
    substring test per word took 53 passes and a regex alternation more.
    """

    def __init__(self, rules: RuleSet) -> None:
        self.triggers = frozenset(w.encode() for w in TRIGGER_WORDS | rules.trigger_words)
        names = {n.encode() for n in rules.by_name}
        self.name_words = frozenset(n for n in names if not n.translate(_WORDS_ONLY).count(b" "))
        self.name_texts = tuple(sorted(names - self.name_words))  # "sqlalchemy.url": a substring test
        # A word only a rule's qualified function has (``use`` of ``matplotlib.use``, ``open`` of
        # ``fsspec.open``) can match only through an import of that library: its top-level name is a word
        # of the file, or the file's own package (a relative import). Without either, its lines are not
        # looked at; every other trigger (dynamic imports, method rules) counts wherever it appears.
        always = {w.encode() for w in TRIGGER_WORDS} | {m.encode() for m in rules.by_method}
        gated: dict[bytes, set[bytes]] = {}
        for qual in rules.by_function:
            word = qual.rpartition(".")[2].encode()
            if word and word not in always:
                gated.setdefault(word, set()).add(qual.partition(".")[0].encode())
        self.gated = {w: frozenset(tops) for w, tops in gated.items()}
        self.gated_words = frozenset(self.gated)
        self.sought = self.triggers | self.name_words | {t for tops in self.gated.values() for t in tops}

    def words(self, text: bytes) -> frozenset[bytes]:
        return self.sought.intersection(text.translate(_WORDS_ONLY).split())

    def relevant(self, words: frozenset[bytes], package: str) -> frozenset[bytes]:
        """``words`` less the gated trigger words whose library the file cannot reach (see ``gated``)."""
        gated = words & self.gated_words
        if not gated:
            return words
        own = package.partition(".")[0].encode()
        return words - {w for w in gated if not any(t in words or t == own for t in self.gated[w])}

    def mentions_assignment_rule(self, text: bytes, words: frozenset[bytes]) -> bool:
        return not words.isdisjoint(self.name_words) or any(n in text for n in self.name_texts)


_SCANS: dict[str, _Scan] = {}


def _scan(rules: RuleSet) -> _Scan:
    scan = _SCANS.get(rules.version)
    if scan is None:
        scan = _SCANS[rules.version] = _Scan(rules)
    return scan


def trigger_lines(text: bytes, rules: RuleSet, words: frozenset[bytes] | None = None) -> list[int]:
    """Sorted 1-based line numbers that mention a trigger word (as a whole word)."""
    scan = _scan(rules)
    present = (scan.words(text) if words is None else words) & scan.triggers
    offsets = []
    for w in present:
        at = text.find(w)
        while at >= 0:
            end = at + len(w)
            if (at == 0 or text[at - 1] not in _WORD_BYTES) and (end == len(text) or text[end] not in _WORD_BYTES):
                offsets.append(at)
            at = text.find(w, end)
    return _lines_of(sorted(offsets), text)


def _lines_of(offsets: Iterable[int], text: bytes) -> list[int]:
    """The distinct 1-based lines of sorted byte offsets."""
    lines: list[int] = []
    pos, line = 0, 1
    for at in offsets:
        line += text.count(b"\n", pos, at)
        pos = at
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def busy_lines(text: bytes, rules: RuleSet, triggers: list[int], words: frozenset[bytes] | None = None
               ) -> list[int] | None:
    """Lines a function body must reach for the visitor to find anything in it, or None for "any line".

    A function's body can yield sites only through an import statement (every one has the word
    ``import`` on one of its lines; any occurrence counts, ``__import__`` and ``reimport`` too), a
    trigger word, or an assignment to a name a plugin rule watches. A file that mentions such a name
    gets None: every body is visited. Nothing a body binds is seen outside it (its fold environment is
    its own), so a body with no busy line is skipped whole: three quarters of the standard library's
    statements.
    """
    scan = _scan(rules)
    if scan.mentions_assignment_rule(text, scan.words(text) if words is None else words):
        return None
    offsets = []
    at = text.find(b"import")
    while at >= 0:
        offsets.append(at)
        at = text.find(b"import", at + 6)
    return sorted({*triggers, *_lines_of(offsets, text)})


class SiteCollector:
    """Collect ImportSite records from one parsed module (``ast.Module``)."""

    def __init__(self, file: str, package: str = "", module: str = "", rules: RuleSet | None = None,
                 triggers: list[int] | None = None, busy: list[int] | None = None, folds: bool = True,
                 local_env: bool | None = None) -> None:
        self.file = file
        self.package = package
        self.module = module
        self.rules = rules or load_rules()
        self.triggers = triggers  # None: look at every expression
        self.busy = busy  # lines a function body must reach to be visited (busy_lines); None: visit all
        self.folds = folds  # False: nothing will fold a value here, so module constants are not bound
        self.local_env = local_env  # bind values inside functions (None: when there are trigger lines)
        self.sites: list[ImportSite] = []
        self.diagnostics: list[Diagnostic] = []
        self.aliases: dict[str, str] = {}
        self.env: Env = {}
        self.cond_env: dict[str, guards.Cond] = {}
        self._scope: list[str] = []
        self._conds: list[guards.Cond] = []
        self._typing = 0
        self._trys: list[_TryContext] = []
        self._in_function = False
        self._conditions_reported = False

    # entry ------------------------------------------------------------------------------
    def collect(self, tree: ast.Module) -> SiteCollector:
        self.env = {"__name__": ("str", [Folded(self.module)]) if self.module else ("", []),
                    "__package__": ("str", [Folded(self.package)]) if self.package else ("", [])}
        self._prepass(tree.body)
        self.aliases = {}
        self._body(tree.body)
        return self

    def _prepass(self, body: list[ast.stmt]) -> None:
        """Module-level string constants and boolean conditions, known before any function runs."""
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._bind_aliases(stmt)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                value = stmt.value
                foldable = self.folds and isinstance(value, _FOLDABLE)
                condition = isinstance(value, _CONDITIONS)
                if not (foldable or condition):
                    continue
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        if foldable:
                            bind(self.env, t.id, value)
                        if condition:
                            cond = guards.translate(value, self.resolve, self.cond_env)
                            if cond is not None:
                                self.cond_env[t.id] = cond

    # names --------------------------------------------------------------------------------
    def resolve(self, node: ast.expr) -> str | None:
        """The qualified name of ``node`` (``np.load`` -> ``numpy.load``) through import aliases."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.aliases.get(node.id)
        if base is None:
            if node.id in ("__import__", "TYPE_CHECKING") or not parts:
                base = node.id
            else:
                return None
        return ".".join([base, *reversed(parts)])

    def _bind_aliases(self, stmt: ast.Import | ast.ImportFrom) -> None:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    self.aliases[top] = top
            return
        base = resolve_relative(stmt.level, stmt.module, self.package)
        if base is None:
            return
        for a in stmt.names:
            if a.name == "*":
                continue
            qual = f"{base}.{a.name}"
            bound = a.asname or a.name
            self.aliases[bound] = qual
            if bound != a.name and (qual in DYNAMIC_IMPORTS or qual in DISCOVERY or qual in self.rules.by_function):
                self.triggers = self.busy = None  # an aliased trigger function: look at every expression

    @property
    def scope(self) -> str:
        return ".".join(self._scope) or "<module>"

    # sites --------------------------------------------------------------------------------
    def _site(self, node: ast.AST, module: str, kind: Kind = Kind.STATIC, *, binds: str | None = None,
              imported_name: str | None = None, probe: bool = False, distribution: str | None = None,
              note: str | None = None, rule: str | None = None, marker: str | None = None,
              condition: str | None = None) -> None:
        guard = Guard.REQUIRED
        if self._typing:
            guard = Guard.TYPING
        elif probe or any(t.optional for t in self._trys):
            guard = Guard.OPTIONAL
        alternative = None
        extra_marker = None
        fallback_for = None
        if self._trys:
            ctx = self._trys[-1]
            alternative = ctx.alternative or ctx.fallback_for
            if ctx.fallback_for and ctx.fallback_for.split(".")[0] != module.split(".")[0]:
                fallback_for = ctx.fallback_for
                top = ctx.fallback_for.split(".")[0]
                since = added_in(top)
                if since is not None:
                    extra_marker = f'python_version < "{since[0]}.{since[1]}"'
                    note = note or f"fallback for {ctx.fallback_for} (standard library from {since[0]}.{since[1]})"
                elif top in stdlib_names((3, 9)) and top in stdlib_names((3, 14)):
                    if guard is Guard.REQUIRED:
                        guard = Guard.OPTIONAL
                    note = note or f"fallback for {ctx.fallback_for}, which the standard library always has"
                else:
                    note = note or f"fallback for {ctx.fallback_for}"
        if len(self._conds) > guards.MAX_CONDITIONS:
            self._too_many_conditions(node)
            conditions = None
        else:
            conditions = guards.render(guards.conj(self._conds))
        text = guards.combine_markers(conditions, extra_marker, marker)
        self.sites.append(ImportSite(
            file=self.file, line=getattr(node, "lineno", 1), column=getattr(node, "col_offset", 0),
            module=module, kind=kind, scope=self.scope, guard=guard, marker=text,
            distribution=distribution, binds=binds, alternative=alternative, note=note, rule=rule,
            imported_name=imported_name, fallback_for=fallback_for, condition=condition,
        ))

    def _too_many_conditions(self, node: ast.AST) -> None:
        if not self._conditions_reported:
            self._conditions_reported = True
            self._diag(node, Code.PARTIAL_ANALYSIS, f"imports under more than {guards.MAX_CONDITIONS} nested "
                       "conditions (a long if/elif chain?) carry no environment marker from here on", Severity.INFO)

    def _diag(self, node: ast.AST, code: Code, message: str, severity: Severity = Severity.WARNING) -> None:
        self.diagnostics.append(Diagnostic(self.file, getattr(node, "lineno", 1), message, severity, code=code))

    # statements ---------------------------------------------------------------------------
    def _body(self, body: list[ast.stmt]) -> None:
        # Outside a function that binds values, a statement with no busy line (see busy_lines) yields
        # nothing and changes nothing later statements read: it is skipped without a visit. Inside such a
        # function every assignment may be folded later, so all are visited. An aliased trigger import
        # sets busy to None mid-body, which ends the skipping there.
        skips = not (self._in_function and self._wants_env())
        for stmt in body:
            busy = self.busy
            if skips and busy is not None and self.triggers is not None:
                first = stmt.decorator_list[0].lineno if isinstance(stmt, _DECORATED) and stmt.decorator_list \
                    else stmt.lineno
                i = bisect_left(busy, first)
                if i == len(busy) or busy[i] > (stmt.end_lineno or stmt.lineno):
                    continue
            self._stmt(stmt)

    def _stmt(self, stmt: ast.stmt) -> None:  # noqa: C901 - one branch per statement kind
        kind = type(stmt)
        if kind in _SIMPLE:  # the common case first: no nested statements
            if kind in _ASSIGNS and stmt.value is not None:  # type: ignore[attr-defined]
                self._assign(stmt)  # type: ignore[arg-type]  # _ASSIGNS holds exactly the assignment kinds
            elif kind is ast.Expr and isinstance(stmt.value, ast.Call):  # type: ignore[attr-defined]
                self._mutation(stmt.value)  # type: ignore[attr-defined]
            if self.triggers is None or self.triggers:
                self._exprs([stmt])
            return
        if isinstance(stmt, ast.Import):
            self._import(stmt)
        elif isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt)
        elif isinstance(stmt, _FUNCTION_TYPES):
            self._exprs([*stmt.decorator_list, *stmt.args.defaults,
                         *(d for d in stmt.args.kw_defaults if d is not None)])
            if self._busy(stmt):
                self._enter(stmt.name, stmt.body, function=True)
        elif isinstance(stmt, ast.ClassDef):
            self._exprs([*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)])
            self._enter(stmt.name, stmt.body, function=False)
        elif isinstance(stmt, ast.If):
            self._if(stmt)
        elif isinstance(stmt, _TRY_TYPES):
            self._try(stmt)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self._exprs([i.context_expr for i in stmt.items])
            optional = any(guards.suppresses_import_error(i, self.resolve) for i in stmt.items)
            if optional:
                self._trys.append(_TryContext(True))
            self._body(stmt.body)
            if optional:
                self._trys.pop()
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._exprs([stmt.iter])
            if (isinstance(stmt.target, ast.Name) and isinstance(stmt.iter, (ast.List, ast.Tuple, ast.Set))
                    and self._wants_env()):
                try:
                    values = [v for e in stmt.iter.elts for v in fold(e, self.env)]
                except FoldLimit as exc:
                    self.env[stmt.target.id] = ("limit", exc.reason if exc.inherited else
                                                f"{stmt.target.id} on line {stmt.lineno}: {exc.reason}")
                else:
                    if values and len(values) == len(stmt.iter.elts):
                        self.env[stmt.target.id] = ("str", values)
            self._body(stmt.body)
            self._body(stmt.orelse)
        elif isinstance(stmt, ast.While):
            self._exprs([stmt.test])
            self._body(stmt.body)
            self._body(stmt.orelse)
        elif hasattr(ast, "Match") and isinstance(stmt, ast.Match):
            self._exprs([stmt.subject])
            for case in stmt.cases:
                self._body(case.body)
        else:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and stmt.value is not None:
                self._assign(stmt)
            self._exprs([stmt])

    def _enter(self, name: str, body: list[ast.stmt], function: bool) -> None:
        self._scope.append(name)
        saved_trys, saved_env, saved_in = self._trys, self.env, self._in_function
        if function:
            # a try around a def does not guard the call; conditions (if) still do.
            self._trys = []
            self._in_function = True
            if self._wants_env():
                self.env = ChainMap({}, self.env)  # the function's own bindings shadow the module's
        self._body(body)
        self._trys, self.env, self._in_function = saved_trys, saved_env, saved_in
        self._scope.pop()

    def _busy(self, stmt: ast.stmt) -> bool:
        """Whether a function's lines hold anything its body could yield (see :func:`busy_lines`)."""
        if self.busy is None or self.triggers is None:
            return True
        i = bisect_left(self.busy, stmt.lineno)
        return i < len(self.busy) and self.busy[i] <= (stmt.end_lineno or stmt.lineno)

    def _wants_env(self) -> bool:
        if self.triggers is None:
            return True
        return bool(self.triggers) if self.local_env is None else self.local_env

    def _if(self, stmt: ast.If) -> None:
        """An ``if`` and its ``elif`` chain, in a loop: each elif nests in the previous else, and a
        dispatcher with a few hundred branches would otherwise pass Python's recursion limit."""
        entered = len(self._conds)
        while True:
            self._exprs([stmt.test])
            typing = guards.is_type_checking(stmt.test, self.resolve)
            if typing is not None:
                self._guarded(stmt.body, typing=typing)
                self._guarded(stmt.orelse, typing=not typing)
                break
            cond = guards.translate(stmt.test, self.resolve, self.cond_env)
            self._guarded(stmt.body, cond=cond)
            if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
                self._conds.append(guards.negate(cond))  # what _guarded(orelse) would push, without recursing
                stmt = stmt.orelse[0]
                continue
            self._guarded(stmt.orelse, cond=guards.negate(cond))
            break
        del self._conds[entered:]

    def _guarded(self, body: list[ast.stmt], *, typing: bool = False, cond: guards.Cond = None) -> None:
        if not body:
            return
        self._typing += typing
        self._conds.append(cond)
        self._body(body)
        self._conds.pop()
        self._typing -= typing

    def _try(self, stmt: ast.Try) -> None:
        optional = guards.makes_optional(stmt.handlers, self.resolve)
        if not optional:
            self._body(stmt.body)
            for h in stmt.handlers:
                self._exprs([h.type] if h.type else [])
                self._body(h.body)
        else:
            primary = self._first_import(stmt.body)
            alternative = None
            for h in stmt.handlers:
                alternative = alternative or self._first_import(h.body)
            self._trys.append(_TryContext(True, alternative=alternative))
            self._body(stmt.body)
            self._trys.pop()
            for h in stmt.handlers:
                catches = guards.catches_import_error(h, self.resolve)
                self._trys.append(_TryContext(False, fallback_for=primary if catches else None))
                self._body(h.body)
                self._trys.pop()
            # else: runs only when the body's imports worked
            self._trys.append(_TryContext(True))
            self._body(stmt.orelse)
            self._trys.pop()
            self._body(stmt.finalbody)
            return
        self._body(stmt.orelse)
        self._body(stmt.finalbody)

    def _first_import(self, body: list[ast.stmt]) -> str | None:
        for s in body:
            if isinstance(s, ast.Import) and s.names:
                return s.names[0].name
            if isinstance(s, ast.ImportFrom):
                base = resolve_relative(s.level, s.module, self.package)
                if base and s.module is None and s.names:
                    return f"{base}.{s.names[0].name}"
                return base
        return None

    # imports ------------------------------------------------------------------------------
    def _import(self, stmt: ast.Import) -> None:
        self._bind_aliases(stmt)
        for a in stmt.names:
            self._site(stmt, a.name, binds=a.asname or a.name.split(".")[0])

    def _import_from(self, stmt: ast.ImportFrom) -> None:
        base = resolve_relative(stmt.level, stmt.module, self.package)
        if base is None:
            rel = "." * stmt.level + (stmt.module or "")
            self._diag(stmt, Code.UNREADABLE, f"relative import {rel!r} goes above the top-level package")
            return
        self._bind_aliases(stmt)
        for a in stmt.names:
            if a.name == "*":
                self._site(stmt, base, imported_name="*", note="star import")
            elif stmt.module is None:
                # `from . import x`: x is a submodule of the package (or an attribute of it).
                self._site(stmt, f"{base}.{a.name}", binds=a.asname or a.name, imported_name=a.name)
            else:
                self._site(stmt, base, binds=a.asname or a.name, imported_name=a.name)

    # expressions --------------------------------------------------------------------------
    def _exprs(self, nodes: list) -> None:
        for node in nodes:
            if node is None:
                continue
            if self.triggers is not None:
                lines = self.triggers
                first = getattr(node, "lineno", None)
                if first is None:
                    continue
                i = bisect_left(lines, first)
                if i == len(lines) or lines[i] > (getattr(node, "end_lineno", None) or first):
                    continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    self._call(sub)

    def _call(self, call: ast.Call) -> None:
        qual = self.resolve(call.func)
        tail = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        if qual in DYNAMIC_IMPORTS:
            self._dynamic(call, qual, DYNAMIC_IMPORTS[qual])
        elif tail in OPTIONAL_HELPERS:
            self._dynamic(call, qual or tail, OPTIONAL_HELPERS[tail])
        elif qual in DISCOVERY:
            self._discovery(call, qual)
        try:
            hits = call_hits(self.rules, call, qual, self.env)
        except FoldLimit as exc:
            self._limit(call, f"{qual or '.' + getattr(call.func, 'attr', '?')}()", exc, Severity.INFO)
            hits = []
        for hit in hits:
            self._site(call, hit.need.module, Kind.PLUGIN, distribution=hit.need.distribution,
                       note=hit.note, rule=hit.rule, marker=hit.need.marker, condition=hit.need.when)

    @staticmethod
    def _argument(call: ast.Call, position: int | None, keyword: str | None) -> ast.expr | None:
        for k in call.keywords:
            if keyword and k.arg == keyword:
                return k.value
        if position is not None and len(call.args) > position:
            if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
                return call.args[position]
        return None

    def _limit(self, node: ast.AST, what: str, exc: FoldLimit, severity: Severity) -> None:
        """A fold past a bound: the site is dropped, and said so (PR103)."""
        self._diag(node, Code.DYNAMIC_UNKNOWN, f"{what} not analyzed: its value is past a bound ({exc.reason})",
                   severity)

    def _dynamic(self, call: ast.Call, qual: str, spec) -> None:
        name_node = self._argument(call, spec.name_position, spec.name_keyword)
        try:
            values = fold(name_node, self.env)
            package_values = fold(self._argument(call, spec.package_position, spec.package_keyword), self.env) \
                if spec.package_position is not None else []
        except FoldLimit as exc:
            self._limit(call, f"{qual.rpartition('.')[2]}()", exc, Severity.WARNING)
            return
        package = next((p.text for p in package_values if p.exact), None)
        level = 0
        if spec.level_position is not None:
            level_node = self._argument(call, spec.level_position, spec.level_keyword)
            if isinstance(level_node, ast.Constant) and isinstance(level_node.value, int):
                level = level_node.value
        short = qual.rpartition(".")[2]
        if not values:
            self._diag(call, Code.DYNAMIC_UNKNOWN, f"{short}() with a name computed at run time: its module is unknown",
                       Severity.INFO)
            return
        for v in values:
            text = v.text
            if spec.attribute_path:
                text = text.partition(":")[0] if ":" in text else (text.rpartition(".")[0] if v.exact else text)
            lvl = level
            if text.startswith(".") and spec.package_position is not None:
                stripped = text.lstrip(".")
                lvl, text = len(text) - len(stripped), stripped
                if package is None:
                    self._diag(call, Code.DYNAMIC_UNKNOWN, f"{short}({v.text!r}) is relative but has no package",
                               Severity.INFO)
                    continue
                base = package
            else:
                base = self.package
            folded = Folded(text, v.exact)
            module = folded.module_prefix() if not v.exact else text
            if lvl:
                module = resolve_relative(lvl, module or None, base) if (module or v.exact) else None
            if not module:
                self._diag(call, Code.DYNAMIC_UNKNOWN,
                           f"{short}({v.text + '...' if not v.exact else v.text!r}) "
                           "names no module known before run time",
                           Severity.INFO)
                continue
            note = (f"{short}({v.text!r})" if v.exact
                    else f"{short}() with a name computed at run time; known prefix {v.text!r}")
            self._site(call, module, Kind.DYNAMIC, probe=spec.probe, note=note + (" (probe)" if spec.probe else ""),
                       rule=qual)

    def _discovery(self, call: ast.Call, qual: str) -> None:
        module = qual.rpartition(".")[0]
        note = DISCOVERY[qual]
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            # pkgutil.iter_modules(plugins.__path__) -> the plugins package
            if isinstance(arg, ast.Attribute) and arg.attr == "__path__":
                target = self.resolve(arg.value)
                if target:
                    module = target
            elif (isinstance(arg, (ast.List, ast.Tuple)) and len(arg.elts) == 1
                  and isinstance(arg.elts[0], ast.Attribute) and arg.elts[0].attr == "__path__"):
                target = self.resolve(arg.elts[0].value)
                if target:
                    module = target
        for k in call.keywords:
            if k.arg in ("group", "namespace") and isinstance(k.value, ast.Constant):
                note += f" (group {k.value.value!r})"
        if qual.endswith("iter_entry_points") and call.args and isinstance(call.args[0], ast.Constant):
            note += f" (group {call.args[0].value!r})"
        self._site(call, module, Kind.DYNAMIC, note=note, rule=qual)

    def _assign(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        by_name = self.rules.by_name
        for t in targets:
            name = None
            under: tuple[str, ...] = ()
            if isinstance(t, ast.Name):
                name = t.id
                if (self._in_function and self._wants_env() and isinstance(stmt, (ast.Assign, ast.AnnAssign))
                        and stmt.value is not None):
                    bind(self.env, name, stmt.value)
            elif isinstance(t, ast.Attribute):
                name = t.attr
            elif isinstance(t, ast.Subscript):
                name, under = _subscripted(t, by_name)
            if name and name in by_name and stmt.value is not None:
                self._rule_hits(stmt, name, partial(assign_hits, self.rules, name, stmt.value, self.env, under))
        if stmt.value is not None and isinstance(stmt.value, (ast.Dict, ast.Call)):
            self._watched_keys(stmt, stmt.value)

    def _watched_keys(self, stmt: ast.AST, value: ast.expr) -> None:
        """A watched setting given as a dict key or keyword: ``CONFIG = {"DATABASE_URL": "postgresql://..."}``,
        ``app.config.update(SQLALCHEMY_DATABASE_URI=...)``."""
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(value, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(value.keys, value.values)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(value, ast.Call):
            pairs = [(k.arg, k.value) for k in value.keywords if k.arg]
        for key, v in pairs:
            if key in self.rules.by_name:
                self._rule_hits(stmt, key, partial(assign_hits, self.rules, key, v, self.env))
            elif isinstance(v, ast.Dict):
                self._watched_keys(stmt, v)

    def _mutation(self, call: ast.Call) -> None:
        """``MIDDLEWARE.append(...)``, ``settings.INSTALLED_APPS.insert(0, ...)``, ``.extend([...])``."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in MUTATORS:
            return
        owner = func.value
        name: str | None = None
        under: tuple[str, ...] = ()
        if isinstance(owner, ast.Name):
            name = owner.id
        elif isinstance(owner, ast.Attribute):
            name = owner.attr
        elif isinstance(owner, ast.Subscript):
            name, under = _subscripted(owner, self.rules.by_name)
        if name and name in self.rules.by_name and not under:
            self._rule_hits(call, name, partial(mutation_hits, self.rules, call, name, self.env))
        elif func.attr == "update" and call.args and isinstance(call.args[0], ast.Dict):
            self._watched_keys(call, call.args[0])  # app.config.update({"SQLALCHEMY_DATABASE_URI": ...})
        elif func.attr == "update" and call.keywords:
            self._watched_keys(call, call)

    def _rule_hits(self, node: ast.AST, name: str, find: Callable[[], list[Hit]]) -> None:
        try:
            hits = find()
        except FoldLimit as exc:
            self._limit(node, f"{name} =", exc, Severity.INFO)
            hits = []
        for hit in hits:
            self._site(node, hit.need.module, Kind.PLUGIN, distribution=hit.need.distribution,
                       note=hit.note, rule=hit.rule, marker=hit.need.marker, condition=hit.need.when)


def _subscripted(target: ast.Subscript, watched: dict) -> tuple[str | None, tuple[str, ...]]:
    """The watched name a subscripted target writes into, and the keys below it.

    ``config["DATABASE_URL"]`` is the setting ``DATABASE_URL`` itself (a config mapping);
    ``STORAGES["default"]["BACKEND"]`` writes under ``STORAGES``, keys ``("default", "BACKEND")``.
    """
    keys: list[str] = []
    node: ast.expr = target
    while isinstance(node, ast.Subscript):
        key = node.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None, ()
        keys.append(key.value)
        node = node.value
    if keys[0] in watched:
        return keys[0], ()
    root = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    return root, tuple(reversed(keys))


def collect_sites(tree: ast.Module, file: str, package: str = "", module: str = "", text: bytes | None = None,
                  rules: RuleSet | None = None) -> tuple[list[ImportSite], list[Diagnostic]]:
    """Sites and diagnostics of one parsed module; ``text`` enables the trigger-line shortcut."""
    rules = rules or load_rules()
    triggers = busy = local_env = None
    if text is not None:
        scan = _scan(rules)
        words = scan.words(text)
        # A non-ASCII text may spell a name in NFKC-equivalent letters: every trigger word counts there.
        triggers = trigger_lines(text, rules, scan.relevant(words, package) if text.isascii() else words)
        busy = busy_lines(text, rules, triggers, words)
        # Watched assignments inside functions fold the values bound before them, as they did when
        # every trigger word (relevant or not) made the function's values bound.
        local_env = bool(triggers) or (busy is None and not words.isdisjoint(scan.triggers))
    # Values are folded only for trigger lines and watched assignments. With neither, only an aliased
    # trigger function (which sets triggers to None) could ask, and its name would be a word of an ASCII
    # text; a non-ASCII one may spell it in NFKC-equivalent letters, so it keeps the constants.
    folds = not (triggers == [] and busy is not None and text is not None and text.isascii())
    c = SiteCollector(file, package, module, rules, triggers, busy, folds, local_env).collect(tree)
    return c.sites, c.diagnostics


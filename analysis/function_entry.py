"""The minimal import set of one callable: ``app/tasks.py:handler``, ``pkg.mod:Class.method``.

A function needs what runs when it runs: its body and closures, its
decorators and default arguments, the annotations Python evaluates, the module
globals it reads and, through them, the first-party functions and classes it
reaches, followed across modules (``from .helpers import util`` continues in
``util``'s body). Everything else in its module is left out: two handlers in
one file that use disjoint libraries get disjoint import sets.

The walk is a name flow over libcst's scope analysis. A *region* is a piece of
syntax that runs (a ``def``, a module-level statement, a class body statement);
every name read inside a region is resolved to the assignments it may refer
to, and each assignment outside the region adds the region that binds it (an
import statement, an assignment statement, a ``def``). Import sites are then
the ones :func:`analysis.analyze.analyze_source` finds inside the reached
regions, so the records are the same ones :func:`analysis.analyze` yields.

Conventions, stated once:

* Importing a module runs its top-level code. Imports and assignments there
  count only when the callable reads the name they bind, but a bare top-level
  call (``sentry_sdk.init(...)``, ``matplotlib.use("Agg")``) is a side effect
  of loading the module, and counts for every callable in a reached module.
* A reached class counts whole (its methods may be called by anyone holding
  an instance). A *method* entry counts its own body, the class header and
  body statements, the decorators and defaults of its sibling methods, the
  constructors (``__init__``, ``__new__``, ``__post_init__``) and the
  methods it reaches through ``self.name`` / ``cls.name``.
* Annotations count where Python evaluates them: parameters and return
  annotations unless ``from __future__ import annotations`` is in effect or
  the target is 3.14+ (PEP 649); class-level annotations always (dataclasses,
  pydantic and attrs read them at class creation); never local-variable or
  string annotations.
* A name assigned in the body of a ``try:`` that catches ImportError brings
  the imports of that ``try:`` body along (``HAS_CUPY = True`` after
  ``import cupy``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider, ScopeProvider
from libcst.metadata.scope_provider import (
    Access,
    Assignment,
    BaseAssignment,
    ClassScope,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
)

from .analyze import Analysis, analyze_source, apply_target
from .entry import EntryPoint, parse_entry
from .roots import SourceFile, file_roots, first_party, package_root, source_roots, top_level_names
from .sites import Code, Diagnostic, ImportSite
from .relative import resolve_relative

__all__ = ["EntryNotFound", "EntryPoint", "analyze_definition", "analyze_function", "default_roots", "parse_entry"]

#: methods that run whenever a method of the class can run at all
CONSTRUCTORS = ("__init__", "__new__", "__post_init__")
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

Pos = tuple[int, int]


@dataclass(frozen=True)
class EntryNotFound(Diagnostic):
    """The entry itself is missing: callers treat this as a usage error, not a warning."""

    code: Code = field(default=Code.ENTRY_NOT_FOUND, compare=False)


default_roots = file_roots  # the public name this module has always had


# --------------------------------------------------------------------------- tree
class _Tree:
    """First-party modules under the roots, found the way the import system finds them."""

    def __init__(self, roots: list[Path], primary: int | None = None) -> None:
        self.roots = [Path(r).resolve() for r in roots]
        # the roots a whole-tree analysis would be given (not an entry script's own directory)
        self.primary = self.roots[:primary] if primary else list(self.roots)
        self._cache: dict[str, SourceFile | None] = {}
        self._names: frozenset[str] | None = None

    @property
    def first_party(self) -> frozenset[str]:
        """Top-level names the roots define: imports of these are followed into their modules."""
        if self._names is None:
            self._names = top_level_names(self.roots)
        return self._names

    def find(self, module: str) -> SourceFile | None:
        """The file that defines ``module`` (``__init__.py`` for a package); None if none."""
        if module not in self._cache:
            self._cache[module] = self._find(module)
        return self._cache[module]

    def is_module(self, module: str) -> bool:
        if self.find(module) is not None:
            return True
        parts = module.split(".")
        return any((root.joinpath(*parts)).is_dir() for root in self.roots)  # PEP 420 directory

    def _find(self, module: str) -> SourceFile | None:
        parts = module.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        for root in self.roots:
            base = root.joinpath(*parts)
            if (base / "__init__.py").is_file():
                return SourceFile(base / "__init__.py", root, module, True)
            if base.with_name(parts[-1] + ".py").is_file():
                return SourceFile(base.with_name(parts[-1] + ".py"), root, module, False)
        return None

    def source_for(self, path: Path) -> SourceFile:
        """The SourceFile of a file given by path, named the way Python would import it.

        The root is the deepest one at or above the file's package root, so ``pkg/tasks.py`` is ``pkg.tasks`` even when the
        file's own directory is a root too.
        """
        path = path.resolve()
        climbed = package_root(path)
        containing = [r for r in self.roots if path.is_relative_to(r)]
        above = [r for r in containing if climbed.is_relative_to(r)]
        for root in sorted(above or containing, key=lambda r: len(r.parts), reverse=True):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            if parts and all(p.isidentifier() for p in parts):
                return SourceFile(path, root, ".".join(parts), is_package)
        return SourceFile(path, path.parent, path.stem if path.stem.isidentifier() else "", False)


# --------------------------------------------------------------------------- one module
class _Flow:
    """One parsed module with the metadata the name flow needs."""

    def __init__(self, source: SourceFile, text: str | bytes, label: str) -> None:
        self.source = source
        self.label = label  # the file name used in ImportSite.file
        self.text = text
        module = cst.parse_module(text)
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self.scopes = self.wrapper.resolve(ScopeProvider)
        self.positions = self.wrapper.resolve(PositionProvider)
        self.parents = self.wrapper.resolve(ParentNodeProvider)
        self.global_scope: GlobalScope = next(s for s in self.scopes.values() if isinstance(s, GlobalScope))
        self.accesses: dict[int, list[Access]] = {}
        for scope in {s for s in self.scopes.values() if s is not None}:
            for access in scope.accesses:
                self.accesses.setdefault(id(access.node), []).append(access)
        self.future_annotations = any(
            isinstance(s, cst.SimpleStatementLine)
            and any(isinstance(x, cst.ImportFrom) and get_full_name_for_node(x.module) == "__future__"
                    and not isinstance(x.names, cst.ImportStar)
                    and any(get_full_name_for_node(a.name) == "annotations" for a in x.names)
                    for x in s.body)
            for s in module.body
        )

    def span(self, node: cst.CSTNode) -> tuple[Pos, Pos]:
        r = self.positions[node]
        return (r.start.line, r.start.column), (r.end.line, r.end.column)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def star_imports(self) -> list[cst.ImportFrom]:
        return [x for s in _module_level_statements(self.module.body)
                if isinstance(s, cst.SimpleStatementLine)
                for x in s.body if isinstance(x, cst.ImportFrom) and isinstance(x.names, cst.ImportStar)]

    def side_effects(self) -> list[cst.CSTNode]:
        """Top-level bare calls: they run whenever the module is imported."""
        found = []
        for s in self.module.body:
            if isinstance(s, cst.SimpleStatementLine):
                found.extend(x for x in s.body if isinstance(x, cst.Expr) and _has_call(x.value))
        return found


def _has_call(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) or any(_has_call(c) for c in node.children)


def _module_level_statements(body: Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Statements that run at import time, looking into if/try/with/for blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            continue
        for block in _blocks(stmt):
            yield from _module_level_statements(block)


def _blocks(stmt: cst.CSTNode) -> Iterator[Iterable[cst.CSTNode]]:
    if isinstance(stmt, (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.TryStar)):
        for child in stmt.children:
            if isinstance(child, cst.IndentedBlock):
                yield child.body
            elif isinstance(child, (cst.If, cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
                yield from _blocks(child)
    elif isinstance(stmt, (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler)):
        if isinstance(stmt.body, cst.IndentedBlock):
            yield stmt.body.body
    if isinstance(stmt, cst.If) and stmt.orelse is not None:
        yield from _blocks(stmt.orelse)
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        for h in stmt.handlers:
            yield from _blocks(h)
        for extra in (stmt.orelse, stmt.finalbody):
            if extra is not None:
                yield from _blocks(extra)


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


# --------------------------------------------------------------------------- definitions
def _definitions(flow: _Flow) -> dict[str, list[cst.CSTNode]]:
    """Qualified names the module defines at import time -> their nodes (a name may be defined twice)."""
    found: dict[str, list[cst.CSTNode]] = {}

    def add(prefix: str, body: Iterable[cst.CSTNode], nested_in_function: bool) -> None:
        for stmt in _module_level_statements(body):
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                name = f"{prefix}{stmt.name.value}"
                found.setdefault(name, []).append(stmt)
                if isinstance(stmt.body, cst.IndentedBlock):
                    add(f"{name}.", stmt.body.body, isinstance(stmt, cst.FunctionDef))
            elif isinstance(stmt, cst.SimpleStatementLine) and not nested_in_function:
                for small in stmt.body:
                    for target in _assigned_names(small):
                        found.setdefault(f"{prefix}{target}", []).append(stmt)

    add("", flow.module.body, False)
    return found


def _assigned_names(small: cst.CSTNode) -> list[str]:
    if isinstance(small, cst.Assign):
        return [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return [small.target.value]
    return []


def _listing(defs: dict[str, list[cst.CSTNode]]) -> str:
    shown = [name for name, nodes in defs.items()
             if any(isinstance(n, (cst.FunctionDef, cst.ClassDef)) or _is_lambda_assignment(n) for n in nodes)]
    return ", ".join(sorted(shown)) or "no functions or classes"


def _is_lambda_assignment(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Assign, cst.AnnAssign)) and isinstance(s.value, cst.Lambda) for s in node.body)


def _locate(flow: _Flow, qualname: str, line: int | None) -> list[cst.CSTNode]:
    """Nodes for ``qualname`` (``outer.<locals>.inner``, ``<lambda>`` at ``line``); [] if absent."""
    parts = [p for p in qualname.split(".") if p != "<locals>"]
    lambda_tail = parts and parts[-1] == "<lambda>"
    if lambda_tail:
        parts = parts[:-1]
    if parts:
        candidates = _definitions(flow).get(".".join(parts), [])
    else:
        candidates = [flow.module]
    if line is not None and len(candidates) > 1:
        containing = [n for n in candidates if _contains_line(flow, n, line)]
        candidates = containing or candidates
    if lambda_tail:
        lambdas = [n for c in candidates for n in _walk(c) if isinstance(n, cst.Lambda)]
        if line is not None:
            lambdas = [n for n in lambdas if flow.span(n)[0][0] == line]
        return lambdas
    return candidates


def _contains_line(flow: _Flow, node: cst.CSTNode, line: int) -> bool:
    (start, _), (end, _) = flow.span(node)
    if isinstance(node, cst.FunctionDef | cst.ClassDef) and node.decorators:
        start = min(start, flow.span(node.decorators[0])[0][0])
    return start <= line <= end


# --------------------------------------------------------------------------- the walk
@dataclass
class _Reached:
    """What the walk found in one file: code regions that run, and import bindings read."""

    flow: _Flow
    regions: list[tuple[Pos, Pos]] = field(default_factory=list)
    imports: dict[Pos, set[str | None]] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)

    def selects(self, site: ImportSite) -> bool:
        pos = (site.line, site.column)
        if any(a <= pos <= b for a, b in self.regions):
            return True
        names = self.imports.get(pos)
        return names is not None and (site.binds is None or None in names or site.binds in names)


class _Walker:
    def __init__(self, tree: _Tree, python_version: tuple[int, int] | None) -> None:
        self.tree = tree
        self.pep649 = _version(python_version) >= (3, 14)
        self.reached: dict[str, _Reached] = {}  # file label -> state
        self.flows: dict[str, _Flow | None] = {}  # module name -> parsed flow
        self.diagnostics: list[Diagnostic] = []
        self.queue: list[tuple[_Flow, cst.CSTNode]] = []
        self.followed: set[tuple[str, str | None]] = set()
        self.first_party = tree.first_party

    # loading -----------------------------------------------------------
    def load(self, source: SourceFile, text: str | bytes | None = None, label: str | None = None) -> _Flow | None:
        key = source.module or str(source.path)
        if key in self.flows:
            return self.flows[key]
        label = label or _display(source.path)
        flow = None
        try:
            data = text if text is not None else source.path.read_bytes()
            flow = _Flow(source, data, label)
        except OSError as exc:
            self.diagnostics.append(Diagnostic(label, 0, f"cannot read: {exc.strerror or exc}", code=Code.UNREADABLE))
        except Exception as exc:  # ParserSyntaxError and libcst's odd-input errors
            line = getattr(exc, "raw_line", 1)
            self.diagnostics.append(Diagnostic(label, line, f"cannot parse: {getattr(exc, 'message', exc)}",
                                               code=Code.UNREADABLE))
        self.flows[key] = flow
        if flow is not None:
            state = self.reached.setdefault(flow.label, _Reached(flow))
            for node in flow.side_effects():
                self.add(state.flow, node)
        return flow

    # queueing ----------------------------------------------------------
    def add(self, flow: _Flow, node: cst.CSTNode) -> None:
        self.queue.append((flow, node))

    def add_import(self, flow: _Flow, node: cst.CSTNode, name: str | None) -> None:
        state = self.reached.setdefault(flow.label, _Reached(flow))
        state.imports.setdefault(flow.span(node)[0], set()).add(name)

    def run(self) -> None:
        while self.queue:
            flow, node = self.queue.pop()
            state = self.reached.setdefault(flow.label, _Reached(flow))
            if id(node) in state.done:
                continue
            state.done.add(id(node))
            state.regions.append(flow.span(node))
            self._region(flow, node)

    # one region --------------------------------------------------------
    def _region(self, flow: _Flow, node: cst.CSTNode) -> None:
        inside = {id(n) for n in _walk(node)}
        for n in _walk(node):
            for access in flow.accesses.get(id(n), ()):
                if not self._evaluated(flow, access):
                    continue
                referents = [r for r in access.referents if isinstance(r, Assignment)]
                builtin = any(not isinstance(r, Assignment) for r in access.referents)
                if not referents and not builtin:
                    for star in flow.star_imports():
                        self.add_import(flow, star, None)
                        self._follow_import(flow, star, None, access)
                for ref in referents:
                    if id(ref.node) not in inside:
                        self._assignment(flow, ref, access)
        if isinstance(node, cst.FunctionDef):
            cls = self._enclosing_class(flow, node)
            if cls is not None:
                self._method(flow, cls, node)

    def _evaluated(self, flow: _Flow, access: Access) -> bool:
        if isinstance(access.node, cst.SimpleString | cst.ConcatenatedString):
            return False  # a string annotation: Python never evaluates it
        if not access.is_annotation:
            return True
        node = access.node
        while node is not None and not isinstance(node, cst.Annotation):
            node = flow.parent(node)
        owner = flow.parent(node) if node is not None else None
        if isinstance(owner, cst.AnnAssign):
            scope = flow.scopes.get(owner)
            if isinstance(scope, ClassScope):
                return True
            if isinstance(scope, FunctionScope):
                return False
        return not (flow.future_annotations or self.pep649)

    def _assignment(self, flow: _Flow, ref: BaseAssignment, access: Access) -> None:
        node = ref.node
        if isinstance(ref, ImportAssignment) or isinstance(node, cst.Import | cst.ImportFrom):
            self.add_import(flow, node, ref.name)
            self._follow_import(flow, node, ref.name, access)
            return
        for region in self._binding_regions(flow, node):
            self.add(flow, region)

    def _binding_regions(self, flow: _Flow, node: cst.CSTNode) -> list[cst.CSTNode]:
        """The syntax that runs to bind a name at ``node`` (an assignment target, a def...)."""
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Param | cst.Lambda):
            return [node]
        child, parent = node, flow.parent(node)
        while parent is not None:
            if isinstance(parent, cst.BaseSmallStatement | cst.NamedExpr | cst.WithItem):
                return [parent, *self._try_imports(flow, parent)]
            if isinstance(parent, cst.For | cst.CompFor):
                return [parent.target, parent.iter]
            if isinstance(parent, cst.ExceptHandler | cst.ExceptStarHandler):
                return [parent.type] if parent.type is not None else []
            if isinstance(parent, cst.MatchCase):
                return [parent.pattern] + ([parent.guard] if parent.guard is not None else [])
            if isinstance(parent, cst.BaseCompoundStatement | cst.Module):
                return [child]
            child, parent = parent, flow.parent(parent)
        return []

    def _try_imports(self, flow: _Flow, stmt: cst.CSTNode) -> list[cst.CSTNode]:
        """Imports probed by the ``try:`` whose body binds a flag (``HAS_X = True``)."""
        node: cst.CSTNode | None = stmt
        while node is not None and not isinstance(node, cst.Try | cst.FunctionDef | cst.ClassDef | cst.Module):
            node = flow.parent(node)
        if not isinstance(node, cst.Try) or not _catches_import_error(node) or not _contains(node.body, stmt):
            return []
        return [n for n in _walk(node.body) if isinstance(n, cst.Import | cst.ImportFrom)]

    def _enclosing_class(self, flow: _Flow, func: cst.FunctionDef) -> cst.ClassDef | None:
        block = flow.parent(func)
        cls = flow.parent(block) if block is not None else None
        return cls if isinstance(cls, cst.ClassDef) else None

    def _method(self, flow: _Flow, cls: cst.ClassDef, func: cst.FunctionDef) -> None:
        """A method runs in a class: its header, body statements, constructors, ``self.x`` methods."""
        for deco in cls.decorators:
            self.add(flow, deco)
        for arg in [*cls.bases, *cls.keywords]:
            self.add(flow, arg)
        members: dict[str, list[cst.CSTNode]] = {}
        for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.FunctionDef):
                members.setdefault(stmt.name.value, []).append(stmt)
                for deco in stmt.decorators:
                    self.add(flow, deco)
                for param in _all_params(stmt.params):
                    if param.default is not None:
                        self.add(flow, param.default)
                if stmt.name.value in CONSTRUCTORS:
                    self.add(flow, stmt)
            else:
                self.add(flow, stmt)
        receivers = {cls.name.value}
        params = [*func.params.posonly_params, *func.params.params]
        if params:
            receivers.add(params[0].name.value)
        for n in _walk(func.body):
            if (isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name)
                    and n.value.value in receivers):
                for member in members.get(n.attr.value, ()):
                    self.add(flow, member)

    # following imports into first-party modules ------------------------
    def _follow_import(self, flow: _Flow, node: cst.CSTNode, bound: str | None, access: Access | None) -> None:
        chain = _dotted_chain(flow, access.node) if access is not None else None
        rest = chain.split(".")[1:] if chain else []
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = get_full_name_for_node(alias.name) or ""
                asname = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else None
                if asname is not None and asname == bound:
                    self._follow_dotted(full.split(".") + rest)
                elif asname is None and full.split(".")[0] == bound:
                    # `import a.b.c` binds `a`; the chain read says which submodule
                    self._follow_dotted([bound, *rest] if rest else full.split("."))
            return
        assert isinstance(node, cst.ImportFrom)
        module = get_full_name_for_node(node.module) if node.module is not None else None
        base = resolve_relative(len(node.relative), module, flow.source.package)
        if base is None:
            return
        if isinstance(node.names, cst.ImportStar):
            if access is not None and isinstance(access.node, cst.Name):
                self._follow_dotted(base.split(".") + [access.node.value])
            return
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            as_ = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            if bound is None or as_ == bound:
                self._follow_dotted(base.split(".") + [name] + rest)

    def _follow_dotted(self, parts: list[str]) -> None:
        if not parts or parts[0] not in self.first_party:
            return
        for i in range(len(parts), 0, -1):
            module = ".".join(parts[:i])
            if self.tree.is_module(module):
                self.follow(module, parts[i] if i < len(parts) else None)
                return

    def follow(self, module: str, name: str | None) -> None:
        """``name`` in first-party ``module`` is used (None: the module object itself)."""
        if (module, name) in self.followed:
            return
        self.followed.add((module, name))
        parts = module.split(".")
        for i in range(1, len(parts)):
            # importing a.b.c runs a/__init__.py and a/b/__init__.py first
            parent = self.tree.find(".".join(parts[:i]))
            if parent is not None:
                self.load(parent)
        source = self.tree.find(module)
        if source is None:
            return
        flow = self.load(source)
        if flow is None:
            return
        if name is None:
            self.add(flow, flow.module)
            return
        assignments = [a for a in flow.global_scope.assignments[name] if isinstance(a, Assignment)]
        if not assignments:
            if self.tree.is_module(f"{module}.{name}"):
                self.follow(f"{module}.{name}", None)
                return
            for star in flow.star_imports():
                self.add_import(flow, star, None)
                self._follow_import(flow, star, None, None)
                base = resolve_relative(len(star.relative), get_full_name_for_node(star.module) if star.module else None,
                                        flow.source.package)
                if base:
                    self._follow_dotted(base.split(".") + [name])
            return
        for ref in assignments:
            if isinstance(ref, ImportAssignment):
                self.add_import(flow, ref.node, ref.name)
                self._follow_import(flow, ref.node, ref.name, None)
            else:
                for region in self._binding_regions(flow, ref.node):
                    self.add(flow, region)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwarg = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwarg]


def _dotted_chain(flow: _Flow, node: cst.CSTNode) -> str | None:
    """``a.b.c`` for the Name ``a`` read as ``a.b.c(...)``: the longest attribute chain."""
    top = node
    parent = flow.parent(top)
    while isinstance(parent, cst.Attribute) and parent.value is top:
        top, parent = parent, flow.parent(parent)
    return get_full_name_for_node(top)


def _catches_import_error(node: cst.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = [get_full_name_for_node(e) for e in _walk(handler.type) if isinstance(e, cst.Name | cst.Attribute)]
        if any(n and n.rsplit(".", 1)[-1] in IMPORT_ERRORS for n in names):
            return True
    return False


def _contains(block: cst.CSTNode, node: cst.CSTNode) -> bool:
    return any(n is node for n in _walk(block))


# --------------------------------------------------------------------------- public
def analyze_function(
    entry: str,
    roots: list[Path] | list[str] | None = None,
    python_version: tuple[int, int] | str | None = None,
) -> Analysis:
    """The import sites one callable needs, as an :class:`Analysis` of its own.

    ``entry`` is ``path/to/file.py:handler``, ``path/to/file.py:Class.method`` or
    ``package.module:function`` (looked up under ``roots``; by default the
    current directory and its ``src/``). ``roots`` are the directories the
    program's own imports resolve from; by default they are derived from the
    file (see :func:`analysis.roots.file_roots`). An entry that is not found yields no
    sites and one diagnostic naming what the module defines.
    """
    spec = parse_entry(entry)
    if spec.path is not None:
        path = spec.path
        if not path.is_file():
            return _empty(roots or [path.parent], python_version,
                          EntryNotFound(str(path), 0, "entry file not found"))
        return analyze_definition(path, spec.qualname, roots=roots, python_version=python_version)
    root_list = [Path(r) for r in roots] if roots else source_roots(Path.cwd())
    tree = _Tree(root_list)
    source = tree.find(spec.module)  # type: ignore[arg-type]
    if source is None:
        where = ", ".join(str(r) for r in tree.roots)
        return _empty(root_list, python_version,
                      EntryNotFound(spec.module or "", 0, f"module {spec.module!r} not found under {where}"))
    return analyze_definition(source.path, spec.qualname, roots=root_list, python_version=python_version)


def analyze_definition(
    path: Path | str,
    qualname: str,
    *,
    line: int | None = None,
    roots: list[Path] | list[str] | None = None,
    python_version: tuple[int, int] | str | None = None,
    text: str | bytes | None = None,
    label: str | None = None,
) -> Analysis:
    """The sites one definition in ``path`` needs; the engine behind :func:`analyze_function`.

    ``qualname`` is a ``__qualname__`` (``outer.<locals>.inner``, ``C.m``,
    ``<lambda>``); ``line`` (a ``co_firstlineno``) picks among same-named
    definitions and lambdas. ``text``/``label`` analyze source that is not on
    disk (a notebook cell kept by linecache) under a display name.
    """
    path = Path(path)
    root_list = [Path(r) for r in roots] if roots else default_roots(path)
    tree = _Tree(root_list, primary=None if roots else 1)
    walker = _Walker(tree, python_version)
    source = tree.source_for(path) if text is None else SourceFile(path, path.parent, "", False)
    display = label or (str(path) if not path.is_absolute() else _display(path))
    flow = walker.load(source, text=text, label=display)
    if flow is None:
        return _finish(walker, tree, python_version)
    nodes = _locate(flow, qualname, line)
    if not nodes:
        listing = _listing(_definitions(flow))
        walker.diagnostics.append(EntryNotFound(display, line or 0,
                                                f"no function or class {qualname!r} in {display}; it defines: {listing}"))
        walker.reached.pop(flow.label, None)
        return _finish(walker, tree, python_version)
    for node in nodes:
        walker.add(flow, node)
    walker.run()
    return _finish(walker, tree, python_version)


def _finish(walker: _Walker, tree: _Tree, python_version: tuple[int, int] | None) -> Analysis:
    sites: list[ImportSite] = []
    diagnostics = list(walker.diagnostics)
    reached = [s for s in walker.reached.values() if s.regions or s.imports]
    for state in reached:
        found, diags = analyze_source(state.flow.text, state.flow.source)
        sites.extend(_relabel(s, state.flow.label) for s in found if state.selects(s))
        diagnostics.extend(replace(d, file=state.flow.label) for d in diags)
    return _analysis(tree, python_version, sorted(set(sites)), diagnostics, len(reached),
                     [s.flow.source for s in reached])


def _analysis(tree: _Tree, python_version: tuple[int, int] | str | None, sites: list[ImportSite],
              diagnostics: list[Diagnostic], files: int, sources: list[SourceFile] = ()) -> Analysis:
    """An Analysis shaped like the one :func:`analysis.analyze` returns for the same roots.

    The first-party scope and the target-specific step (stdlib per version,
    ``distutils`` -> setuptools, removed modules) are the analyzer's own, so
    a function's records classify like the tree's.
    """
    scope = first_party(list(tree.primary), list(sources))
    result = Analysis.of_scope(scope, python_version, sites=list(sites), diagnostics=list(diagnostics), files=files)
    apply_target(result)
    result.sites.sort()
    return result


def _version(python_version: tuple[int, int] | str | None) -> tuple[int, int]:
    if python_version is None:
        return tuple(sys.version_info[:2])  # type: ignore[return-value]
    if isinstance(python_version, str):
        major, minor = python_version.split(".")[:2]
        return int(major), int(minor)
    return int(python_version[0]), int(python_version[1])


def _relabel(site: ImportSite, label: str) -> ImportSite:
    return site if site.file == label else replace(site, file=label)


def _empty(roots: list[Path] | list[str], python_version: tuple[int, int] | str | None, diag: Diagnostic) -> Analysis:
    return _analysis(_Tree([Path(r) for r in roots]), python_version, [], [diag], 0)


def _display(path: Path) -> str:
    """A path as users see it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

"""The reach walker: from one definition to every region of first-party code that runs with it.

A *region* is a piece of syntax that runs (a ``def``, a module-level
statement, a class body statement). Every name read inside a region is
resolved, with libcst's scope analysis, to the assignments it may refer to,
and each assignment outside the region adds the region that binds it (an
import statement, an assignment statement, a ``def``); imports of
first-party modules are followed into those modules. The conventions (side
effects, classes, methods, annotations, ``try:`` flags) are stated in the
package docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata.scope_provider import (
    Access,
    Assignment,
    BaseAssignment,
    ClassScope,
    FunctionScope,
    ImportAssignment,
)

from ..relative import resolve_relative
from ..roots import SourceFile
from ..sites import Code, Diagnostic, ImportSite
from ..stdlib import normalize_version
from .tree import ModuleTree, ParsedModule, Pos, display_path, walk_nodes

__all__ = ["Reached", "Walker"]

#: methods that run whenever a method of the class can run at all
CONSTRUCTORS = ("__init__", "__new__", "__post_init__")
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass
class Reached:
    """What the walk found in one file: code regions that run, and import bindings read."""

    flow: ParsedModule
    regions: list[tuple[Pos, Pos]] = field(default_factory=list)
    imports: dict[Pos, set[str | None]] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)

    def selects(self, site: ImportSite) -> bool:
        pos = (site.line, site.column)
        if any(a <= pos <= b for a, b in self.regions):
            return True
        names = self.imports.get(pos)
        if names is None:
            return False
        if site.binds is None or None in names or site.binds in names:
            return True
        # `import a.b.c` binds `a`, but libcst names the bindings read as `a.b.c` (or `a.b`): every one of
        # them runs the whole statement
        return site.imported_name is None and any(
            n and (site.module == n or site.module.startswith(n + ".")) for n in names)


class Walker:
    """The name flow from an entry's definition; ``reached`` holds, per file, what runs."""

    def __init__(self, tree: ModuleTree, python_version: tuple[int, int] | str | None) -> None:
        self.tree = tree
        self.pep649 = normalize_version(python_version) >= (3, 14)
        self.reached: dict[str, Reached] = {}  # file label -> state
        self.flows: dict[str, ParsedModule | None] = {}  # module name -> parsed flow
        self.diagnostics: list[Diagnostic] = []
        self.queue: list[tuple[ParsedModule, cst.CSTNode]] = []
        self.followed: set[tuple[str, str | None]] = set()
        self.first_party = tree.first_party

    # loading -----------------------------------------------------------
    def load(self, source: SourceFile, text: str | bytes | None = None,
             label: str | None = None) -> ParsedModule | None:
        key = source.module or str(source.path)
        if key in self.flows:
            return self.flows[key]
        label = label or display_path(source.path)
        flow = None
        try:
            data = text if text is not None else self.tree.read(source)
            flow = ParsedModule(source, data, label)
        except OSError as exc:
            self.diagnostics.append(Diagnostic(label, 0, f"cannot read: {exc.strerror or exc}", code=Code.UNREADABLE))
        except Exception as exc:  # noqa: BLE001 - ParserSyntaxError and libcst's odd-input errors
            line = getattr(exc, "raw_line", 1)
            self.diagnostics.append(Diagnostic(label, line, f"cannot parse: {getattr(exc, 'message', exc)}",
                                               code=Code.UNREADABLE))
        self.flows[key] = flow
        if flow is not None:
            state = self.reached.setdefault(flow.label, Reached(flow))
            for node in flow.side_effects():
                self.add(state.flow, node)
        return flow

    # queueing ----------------------------------------------------------
    def add(self, flow: ParsedModule, node: cst.CSTNode) -> None:
        self.queue.append((flow, node))

    def add_import(self, flow: ParsedModule, node: cst.CSTNode, name: str | None) -> None:
        state = self.reached.setdefault(flow.label, Reached(flow))
        state.imports.setdefault(flow.span(node)[0], set()).add(name)

    def run(self) -> None:
        while self.queue:
            flow, node = self.queue.pop()
            state = self.reached.setdefault(flow.label, Reached(flow))
            if id(node) in state.done:
                continue
            state.done.add(id(node))
            state.regions.append(flow.span(node))
            self._region(flow, node)

    # one region --------------------------------------------------------
    def _region(self, flow: ParsedModule, node: cst.CSTNode) -> None:
        inside = {id(n) for n in walk_nodes(node)}
        for n in walk_nodes(node):
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

    def _evaluated(self, flow: ParsedModule, access: Access) -> bool:
        if isinstance(access.node, cst.SimpleString | cst.ConcatenatedString):
            return False  # a string annotation: Python never evaluates it
        if not access.is_annotation:
            return True
        node: cst.CSTNode | None = access.node
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

    def _assignment(self, flow: ParsedModule, ref: BaseAssignment, access: Access) -> None:
        node = getattr(ref, "node", None)  # BaseAssignment subclasses carry the node; builtins do not
        if not isinstance(node, cst.CSTNode):
            return
        if isinstance(ref, ImportAssignment) or isinstance(node, cst.Import | cst.ImportFrom):
            self.add_import(flow, node, ref.name)
            self._follow_import(flow, node, ref.name, access)
            return
        for region in self._binding_regions(flow, node):
            self.add(flow, region)

    def _binding_regions(self, flow: ParsedModule, node: cst.CSTNode) -> list[cst.CSTNode]:
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

    def _try_imports(self, flow: ParsedModule, stmt: cst.CSTNode) -> list[cst.CSTNode]:
        """Imports probed by the ``try:`` whose body binds a flag (``HAS_X = True``)."""
        node: cst.CSTNode | None = stmt
        while node is not None and not isinstance(node, cst.Try | cst.FunctionDef | cst.ClassDef | cst.Module):
            node = flow.parent(node)
        if not isinstance(node, cst.Try) or not _catches_import_error(node) or not _contains(node.body, stmt):
            return []
        return [n for n in walk_nodes(node.body) if isinstance(n, cst.Import | cst.ImportFrom)]

    def _enclosing_class(self, flow: ParsedModule, func: cst.FunctionDef) -> cst.ClassDef | None:
        block = flow.parent(func)
        cls = flow.parent(block) if block is not None else None
        return cls if isinstance(cls, cst.ClassDef) else None

    def _method(self, flow: ParsedModule, cls: cst.ClassDef, func: cst.FunctionDef) -> None:
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
        for n in walk_nodes(func.body):
            if (isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name)
                    and n.value.value in receivers):
                for member in members.get(n.attr.value, ()):
                    self.add(flow, member)

    # following imports into first-party modules ------------------------
    def _follow_import(self, flow: ParsedModule, node: cst.CSTNode, bound: str | None, access: Access | None) -> None:
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
                star_module = get_full_name_for_node(star.module) if star.module else None
                base = resolve_relative(len(star.relative), star_module,
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


def _dotted_chain(flow: ParsedModule, node: cst.CSTNode) -> str | None:
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
        names = [get_full_name_for_node(e) for e in walk_nodes(handler.type) if isinstance(e, cst.Name | cst.Attribute)]
        if any(n and n.rsplit(".", 1)[-1] in IMPORT_ERRORS for n in names):
            return True
    return False


def _contains(block: cst.CSTNode, node: cst.CSTNode) -> bool:
    return any(n is node for n in walk_nodes(block))

"""What a live function object needs: for Dask, Parsl, Ray, Celery ... users.

``requirements_for(fn)`` finds the source of ``fn`` (``inspect.getsourcefile``,
``__code__.co_firstlineno``, ``__qualname__``) and analyzes that one
definition statically with :mod:`poncho.analysis.function_entry`. It then
reads what Python already holds for the function: the module globals its code
names (``fn.__globals__``), its closure cells, its default values, and the
targets of wrappers (``functools.partial``, bound methods, ``functools.wraps``'s
``__wrapped__``). A module object gives its ``__name__``; any other object
gives the module that defined its class or function. Nothing is called:
attributes are read with :func:`inspect.getattr_static` or from ``__dict__``,
so a lazy module or a proxy is never triggered.

The result is an :class:`poncho.analysis.Analysis` like the one a whole tree
gives, so the rest of the pipeline (mapping, resolution, lock) reads it
unchanged.
"""

from __future__ import annotations

import functools
import inspect
import sys
import sysconfig
import textwrap
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from poncho.analysis import Analysis, Diagnostic, ImportSite, Kind
from poncho.analysis.function_entry.memo import cached_definition
from poncho.analysis.function_entry.modules import display_path
from poncho.analysis.roots import file_roots
from poncho.analysis.sites import Code
from poncho.analysis.stdlib import normalize_version, stdlib_names
from poncho.errors import ConfigError

__all__ = ["requirements_for", "roots_of", "source_file"]

#: attributes frameworks use to keep the user's function inside their wrapper object
#: (functools.wraps, Parsl apps and functools.partial, numba dispatchers, Ray remote functions)
WRAPPED_ATTRIBUTES = ("__wrapped__", "func", "py_func", "_function")
#: how many items of a list/tuple/set/dict global are looked at
CONTAINER_LIMIT = 64
NOT_MODULES = frozenset({"builtins", "__main__", "__mp_main__", "__builtin__"})


def requirements_for(
    fn: Callable[..., Any] | type | Sequence[Callable[..., Any] | type],
    *,
    roots: list[Path] | list[str] | None = None,
    python_version: tuple[int, int] | str | None = None,
    target: str | None = None,
    with_module_imports: bool = False,
    cache_dir: str | Path | None | bool = True,
) -> Analysis:
    """The import sites ``fn`` needs, from its source and its live globals; calls nothing.

    ``fn`` may be a function, a lambda, a nested function or closure, a bound or
    unbound method, a ``functools.partial``, a decorated function (followed
    through ``__wrapped__``), a class or a callable instance, or a list of
    them (what all of them need, for one lock). ``roots`` are the
    directories the program's own imports resolve from; by default the one
    ``fn``'s module was imported from. ``python_version`` is the target's
    ``(major, minor)``, or give a ``target`` string (``"cp311-manylinux_2_28_x86_64"``,
    ``"3.12"``); it decides the stdlib list and annotation semantics.
    ``with_module_imports`` adds the top-level imports of each function's
    module: what importing it by reference runs (Dask/Ray by reference, Lambda).
    ``cache_dir`` keeps each definition's walk under ``<cache_dir>/analysis/functions``
    (``True``: the user cache directory; ``None``/``False``: walk every time).
    """
    if target is not None:
        if python_version is not None:
            raise ConfigError("give a target or a python version, not both")
        from poncho.config import parse_target

        parsed = parse_target(target)
        python_version = (parsed.python_version.major, parsed.python_version.minor)
    fns = list(fn) if isinstance(fn, (list, tuple)) else [fn]
    if not fns:
        raise ConfigError("requirements_for: give at least one function")
    from poncho.paths import cache_root

    memo = (cache_root() if cache_dir is True else Path(cache_dir) if cache_dir else None)
    walk = _LiveWalk(roots=[Path(r) for r in roots] if roots else None, python_version=python_version,
                     memo=memo / "analysis" / "functions" if memo is not None else None)
    for one in fns:
        walk.push(one, how="the callable")
    walk.run()
    analysis = walk.result()
    if with_module_imports:
        from poncho.module_imports import with_module_imports as add_module_imports

        files = [Path(f) for f in (source_file(one) for one in fns) if f]
        analysis = add_module_imports(analysis, files, python_version)
    return analysis


def source_file(fn: Any) -> str | None:
    """The file ``fn`` was defined in, through partials, bound methods and wrappers; calls nothing."""
    inner = fn
    for _ in range(10):
        nxt = getattr(inner, "func", None) or getattr(inner, "__func__", None) or getattr(inner, "__wrapped__", None)
        if nxt is None:
            break
        inner = nxt
    try:
        return inspect.getsourcefile(inner)
    except TypeError:
        return None


def roots_of(fn: types.FunctionType | type, file: Path) -> list[Path]:
    """The import roots ``fn``'s module was loaded from: ``pkg/sub/mod.py`` as ``pkg.sub.mod`` -> its root."""
    module = fn.__module__ if isinstance(fn.__module__, str) else ""
    parts = module.split(".") if module and module not in NOT_MODULES else []
    file = file.resolve()
    if parts:
        depth = len(parts) if file.stem == "__init__" else len(parts) - 1
        if depth < len(file.parents):
            root = file.parents[depth]
            expected = root.joinpath(*parts)
            if expected == file.with_suffix("") or expected / "__init__.py" == file:
                return [root] + ([file.parent] if file.parent != root else [])
    return file_roots(file)


# --------------------------------------------------------------------------- the walk
@dataclass
class _LiveWalk:
    roots: list[Path] | None
    python_version: tuple[int, int] | str | None
    pending: list[tuple[Any, str]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    keep: list[Any] = field(default_factory=list)  # holds pushed objects so ids stay unique
    analyses: list[Analysis] = field(default_factory=list)
    live: list[ImportSite] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    first_party: set[str] = field(default_factory=set)
    memo: Path | None = None  # where walks are kept (analysis.function_entry.memo); None: walk every time

    def push(self, obj: Any, how: str) -> None:
        if id(obj) not in self.seen:
            self.seen.add(id(obj))
            self.keep.append(obj)
            self.pending.append((obj, how))

    def run(self) -> None:
        while self.pending:
            obj, how = self.pending.pop(0)
            self._callable(obj, how)

    # unwrapping ------------------------------------------------------------
    def _callable(self, obj: Any, how: str) -> None:
        if isinstance(obj, functools.partial):
            self.push(obj.func, f"{how}.func")
            for value in [*obj.args, *(obj.keywords or {}).values()]:
                self._value(value, None, f"an argument bound by {how}", None)
            return
        if isinstance(obj, (types.MethodType, staticmethod, classmethod)):
            self.push(obj.__func__, f"{how}.__func__")
            owner = getattr(obj, "__self__", None)
            if owner is not None:
                self._receiver(owner, f"{how}.__self__")
            return
        if isinstance(obj, types.FunctionType):
            self._function(obj, how)
            return
        if isinstance(obj, type):
            self._class(obj, how)
            return
        if isinstance(obj, types.ModuleType):
            self._value(obj, None, how, None)
            return
        # a framework's wrapper object or a callable instance
        inner = self._wrapped(obj)
        if inner is not None:
            self.push(inner, f"{how} (wrapped function)")
        self._value(type(obj), None, f"the type of {how}", None)
        call = inspect.getattr_static(type(obj), "__call__", None)
        if isinstance(call, types.FunctionType):
            self.push(call, f"{how}.__call__")

    def _receiver(self, owner: Any, how: str) -> None:
        """A bound method's ``self``: the static method entry covers a first-party class;
        the instance's attributes are live state it reads."""
        cls = owner if isinstance(owner, type) else type(owner)
        module = vars(cls).get("__module__")
        if isinstance(module, str) and not (self._is_first_party(module) or _user_code(_class_file(cls))):
            self._site(module, None, f"{how} is {module}.{cls.__qualname__}", None)
        if not isinstance(owner, type):
            try:
                state = object.__getattribute__(owner, "__dict__")
            except AttributeError:
                return
            if type(state) is dict:
                for key, value in list(state.items())[:CONTAINER_LIMIT]:
                    self._value(value, None, f"{how}.{key}", None, depth=1)

    @staticmethod
    def _wrapped(obj: Any) -> Any:
        for attr in WRAPPED_ATTRIBUTES:
            try:
                inner = inspect.getattr_static(obj, attr)
            except AttributeError:
                continue
            if isinstance(inner, (types.FunctionType, types.MethodType, functools.partial)) and inner is not obj:
                return inner
        return None

    # a Python function: static analysis of its source, then its live state ---------------
    def _function(self, fn: types.FunctionType, how: str) -> None:
        code = fn.__code__
        label = self._analyze_source(fn, fn.__qualname__, code.co_firstlineno)
        for name in sorted(_code_names(code)):
            if name in fn.__globals__:
                self._value(fn.__globals__[name], name, f"{fn.__qualname__}.__globals__[{name!r}]",
                            (label, code.co_firstlineno, fn.__qualname__))
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: the variable is not bound yet
                continue
            self._value(value, name, f"closure cell {name!r} of {fn.__qualname__}",
                        (label, code.co_firstlineno, fn.__qualname__))
        for value in [*(fn.__defaults__ or ()), *(fn.__kwdefaults__ or {}).values()]:
            self._value(value, None, f"a default of {fn.__qualname__}", (label, code.co_firstlineno, fn.__qualname__))
        wrapped = vars(fn).get("__wrapped__")
        if wrapped is not None:
            self.push(wrapped, f"{fn.__qualname__}.__wrapped__")

    def _class(self, cls: type, how: str) -> None:
        module = vars(cls).get("__module__")
        if not isinstance(module, str):
            return
        if self._is_first_party(module) or _user_code(_class_file(cls)):
            line = vars(cls).get("__firstlineno__")  # Python 3.13+
            self._analyze_source(cls, cls.__qualname__, line if isinstance(line, int) else None)
        else:
            self._site(module, None, f"{how} is class {module}.{cls.__qualname__}", None)
            return
        for base in cls.__bases__:
            if base is not object:
                self._value(base, None, f"a base of {cls.__qualname__}", None)

    def _analyze_source(self, obj: Any, qualname: str, line: int | None) -> str:
        """Analyze ``obj``'s definition statically; returns the label its sites use."""
        try:
            filename = inspect.getsourcefile(obj)
        except TypeError:
            filename = None
        if filename is None:
            code = getattr(obj, "__code__", None)
            filename = code.co_filename if code is not None else f"<{getattr(obj, '__module__', 'unknown')}>"
        path = Path(filename)
        if path.is_file() and path.suffix in (".py", ".pyw"):
            roots = self.roots or roots_of(obj, path)
            if self.memo is not None:  # nothing it read changed: a warm new process never loads libcst
                analysis = cached_definition(path, qualname, line=line, roots=roots,
                                             python_version=self.python_version, directory=self.memo)
            else:
                from poncho.analysis.function_entry import analyze_definition

                analysis = analyze_definition(path, qualname, line=line, roots=roots,
                                              python_version=self.python_version)
            self.analyses.append(analysis)
            self.first_party |= analysis.first_party
            return display_path(path)
        # Not on disk (a notebook cell, the REPL): the text linecache keeps, if any.
        try:
            lines, start = inspect.getsourcelines(obj)
        except (OSError, TypeError):
            self.diagnostics.append(Diagnostic(
                filename, line or 0, f"source of {qualname} is not available; only its live globals were read",
                code=Code.UNREADABLE))
            return filename
        text = textwrap.dedent("".join(lines))
        local = qualname.split(".")[-1]
        from poncho.analysis.function_entry import analyze_definition  # source kept in memory: not cached

        analysis = analyze_definition(path, local, line=(line - start + 1) if line else None, roots=self.roots or [],
                                      python_version=self.python_version, text=text, label=filename)
        analysis.sites[:] = [_shift(s, start - 1) for s in analysis.sites]
        self.analyses.append(analysis)
        return filename

    # one live value --------------------------------------------------------
    def _value(self, value: Any, name: str | None, how: str, where: tuple[str, int, str] | None,
               depth: int = 0) -> None:
        if isinstance(value, types.ModuleType):
            module = vars(value).get("__name__")
            if isinstance(module, str):
                self._site(module, name, f"{how} is module {module!r}", where)
            return
        if type(value) in (list, tuple, set, frozenset, dict) and depth == 0:
            items = list(value.values() if isinstance(value, dict) else value)[:CONTAINER_LIMIT]
            for item in items:
                self._value(item, None, f"an item of {how}", where, depth + 1)
            return
        if isinstance(value, (types.FunctionType, functools.partial, types.MethodType)):
            module = value.__module__ if isinstance(value, types.FunctionType) else None
            if (module is None or self._is_first_party(module)
                    or _user_code(value.__code__.co_filename if isinstance(value, types.FunctionType) else None)):
                self.push(value, how)
                return
            self._site(module, name, f"{how} is defined in {module!r}", where)
            return
        if isinstance(value, types.BuiltinFunctionType):
            module = value.__module__
            if isinstance(module, str):
                self._site(module, name, f"{how} is defined in {module!r}", where)
            return
        cls = value if isinstance(value, type) else type(value)
        module = vars(cls).get("__module__")
        if not isinstance(module, str):
            return
        if self._is_first_party(module) or _user_code(_class_file(cls)):
            if isinstance(value, type):
                self.push(value, how)
            elif depth == 0:
                self.push(cls, f"the class of {how}")
            return
        kind = "class" if value is cls else "an instance of"
        self._site(module, name, f"{how} is {kind} {module}.{cls.__qualname__}", where)

    def _site(self, module: str, name: str | None, note: str, where: tuple[str, int, str] | None) -> None:
        if module.split(".")[0] in NOT_MODULES:
            return
        file, line, scope = where or ("<live>", 0, "<live>")
        self.live.append(ImportSite(file=file, line=line, module=module, kind=Kind.DYNAMIC, scope=scope,
                                    binds=name, note=f"live: {note}"))

    def _is_first_party(self, module: str) -> bool:
        return module.split(".")[0] in self.first_party

    # result ---------------------------------------------------------------------
    def result(self) -> Analysis:
        static = [s for a in self.analyses for s in a.sites]
        known = {s.top_level for s in static}
        extra: dict[str, ImportSite] = {}
        for site in self.live:
            if site.top_level in known or site.top_level in self.first_party:
                continue
            extra.setdefault(site.module, site)
        first_party = frozenset(self.first_party).union(*(a.first_party for a in self.analyses))
        sites = sorted(set(static) | set(extra.values()))
        diagnostics = [*self.diagnostics, *(d for a in self.analyses for d in a.diagnostics)]
        files = sum(a.files for a in self.analyses)
        if self.analyses:
            # keeps what the analyzer adds beyond these fields (first-party scope, target version)
            return replace(self.analyses[0], sites=sites, first_party=first_party, diagnostics=diagnostics, files=files)
        return Analysis(sites=sites, first_party=first_party,
                        stdlib=stdlib_names(normalize_version(self.python_version)),
                        diagnostics=diagnostics, files=files)


def _code_names(code: types.CodeType) -> set[str]:
    """Global (and attribute) names a code object and its nested code objects mention."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _shift(site: ImportSite, lines: int) -> ImportSite:
    return replace(site, line=site.line + lines)


def _class_file(cls: type) -> str | None:
    """The file of the module that defined ``cls``, read from ``sys.modules`` without imports."""
    module = sys.modules.get(vars(cls).get("__module__") or "")
    file = vars(module).get("__file__") if module is not None else None
    return file if isinstance(file, str) else None


def _user_code(filename: str | None) -> bool:
    """Code the user wrote rather than installed: a real ``.py`` outside site-packages and the stdlib."""
    if not filename or not filename.endswith((".py", ".pyw")):
        return False
    path = Path(filename).resolve()
    if {"site-packages", "dist-packages"} & set(path.parts):
        return False
    return not any(path.is_relative_to(p) for p in _STDLIB_DIRS)


_STDLIB_DIRS = tuple(Path(p).resolve() for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})

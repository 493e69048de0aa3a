"""The minimal import set of one callable: ``app/tasks.py:handler``, ``pkg.mod:Class.method``.

A function needs what runs when it runs: its body and closures, its
decorators and default arguments, the annotations Python evaluates, the module
globals it reads and, through them, the first-party functions and classes it
reaches, followed across modules (``from .helpers import util`` continues in
``util``'s body). Everything else in its module is left out: two handlers in
one file that use disjoint libraries get disjoint import sets.

The package: :mod:`.modules` finds the program's modules, :mod:`.tree`
parses them, :mod:`.definitions` finds a qualified name in one,
:mod:`.walker` walks the name flow from it, :mod:`.analyze` turns what was
reached into an :class:`~analysis.analyze.Analysis` (:mod:`.walked`), and
:mod:`.memo` keeps that on disk for the next run. The entry syntax is
:mod:`analysis.entry`'s and the roots are :mod:`analysis.roots`'s, shared
with whole-tree runs.

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

from typing import TYPE_CHECKING

from poncho.lazy import lazy_names

from ..entry import EntryPoint, parse_entry
from ..roots import file_roots as default_roots
from .modules import display_path

if TYPE_CHECKING:  # pragma: no cover
    from .analyze import EntryNotFound, analyze_definition, analyze_function

# The walk needs libcst: it loads when first used, so the function-entry cache (.memo) answers without it.
__getattr__ = lazy_names(__name__, {"EntryNotFound": ".analyze", "analyze_definition": ".analyze",
                                    "analyze_function": ".analyze"})

__all__ = ["EntryNotFound", "EntryPoint", "analyze_definition", "analyze_function", "default_roots", "display_path",
           "parse_entry"]

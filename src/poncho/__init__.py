"""poncho-resolve: from Python source to a pinned, hashed environment lock.

The pipeline is analysis -> index_cache -> resolver -> lock; each stage is a
subpackage usable on its own, and :mod:`poncho.pipeline` composes them.

For distributed-framework users, two calls work on live function objects
(nothing is called; the source and the function's globals are read)::

    import poncho
    poncho.requirements_for(fn)   # the import sites fn needs (an Analysis)
    poncho.lock_for(fn)           # a Lock for the machines that will run fn
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis import Analysis
    from poncho.lock import Lock
    from poncho.pipeline import Options


def requirements_for(fn: Callable[..., Any] | type | Sequence[Callable[..., Any] | type],
                     **kwargs: Any) -> Analysis:
    """The import sites ``fn`` (or a list of functions) needs, from source and live globals; calls nothing.

    ``target="cp311-manylinux_2_28_x86_64"`` judges the standard library for that Python;
    ``with_module_imports=True`` adds the top-level imports of each function's module.
    """
    from poncho.live import requirements_for as _requirements_for

    return _requirements_for(fn, **kwargs)


def lock_for(fn: Callable[..., Any] | type | Sequence[Callable[..., Any] | type], options: Options | None = None,
             *, with_module_imports: bool = False, **settings: Any) -> Lock:
    """Analyze ``fn`` (or a list of functions: one lock for all), map, resolve for the target; return the Lock.

    Without ``options``, they are loaded as the CLI loads them (pip's index,
    certificate and constraints, the project's ``[tool.poncho]``), with
    ``settings`` as the flags: ``lock_for([f, g], target="cp311-manylinux_2_28_x86_64")``.
    ``with_module_imports`` (or ``options.with_module_imports``) adds what
    importing each function's module runs.
    """
    from poncho.config import load_options
    from poncho.live import requirements_for as _requirements_for
    from poncho.live import source_file
    from poncho.pipeline import Pipeline

    fns: list[Callable[..., Any] | type] = list(fn) if isinstance(fn, (list, tuple)) else [fn]  # type: ignore[list-item]
    # The functions' own files locate the project's pyproject.toml ([tool.poncho]).
    paths = list(dict.fromkeys(f for f in (source_file(one) for one in fns) if f))
    if options is not None and settings:
        raise TypeError("give options or keyword settings, not both")
    pipeline = Pipeline(options or load_options(paths, **settings))
    module_imports = with_module_imports or getattr(pipeline.options, "with_module_imports", False)
    analysis = pipeline.accept_analysis(_requirements_for(fns, python_version=pipeline.python_version,
                                                          with_module_imports=module_imports,
                                                          cache_dir=pipeline.options.cache_dir))
    result = pipeline.resolve(pipeline.map(analysis, paths))
    assert result.lock is not None
    return result.lock


__all__ = ["__version__", "lock_for", "requirements_for"]

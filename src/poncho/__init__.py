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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis import Analysis
    from poncho.lock import Lock
    from poncho.pipeline import Options


def requirements_for(fn: Callable[..., Any] | type, **kwargs: Any) -> Analysis:
    """The import sites ``fn`` needs, from its source and its live globals; calls nothing."""
    from poncho.live import requirements_for as _requirements_for

    return _requirements_for(fn, **kwargs)


def lock_for(fn: Callable[..., Any] | type, options: Options | None = None, **settings: Any) -> Lock:
    """Analyze ``fn``, map, resolve for the options' target and return the Lock.

    Without ``options``, they are loaded as the CLI loads them (pip's index,
    certificate and constraints, the project's ``[tool.poncho]``), with
    ``settings`` as the flags: ``lock_for(fn, target="cp311-manylinux_2_28_x86_64")``.
    """
    from poncho.config import load_options
    from poncho.live import requirements_for as _requirements_for
    from poncho.pipeline import Pipeline

    # The function's own file locates the project's pyproject.toml ([tool.poncho]).
    paths = _source_paths(fn)
    if options is not None and settings:
        raise TypeError("give options or keyword settings, not both")
    pipeline = Pipeline(options or load_options(paths, **settings))
    analysis = pipeline.accept_analysis(_requirements_for(fn, python_version=pipeline.python_version))
    result = pipeline.resolve(pipeline.map(analysis, paths))
    assert result.lock is not None
    return result.lock


def _source_paths(fn: Any) -> list[str]:
    import inspect

    inner = fn
    for _ in range(10):  # partials, bound methods and wrappers, without calling anything
        nxt = getattr(inner, "func", None) or getattr(inner, "__func__", None) or getattr(inner, "__wrapped__", None)
        if nxt is None:
            break
        inner = nxt
    try:
        path = inspect.getsourcefile(inner)
    except TypeError:
        return []
    return [path] if path else []


__all__ = ["__version__", "lock_for", "requirements_for"]

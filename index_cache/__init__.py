"""Import name -> distribution: overrides, the installed environment, the shipped index, a confirmed live probe.

Every answer is a :class:`Mapping` that says which source decided, which
dotted prefix matched, which other distributions also provide it and how to
override. :func:`default_mapper` builds the chain in its fixed order:

1. :class:`Overrides` from ``--map IMPORT=DIST`` then ``[tool.poncho.mapping]``;
2. :class:`EnvironmentSource`, the installed distributions' file lists (opt-in);
3. :class:`NameGate`: runtime names (``__main__``, ``java.*``) never map, and
   usually-local names (``config``, ``utils``) map only when the project
   declares a provider (:mod:`.names`, ``data/import-names.txt``);
4. :class:`DroppedModules`: a module newer releases dropped (``pkg_resources``) maps with an
   upper bound on its distribution (``data/dropped-modules.tsv``);
5. :class:`ShippedIndex`, ``data/import-index.tsv`` built by the builder
   (:mod:`.build`, ``python -m poncho.index_cache build``) from the top 15,000
   projects' wheels, preferring what the project declares, then what projects
   that use the project's other distributions require (:mod:`.neighbours`);
6. :class:`LiveProbe`, a project named like the import, accepted only when its
   wheel's file list provides the module (only when given an index);
7. otherwise unresolved.

Only the lookup lives at this level; importing it never loads the builder
(:mod:`.build`: the crawler, the sdist streamer, ``tarfile``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Mapping as _Table
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dropped import DroppedModules
from .environment import EnvironmentSource
from .mapping import Mapper, Mapping, MappingSource, Source, prefixes
from .names import NameGate, name_rules
from .overrides import OverrideError, Overrides
from .shipped import Candidate, DeclaredIndex, ShippedIndex, choose
from .wheel_files import provided_modules

if TYPE_CHECKING:  # pragma: no cover
    from poncho.net import SimpleIndex

    from .probe import LiveProbe

# The probe talks HTTP: it (and requests) load only when a mapper is given an index to probe.
_PROBE_DEFAULT_CACHE = object()


def __getattr__(name: str) -> Any:
    if name == "LiveProbe":
        from .probe import LiveProbe

        return LiveProbe
    if name == "DEFAULT_PROBE_CACHE":
        from .probe import DEFAULT_CACHE

        return DEFAULT_CACHE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_mapper(
    *,
    overrides: Sequence[str] | _Table[str, str] | None = None,
    pyproject: str | Path | None = None,
    use_env: bool = False,
    env_path: Sequence[str] | None = None,
    probe_index: SimpleIndex | Callable[[], SimpleIndex] | None = None,
    index: ShippedIndex | None = None,
    probe_cache_dir: Path | None | object = _PROBE_DEFAULT_CACHE,
    declared: _Table[str, str] | None = None,
) -> Mapper:
    """The lookup chain, in order: ``--map`` overrides, ``[tool.poncho.mapping]``
    of ``pyproject``, the installed environment (only with ``use_env``; ``env_path``
    defaults to ``sys.path``), the shipped index (or ``index``), and the live
    probe (only when ``probe_index`` is given: an index, or a function making one
    when the probe is first needed). Unknown imports come back
    unresolved. The probe keeps what wheels provide in ``probe_cache_dir``
    (default ``default_cache_dir() / "probe"``; None: nothing on disk).
    A ``pyproject`` path that does not exist is skipped (projects
    without one are common); an unusable one raises :class:`OverrideError`, as
    do bad ``overrides``. ``declared`` (canonical name -> where the project
    declares it) is the project's evidence: declared distributions win among
    providers and let usually-local names map.
    """
    sources: list[MappingSource] = []
    if overrides:
        if isinstance(overrides, _Table):
            sources.append(Overrides(dict(overrides), origin="overrides"))
        else:
            sources.append(Overrides.from_cli(overrides))
    if pyproject is not None and Path(pyproject).exists():
        sources.append(Overrides.from_pyproject(pyproject))
    if use_env:
        sources.append(EnvironmentSource(env_path))
    shipped = index if index is not None else ShippedIndex()
    sources.append(NameGate(declared, shipped.providers))
    sources.append(DroppedModules())
    sources.append(DeclaredIndex(shipped, declared) if declared else shipped)
    if probe_index is not None:
        sources.append(_DeferredProbe(probe_index, probe_cache_dir, frozenset(declared or ())))
    return Mapper(sources)


class _DeferredProbe:
    """The live probe, built when a name reaches it: a tree whose imports the shipped index
    knows never loads the HTTP client (a warm ``check`` stays fast)."""

    source = Source.PROBE

    def __init__(self, index: SimpleIndex | Callable[[], SimpleIndex], cache_dir: Path | None | object,
                 declared: frozenset[str] = frozenset()) -> None:
        self._args = (index, cache_dir)
        self._declared = declared
        self._probe: LiveProbe | None = None

    def lookup(self, module: str) -> Mapping | None:
        if self._probe is None:
            from .probe import LiveProbe

            index, cache_dir = self._args
            if callable(index):  # a factory: the HTTP session is made only now
                index = index()
            self._probe = LiveProbe(index, declared=self._declared) if cache_dir is _PROBE_DEFAULT_CACHE \
                else LiveProbe(index, cache_dir, declared=self._declared)
        return self._probe.lookup(module)


__all__ = ["Candidate", "DeclaredIndex", "DroppedModules", "EnvironmentSource", "LiveProbe", "Mapper", "Mapping",
           "MappingSource", "NameGate", "OverrideError", "Overrides", "ShippedIndex", "Source", "choose",
           "default_mapper", "name_rules", "prefixes", "provided_modules"]

"""The one place the stages meet: analysis -> index_cache -> resolver -> lock.

Each function below is a short composition of the stages' public APIs, so a
reader sees the whole data flow here and nowhere else. Nothing flows back:
the resolver never sees source, the analyzer never sees the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from packaging.specifiers import SpecifierSet

from poncho.analysis import Analysis, analyze
from poncho.analysis.cache import SiteCache
from poncho.analysis.entry import is_entry
from poncho.analysis.roots import find_pyproject
from poncho.errors import EntryError
from poncho.index_cache import Mapper, default_mapper
from poncho.index_cache.requirements import Requirements, requirements_from_sites
from poncho.lock import Lock, build_lock
from poncho.net import SimpleIndex, make_session
from poncho.net.session import default_cache_dir
from poncho.net.simple_api import DEFAULT_INDEX
from poncho.resolver import MetadataFetcher, Resolution, SimpleRepository, Target, resolve


@dataclass
class Options:
    """Everything a run can be told; the CLI fills it from flags, Python callers directly."""

    index_urls: Sequence[str] = (DEFAULT_INDEX,)
    target: Target | None = None
    include_optional: bool = False
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    cert: str | None = None
    mapper: Mapper | None = None  # None: the default source order, built from the fields below
    mappings: Sequence[str] = ()  # --map IMPORT=DIST
    use_env: bool = False  # consult the installed environment's file lists
    probe: bool = True  # confirm unknown names against the index's wheels
    constraints: Mapping[str, SpecifierSet] = field(default_factory=dict)  # name -> allowed versions
    jobs: int | None = None  # analysis worker processes (None: one per CPU)
    offline: bool = False  # answer from the caches only; never touch the network


@dataclass
class Result:
    """What a run learned at each stage, for output and diagnostics."""

    analysis: Analysis
    requirements: Requirements
    resolution: Resolution | None = None
    lock: Lock | None = None


class Pipeline:
    """Holds the shared HTTP session and caches for one run."""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options or Options()
        self.target = self.options.target or Target.current()
        self.session = make_session(self.options.cache_dir, cert=self.options.cert, offline=self.options.offline)
        self.indexes = [SimpleIndex(self.session, url) for url in self.options.index_urls]

    def mapper(self, paths: Sequence[str | Path]) -> Mapper:
        if self.options.mapper is not None:
            return self.options.mapper
        cache = self.options.cache_dir
        return default_mapper(overrides=list(self.options.mappings), pyproject=find_pyproject(paths),
                              use_env=self.options.use_env,
                              probe_index=self.indexes[0] if self.options.probe else None,
                              probe_cache_dir=Path(cache) / "probe" if cache else None)

    @property
    def python_version(self) -> tuple[int, int]:
        return (self.target.python_version.major, self.target.python_version.minor)

    def analyze(self, paths: Sequence[str | Path]) -> Analysis:
        """Analyze files and directories, or one callable given as ``file.py:func`` / ``pkg.mod:func``."""
        entries = [str(p) for p in paths if is_entry(p)]
        if not entries:
            cache = SiteCache(Path(self.options.cache_dir) / "analysis") if self.options.cache_dir else False
            return analyze(paths, python_version=self.python_version, jobs=self.options.jobs, cache=cache)
        if len(paths) != 1:
            raise EntryError("give one callable (file.py:function) alone, not mixed with other paths")
        from poncho.analysis.function_entry import EntryNotFound, analyze_function  # libcst: only when needed

        analysis = analyze_function(entries[0], python_version=self.python_version)
        missing = [d for d in analysis.diagnostics if isinstance(d, EntryNotFound)]
        if missing:
            raise EntryError(str(missing[0]))
        return analysis

    def map(self, analysis: Analysis, paths: Sequence[str | Path] = ()) -> Result:
        """Map an Analysis's third-party sites to direct requirements."""
        reqs = requirements_from_sites(analysis.third_party, self.mapper(paths),
                                       include_optional=self.options.include_optional)
        return Result(analysis, reqs)

    def requirements(self, paths: Sequence[str | Path]) -> Result:
        return self.map(self.analyze(paths), paths)

    def resolve(self, result: Result) -> Result:
        """Resolve a mapped Result and build its Lock."""
        repository = SimpleRepository(
            self.indexes, MetadataFetcher(self.session, self.options.cache_dir, offline=self.options.offline),
            self.target)
        try:
            result.resolution = resolve([r.requirement for r in result.requirements.direct], repository,
                                        self.target, reasons=result.requirements.reasons(),
                                        constraints=self.options.constraints)
        finally:
            repository.close()
        notes = [f"not locked: no distribution provides {module!r} (imported at "
                 f"{', '.join(s.location for s in sites[:3])})"
                 for module, sites in result.requirements.unresolved.items()]
        notes += result.resolution.warnings
        result.lock = build_lock(result.resolution, result.requirements.direct, self.options.index_urls, notes,
                                 self.options.constraints)
        return result

    def lock(self, paths: Sequence[str | Path]) -> Result:
        return self.resolve(self.requirements(paths))


def lock(paths: Sequence[str | Path], options: Options | None = None) -> Lock:
    """Analyze ``paths``, map, resolve and return the Lock."""
    result = Pipeline(options).lock(paths)
    assert result.lock is not None
    return result.lock

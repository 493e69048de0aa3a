"""The one place the stages meet: analysis -> index_cache -> resolver -> lock.

Each method below is a short composition of the stages' public APIs, so a
reader sees the whole data flow here and nowhere else. Nothing flows back:
the resolver never sees source, the analyzer never sees the network.

Stages are imported when a method needs them, so ``check`` on an unchanged
tree never loads the HTTP client or the resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poncho.analysis.entry import is_entry
from poncho.analysis.roots import find_pyproject
from poncho.config import Options, load_options
from poncho.diagnostics import Code, Diagnostic, diagnostic
from poncho.errors import AnalysisFailed, ConfigError, EntryError, UnmappedImports

if TYPE_CHECKING:  # pragma: no cover
    from poncho.analysis import Analysis
    from poncho.check import Finding
    from poncho.index_cache import Mapper
    from poncho.index_cache.requirements import Requirements
    from poncho.installed import Environment
    from poncho.lock import Lock
    from poncho.lock.parse import LockedFile
    from poncho.net import SimpleIndex
    from poncho.resolver import Resolution, Target
    from poncho.resolver.repository import ProjectSource
    from poncho.terminal import Progress

__all__ = ["Options", "Pipeline", "Result", "find_pyproject", "is_entry", "load_options", "lock"]


@dataclass
class Result:
    """What a run learned at each stage, for output and diagnostics."""

    analysis: Analysis
    requirements: Requirements
    resolution: Resolution | None = None
    lock: Lock | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Pipeline:
    """One run: the options, the shared HTTP session and caches, and where diagnostics go.

    ``report`` hears every diagnostic as soon as a stage produces it (the CLI
    prints them); all of them are also kept in ``diagnostics``.
    """

    def __init__(self, options: Options | None = None, report: Callable[[Diagnostic], None] | None = None,
                 progress: Progress | None = None) -> None:
        self.options = options or Options()
        self.diagnostics: list[Diagnostic] = []
        self._report = report
        self.progress = progress  # the CLI's status line on a terminal; stages say where they are
        self._digest_indexes: tuple[str, ...] = ()  # a checked lock's header indexes, when the user gave none

    def emit(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        if self._report is not None:
            self._report(diagnostic)

    @cached_property
    def target(self) -> Target:
        from poncho.resolver.target import Target

        target = self.options.target
        assert not isinstance(target, str)  # Options turns strings into Targets
        if target is None and self.options.from_env is not None:
            import platform

            from poncho.config import parse_target

            if self.installed is not None and self.installed.python_full_version != platform.python_version():
                return parse_target(self.installed.python_full_version)  # lock for the environment's Python
        return target or Target.current()

    @cached_property
    def installed(self) -> Environment | None:
        """The environment ``--from-env`` / ``--prefer-installed`` name, asked once (None without them)."""
        from poncho.installed import query

        given = self.options.from_env if self.options.from_env is not None else self.options.prefer_installed
        return None if given is None else query(given)

    @cached_property
    def session(self) -> Any:
        from poncho.net import make_session

        session = make_session(self.options.cache_dir, cert=self.options.cert, offline=self.options.offline)
        if self.progress is not None:
            session.hooks["response"].append(self.progress.response)
        return session

    def _stage(self, name: str) -> None:
        if self.progress is not None:
            self.progress.stage(name)

    @cached_property
    def indexes(self) -> list[SimpleIndex]:
        from poncho.net import SimpleIndex

        return [SimpleIndex(self.session, url) for url in self.options.index_urls]

    @property
    def sources(self) -> list[ProjectSource]:
        """Where the resolver finds projects: pip's find-links first (a wheelhouse wins, and a public
        project of the same name cannot slip past it), then the indexes; the first that has a project
        serves all its files."""
        from poncho.net.find_links import FindLinks

        return [*(FindLinks(self.session, loc) for loc in self.options.find_links), *self.indexes]

    def mapper(self, paths: Sequence[str | Path] = ()) -> Mapper:
        from poncho.index_cache import default_mapper

        if self.options.mapper is not None:
            return self.options.mapper
        cache = self.options.cache_dir
        pyproject = self.options.pyproject or find_pyproject(paths)
        from_env = self.installed if self.options.from_env is not None else None
        return default_mapper(overrides=list(self.options.mappings), pyproject=pyproject,
                              use_env=self.options.use_env or from_env is not None,
                              env_path=from_env.path if from_env is not None else None,
                              probe_index=(lambda: self.indexes[0]) if self.options.probe else None,
                              probe_cache_dir=Path(cache) / "probe" if cache else None)

    @property
    def python_version(self) -> tuple[int, int]:
        return (self.target.python_version.major, self.target.python_version.minor)

    def analyze(self, paths: Sequence[str | Path]) -> Analysis:
        """Analyze files and directories, or one callable given as ``file.py:func`` / ``pkg.mod:func``."""
        from poncho.analysis import analyze
        from poncho.analysis.cache import SiteCache

        self._stage("analyzing")
        entries = [str(p) for p in paths if is_entry(p)]
        if not entries:
            cache = SiteCache(Path(self.options.cache_dir) / "analysis") if self.options.cache_dir else False
            analysis = analyze(paths, python_version=self.python_version, jobs=self.options.jobs, cache=cache)
        else:
            if len(paths) != 1:
                raise EntryError("give one callable (file.py:function) alone, not mixed with other paths")
            from poncho.analysis.function_entry import analyze_function  # libcst: only when needed

            analysis = analyze_function(entries[0], python_version=self.python_version)
            missing = [d for d in analysis.diagnostics if d.code is Code.ENTRY_NOT_FOUND]
            if missing:
                raise EntryError(str(missing[0]))
        return self.accept_analysis(analysis)

    def accept_analysis(self, analysis: Analysis) -> Analysis:
        """Report an Analysis's diagnostics; under ``strict``, problems stop the run (exit 3)."""
        if self.progress is not None:
            self.progress.count("source files", analysis.files)
        for d in [*analysis.diagnostics, *analysis.notes]:
            self.emit(d)
        if self.options.strict and analysis.strict_failed:
            raise AnalysisFailed(f"{len(analysis.diagnostics)} analysis problem(s) and --strict is set")
        return analysis

    def map(self, analysis: Analysis, paths: Sequence[str | Path] = ()) -> Result:
        """Map an Analysis's third-party sites to direct requirements."""
        from poncho.index_cache.requirements import requirements_from_sites

        self._stage("mapping")
        reqs = requirements_from_sites(analysis.third_party, self.mapper(paths),
                                       include_optional=self.options.include_optional)
        for d in reqs.diagnostics():
            self.emit(d)
        if self.options.strict and reqs.unresolved:
            raise UnmappedImports(tuple(reqs.unresolved))
        return Result(analysis, reqs, diagnostics=self.diagnostics)

    def requirements(self, paths: Sequence[str | Path]) -> Result:
        return self.map(self.analyze(paths), paths)

    def resolve(self, result: Result) -> Result:
        """Resolve a mapped Result and build its Lock."""
        from poncho.lock import build_lock
        from poncho.resolver import installable
        from poncho.resolver.metadata import MetadataFetcher
        from poncho.resolver.repository import SimpleRepository
        from poncho.resolver.resolve import resolve

        env_pins = self._from_env(result.requirements)
        self._stage("resolving")
        repository = SimpleRepository(
            self.sources, MetadataFetcher(self.session, self.options.cache_dir, offline=self.options.offline),
            self.target)
        constraints = _merged(self.options.constraints, self.options.upgrade_constraints, env_pins)

        def resolve_with(requirements: list[Any], preferred: dict[str, str]) -> Resolution:
            return resolve(requirements, repository, self.target, reasons=result.requirements.reasons(),
                           constraints=constraints, allow_fallback=self.options.allow_fallback, preferred=preferred)

        try:  # what the target cannot install is swapped, preferred older or left out (resolver/installable.py)
            result.resolution, plan = installable.lock_installable(
                result.requirements.direct, repository, self.target, resolve_with,
                preferred={**self.kept_pins(), **self._installed_pins()},
                constraints=constraints, strict=self.options.strict, only_binary=self.options.only_binary)
        finally:
            repository.close()
        self._stage("locking")
        for d in plan.diagnostics:
            self.emit(d)
        for warning in result.resolution.warnings:
            self.emit(diagnostic(Code.RESOLUTION_WARNING, warning))
        notes = [f"not locked: no distribution provides {module!r} (imported at "
                 f"{', '.join(s.location for s in sites[:3])})"
                 for module, sites in result.requirements.unresolved.items()]
        notes += result.resolution.warnings + plan.notes
        result.lock = build_lock(result.resolution, result.requirements.direct, self.options.index_urls, notes,
                                 self.options.constraints, left_out=[str(lo) for lo in plan.left_out],
                                 variants=plan.variants)
        return result

    def kept_pins(self) -> dict[str, str]:
        """The pins of ``keep_pins_from`` that a re-lock prefers, less what the user asked to upgrade."""
        from packaging.utils import canonicalize_name

        from poncho.errors import LockFileError
        from poncho.lock.parse import read_lock

        source = self.options.keep_pins_from
        if source is None or self.options.upgrade or not Path(source).is_file():
            return {}
        try:
            locked = read_lock(source)
        except LockFileError as exc:
            self.emit(diagnostic(Code.RESOLUTION_WARNING, f"not read as a lock, so no pin is kept: {exc}",
                                 file=str(source)))
            return {}
        from packaging.requirements import Requirement

        moving = {canonicalize_name(Requirement(p).name) for p in self.options.upgrade_packages}  # checked by config
        return {key: e.version for key, e in locked.entries.items() if e.version and key not in moving}

    def _from_env(self, requirements: Requirements) -> dict[str, Any]:
        """``--from-env``: every installed version as an ``==`` constraint (for this resolution only, never
        the lock's digest), once the needed distributions are installed and meet each other's requirements."""
        from packaging.specifiers import SpecifierSet
        from packaging.utils import canonicalize_name

        from poncho.errors import InconsistentEnvironment

        env = self.installed
        if self.options.from_env is None or env is None:
            return {}
        needed = {canonicalize_name(r.name) for r in requirements.direct if self._applies(r.marker)}
        problems = [f"{name} is imported but not installed" for name in sorted(needed - set(env.distributions))]
        problems += env.problems(needed)
        if problems:
            raise InconsistentEnvironment(env.python, problems)
        return {key: SpecifierSet(f"=={d.version}") for key, d in env.distributions.items()}

    def _installed_pins(self) -> dict[str, str]:
        """``--prefer-installed``: installed versions tried first where they fit (over an old lock's pins)."""
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        env = self.installed
        if self.options.prefer_installed is None or env is None:
            return {}
        moving = {canonicalize_name(Requirement(p).name) for p in self.options.upgrade_packages}
        return {key: d.version for key, d in env.distributions.items() if key not in moving}

    def lock(self, paths: Sequence[str | Path]) -> Result:
        return self.resolve(self.requirements(paths))

    def input_digest(self, result: Result) -> str:
        """The digest a lock of ``result`` would carry: what ``check`` compares."""
        from poncho.lock.digest import input_digest

        indexes = self._digest_indexes or self.options.index_urls
        return input_digest(result.requirements.direct, self.target, indexes, self.options.constraints)

    def check(self, paths: Sequence[str | Path], lock_path: str | Path, env: str | None = None) -> list[Finding]:
        """Every way the lock at ``lock_path`` disagrees with the code; never resolves.

        With ``env`` (an interpreter or venv; ``""`` for the running one), also every way the installed
        environment differs from the lock (``check --env``).
        """
        from poncho.check import check, drift
        from poncho.lock.parse import read_lock

        locked = read_lock(lock_path)
        self._adopt_header(locked)
        result = self.requirements(paths)
        findings = check(result.requirements, locked, self.input_digest(result), self._applies)
        if env is not None:
            from poncho.installed import query

            findings += drift(locked, query(env))
        return [f for f in findings if not self._ignored(f)]

    def _ignored(self, finding: Finding) -> bool:
        from packaging.utils import canonicalize_name

        for rule in self.options.ignore:
            code, _, name = rule.partition(":")
            if code == finding.code and (not name or canonicalize_name(name) == canonicalize_name(finding.subject)):
                return True
        return False

    def _adopt_header(self, locked: LockedFile) -> None:
        """The lock's header is the contract: unless the user said otherwise, check against the target and
        indexes it was made for, so the answer is the same on a laptop, a login node and any CI machine."""
        from poncho.config import parse_target

        given = self.options.explicit
        header_target = locked.python_and_platform
        if header_target is not None and not {"python", "platform"} <= given:
            # Each part the user did not give comes from the header; a given part wins.
            python = self.target.python_full_version if "python" in given else header_target[0]
            platform = self.target.platform_label if "platform" in given else header_target[1]
            try:
                self.__dict__["target"] = parse_target(python, platform)  # the cached_property's slot
            except ConfigError:
                pass  # a platform this version cannot target: compare with this machine's, PR005 will say so
        if "index_urls" not in given and locked.index_urls:
            # For the digest only: the header's URLs carry no credentials, the probe keeps the real ones.
            self._digest_indexes = tuple(locked.index_urls)

    def _applies(self, marker: str | None) -> bool:
        from packaging.markers import Marker

        return marker is None or self.target.evaluate(Marker(marker))


def _merged(*tables: Any) -> dict[str, Any]:
    """Constraint tables intersected name by name."""
    out: dict[str, Any] = {}
    for table in tables:
        for key, spec in table.items():
            out[key] = out[key] & spec if key in out else spec
    return out


def lock(paths: Sequence[str | Path], options: Options | None = None) -> Lock:
    """Analyze ``paths``, map, resolve and return the Lock (options from :func:`load_options` by default)."""
    result = Pipeline(options or load_options(paths)).lock(paths)
    assert result.lock is not None
    return result.lock

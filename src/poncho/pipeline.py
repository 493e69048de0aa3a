"""The one place the stages meet: analysis -> index_cache -> resolver -> lock.

Each method below is a short composition of the stages' public APIs, so a
reader sees the whole data flow here and nowhere else. Nothing flows back:
the resolver never sees source, the analyzer never sees the network.

Stages are imported when a method needs them, so ``check`` on an unchanged
tree never loads the HTTP client or the resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poncho.analysis.entry import is_entry
from poncho.analysis.roots import find_pyproject
from poncho.config import Options, load_options
from poncho.diagnostics import Code, Diagnostic, Severity, diagnostic
from poncho.errors import AnalysisFailed, EntryError, UnmappedImports, redact_url

if TYPE_CHECKING:  # pragma: no cover
    from packaging.requirements import Requirement

    from poncho.analysis import Analysis
    from poncho.analysis.declared import Declarations
    from poncho.check import Finding
    from poncho.index_cache import Mapper
    from poncho.index_cache.requirements import Requirements
    from poncho.installed import Environment
    from poncho.lock import Lock, LockInputs
    from poncho.lock.parse import LockedEntry, LockedFile
    from poncho.net import SimpleIndex
    from poncho.resolver import Resolution, Target, UniversalResolution
    from poncho.resolver.repository import ProjectSource
    from poncho.terminal import Progress

__all__ = ["Options", "Pipeline", "Result", "find_pyproject", "is_entry", "load_options", "lock"]


@dataclass
class Result:
    """What a run learned at each stage, for output and diagnostics."""

    analysis: Analysis
    requirements: Requirements
    resolution: UniversalResolution | None = None  # every target's pins, merged
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
        self.relock: str | None = None  # after check: the command that re-locks with the lock's own flags
        self._declared: dict[tuple[str, ...], Declarations] = {}

    def emit(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)
        if self._report is not None:
            self._report(diagnostic)

    @cached_property
    def targets(self) -> tuple[Target, ...]:
        """Every target of the lock (``Options.targets``; this interpreter when none is given)."""
        from poncho.resolver.target import Target

        targets = tuple(t for t in self.options.targets if not isinstance(t, str))  # Options parsed strings
        if not targets and self.options.from_env is not None:
            import platform

            from poncho.config import parse_target

            if self.installed is not None and self.installed.python_full_version != platform.python_version():
                return (parse_target(self.installed.python_full_version),)  # lock for the environment's Python
        return targets or (Target.current(),)

    @cached_property
    def target(self) -> Target:
        """The first target: the one analysis judges the standard library by."""
        return self.targets[0]

    @cached_property
    def installed(self) -> Environment | None:
        """The environment ``--from-env`` / ``--prefer-installed`` name, asked once (None without them)."""
        from poncho.installed import query

        given = self.options.from_env if self.options.from_env is not None else self.options.prefer_installed
        return None if given is None else query(given)

    @cached_property
    def session(self) -> Any:
        """The run's HTTP session, made when the first request is sent (poncho.net.deferred): a run the
        caches answer (offline, or a repeated lock) never loads the HTTP client."""
        from poncho.net.deferred import DeferredSession

        progress = self.progress
        hook = None if progress is None else (lambda session: session.hooks["response"].append(progress.response))
        return DeferredSession(self.options.cache_dir, cert=self.options.cert, offline=self.options.offline,
                               on_make=hook)

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
                              probe_cache_dir=Path(cache) / "probe" if cache else None,
                              declared=self.declarations(paths).where())

    def declarations(self, paths: Sequence[str | Path]) -> Declarations:
        """What the analyzed project declares (pyproject, setup.cfg, requirements*.txt), read once per run."""
        from poncho.analysis.declared import read_declarations

        key = tuple(str(p) for p in paths)
        if key not in self._declared:
            self._declared[key] = found = read_declarations(paths)
            for d in found.diagnostics:
                self.emit(d)
        return self._declared[key]

    @property
    def python_version(self) -> tuple[int, int]:
        return (self.target.python_version.major, self.target.python_version.minor)

    def analyze(self, paths: Sequence[str | Path]) -> Analysis:
        """Analyze files and directories, or one callable given as ``file.py:func`` / ``pkg.mod:func``."""
        from poncho.analysis import analyze
        from poncho.analysis.cache import SiteCache
        from poncho.analysis.scope import RuntimeScope

        self._stage("analyzing")
        entries = [str(p) for p in paths if is_entry(p)]
        if not entries:
            cache = SiteCache(Path(self.options.cache_dir) / "analysis") if self.options.cache_dir else False
            runtime = RuntimeScope(tuple(self.options.exclude), self.options.include_tests)
            analysis = analyze(paths, python_version=self.python_version, jobs=self.options.jobs, cache=cache,
                               runtime=runtime)
        else:
            if len(paths) != 1:
                raise EntryError("give one callable (file.py:function) alone, not mixed with other paths")
            from poncho.analysis.function_entry import analyze_function  # libcst: only when needed

            analysis = analyze_function(entries[0], python_version=self.python_version)
            missing = [d for d in analysis.diagnostics if d.code is Code.ENTRY_NOT_FOUND]
            if missing:
                raise EntryError(str(missing[0]))
            if self.options.with_module_imports:
                from poncho.module_imports import entry_module_file, with_module_imports

                module = entry_module_file(entries[0])
                if module is not None:
                    analysis = with_module_imports(analysis, [module], self.python_version)
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

    def map(self, analysis: Analysis, paths: Sequence[str | Path] = (), *, notes: bool = True) -> Result:
        """Map an Analysis's third-party sites to direct requirements.

        ``notes``: say where the imports and the project's declared dependencies disagree
        (``check`` reports the same as findings instead).
        """
        from poncho.index_cache.requirements import requirements_from_sites

        self._stage("mapping")
        declared = self.declarations(paths)
        mapper = self.mapper(paths)
        reqs = requirements_from_sites(analysis.third_party, mapper,
                                       include_optional=self.options.include_optional, declared=declared)
        self._declared_out_of_scope(analysis, paths, declared, reqs, mapper)
        if analysis.dev_files:
            from poncho.index_cache.requirements import mark_test_only

            mark_test_only(reqs, analysis.dev_files, declared)
        reqs.apply_user_choices(self.options.with_requirements, self.options.without)
        for d in reqs.diagnostics():
            self.emit(d)
        if declared and notes:
            from poncho.check import declaration_findings

            for finding in declaration_findings(reqs, declared, self.options.without, _whole_project(paths)):
                self.emit(finding.diagnostic(severity=Severity.NOTE))
        if self.options.strict and reqs.unresolved:
            raise UnmappedImports(tuple(reqs.unresolved))
        if self.options.strict and reqs.by_url:
            from poncho.errors import NotInstallable
            from poncho.index_cache.requirements import direct_url_message

            raise NotInstallable(tuple(r.name for r in reqs.by_url),
                                 "; ".join(direct_url_message(r) for r in reqs.by_url) + " (--strict)")
        return Result(analysis, reqs, diagnostics=self.diagnostics)

    def _declared_out_of_scope(self, analysis: Analysis, paths: Sequence[str | Path], declared: Declarations,
                               reqs: Requirements, mapper: Mapper) -> None:
        """Runtime declarations that only out-of-scope files import (setuptools in setup.py) are locked: the
        left-out files are analyzed only when some runtime declaration is imported by no runtime file."""
        from poncho.index_cache.requirements import declared_out_of_scope

        used = {r.key for r in [*reqs.direct, *reqs.optional, *reqs.typing_only]}
        if not analysis.excluded or not any(d.key not in used for d in declared.runtime) or \
                any(is_entry(p) for p in paths):
            return
        from poncho.analysis import analyze
        from poncho.analysis.cache import SiteCache
        from poncho.analysis.scope import RuntimeScope

        cache = SiteCache(Path(self.options.cache_dir) / "analysis") if self.options.cache_dir else False
        left = analyze(paths, python_version=self.python_version, jobs=self.options.jobs, cache=cache,
                       runtime=RuntimeScope(tuple(self.options.exclude), self.options.include_tests),
                       left_out_only=True)
        found = declared_out_of_scope(left.third_party, mapper, declared, used)
        reqs.direct = sorted([*reqs.direct, *found], key=lambda r: r.key)

    def requirements(self, paths: Sequence[str | Path]) -> Result:
        return self.map(self.analyze(paths), paths)

    def resolve(self, result: Result) -> Result:
        """Resolve a mapped Result and build its Lock (a repeated lock comes from the resolution cache)."""
        from poncho.lock import build_lock
        from poncho.resolver import installable
        from poncho.resolver.universal import in_turn, merge

        env_pins = self._from_env(result.requirements)
        constraints = _merged(self.options.constraints, self.options.upgrade_constraints, env_pins)
        installed = self._installed_pins()
        self._stage("resolving")
        plans: list[installable.Plan] = []
        with _LazyRepository(self) as repository:
            def one(target: Target, preferred: dict[str, str]) -> Resolution:
                # A repeated lock: an entry made from these very requirements is one the plan below changed
                # nothing for (a swap or a left-out requirement changes the key), so it is used as it is, with
                # no repository and no page read; only its sdist pins are flagged again.
                direct = [r.requirement for r in result.requirements.direct]
                cached = self._cached_resolution(result, direct, constraints, preferred, target)
                if cached is not None:
                    diags, notes = installable.sdist_only(cached, self.options.only_binary)
                    plans.append(installable.Plan(requirements=direct, diagnostics=diags, notes=notes))
                    return cached

                def resolve_with(requirements: list[Requirement], wanted: dict[str, str]) -> Resolution:
                    return (self._cached_resolution(result, requirements, constraints, wanted, target)
                            or self._resolve_fresh(result, requirements, constraints, wanted, target, repository))

                # What the target cannot install is swapped, preferred older or left out (resolver/installable.py).
                resolution, plan = installable.lock_installable(
                    result.requirements.direct, repository.for_target(target), target, resolve_with,
                    preferred=preferred, constraints=constraints, strict=self.options.strict,
                    only_binary=self.options.only_binary)
                plans.append(plan)
                return resolution

            resolutions = in_turn(self.targets, [{**self.kept_pins(t), **installed} for t in self.targets], one)
        asked = {str(r): r for plan in plans for r in plan.requirements}
        result.resolution = merge(tuple(self.targets), resolutions, list(asked.values()))
        from poncho.resolver.provided import leave_out

        # `without`: the platform provides it, even where a locked package depends on it (resolver/provided.py)
        result.resolution, provided = leave_out(result.resolution, self.options.without)
        plan = installable.Plan.combined(plans, {p.name for p in result.resolution})
        self._stage("locking")
        for d in plan.diagnostics:
            self.emit(d)
        for warning in result.resolution.warnings:
            self.emit(diagnostic(Code.RESOLUTION_WARNING, warning))
        self.emit(diagnostic(Code.RESOLUTION_STATS, result.resolution.summary(), Severity.INFO))
        notes = [f"not locked: no distribution provides {module!r} (imported at "
                 f"{', '.join(s.location for s in sites[:3])})"
                 for module, sites in result.requirements.unresolved.items()]
        notes += result.resolution.warnings + plan.notes
        lock_dir = Path(self.options.keep_pins_from).parent if self.options.keep_pins_from else Path.cwd()
        notes += _choice_notes(self.options.with_requirements, ())
        notes += [f"not locked: {r.name} @ {redact_url(r.url or '')} (declared by a direct URL; install it next "
                  "to the lock)"
                  for r in result.requirements.by_url]
        notes += [p.note() for p in provided]
        for p in provided:
            if p.needed_by or p.along:
                self.emit(diagnostic(Code.USER_CHOICE, p.note(), Severity.NOTE))
        result.lock = build_lock(result.resolution, result.requirements.direct, self.options.index_urls, notes,
                                 self.lock_inputs(result, lock_dir, (p.name for p in result.resolution)),
                                 left_out=[str(lo) for lo in plan.left_out], variants=plan.variants,
                                 provided=[str(p) for p in provided],
                                 flags=self.options.lock_flags())
        return result

    def _resolve_fresh(self, result: Result, requirements: list[Requirement], constraints: dict[str, Any],
                       preferred: dict[str, str], target: Target, repository: _LazyRepository) -> Resolution:
        """Run resolvelib for ``target`` against the indexes, and store the answer with the pages it read."""
        from poncho.resolver.cache import ResolutionCache
        from poncho.resolver.solve import resolve

        resolution = resolve(requirements, repository.for_target(target),
                             target, reasons=result.requirements.reasons(), constraints=constraints,
                             allow_fallback=self.options.allow_fallback, preferred=preferred)
        if self.options.cache_dir:
            ResolutionCache(Path(self.options.cache_dir) / "resolutions").put(
                self._resolution_key(requirements, constraints, target), resolution, preferred, repository.logs,
                repository.started)
        return resolution

    def _resolution_key(self, requirements: list[Requirement], constraints: dict[str, Any], target: Target) -> str:
        from poncho.resolver.cache import resolution_key

        return resolution_key([str(r) for r in requirements], target,
                              self._source_urls(), constraints, self.options.allow_fallback,
                              only_binary=self.options.only_binary)

    def _source_urls(self) -> list[str]:
        """The URLs of ``sources``, in order, as they spell them; without find-links, without making
        their clients (a cache hit needs no HTTP session)."""
        if self.options.find_links:
            return [source.index_url for source in self.sources]
        return [u if u.endswith("/") else u + "/" for u in self.options.index_urls]  # as SimpleIndex does

    def _cached_resolution(self, result: Result, requirements: list[Requirement], constraints: dict[str, Any],
                           preferred: dict[str, str], target: Target) -> Resolution | None:
        """A repeated lock's answer from the resolution cache (see poncho.resolver.cache), or None.

        An existing ``-o`` lock made from these same inputs (its header's record) and holding exactly the
        cached pins, unedited, vouches for the entry: it is kept with no request at all, as a re-lock keeps
        its pins. Only a one-target lock vouches this way: a universal lock's entries are the merge of its
        targets' resolutions, which the pages are checked for instead.
        """
        if not self.options.cache_dir:
            return None
        from poncho.resolver.cache import ResolutionCache

        cache = ResolutionCache(Path(self.options.cache_dir) / "resolutions")

        def vouched(resolution: Resolution) -> bool:
            lock = self._existing_lock()
            if lock is None or lock.inputs is None or not lock.untouched or resolution.fallbacks:
                return False
            current = self.lock_inputs(result, Path(lock.path).parent, (p.name for p in resolution))
            return (lock.inputs.digest() == current.digest()
                    and {k: e.version for k, e in lock.entries.items()}
                    == {k: str(p.version) for k, p in resolution.pins.items()})

        return cache.get(self._resolution_key(requirements, constraints, target), preferred, self._source_urls(),
                         target, indexes=lambda: self.sources, offline=self.options.offline,
                         trusted=vouched if len(self.targets) == 1 else None)

    def _existing_lock(self) -> LockedFile | None:
        from poncho.errors import LockFileError
        from poncho.lock.parse import read_lock

        source = self.options.keep_pins_from
        if source is None or self.options.upgrade or self.options.upgrade_packages or not Path(source).is_file():
            return None
        try:
            return read_lock(source)
        except LockFileError:
            return None

    def kept_pins(self, target: Target | None = None) -> dict[str, str]:
        """The pins of ``keep_pins_from`` that a re-lock prefers on ``target`` (an entry whose marker
        selects other targets is not kept here), less what the user asked to upgrade."""
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
        target = target or self.target
        return {e.key: e.version for e in locked.all_entries
                if e.version and e.key not in moving and self._holds(target, e.marker)}

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

    def lock_inputs(self, result: Result, lock_dir: Path, locked: Iterable[str]) -> LockInputs:
        """What a lock of ``result`` records as its inputs (its header): ``check`` compares the two records.

        Only constraints on ``locked`` names are recorded: an organisation's
        constraints file may name thousands of projects, and one the lock does
        not hold shapes nothing (if the code starts importing it, PR001 says so).
        """
        from packaging.utils import canonicalize_name

        from poncho import __version__
        from poncho.index_cache.overrides import Overrides
        from poncho.lock.inputs import LockInputs, recorded_path

        pyproject = self.options.pyproject
        table = Overrides.from_pyproject(pyproject).table if pyproject is not None and pyproject.is_file() else {}
        flags = Overrides.from_cli(self.options.mappings).table
        files = {recorded_path(f, lock_dir) for f in self.options.constraint_files}
        names = {canonicalize_name(n) for n in locked}
        return LockInputs.of(
            requirements=[str(r) for r in result.requirements.direct],
            targets=[t.describe() for t in self.targets],
            index_urls=self.options.index_urls,
            constraint_files=files,
            constraints=[f"{key}{spec}" for key, spec in self.options.constraints.items() if key in names],
            mappings=[f"{k}={v}" for k, v in table.items()],
            map_flags=[f"{k}={v}" for k, v in flags.items()],
            include_optional=self.options.include_optional,
            tool_version=__version__,
        )

    def check(self, paths: Sequence[str | Path], lock_path: str | Path, env: str | None = None) -> list[Finding]:
        """Every way the lock at ``lock_path`` disagrees with the code or with itself; never resolves.

        With ``env`` (an interpreter or venv; ``""`` for the running one), also every way the installed
        environment differs from the lock (``check --env``). Where the code and the project's declared
        dependencies disagree is reported too (warnings).
        """
        from poncho.check import check, declaration_findings, drift
        from poncho.config import adopt_header
        from poncho.lock.inputs import relock_command
        from poncho.lock.parse import read_lock

        locked = read_lock(lock_path)
        self.options = adopt_header(self.options, locked)
        self.__dict__.pop("target", None)  # the cached_properties: the header may have set other targets
        self.__dict__.pop("targets", None)
        result = self.map(self.analyze(paths), paths, notes=False)
        lock_dir = Path(lock_path).parent
        current = self.lock_inputs(result, lock_dir, locked.entries)
        self.relock = relock_command([str(p) for p in paths], str(lock_path), current, locked.format, lock_dir,
                                     self.options.without, self.options.lock_flags())
        findings = check(result.requirements, locked, current, self._applies, self.relock)
        findings += self.consistency(locked)
        findings += declaration_findings(result.requirements, self.declarations(paths), self.options.without,
                                         _whole_project(paths))
        if env is not None:
            from poncho.installed import query

            findings += drift(locked, query(env))
        return [f for f in findings if not self._ignored(f)]

    def consistency(self, locked: LockedFile) -> list[Finding]:
        """PR006: do the pins still fit together on the target?

        A lock whose pins are exactly what poncho-resolve resolved (its
        pinned digest agrees) was consistent when written and is not read
        again, so the common ``check`` reads no metadata and loads no HTTP
        client. Otherwise (a hand edit, a removed entry, a lock from
        another tool) every entry's Requires-Dist is read from the metadata
        cache, and fetched only when the cache lacks it.
        """
        if locked.untouched or not locked.entries:
            return []
        from poncho.check import unmet_requirements

        return unmet_requirements(locked, self._requires_dist(locked), list(self.targets))

    def _requires_dist(self, locked: LockedFile) -> Callable[[LockedEntry], Sequence[Requirement] | None]:
        from packaging.utils import canonicalize_name
        from packaging.version import Version

        from poncho.errors import IndexProblem
        from poncho.lock.inputs import normalize_index_url
        from poncho.resolver.metadata import cached_metadata

        urls = list(dict.fromkeys(normalize_index_url(u) for u in (*locked.index_urls, *self.options.index_urls)))

        def matches(meta: Any, entry: LockedEntry) -> bool:
            return canonicalize_name(meta.name) == entry.key and meta.version == Version(str(entry.version))

        def requires(entry: LockedEntry) -> Sequence[Requirement] | None:
            for url in urls:
                for sha in entry.hashes:
                    meta = cached_metadata(self.options.cache_dir, url, sha)
                    if meta is not None and matches(meta, entry):
                        return meta.requires_dist
            try:
                meta = self._fetch_metadata(entry)
            except IndexProblem as exc:
                meta = None
                why = str(exc)
            else:
                why = f"no file of {entry.name} {entry.version} on the index"
            if meta is not None and matches(meta, entry):
                return meta.requires_dist
            self.emit(diagnostic(Code.UNMET_REQUIREMENT, f"{entry.name} {entry.version}: its requirements were not "
                                 f"checked: {why}", Severity.NOTE, file=locked.path, line=entry.line))
            return None

        return requires

    def _fetch_metadata(self, entry: LockedEntry) -> Any:
        """An entry's metadata from the index: a file whose sha256 the lock holds, else (a hand-edited version
        keeps the old hashes; a lock without hashes) a file of the pinned version; a wheel first."""
        from packaging.utils import parse_sdist_filename, parse_wheel_filename
        from packaging.version import Version

        from poncho.errors import NotFound
        from poncho.resolver.metadata import MetadataFetcher

        fetcher = MetadataFetcher(self.session, self.options.cache_dir, offline=self.options.offline)
        for index in self.indexes:
            try:
                page = index.project(entry.name)
            except NotFound:
                continue

            def of_version(file: Any) -> bool:
                try:
                    version = (parse_wheel_filename(file.filename)[1] if file.is_wheel
                               else parse_sdist_filename(file.filename)[1])
                except ValueError:
                    return False
                return version == Version(str(entry.version))

            files = [f for f in page.files if f.sha256 and f.sha256 in entry.hashes and of_version(f)]
            files = sorted(files or [f for f in page.files if of_version(f)], key=lambda f: not f.is_wheel)
            if files:
                return fetcher.fetch(files[0], index.index_url)
        return None

    def export(self, lock_path: str | Path, fmt: str) -> Lock:
        """The lock at ``lock_path`` as a Lock record ready to render as ``fmt``, without resolving.

        A requirements lock knows its files by sha256 only; pylock.toml and the
        JSON record need their names and URLs, which come from the index pages
        the lock's header names (the HTTP cache first). A file the index no
        longer lists is an error naming it, never a lock without it.
        """
        from poncho.config import adopt_header
        from poncho.lock.load import load_lock, needs_urls
        from poncho.lock.parse import read_lock

        lock = load_lock(lock_path)
        if fmt not in ("pylock", "json") or not needs_urls(lock):
            return lock
        self.options = adopt_header(self.options, read_lock(lock_path))
        return self._with_urls(lock, fmt)

    def _with_urls(self, lock: Lock, fmt: str) -> Lock:
        import dataclasses

        from poncho.errors import NotFound, redact_url
        from poncho.lock.inputs import normalize_index_url
        from poncho.lock.records import Artifact

        entries = []
        for e in lock.entries:
            wanted = {a.sha256 for a in e.artifacts}
            found: dict[str, Artifact] = {}
            index_url = ""
            for index in self.indexes:
                try:
                    page = index.project(e.name)
                except NotFound:
                    continue
                for f in page.files:
                    if f.sha256 in wanted and f.sha256 not in found:
                        found[f.sha256] = Artifact(f.filename, redact_url(f.url), f.sha256, f.size)
                        index_url = index_url or normalize_index_url(index.index_url)
            missing = sorted(wanted - set(found))
            if missing:
                raise NotFound(self.indexes[0].project_url(e.name),
                               f"{e.name} {e.version}: no file with sha256 {missing[0]} on "
                               f"{', '.join(redact_url(i.index_url) for i in self.indexes)}",
                               f"the {fmt} format needs each file's URL; export to requirements, or re-lock")
            artifacts = tuple(sorted(found.values(), key=lambda a: a.filename))
            entries.append(dataclasses.replace(e, artifacts=artifacts, index_url=e.index_url or index_url))
        return dataclasses.replace(lock, entries=tuple(entries))

    def _ignored(self, finding: Finding) -> bool:
        from packaging.utils import canonicalize_name

        for rule in self.options.ignore:
            code, _, name = rule.partition(":")
            if code == finding.code and (not name or canonicalize_name(name) == canonicalize_name(finding.subject)):
                return True
        return False

    def _applies(self, marker: str | None) -> bool:
        """A requirement applies when its marker holds on any of the lock's targets."""
        return any(self._holds(t, marker) for t in self.targets)

    @staticmethod
    def _holds(target: Target, marker: str | None) -> bool:
        from packaging.markers import InvalidMarker, Marker

        try:
            return marker is None or target.evaluate(Marker(marker))
        except InvalidMarker:  # a hand-edited foreign lock: the entry is taken to apply
            return True


def _whole_project(paths: Sequence[str | Path]) -> bool:
    """True when a directory was analyzed: a program, not one file or one function, which need a part
    of what the project declares."""
    return any(not is_entry(p) and Path(p).is_dir() for p in paths)


def _choice_notes(with_: Sequence[tuple[str, str]], without: Sequence[str]) -> list[str]:
    """The lock header's record of the user's additions and removals (one short line each)."""
    notes = [f"with: {', '.join(req for req, _ in with_)}"] if with_ else []
    return notes + ([f"without: {', '.join(without)}"] if without else [])


class _LazyRepository:
    """The run's one repository, made on first use (a run answered from the resolution cache makes no HTTP
    session), its project sources wrapped in page logs that the resolution cache records."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._repository: Any = None
        self.logs: list[Any] = []
        self.started = 0.0

    def for_target(self, target: Target) -> Any:
        if self._repository is None:
            from time import time

            from poncho.resolver.metadata import MetadataFetcher
            from poncho.resolver.page_log import PageLog
            from poncho.resolver.repository import SimpleRepository

            p = self._pipeline
            self.started, self.logs = time(), [PageLog(source) for source in p.sources]
            self._repository = SimpleRepository(
                self.logs, MetadataFetcher(p.session, p.options.cache_dir, offline=p.options.offline), target)
        repo = self._repository
        return repo if target == repo.target else repo.for_target(target)

    def __enter__(self) -> _LazyRepository:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._repository is not None:
            self._repository.close()


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

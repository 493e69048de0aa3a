"""Analyze a source tree: files -> ImportSite records, classified for a target Python.

``analyze(paths, python_version)`` walks the tree, reads each file once,
looks its sites up in the per-file cache by content hash, parses the misses
(in worker processes for large trees), then applies what depends on the
target: the standard-library list, ``distutils`` -> setuptools on 3.12+, and
errors for modules the target no longer ships. Code is never imported or run.
"""

from __future__ import annotations

import gc
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import guards
from .cache import SiteCache, entry_key, tree_key, tree_owner
from .roots import FirstParty, SourceFile, first_party, walk_sources
from .scope import RuntimeScope, split_runtime
from .sites import Code, Diagnostic, Guard, ImportSite, Kind, Severity
from .stdlib import REPLACEMENTS, SUPPORTED, added_in, normalize_version, removed_in, stdlib_names

MAX_FILE_SIZE = 10 * 1024 * 1024  # larger files are reported, not parsed (memory stays bounded)
PARALLEL_MIN_FILES = 48  # below this, worker start-up costs more than it saves
PARALLEL_MIN_BYTES = 512 * 1024


@dataclass
class Analysis:
    """Everything the analyzer learned about a tree; the mapping stage reads ``third_party``."""

    sites: list[ImportSite] = field(default_factory=list)
    first_party: frozenset[str] = frozenset()
    stdlib: frozenset[str] = frozenset()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    python_version: tuple[int, int] | None = None
    scope: FirstParty = field(default_factory=FirstParty)
    notes: list[Diagnostic] = field(default_factory=list)  # informational (e.g. a dynamic import with an unknown name)
    excluded: tuple[str, ...] = ()  # files left out of the runtime scope (tests, docs, --exclude)
    # with --include-tests: the analyzed files the default scope would have left out (a lock's `test` group)
    dev_files: tuple[str, ...] = ()
    cache_hits: int = 0  # files whose sites came from the cache
    parsed: int = 0  # files parsed in this run

    def classify(self, site: ImportSite) -> str:
        """``first-party``, ``stdlib``, ``third-party`` or ``missing-stdlib``.

        ``missing-stdlib``: a standard-library module of another Python
        version that the target does not have (``imp`` on 3.12, ``tomllib``
        on 3.10); it is reported as a diagnostic, never sent to the index.
        """
        if self.scope.names or self.scope.script_dirs:
            if self.scope.contains(site.module, site.file) or (
                    site.imported_name and site.imported_name != "*"
                    and self.scope.contains(f"{site.module}.{site.imported_name}", site.file)):
                return "first-party"
        elif site.top_level in self.first_party:
            return "first-party"
        if site.distribution:
            return "third-party"
        top = site.top_level
        if top in self.stdlib:
            return "stdlib"
        if any(top in stdlib_names(v) for v in SUPPORTED):
            return "missing-stdlib"
        return "third-party"

    @classmethod
    def of_scope(cls, scope: FirstParty, python_version: tuple[int, int] | str | None = None,
                 **fields: object) -> Analysis:
        """An empty result for a program with this first-party ``scope``, for the target Python.

        Whole-tree runs and function entries both start here, so their
        ``first_party`` names and stdlib sets are made the same way.
        """
        target = normalize_version(python_version)
        return cls(first_party=frozenset(n for n in scope.names if "." not in n), stdlib=stdlib_names(target),
                   python_version=target, scope=scope, **fields)  # type: ignore[arg-type]

    @property
    def third_party(self) -> list[ImportSite]:
        return [s for s in self.sites if self.classify(s) == "third-party"]

    @property
    def strict_failed(self) -> bool:
        """True when ``--strict`` should fail: an error or warning diagnostic exists."""
        return any(d.severity in (Severity.ERROR, Severity.WARNING) for d in self.diagnostics)


# --- one file ---------------------------------------------------------------------------------

def _analyze_bytes(data: bytes, name: str, package: str, module: str,
                   notebook: bool) -> tuple[list[ImportSite], list[Diagnostic]]:
    """Raw (target-independent) sites of one file."""
    # Syntax trees hold no reference cycles; the cyclic GC only slows parsing down (2x on big files).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze_bytes_nogc(data, name, package, module, notebook)
    finally:
        if enabled:
            gc.enable()


def _analyze_bytes_nogc(data: bytes, name: str, package: str, module: str,
                        notebook: bool) -> tuple[list[ImportSite], list[Diagnostic]]:
    try:
        return _analyze_parsed(data, name, package, module, notebook)
    except RecursionError:
        # The known deep shapes are bounded where they occur (folding, elif chains, the libcst
        # fallback); this keeps any shape not yet met a diagnostic for its file, never a crash.
        return [], [Diagnostic(name, 1, "not analyzed: nested deeper than the analyzer follows", code=Code.UNREADABLE)]


def _analyze_parsed(data: bytes, name: str, package: str, module: str,
                    notebook: bool) -> tuple[list[ImportSite], list[Diagnostic]]:
    # The parser and the visitor load with the first file to parse: a run the analysis cache answers (a
    # warm `check`) never needs them.
    from .notebooks import analyze_notebook
    from .parsing import parse_python
    from .visitor import collect_sites

    if notebook:
        return analyze_notebook(data, name, lambda tree, text: collect_sites(tree, name, "", "", text))
    parsed = parse_python(data, name, package)
    if parsed.tree is None:
        return parsed.sites or [], parsed.diagnostics or []
    return collect_sites(parsed.tree, name, package, module, data)


def analyze_source(source: str | bytes, file: SourceFile | str, package: str = "", *,
                   include_info: bool = False) -> tuple[list[ImportSite], list[Diagnostic]]:
    """Sites in one module's text; never imports or executes it.

    Informational diagnostics (``Severity.INFO``) are left out unless ``include_info``.
    """
    name = str(file.path) if isinstance(file, SourceFile) else str(file)
    module = ""
    if isinstance(file, SourceFile):
        package, module = file.package, file.module
    data = source.encode("utf-8") if isinstance(source, str) else source
    sites, diags = _analyze_bytes(data, name, package, module, name.endswith(".ipynb"))
    if not include_info:
        diags = [d for d in diags if d.severity is not Severity.INFO]
    return _when_imported(sites), diags


def _work(job: tuple[bytes, str, str, str, bool]) -> tuple[list[ImportSite], list[Diagnostic]]:
    return _analyze_bytes(*job)


# --- the tree ----------------------------------------------------------------------------------

def _read(f: SourceFile, max_size: int) -> bytes | Diagnostic:
    name = str(f.path)
    try:
        st = os.stat(f.path)
    except OSError as exc:
        return Diagnostic(name, 0, f"cannot read: {exc.strerror or exc}", code=Code.UNREADABLE)
    if not stat.S_ISREG(st.st_mode):
        return Diagnostic(name, 0, "cannot read: not a regular file", code=Code.UNREADABLE)
    if st.st_size > max_size:
        return Diagnostic(name, 0, f"skipped: {st.st_size / 1e6:.1f} MB is over the {max_size / 1e6:.0f} MB limit",
                          code=Code.UNREADABLE)
    try:
        with open(f.path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        return Diagnostic(name, 0, f"cannot read: {exc.strerror or exc}", code=Code.UNREADABLE)


def _tree_key(files: list[SourceFile], max_file_size: int, roots: list[Path], scope: str = "") -> str | None:
    """The whole-tree cache key (:func:`.cache.tree_key`), or None when a file cannot be stat-ed; ``scope``
    names the file set (its owner's slots are its own)."""
    stats = []
    for f in files:
        try:
            st = os.stat(f.path)
        except OSError:
            return None
        stats.append((str(f.path), f.module, f.package, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    stats.append(("", "", "", max_file_size, 0, 0, 0))
    return tree_key(stats, tree_owner([os.path.abspath(r) for r in roots], scope))


def analyze(paths: Iterable[str | Path], python_version: tuple[int, int] | str | None = None, *,
            jobs: int | None = None, cache: bool | SiteCache = True, max_file_size: int = MAX_FILE_SIZE,
            runtime: RuntimeScope | None = None, left_out_only: bool = False) -> Analysis:
    """Analyze files and directories as the program that contains them.

    ``jobs``: worker processes (default: CPU count; 1 = serial). ``cache``:
    False to disable, or a :class:`SiteCache` for a specific directory.
    ``runtime``: leave tests, docs and the like out (:mod:`.scope`; the
    pipeline passes one by default, this function analyzes every file without it).
    ``left_out_only``: analyze just the files ``runtime`` leaves out (what setup.py or the tests import,
    asked only when the project declares something the runtime files never import).
    """
    roots = [Path(p) for p in paths]
    target = normalize_version(python_version)
    every, walk_diags = walk_sources(roots)
    scope = first_party(roots, every)  # the whole tree defines first-party names, tests included
    files, left_out = split_runtime(every, runtime, roots)
    if left_out_only:
        files, left_out = sorted((f for group in left_out.values() for f in group), key=lambda f: str(f.path)), {}
    dev_files: tuple[str, ...] = ()
    if runtime is not None and runtime.include_tests and not left_out_only:
        _, would = split_runtime(files, RuntimeScope(runtime.exclude), roots)
        dev_files = tuple(str(f.path) for group in would.values() for f in group)
    result = Analysis.of_scope(scope, target, files=len(files))
    result.excluded = tuple(str(f.path) for group in left_out.values() for f in group)
    result.dev_files = dev_files
    for d in [*walk_diags, *scope.diagnostics, *_left_out_note(left_out, runtime)]:
        (result.notes if d.severity is Severity.INFO else result.diagnostics).append(d)
    store = cache if isinstance(cache, SiteCache) else (SiteCache() if cache else None)

    per_file: dict[int, tuple[list[ImportSite], list[Diagnostic]]] = {}
    pending: list[tuple[int, str | None, tuple]] = []
    scope_name = repr((left_out_only, None if runtime is None else runtime.patterns))
    tree = _tree_key(files, max_file_size, roots, scope_name) if store else None
    whole = store.get_tree(tree) if store and tree else None
    if whole is not None and [file for file, _, _ in whole] == [str(f.path) for f in files]:
        per_file = {i: (sites, diags) for i, (_, sites, diags) in enumerate(whole)}
        result.cache_hits = len(files)
        files_to_read: list[SourceFile] = []
    else:
        files_to_read = files
    for i, f in enumerate(files_to_read):
        data = _read(f, max_file_size)
        if isinstance(data, Diagnostic):
            per_file[i] = ([], [data])
            continue
        notebook = f.path.suffix == ".ipynb"
        key = entry_key(data, "ipynb" if notebook else "py", f.module, f.package) if store else None
        hit = store.get(key, str(f.path)) if store and key else None
        if hit is not None:
            per_file[i] = hit
            result.cache_hits += 1
            continue
        pending.append((i, key, (data, str(f.path), f.package, f.module, notebook)))

    result.parsed = len(pending)
    for (i, key, _), out in zip(pending, _run([job for _, _, job in pending], jobs)):
        per_file[i] = out
        if store and key:
            store.put(key, *out)
    if store and tree and files_to_read and not any(
            d.code is Code.UNREADABLE for _, diags in per_file.values() for d in diags):
        store.put_tree(tree, [(str(f.path), *per_file[i]) for i, f in enumerate(files)])
    if store and pending:
        store.sweep()  # a run that wrote entries: at most once a day, drop those unused for a month

    for i in range(len(files)):
        sites, diags = per_file[i]
        result.sites.extend(sites)
        for d in diags:
            (result.notes if d.severity is Severity.INFO else result.diagnostics).append(d)
    result.sites = _when_imported(result.sites)
    apply_target(result)
    result.sites.sort()
    result.diagnostics.sort()
    result.notes.sort()
    return result


def _left_out_note(left_out: dict[str, list[SourceFile]], runtime: RuntimeScope | None) -> list[Diagnostic]:
    if not left_out:
        return []
    count = sum(len(v) for v in left_out.values())
    shown = ", ".join(f"{pattern} ({len(group)})" for pattern, group in sorted(left_out.items()))
    back = "" if runtime is None or runtime.include_tests else "; --include-tests analyzes tests and the like too"
    return [Diagnostic("", 0, f"left out of the runtime lock: {count} file(s) matching {shown}{back}",
                       Severity.NOTE, code=Code.OUT_OF_SCOPE)]


def _run(jobs_list: list[tuple], jobs: int | None) -> list[tuple[list[ImportSite], list[Diagnostic]]]:
    workers = jobs or os.cpu_count() or 1
    size = sum(len(j[0]) for j in jobs_list)
    if workers <= 1 or len(jobs_list) < PARALLEL_MIN_FILES or size < PARALLEL_MIN_BYTES:
        return [_work(j) for j in jobs_list]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # ~25 ms of imports: only for big trees

    # fork is cheapest and safe while we are single-threaded; otherwise the platform default.
    ctx = None
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        ctx = multiprocessing.get_context("fork")
    workers = min(workers, max(1, len(jobs_list) // 16))
    chunk = max(1, min(64, len(jobs_list) // (workers * 8)))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            return list(pool.map(_work, jobs_list, chunksize=chunk))
    except (OSError, RuntimeError):  # no process support (sandbox): serial is always correct
        return [_work(j) for j in jobs_list]


# --- project-wide and target-specific steps -------------------------------------------------------

def _when_imported(sites: list[ImportSite]) -> list[ImportSite]:
    """Drop plugin hints whose rule needs a library the program never imports."""
    if not any(s.kind is Kind.PLUGIN and s.rule for s in sites):
        return sites  # the rules (loaded from their data file) are needed only to judge a plugin hint
    from .rules import load_rules

    rules = load_rules()
    imported = {s.top_level for s in sites if s.kind is not Kind.PLUGIN}
    out = []
    for s in sites:
        if s.kind is Kind.PLUGIN and s.rule:
            rule = rules.get(s.rule)
            if rule and rule.when_imported and not imported.intersection(rule.when_imported):
                continue
        out.append(s)
    return out


def apply_target(result: Analysis, python_version: tuple[int, int] | str | None = None) -> None:
    """Classify ``result``'s sites for the target Python, in place.

    ``distutils`` becomes setuptools where the target lacks it; a required
    import of a stdlib module the target does not ship (``imp`` on 3.12,
    ``tomllib`` on 3.10) is an error diagnostic. ``python_version``, when
    given, replaces the result's target (and its stdlib set). Both the
    whole-tree analysis and function entries call this, so a callable's
    records classify like the tree's.
    """
    if python_version is not None:
        result.python_version = normalize_version(python_version)
        result.stdlib = stdlib_names(result.python_version)
    target = result.python_version or normalize_version(None)
    env = {"python_version": f"{target[0]}.{target[1]}", "python_full_version": f"{target[0]}.{target[1]}.0"}
    sites: list[ImportSite] = []
    reported: set[tuple[str, int, str]] = set()
    for s in result.sites:
        top = s.top_level
        if s.distribution or top in result.stdlib or result.classify(s) == "first-party":
            sites.append(s)
            continue
        gone = removed_in(top, target)
        if top == "distutils" and gone:
            sites.append(replace(s, distribution="setuptools",
                                 note=f"distutils was removed in Python {gone[0]}.{gone[1]}; setuptools provides it"))
            continue
        sites.append(s)
        if s.guard is not Guard.REQUIRED or not _applies(s.marker, env):
            continue
        since = added_in(top)
        if gone:
            message = f"{top} was removed from the standard library in Python {gone[0]}.{gone[1]}"
        elif since and since > target:
            message = f"{top} is in the standard library only from Python {since[0]}.{since[1]}"
        else:
            continue
        hint = REPLACEMENTS.get(top)
        key = (s.file, s.line, top)
        if key not in reported:
            reported.add(key)
            result.diagnostics.append(Diagnostic(s.file, s.line, f"{message} (target {target[0]}.{target[1]})"
                                                 + (f": {hint}" if hint else ""), Severity.ERROR, s.cell,
                                                 Code.TARGET_LACKS_STDLIB))
    result.sites = sites


def _applies(marker: str | None, env: dict[str, str]) -> bool:
    if not marker:
        return True
    try:
        from packaging.markers import Marker

        return Marker(marker).evaluate(env)
    except Exception:
        return True


__all__ = ["Analysis", "analyze", "analyze_source", "apply_target", "guards"]

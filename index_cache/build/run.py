"""The index build: crawl every project of a popularity list, journal, then write the tables.

The crawl is embarrassingly parallel: ``crawl_project`` runs per project on a
thread pool (the work is I/O) or, given a scheduler address, as tasks on a
Dask distributed cluster. Either way the results come back to this process,
which appends each one to ``journal.jsonl`` in the output directory as it
arrives; a re-run with the same output directory skips every project the
journal already holds (errors excepted: they are retried). When the crawler
has learned to read what it could not before, ``recrawl`` names the
:class:`.results.Outcome` values (the keys of the manifest's
``unindexed_reasons``, or an indexed one such as ``sdist only; read its
top_level.txt``) whose projects are crawled again, so a finished build is
brought up to date without redoing the rest.
When the crawl is done the tables and the manifest are written atomically
(see :mod:`.store`), whether or not every project could be read: the caller
decides what failures mean (the CLI exits with :class:`BuildIncomplete`).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from packaging.utils import canonicalize_name

from poncho import __version__
from poncho.artifacts.limits import ArchiveLimits
from poncho.errors import BuildError, ConfigError, NotFound, PonchoError
from poncho.net import SimpleIndex, make_session
from poncho.net.simple_api import DEFAULT_INDEX

from .crawl import CrawlSettings, crawl_project, session_for
from .extras import ExtrasLimits, ExtrasResult, project_extras
from .journal import JOURNAL, Journal, read_journal
from .results import ERROR, INDEXED, UNINDEXED, Outcome, ProjectResult
from .store import (
    NEIGHBOURS_BUNDLE,
    NEIGHBOURS_LEAST,
    NEIGHBOURS_SHARE,
    default_input,
    load_top_list,
    write_extras,
    write_manifest,
    write_outputs,
    write_patched_index,
)


@dataclass
class BuildOptions:
    """One build's settings; the CLI's options, and what tests and scripts pass to :func:`build`."""

    out_dir: Path
    index_url: str = DEFAULT_INDEX
    top: int | None = None
    workers: int = 32
    dask_scheduler: str | None = None
    input: Path | None = None  # None: the checkout's top 15,000 (store.default_input)
    retries: int = 3
    backoff: float = 1.0
    timeout: float = 30.0
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    recrawl: tuple[Outcome | str, ...] = ()  # outcomes whose journaled projects are crawled again
    cert: str | None = None  # CA bundle for HTTPS
    extras_top: int = 0  # the extras step: this many best-ranked indexed projects that declare extras ...
    extras_projects: tuple[str, ...] = ()  # ... and these, by name
    extras_limits: ExtrasLimits = field(default_factory=ExtrasLimits)
    patch_index: Path | None = None  # write OUT's import index as this one with the built projects' rows replaced
    progress: TextIO | None = field(default=sys.stderr, repr=False)


# progress ----------------------------------------------------------------------
class _Progress:
    def __init__(self, stream: TextIO | None, total: int, already: int) -> None:
        self.stream, self.total, self.done, self.start = stream, total, already, time.monotonic()
        self.this_run = 0
        self.counts: Counter[str] = Counter()
        self.last = 0.0

    def update(self, res: ProjectResult) -> None:
        self.done += 1
        self.this_run += 1
        self.counts[res.status] += 1
        now = time.monotonic()
        if self.stream and (now - self.last >= 2 or self.done == self.total):
            self.last = now
            rate = self.this_run / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate else 0
            print(f"[index build] {self.done}/{self.total} projects  "
                  f"indexed {self.counts[INDEXED]}  unindexed {self.counts[UNINDEXED]}  "
                  f"errors {self.counts[ERROR]}  {rate:.1f}/s  eta {eta:.0f}s",
                  file=self.stream, flush=True)


# running -------------------------------------------------------------------------
def _run_threads(todo: list[tuple[int, str]], settings: CrawlSettings, workers: int) -> Iterator[dict]:
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="index-crawl") as pool:
        futures = [pool.submit(crawl_project, name, rank, settings) for rank, name in todo]
        for fut in as_completed(futures):
            yield fut.result()


def _run_dask(todo: list[tuple[int, str]], settings: CrawlSettings, address: str) -> Iterator[dict]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise BuildError("--dask-scheduler needs dask.distributed: pip install 'poncho-resolve[dask]'") from exc
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise BuildError(f"cannot connect to the Dask scheduler at {address}: {exc}") from exc
    with client:
        futures = client.map(crawl_project, [n for _, n in todo], [r for r, _ in todo],
                             settings=settings, pure=False)
        for fut in dask_completed(futures):
            result = fut.result()
            fut.release()
            yield result


def _preflight(settings: CrawlSettings, first: str) -> int:
    """Fail early when the index cannot be reached (:class:`IndexUnreachable`, naming the URL,
    exit 6); the number of requests made."""
    session = make_session(None, timeout=settings.timeout, retries=2, cert=settings.cert)
    responses: list[object] = []
    session.hooks["response"].append(lambda r, *a, **k: responses.append(r))
    index = SimpleIndex(session, settings.index_url)
    try:
        index.project(first)
    except NotFound:
        pass
    return len(responses)


def _recrawl_outcomes(values: tuple[Outcome | str, ...]) -> set[Outcome]:
    try:
        return {Outcome(v) for v in values}
    except ValueError as exc:
        known = "; ".join(repr(o.value) for o in Outcome)
        raise ConfigError(f"--recrawl: {exc}; expected one of {known}") from None


def build(options: BuildOptions) -> dict[str, Any]:
    """Run (or resume) a build into ``options.out_dir``; return the manifest written."""
    started = time.monotonic()
    source = Path(options.input) if options.input is not None else default_input()
    projects = load_top_list(source)
    recrawl = _recrawl_outcomes(options.recrawl)
    if options.top is not None:
        projects = projects[: options.top]
    if not projects:
        raise BuildError(f"{source}: no projects to index")
    out = Path(options.out_dir)
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out}: not a directory")
    settings = CrawlSettings(options.index_url if options.index_url.endswith("/") else options.index_url + "/",
                             timeout=options.timeout, retries=options.retries, backoff=options.backoff,
                             limits=options.limits, cert=options.cert)
    journal_path = out / JOURNAL
    done, runs = read_journal(journal_path, settings.index_url)
    wanted = {canonicalize_name(n) for _, n in projects}

    def again(res: ProjectResult) -> bool:
        return res.status == ERROR or res.outcome in recrawl

    todo = [(r, n) for r, n in projects if canonicalize_name(n) not in done or again(done[canonicalize_name(n)])]
    preflight = _preflight(settings, todo[0][1]) if todo else 0
    out.mkdir(parents=True, exist_ok=True)
    progress = _Progress(options.progress, len(projects), len(projects) - len(todo))
    if options.progress and len(projects) != len(todo):
        print(f"[index build] resuming: {len(projects) - len(todo)} projects already in {journal_path}",
              file=options.progress, flush=True)
    if options.progress and recrawl:
        n = sum(1 for k in wanted if k in done and again(done[k]) and done[k].status != ERROR)
        print(f"[index build] crawling again {n} projects for: {'; '.join(sorted(o.value for o in recrawl))}",
              file=options.progress, flush=True)
    journal = Journal(journal_path, settings.index_url)
    try:
        runner = (_run_dask(todo, settings, options.dask_scheduler) if options.dask_scheduler
                  else _run_threads(todo, settings, options.workers))
        for data in runner:
            res = ProjectResult.from_json(data)
            journal.write(res.to_json())
            done[canonicalize_name(res.project)] = res
            progress.update(res)
    finally:
        if progress.this_run:  # an interrupted run's time and requests count too
            run = {"wall_time_s": round(time.monotonic() - started, 1), "projects": progress.this_run,
                   "preflight_requests": preflight, "engine": _engine(options)}
            if recrawl:
                run["recrawl"] = sorted(o.value for o in recrawl)
            runs.append(run)
            journal.write({"run": run})
        journal.close()
    results = [done[k] for k in sorted(wanted) if k in done]
    manifest = _manifest(options, source, settings, results, runs, len(projects) - len(todo))
    write_outputs(out, results, manifest)
    if options.patch_index is not None:
        manifest["patched"] = {"base": str(options.patch_index),
                               "rows": write_patched_index(out, Path(options.patch_index), results)}
        write_manifest(out, manifest)
    if options.extras_top or options.extras_projects:
        manifest["extras"] = _extras_step(options, settings, results)
        write_manifest(out, manifest)
    return manifest


def _extras_step(options: BuildOptions, settings: CrawlSettings, results: list[ProjectResult]) -> dict[str, Any]:
    """Read the chosen projects' code and write ``extras-index.tsv`` (see :mod:`.extras`)."""
    from ..shipped import INDEX_FILE, ShippedIndex

    started = time.monotonic()
    ranked = sorted((r for r in results if r.status == INDEXED and r.extras), key=lambda r: r.rank)
    names = list(dict.fromkeys([r.project for r in ranked[: options.extras_top]] + list(options.extras_projects)))
    built, shipped = ShippedIndex(Path(options.out_dir) / INDEX_FILE), ShippedIndex()

    def to_dist(module: str) -> str | None:
        for source in (built, shipped):  # this build's rows first; the shipped table knows the rest
            found = source.lookup(module)
            if found is not None and found.distribution:
                return canonicalize_name(found.distribution)
        return None

    requires: dict[str, set[str]] = {canonicalize_name(r.project): set(r.base_requires) for r in results}

    def base_closure(base: set[str]) -> set[str]:
        """``base`` and what the crawled projects among them require without an extra, transitively."""
        seen, todo = set(base), list(base)
        while todo:
            for dep in requires.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    index = SimpleIndex(session_for(settings), settings.index_url)

    def one(name: str) -> ExtrasResult:
        try:
            return project_extras(index, name, to_dist, options.extras_limits, base_closure)
        except PonchoError as exc:
            return ExtrasResult(project=name, reason=f"error: {exc}")
        except Exception as exc:  # noqa: BLE001 - one odd wheel must not stop the step
            return ExtrasResult(project=name, reason=f"error: {type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(max_workers=max(1, min(options.workers, 8)), thread_name_prefix="index-extras") as pool:
        done = list(pool.map(one, names))
    rows = [row for r in done for row in r.rows]
    write_extras(Path(options.out_dir), rows)
    wall = round(time.monotonic() - started, 1)
    if options.progress:
        print(f"[index build] extras: {len(rows)} rows from {len(names)} projects in {wall} s",
              file=options.progress, flush=True)
    return {
        "wall_time_s": wall, "rows": len(rows), "limits": asdict(options.extras_limits),
        "projects": [{"project": r.project, "version": r.version, "wheel": r.wheel, "extras": r.extras,
                      "modules": r.files, "rows": len(r.rows),
                      **({"truncated": r.truncated} if r.truncated else {}),
                      **({"reason": r.reason} if r.reason else {})} for r in done],
    }


def _engine(options: BuildOptions) -> str:
    return f"dask:{options.dask_scheduler}" if options.dask_scheduler else f"threads:{options.workers}"


def _manifest(options: BuildOptions, source: Path, settings: CrawlSettings, results: list[ProjectResult],
              runs: list[dict[str, Any]], resumed: int) -> dict[str, Any]:
    status = Counter(r.status for r in results)
    unindexed = Counter(r.outcome.value for r in results if r.status == UNINDEXED)
    failures = [{"project": r.project, "rank": r.rank, "reason": r.reason}
                for r in sorted(results, key=lambda r: r.rank) if r.status == ERROR]
    input_bytes = source.read_bytes()
    return {
        "tool": "poncho-resolve index build",
        "tool_version": __version__,
        "index_url": settings.index_url,
        "input": {"file": source.name, "sha256": hashlib.sha256(input_bytes).hexdigest(),
                  "top": options.top},
        "date": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "projects": len(results),
        "indexed": status[INDEXED],
        "unindexed": status[UNINDEXED],
        "unindexed_reasons": dict(sorted(unindexed.items(), key=lambda kv: (-kv[1], kv[0]))),
        "errors": status[ERROR],
        "failures": failures,
        "wheels": sum(len(r.wheels) for r in results),  # archives read (incl. zip sdists)
        "import_paths": len({p for r in results if r.status == INDEXED for p in r.provides}),
        # every request of the results kept, plus each run's reachability check
        "requests": sum(r.requests for r in results) + sum(run.get("preflight_requests", 0) for run in runs),
        "wall_time_s": round(sum(run["wall_time_s"] for run in runs), 1),  # crawling runs, summed
        "runs": runs,
        "resumed_projects": resumed,
        "engine": _engine(options),
        "archive_limits": asdict(options.limits),
        # neighbours.tsv's cut (see .store)
        "neighbours": {"least": NEIGHBOURS_LEAST, "share": NEIGHBOURS_SHARE, "bundle": NEIGHBOURS_BUNDLE},
    }

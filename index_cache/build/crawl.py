"""One project of the index build: its newest wheels' file lists -> the import paths it provides.

``crawl_project`` is the unit of work the builder runs on a thread pool or a
Dask cluster. Which release and wheels are read is
:func:`poncho.artifacts.release.newest_wheels` (the live probe reads the same
one). A wheel is never downloaded whole when the server honours ``Range``: its
zip central directory is read with range requests (usually one request for
the last 64 KiB), and PEP 794 ``Import-Name`` / ``Import-Namespace`` come from
:func:`poncho.artifacts.wheel.wheel_metadata` (the METADATA member when its
bytes came with the directory, else the ``.metadata`` file, else one more
range request).

Directories a wheel's ``.pth`` file puts on ``sys.path`` count as import
roots too (``pywin32``: ``win32/win32api.pyd`` is ``import win32api``).

Sdist-only projects are read by :mod:`.sdist_files`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from poncho.artifacts.limits import DEFAULT_LIMITS, ArchiveLimits
from poncho.artifacts.release import newest_wheels
from poncho.artifacts.wheel import open_wheel, wheel_metadata
from poncho.artifacts.zips import ZIP_ERRORS, read_member
from poncho.errors import BadResponse, IndexProblem, NotFound, OverLimit, Reason
from poncho.net import IndexFile, SimpleIndex, make_session

from ..wheel_files import (
    loose_directories,
    modules_on_extra_paths,
    package_children,
    provided_modules,
    pth_directories,
    pth_members,
)
from .results import ERROR, INDEXED, UNINDEXED, Outcome, ProjectResult
from .sdist_files import read_sdist_provides

PTH_BYTES = 64 * 1024  # of a .pth file, read for the directories it adds


# request counting -----------------------------------------------------------
_tls = threading.local()


def _count_response(response: requests.Response, *args: object, **kwargs: object) -> None:
    _tls.count = getattr(_tls, "count", 0) + 1


@dataclass(frozen=True)
class CrawlSettings:
    """What a worker needs to build its own session (picklable for Dask)."""

    index_url: str
    timeout: float = 30.0
    retries: int = 3  # per project, with exponential backoff, on transient errors
    backoff: float = 1.0
    limits: ArchiveLimits = DEFAULT_LIMITS  # what one archive may cost
    cert: str | None = None  # CA bundle (--cert / pip's cert); None: requests' defaults (REQUESTS_CA_BUNDLE)


_sessions: dict[CrawlSettings, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(settings: CrawlSettings) -> requests.Session:
    """One shared session per settings per process (workers build theirs on first use)."""
    with _sessions_lock:
        s = _sessions.get(settings)
        if s is None:
            # No HTTP cache: every wheel is read once; resumability is the journal's job.
            s = make_session(None, timeout=settings.timeout, retries=3, cert=settings.cert)
            s.hooks["response"].append(_count_response)
            _sessions[settings] = s
        return s


# reading --------------------------------------------------------------------
def _parse_metadata(data: bytes) -> tuple[str | None, list[str] | None, list[str]]:
    raw, _ = parse_email(data)
    names = raw.get("import_names")
    return raw.get("name"), (list(names) if names is not None else None), list(raw.get("import_namespaces") or [])


def _without_extra(req: Requirement) -> bool:
    """Whether ``req`` applies with no extra asked for (on this interpreter)."""
    try:
        return req.marker is None or req.marker.evaluate({"extra": ""})
    except Exception:  # noqa: BLE001 - a marker this interpreter cannot evaluate: not counted as base
        return False


def _dependencies(data: bytes) -> tuple[list[str], list[str], list[str]]:
    """Canonical names of every ``Requires-Dist`` (whatever its marker), of those needing no extra,
    and the ``Provides-Extra`` values."""
    raw, _ = parse_email(data)
    names, base = set(), set()
    for text in raw.get("requires_dist") or ():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        names.add(canonicalize_name(req.name))
        if _without_extra(req):
            base.add(canonicalize_name(req.name))
    return sorted(names), sorted(base), sorted({canonicalize_name(e) for e in raw.get("provides_extra") or ()})


@dataclass
class WheelContents:
    provided: set[str]
    skipped: set[str]
    children: set[str]
    metadata: bytes | None
    stubs_only: bool
    loose: set[str] = field(default_factory=set)


def read_wheel(session: requests.Session, wheel: IndexFile, want_metadata: bool,
               limits: ArchiveLimits = DEFAULT_LIMITS) -> WheelContents:
    """What one remote wheel provides, from its central directory (and METADATA when wanted).

    METADATA only adds PEP 794 names: a wheel whose METADATA cannot be had
    still counts by its file list.
    """
    opened = open_wheel(session, wheel, limits)
    with opened.zip as zf:
        try:
            names = zf.namelist()
            provided, skipped = provided_modules(names)
            children = package_children(names, provided)
            loose = loose_directories(names, provided)
            roots = []
            for pth in pth_members(names):
                head = read_member(zf, zf.getinfo(pth), wheel.url, limits, head=PTH_BYTES)
                roots += pth_directories(head.decode("utf-8", "replace"))
            if roots:
                provided |= modules_on_extra_paths(names, roots)
        except ZIP_ERRORS as exc:
            raise BadResponse(wheel.url, f"not a valid zip: {exc}", kind=Reason.BAD_ARCHIVE) from exc
        stubs_only = not provided and any(n.split("/", 1)[0].endswith("-stubs") for n in names)
        meta = None
        if want_metadata:
            try:
                meta, _ = wheel_metadata(session, wheel, limits, opened)
            except BadResponse as exc:
                if exc.transient:
                    raise
    return WheelContents(provided, skipped, children, meta, stubs_only, loose)


def _crawl_once(index: SimpleIndex, project: str, rank: int, limits: ArchiveLimits) -> ProjectResult:
    res = ProjectResult(project=project, rank=rank, status=UNINDEXED)
    try:
        page = index.project(project)
    except NotFound:
        res.outcome, res.reason = Outcome.NOT_ON_INDEX, "not on the index"
        return res
    choice = newest_wheels(page.files)
    res.version = choice.version
    if not choice.wheels:
        if not choice.sdists:
            res.outcome, res.reason = Outcome.NO_FILES, "no wheels or sdists"
            return res
        return _crawl_sdist(index, res, choice.sdists, limits)
    provided: set[str] = set()
    skipped: set[str] = set()
    children: set[str] = set()
    loose: set[str] | None = None
    broken: list[str] = []
    meta: bytes | None = None
    stubs_only = False
    for wheel in choice.wheels:
        try:
            got = read_wheel(index.session, wheel, want_metadata=meta is None, limits=limits)
        except BadResponse as exc:
            if exc.transient:
                raise
            broken.append(str(exc))
            continue
        res.wheels.append(wheel.filename)
        provided |= got.provided
        skipped |= got.skipped
        children |= got.children
        loose = set(got.loose) if loose is None else loose & got.loose  # loose in every wheel read
        stubs_only = stubs_only or got.stubs_only
        meta = meta or got.metadata
    if meta:
        try:
            name, import_names, namespaces = _parse_metadata(meta)
        except Exception:  # noqa: BLE001 - metadata is advisory here; the file list decides
            name, import_names, namespaces = None, None, []
        if name and canonicalize_name(name) == canonicalize_name(project):
            res.distribution = name
        res.import_names = import_names
        res.import_namespaces = namespaces
        try:
            requires, base, extras = _dependencies(meta)
        except Exception:  # noqa: BLE001 - advisory, as above
            requires, base, extras = [], [], []
        res.requires = [r for r in requires if r != canonicalize_name(project)]
        res.base_requires = [r for r in base if r != canonicalize_name(project)]
        res.extras = extras
        for entry in import_names or ():
            path, _, flags = entry.partition(";")
            path = path.strip()
            if path and "private" not in flags and all(p.isidentifier() for p in path.split(".")):
                provided.add(path)
        provided -= {n.strip() for n in namespaces}
    res.provides = sorted(provided)
    res.children = sorted(c for c in children if c.rsplit(".", 1)[0] in provided)
    res.loose = sorted((loose or set()) & provided)
    res.skipped = sorted(skipped)
    reasons = [f"latest {choice.latest} has no wheels; read {choice.version}"] if choice.latest else []
    if broken:
        reasons.append("unreadable: " + "; ".join(broken))
    if provided:
        res.status = INDEXED
        res.outcome = Outcome.UNREADABLE if broken else Outcome.WHEELS
    else:
        res.status = UNINDEXED
        res.outcome = (Outcome.UNREADABLE if broken else Outcome.STUBS_ONLY if stubs_only
                       else Outcome.NO_MODULE if res.wheels else Outcome.NO_READABLE_WHEEL)
        reasons.append("type stubs only" if stubs_only else
                       "wheels provide no importable module" if res.wheels else "no readable wheel")
    res.reason = "; ".join(reasons)
    return res


def _crawl_sdist(index: SimpleIndex, res: ProjectResult, sdists: tuple[IndexFile, ...],
                 limits: ArchiveLimits) -> ProjectResult:
    # a zip is range-read; otherwise the smallest archive is the cheapest to stream
    sdist = min(sdists, key=lambda s: (not s.filename.endswith(".zip"), s.size or 0, s.filename))
    try:
        got = read_sdist_provides(index.session, sdist, res.project, limits)
    except OverLimit as exc:
        res.outcome, res.reason = Outcome.SDIST_OVER_LIMITS, f"sdist only ({exc.reason})"
        return res
    except BadResponse as exc:
        if exc.transient:
            raise
        res.outcome, res.reason = Outcome.UNREADABLE, f"sdist only; unreadable: {exc}"
        return res
    res.wheels = [sdist.filename]
    res.provides = sorted(got.provided)
    res.children = sorted(c for c in got.children if c.rsplit(".", 1)[0] in got.provided)
    res.status = INDEXED if got.provided else UNINDEXED
    res.outcome = got.outcome
    res.reason = got.outcome.value
    if got.name and canonicalize_name(got.name) == canonicalize_name(res.project):
        res.distribution = got.name
    return res


def crawl_project(project: str, rank: int, settings: CrawlSettings) -> dict[str, Any]:
    """Crawl one project with retries; the JSON-ready result (never raises for network trouble)."""
    session = session_for(settings)
    index = SimpleIndex(session, settings.index_url)
    _tls.count = 0
    attempt = 0
    while True:
        try:
            result = _crawl_once(index, project, rank, settings.limits)
            break
        except IndexProblem as exc:
            attempt += 1
            if not exc.transient or attempt > settings.retries:
                result = ProjectResult(project=project, rank=rank, status=ERROR, outcome=Outcome.FAILED,
                                       reason=str(exc))
                break
            time.sleep(settings.backoff * 2 ** (attempt - 1))
        except Exception as exc:  # noqa: BLE001 - one odd project must not stop a 15,000-project crawl
            result = ProjectResult(project=project, rank=rank, status=ERROR, outcome=Outcome.FAILED,
                                   reason=f"{index.project_url(project)}: {type(exc).__name__}: {exc}")
            break
    result.requests = _tls.count
    return result.to_json()


__all__ = ["CrawlSettings", "ProjectResult", "crawl_project", "read_wheel"]

"""One project of the index build: its latest wheels' file lists -> the import paths it provides.

``crawl_project`` is the unit of work the builder runs on a thread pool or a
Dask cluster. It never downloads a whole wheel when the server honours
``Range``: the zip central directory is read with range requests (usually
one request for the last 64 KiB), PEP 794 ``Import-Name`` /
``Import-Namespace`` come from the ``.metadata`` file (or from the METADATA
member when those bytes were already fetched with the directory).

Which wheels are read: all wheels of one release share their layout in
practice, except platform-specific ones (Windows-only modules, say). So a
release with a pure (``*-none-any``) wheel has that one read; otherwise one
Linux wheel (x86_64 preferred) and one Windows wheel (amd64 preferred) are
read and their paths united; macOS wheels are read only when neither exists
(their layout matches Linux in practice).

Directories a wheel's ``.pth`` file puts on ``sys.path`` count as import
roots too (``pywin32``: ``win32/win32api.pyd`` is ``import win32api``).

Sdist-only projects (:mod:`.sdist_files`): a zip sdist is range-read like a
wheel; a tar.gz cannot be range-read (gzip has no index), so it is streamed
and walked as it downloads, never written to disk, within
:class:`.sdist_files.SdistLimits`. Either way ``*.egg-info/top_level.txt``
decides when present, else the package layout
(:func:`.wheel_files.sdist_modules`).
"""

from __future__ import annotations

import struct
import tarfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from packaging.metadata import parse_email
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from poncho.errors import BadResponse, IndexProblem, IndexUnreachable, NotFound, Reason
from poncho.net import IndexFile, SimpleIndex, make_session
from poncho.net.rangezip import RangeFile, open_remote_zip

from .sdist_files import SdistLimits, read_sdist
from .wheel_files import (
    modules_on_extra_paths,
    package_children,
    provided_modules,
    pth_directories,
    pth_members,
)

INDEXED = "indexed"
UNINDEXED = "unindexed"
ERROR = "error"  # transient: a re-run retries it

_ZIP_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zipfile.LargeZipFile, OSError, ValueError, EOFError,
               struct.error, NotImplementedError, KeyError)


@dataclass
class ProjectResult:
    """What the build learned about one project (one journal line)."""

    project: str
    rank: int
    status: str
    version: str | None = None
    distribution: str | None = None  # display name from METADATA when read
    wheels: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # one level below provided packages
    skipped: list[str] = field(default_factory=list)
    import_names: list[str] | None = None  # PEP 794, when the metadata declares it
    import_namespaces: list[str] = field(default_factory=list)
    reason: str = ""
    requests: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProjectResult":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


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
    sdist_limits: SdistLimits = SdistLimits()  # how much of a tar.gz sdist may be streamed
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


# choosing files --------------------------------------------------------------
def _wheel_key(f: IndexFile) -> tuple[Version, frozenset] | None:
    try:
        _, version, _, tags = parse_wheel_filename(f.filename)
    except InvalidWheelFilename:
        return None
    return version, tags


def _platform_family(tags: frozenset) -> str:
    plats = {t.platform for t in tags}
    if plats == {"any"}:
        return "any"
    joined = " ".join(sorted(plats))
    if "linux" in joined:
        return "linux"
    if "win" in joined:
        return "windows"
    if "macosx" in joined:
        return "macos"
    return "other"


def _wheel_preference(f: IndexFile, tags: frozenset) -> tuple:
    plats = " ".join(sorted(t.platform for t in tags))
    arch = int("x86_64" in plats or "amd64" in plats)
    manylinux = int("manylinux" in plats)  # glibc wheels are the ones most people install
    interps = [t.interpreter for t in tags]
    abis = {t.abi for t in tags}
    free_threaded = int(any(a.endswith("t") and a.startswith("cp") for a in abis))
    py3 = int(any(i.startswith(("py3", "cp3")) for i in interps))
    best_cp = max((int(i[3:]) for i in interps if i.startswith("cp3") and i[3:].isdigit()), default=0)
    return (arch, manylinux, -free_threaded, py3, "abi3" in abis, best_cp, f.filename)


def choose_files(files: tuple[IndexFile, ...]) -> tuple[str | None, list[IndexFile], list[IndexFile], str]:
    """(version, wheels to read, sdists of that version, note) for the latest usable release.

    The latest final release is used (prereleases only when there is nothing
    else). When it has no wheels, the newest release that has wheels is used
    instead, and the note says so.
    """
    by_version: dict[Version, dict[str, list]] = {}
    for f in files:
        if f.yanked:
            continue
        if f.is_wheel:
            key = _wheel_key(f)
            if key is None:
                continue
            by_version.setdefault(key[0], {"wheels": [], "sdists": []})["wheels"].append((f, key[1]))
        else:
            try:
                _, version = parse_sdist_filename(f.filename)
            except InvalidSdistFilename:
                continue
            by_version.setdefault(version, {"wheels": [], "sdists": []})["sdists"].append(f)
    if not by_version:
        return None, [], [], "no installable files"
    finals = [v for v in by_version if not v.is_prerelease]
    ordered = sorted(finals or by_version, reverse=True)
    latest = ordered[0]
    note = ""
    chosen = latest
    if not by_version[latest]["wheels"]:
        with_wheels = [v for v in ordered if by_version[v]["wheels"]]
        if not with_wheels:
            return str(latest), [], by_version[latest]["sdists"], ""
        chosen = with_wheels[0]
        note = f"latest {latest} has no wheels; read {chosen}"
    wheels = by_version[chosen]["wheels"]
    families: dict[str, list[tuple[IndexFile, frozenset]]] = {}
    for f, tags in wheels:
        families.setdefault(_platform_family(tags), []).append((f, tags))
    pick_order: list[str]
    if "any" in families:
        pick_order = ["any"]
    elif "linux" in families or "windows" in families:
        pick_order = [fam for fam in ("linux", "windows") if fam in families]
    else:
        pick_order = [fam for fam in ("macos", "other") if fam in families][:1]
    picked = [max(families[fam], key=lambda ft: _wheel_preference(*ft))[0] for fam in pick_order]
    return str(chosen), picked, by_version[chosen]["sdists"], note


# reading --------------------------------------------------------------------
def _metadata_from_zip(zf: zipfile.ZipFile, rf: RangeFile | None, only_if_fetched: bool) -> bytes | None:
    name = next((n for n in zf.namelist()
                 if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
    if name is None:
        return None
    info = zf.getinfo(name)
    if only_if_fetched and rf is not None:
        end = info.header_offset + 30 + len(info.filename.encode()) + 1024 + info.compress_size
        if not rf._covered(info.header_offset, min(end, rf._size)):  # bytes already at hand?
            return None
    return zf.read(name)


def _parse_metadata(data: bytes) -> tuple[str | None, list[str] | None, list[str]]:
    raw, _ = parse_email(data)
    names = raw.get("import_names")
    return raw.get("name"), (list(names) if names is not None else None), list(raw.get("import_namespaces") or [])


def _fetch_metadata_file(session: requests.Session, wheel: IndexFile) -> bytes | None:
    if wheel.core_metadata is False or not wheel.url.startswith(("http://", "https://")):
        return None
    url = wheel.url + ".metadata"
    try:
        resp = session.get(url)
    except requests.exceptions.RequestException as exc:
        raise IndexUnreachable(url, f"cannot fetch: {exc}") from exc
    if resp.status_code == 200:
        return resp.content
    if resp.status_code in (404, 403, 410):
        return None
    raise BadResponse(url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)


@dataclass
class WheelContents:
    provided: set[str]
    skipped: set[str]
    children: set[str]
    metadata: bytes | None
    stubs_only: bool


def read_wheel(session: requests.Session, wheel: IndexFile, want_metadata: bool) -> WheelContents:
    """What one remote wheel provides, from its central directory (and METADATA when wanted)."""
    zf, rf = open_remote_zip(session, wheel.url, wheel.size)
    with zf:
        try:
            names = zf.namelist()
            provided, skipped = provided_modules(names)
            children = package_children(names, provided)
            roots = [d for pth in pth_members(names)
                     for d in pth_directories(zf.read(pth)[:64 * 1024].decode("utf-8", "replace"))]
            if roots:
                provided |= modules_on_extra_paths(names, roots)
            stubs_only = not provided and any(n.split("/", 1)[0].endswith("-stubs") for n in names)
            meta = None
            if want_metadata:
                meta = _metadata_from_zip(zf, rf, only_if_fetched=True)
                if meta is None:
                    meta = _fetch_metadata_file(session, wheel)
                if meta is None:
                    meta = _metadata_from_zip(zf, rf, only_if_fetched=False)
        except _ZIP_ERRORS as exc:
            raise BadResponse(wheel.url, f"not a valid zip: {exc}", kind=Reason.BAD_ARCHIVE) from exc
    return WheelContents(provided, skipped, children, meta, stubs_only)


def _transient(exc: IndexProblem) -> bool:
    return exc.transient


def _crawl_once(index: SimpleIndex, project: str, rank: int,
                limits: SdistLimits = SdistLimits()) -> ProjectResult:
    res = ProjectResult(project=project, rank=rank, status=UNINDEXED)
    try:
        page = index.project(project)
    except NotFound:
        res.reason = "not on the index"
        return res
    version, wheels, sdists, note = choose_files(page.files)
    res.version = version
    if not wheels:
        if not sdists:
            res.reason = "no wheels or sdists" if version is None else "no wheels"
            return res
        # a zip is range-read; otherwise the smallest archive is the cheapest to stream
        sdist = min(sdists, key=lambda s: (not s.filename.endswith(".zip"), s.size or 0, s.filename))
        try:
            got = read_sdist(index.session, sdist, project, limits)
        except BadResponse as exc:
            if _transient(exc):
                raise
            res.reason = f"sdist only; unreadable: {exc}"
            return res
        res.wheels = [sdist.filename] if got.read else []
        res.provides = sorted(got.provided)
        res.children = sorted(c for c in got.children or () if c.rsplit(".", 1)[0] in got.provided)
        res.status = INDEXED if got.provided else UNINDEXED
        res.reason = got.how
        if got.name and canonicalize_name(got.name) == canonicalize_name(project):
            res.distribution = got.name
        return res
    provided: set[str] = set()
    skipped: set[str] = set()
    children: set[str] = set()
    broken: list[str] = []
    meta: bytes | None = None
    stubs_only = False
    for wheel in wheels:
        try:
            got = read_wheel(index.session, wheel, want_metadata=meta is None)
        except BadResponse as exc:
            if _transient(exc):
                raise
            broken.append(str(exc))
            continue
        res.wheels.append(wheel.filename)
        provided |= got.provided
        skipped |= got.skipped
        children |= got.children
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
        for entry in import_names or ():
            path, _, flags = entry.partition(";")
            path = path.strip()
            if path and "private" not in flags and all(p.isidentifier() for p in path.split(".")):
                provided.add(path)
        provided -= {n.strip() for n in namespaces}
    res.provides = sorted(provided)
    res.children = sorted(c for c in children if c.rsplit(".", 1)[0] in provided)
    res.skipped = sorted(skipped)
    reasons = [note] if note else []
    if broken:
        reasons.append("unreadable: " + "; ".join(broken))
    if provided:
        res.status = INDEXED
    else:
        res.status = UNINDEXED
        reasons.append("type stubs only" if stubs_only else
                       "wheels provide no importable module" if res.wheels else "no readable wheel")
    res.reason = "; ".join(reasons)
    return res


def crawl_project(project: str, rank: int, settings: CrawlSettings) -> dict[str, Any]:
    """Crawl one project with retries; the JSON-ready result (never raises for network trouble)."""
    session = session_for(settings)
    index = SimpleIndex(session, settings.index_url)
    _tls.count = 0
    attempt = 0
    while True:
        try:
            result = _crawl_once(index, project, rank, settings.sdist_limits)
            break
        except IndexProblem as exc:
            attempt += 1
            if not _transient(exc) or attempt > settings.retries:
                result = ProjectResult(project=project, rank=rank, status=ERROR, reason=str(exc))
                break
            time.sleep(settings.backoff * 2 ** (attempt - 1))
        except Exception as exc:  # noqa: BLE001 - one odd project must not stop a 15,000-project crawl
            result = ProjectResult(project=project, rank=rank, status=ERROR,
                                   reason=f"{index.project_url(project)}: {type(exc).__name__}: {exc}")
            break
    result.requests = _tls.count
    return result.to_json()


__all__ = ["CrawlSettings", "ERROR", "INDEXED", "ProjectResult", "UNINDEXED", "choose_files",
           "crawl_project", "read_wheel"]

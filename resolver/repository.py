"""Where candidates come from: the small interface the resolvelib provider asks.

A repository lists a project's releases (version -> installable files for the
target) and fetches a release's metadata. ``SimpleRepository`` is the simple
API of one or more indexes; others (find-links, installed env) fit the same
protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, TypeVar, overload

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho.errors import BadResponse, NotFound, Reason
from poncho.net import IndexFile, ProjectPage
from poncho.net.page_cache import CompactPage, ReleaseRows

from .metadata import DistMetadata, MetadataFetcher
from .target import Target

_T = TypeVar("_T")


@dataclass(frozen=True)
class Release:
    """One version of a project and its files. The files are decoded from the page on first use
    (``source`` may be a loader), and which of them the target can use is worked out on first use
    too, so a project with thousands of files costs little until the resolver looks at a version."""

    name: NormalizedName
    version: Version
    source: tuple[IndexFile, ...] | Callable[[], tuple[IndexFile, ...]] = field(repr=False, compare=False)
    yanked: bool
    target: Target = field(repr=False, compare=False)
    index_url: str = field(default="", compare=False)  # the index that listed these files

    @cached_property
    def files(self) -> tuple[IndexFile, ...]:
        return self.source() if callable(self.source) else self.source

    @cached_property
    def usable_files(self) -> tuple[IndexFile, ...]:
        """Yanked files are left out unless the whole release is yanked (then it was pinned with ==)."""
        if self.yanked:
            return self.files
        return tuple(f for f in self.files if not f.yanked)

    @cached_property
    def wheels(self) -> tuple[IndexFile, ...]:
        """Wheels the target can install, best first."""
        ranked = []
        for f in self.usable_files:
            if f.is_wheel and self.target.allows_python(f.requires_python):
                rank = self.target.wheel_rank(f.filename)
                if rank is not None:
                    ranked.append((rank, f.filename, f))
        return tuple(f for _, _, f in sorted(ranked, key=lambda t: (t[0], t[1])))

    @cached_property
    def sdists(self) -> tuple[IndexFile, ...]:
        return tuple(f for f in self.usable_files
                     if not f.is_wheel and self.target.allows_python(f.requires_python))

    @property
    def installable(self) -> bool:
        return bool(self.wheels or self.sdists)

    @property
    def best_file(self) -> IndexFile | None:
        """The file metadata is read from: the best wheel, else the sdist."""
        if self.wheels:
            return self.wheels[0]
        return self.sdists[0] if self.sdists else None

    @property
    def artifacts(self) -> tuple[IndexFile, ...]:
        """What the lock lists: every compatible wheel, or the sdist when there is none."""
        return self.wheels if self.wheels else self.sdists[:1]


class Releases(Sequence[Release]):
    """A project's releases newest first, each made on first access.

    The page keeps its releases sorted (:meth:`CompactPage.newest_first`, stored in its cache entry), so a
    ``Version`` is parsed only for a release someone looks at: the resolver walks from the newest and stops
    at the first that fits, and most of a page's thousands of versions are never parsed. Two threads making
    the same release make equal ones; either may be kept.
    """

    __slots__ = ("name", "_rows", "_made", "_target", "_index_url")

    def __init__(self, name: NormalizedName, rows: Sequence[ReleaseRows], target: Target, index_url: str) -> None:
        self.name = name
        self._rows = rows
        self._made: list[Release | None] = [None] * len(rows)
        self._target = target
        self._index_url = index_url

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Release: ...

    @overload
    def __getitem__(self, i: slice) -> list[Release]: ...

    def __getitem__(self, i: int | slice) -> Release | list[Release]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self._rows)))]
        made = self._made[i]
        if made is None:
            rows = self._rows[i]
            try:
                version = Version(rows.version)
            except InvalidVersion:  # the entry's order said valid: it was not written by us
                raise BadResponse(self._index_url, f"the cached page of {self.name} lists {rows.version!r} among "
                                  "valid versions; delete the cache entry", kind=Reason.BAD_PAGE) from None
            made = self._made[i] = Release(self.name, version, rows.load, rows.yanked, self._target,
                                           self._index_url)
        return made

    def __iter__(self) -> Iterator[Release]:
        for i in range(len(self._rows)):
            yield self[i]

    @property
    def made(self) -> int:
        """How many releases were made (their version parsed) so far."""
        return sum(r is not None for r in self._made)


class ProjectSource(Protocol):
    """Where a project's files are listed: a simple-API index (``poncho.net.SimpleIndex``) or pip's
    find-links (``poncho.net.find_links.FindLinks``)."""

    index_url: str

    def project(self, name: str) -> ProjectPage:
        """The files of project ``name``; raises NotFound when this source has none."""


class Repository(Protocol):
    def releases(self, name: str) -> Sequence[Release]:
        """Releases of ``name`` installable on the target, newest first."""

    def metadata(self, release: Release) -> DistMetadata:
        """Core metadata of ``release`` (from its best file)."""

    def prefetch(self, name: str, requirement: Requirement | None = None) -> None:
        """Hint: ``releases(name)`` will be asked soon (for ``requirement``, when known)."""

    def prefetch_metadata(self, release: Release) -> None:
        """Hint: ``metadata(release)`` will be asked soon."""


@dataclass
class FetchStats:
    """What a resolution cost on the wire.

    ``round_trips`` is the critical path: the longest chain of network
    answers each of which was needed to ask the next (a page, then the
    metadata of the release picked from it, then a dependency's page, ...).
    Answers from the caches add no round trip.
    """

    pages: int = 0  # project pages fetched over the network
    metadata: int = 0  # metadata files fetched over the network
    round_trips: int = 0
    speculated: int = 0  # fetches started before the resolver asked


class SimpleRepository:
    """Releases from one or more simple-API indexes, filtered for a target.

    A project's files come from the *first* index that has it (uv's
    "first-index" rule), never from a merge: an extra index cannot slip a
    same-named project past the main one (dependency confusion).

    The network leads the resolver: as soon as a page arrives, the metadata
    of the release the resolver will most likely pick (the newest one that
    fits what was asked) is fetched; as soon as that arrives, its
    dependencies' pages are, breadth-first on a small thread pool. The
    resolver finds most answers waiting when it asks. Offline (the fetcher's
    ``offline``) there is no network to lead: every answer is read on the
    resolver's thread when it is first asked for, with no speculation and no
    hand-off between threads (an offline re-resolution spent ~10% more in them).

    ``for_target`` gives a view for another target that shares the pool, the
    pages and the metadata: a universal lock reads each page once, and a
    file's metadata once.
    """

    def __init__(self, indexes: Sequence[ProjectSource], fetcher: MetadataFetcher, target: Target,
                 workers: int = 12, speculate: bool | None = None) -> None:
        self.indexes = list(indexes)
        self.fetcher = fetcher
        self.target = target
        self._on_demand = fetcher.offline
        self.speculate = not self._on_demand if speculate is None else speculate
        self.stats = FetchStats()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poncho-fetch")
        self._pages: dict[str, Future[tuple[Releases, int]]] = {}
        self._meta: dict[tuple[str, str, str], Future[tuple[DistMetadata, int]]] = {}
        self._wanted: dict[str, list[Requirement]] = {}  # what was asked of a project, for speculation
        self._aimed: dict[str, Release] = {}  # the release whose metadata was fetched ahead, per project
        self._unlikely: set[str] = set()  # projects no release fits every wanted requirement of (_likely)
        self._used_depth = 0  # the deepest answer the resolver has used: where its own questions start
        self._lock = threading.Lock()
        self._closed = False
        # name -> (page, the index that listed it) or the NotFound: one read for every target's view
        self._shared_pages: dict[NormalizedName, tuple[CompactPage, str] | NotFound] = {}
        self._page_gates: dict[NormalizedName, threading.Lock] = {}

    def for_target(self, target: Target) -> SimpleRepository:
        """The same indexes, pool, pages and metadata, filtered for ``target``."""
        view = object.__new__(SimpleRepository)
        view.__dict__.update(self.__dict__)
        view.target = target
        view._pages = {}  # releases are judged for the target
        view._wanted = {}
        view._aimed = {}
        view._unlikely = set()
        return view

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, fn: Callable[..., _T], *args: object) -> Future[_T] | None:
        """Submit on the pool, unless the repository closed while a fetch thread was still speculating."""
        if self._closed:
            return None
        if self._on_demand:
            return _OnDemand(fn, args)
        try:
            return self._pool.submit(fn, *args)
        except RuntimeError:  # shut down between the check and the submit
            return None

    def _answered(self, depth: int) -> None:
        with self._lock:
            self._used_depth = max(self._used_depth, depth)
            self.stats.round_trips = max(self.stats.round_trips, depth)

    # pages -----------------------------------------------------------------
    def prefetch(self, name: str, requirement: Requirement | None = None) -> None:
        self._prefetch(canonicalize_name(name), requirement, None)

    def _prefetch(self, key: NormalizedName, requirement: Requirement | None, depth: int | None) -> None:
        with self._lock:
            if requirement is not None:
                self._wanted.setdefault(key, []).append(requirement)
            loading = self._pages.get(key)
            if loading is None:
                if depth is None:
                    depth = self._used_depth
                else:
                    self.stats.speculated += 1
                future = self._submit(self._load_releases, key, depth)
                if future is not None:
                    self._pages[key] = future
                return
            aimed = self._aimed.get(key)
        if (requirement is not None and self.speculate and aimed is not None
                and not requirement.specifier.contains(aimed.version, prereleases=True)
                and loading.done() and loading.exception() is None):
            self._reaim(key, loading.result(), depth)

    def _reaim(self, key: NormalizedName, loaded: tuple[Releases, int], depth: int | None) -> None:
        """A requirement that rules out the release whose metadata was fetched ahead (botocore's
        ``python-dateutil<3`` after pandas' ``>=2.8.2`` picked 4.0) fetches the new likely one's now,
        rather than when the resolver gets there: one round trip off the critical path."""
        releases, page_depth = loaded
        likely = self._likely(key, releases)
        if likely is not None:
            self._prefetch_metadata(likely, max(page_depth, self._used_depth if depth is None else depth))

    def releases(self, name: str) -> Releases:
        key = canonicalize_name(name)
        self.prefetch(key)
        future = self._pages.get(key)
        if future is None:  # closed: answer on this thread
            releases, depth = self._load_releases(key, self._used_depth)
        else:
            releases, depth = future.result()
        self._answered(depth)
        return releases

    def _load_releases(self, name: NormalizedName, depth: int) -> tuple[Releases, int]:
        page, index_url, fetched = self._page(name)
        if fetched:
            depth += 1
            with self._lock:
                self.stats.pages += 1
        releases = self._group(name, page, index_url)
        if self.speculate:
            likely = self._likely(name, releases)
            if likely is not None:
                self._prefetch_metadata(likely, depth)
        return releases, depth

    def _page(self, name: NormalizedName) -> tuple[CompactPage, str, bool]:
        """(page, its index, read from the network by this call): the first index's page, read once for
        every target's view (a view waits while another reads it)."""
        with self._lock:
            gate = self._page_gates.setdefault(name, threading.Lock())
        with gate:
            known = self._shared_pages.get(name)
            fetched = False
            if known is None:
                known = self._first_page(name)
                fetched = not isinstance(known, NotFound) and known[0].from_network
                if not isinstance(known, NotFound):
                    known[0].newest_first()  # a no-op for a page read from its cache entry
                self._shared_pages[name] = known
        if isinstance(known, NotFound):
            raise known
        return known[0], known[1], fetched

    def _first_page(self, name: NormalizedName) -> tuple[CompactPage, str] | NotFound:
        last_missing: NotFound | None = None
        for index in self.indexes:
            try:
                return _compact(index, name), index.index_url
            except NotFound as exc:
                last_missing = exc
        assert last_missing is not None, "a repository needs at least one index"
        return last_missing

    def _group(self, name: NormalizedName, page: CompactPage, index_url: str = "") -> Releases:
        """The page's releases with a valid version, newest first, made lazily."""
        return Releases(name, page.releases[:page.newest_first()], self.target, index_url)

    def _likely(self, name: NormalizedName, releases: Sequence[Release]) -> Release | None:
        """The release the resolver will most likely try first: the newest final one that fits every
        requirement seen so far and has a file for the target (what the provider yields first)."""
        with self._lock:
            if name in self._unlikely:
                return None
            specs = [r.specifier for r in self._wanted.get(name, ())]
        for release in releases:
            if release.yanked or release.version.is_prerelease:
                continue
            if all(spec.contains(release.version, prereleases=True) for spec in specs) and release.installable:
                return release
        with self._lock:  # requirements only accumulate: none will fit later either (a backtracking walk
            self._unlikely.add(name)  # through boto3 adds one botocore window per release: rescans were O(n^2))
        return None

    # metadata --------------------------------------------------------------
    def prefetch_metadata(self, release: Release) -> None:
        self._prefetch_metadata(release, None)

    def _prefetch_metadata(self, release: Release, depth: int | None) -> None:
        file = release.best_file
        if file is None:
            return
        key = (release.name, str(release.version), file.filename)  # a pure wheel is read once for every target
        with self._lock:
            if depth is not None:
                self._aimed[release.name] = release  # what the network bet on, for _reaim
            if key in self._meta:
                return
            if depth is None:
                depth = self._used_depth
            else:
                self.stats.speculated += 1
            future = self._submit(self._load_metadata, release, file, depth)
            if future is not None:
                self._meta[key] = future

    def metadata(self, release: Release) -> DistMetadata:
        file = release.best_file
        if file is None:
            raise LookupError(f"{release.name} {release.version} has no file for the target")
        self.prefetch_metadata(release)
        future = self._meta.get((release.name, str(release.version), file.filename))
        if future is None:  # closed: answer on this thread
            meta, depth = self._load_metadata(release, file, self._used_depth)
        else:
            meta, depth = future.result()
        self._answered(depth)
        return meta

    def _load_metadata(self, release: Release, file: IndexFile, depth: int) -> tuple[DistMetadata, int]:
        meta, from_network = self.fetcher.fetch_traced(file, release.index_url)
        if from_network:
            depth += 1
            with self._lock:
                self.stats.metadata += 1
        if self.speculate:
            with self._lock:
                extras = {e for r in self._wanted.get(release.name, ()) for e in r.extras}
            for dep in meta.requires_dist:
                if dep.url is None and (self.target.evaluate(dep.marker, "")
                                        or any(self.target.evaluate(dep.marker, e) for e in extras)):
                    self._prefetch(canonicalize_name(dep.name), dep, depth)
        return meta, depth


class _OnDemand(Future):  # type: ignore[type-arg]
    """A future computed by the first ``result()`` call, on the caller's thread: offline, the repository's
    bookkeeping stays the same (one future per page and per file) without a pool."""

    def __init__(self, fn: Callable[..., Any], args: tuple[object, ...]) -> None:
        super().__init__()
        self._call: tuple[Callable[..., Any], tuple[object, ...]] | None = (fn, args)

    def result(self, timeout: float | None = None) -> Any:
        call, self._call = self._call, None
        if call is not None:
            try:
                self.set_result(call[0](*call[1]))
            except BaseException as exc:  # the caller gets it from super().result(), as from a pool
                self.set_exception(exc)
        return super().result(timeout)


def _compact(source: ProjectSource, name: NormalizedName) -> CompactPage:
    """A source's page grouped by release: an index keeps one (``SimpleIndex.compact``, decoded once per
    change); another source (find-links) lists its files."""
    compact = getattr(source, "compact", None)
    if compact is not None:
        return compact(name)
    page = source.project(name)
    return CompactPage.from_files(name, page.url, "", page.files)

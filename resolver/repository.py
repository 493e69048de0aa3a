"""Where candidates come from: the small interface the resolvelib provider asks.

A repository lists a project's releases (version -> installable files for the
target) and fetches a release's metadata. ``SimpleRepository`` is the simple
API of one or more indexes; others (find-links, installed env) fit the same
protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho.errors import NotFound
from poncho.net import IndexFile, ProjectPage

from .metadata import DistMetadata, MetadataFetcher
from .target import Target


@dataclass(frozen=True)
class Release:
    """One version of a project and its files; which of them the target can use is
    worked out on first use, so a project with thousands of files costs little
    until the resolver looks at a version."""

    name: NormalizedName
    version: Version
    files: tuple[IndexFile, ...] = field(repr=False)
    yanked: bool
    target: Target = field(repr=False, compare=False)
    index_url: str = field(default="", compare=False)  # the index that listed these files

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


class ProjectSource(Protocol):
    """Where a project's files are listed: a simple-API index (``poncho.net.SimpleIndex``) or pip's
    find-links (``poncho.net.find_links.FindLinks``)."""

    index_url: str

    def project(self, name: str) -> ProjectPage:
        """The files of project ``name``; raises NotFound when this source has none."""


class Repository(Protocol):
    def releases(self, name: str) -> list[Release]:
        """Releases of ``name`` installable on the target, newest first."""

    def metadata(self, release: Release) -> DistMetadata:
        """Core metadata of ``release`` (from its best file)."""

    def prefetch(self, name: str) -> None:
        """Hint: ``releases(name)`` will be asked soon."""

    def prefetch_metadata(self, release: Release) -> None:
        """Hint: ``metadata(release)`` will be asked soon."""


class SimpleRepository:
    """Releases from one or more simple-API indexes, filtered for a target.

    A project's files come from the *first* index that has it (uv's
    "first-index" rule), never from a merge: an extra index cannot slip a
    same-named project past the main one (dependency confusion).

    Project pages and metadata are fetched on a small thread pool so the
    resolver's next questions are usually answered before it asks them.
    """

    def __init__(self, indexes: Sequence[ProjectSource], fetcher: MetadataFetcher, target: Target,
                 workers: int = 8) -> None:
        self.indexes = list(indexes)
        self.fetcher = fetcher
        self.target = target
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poncho-fetch")
        self._pages: dict[str, Future[list[Release]]] = {}
        self._meta: dict[tuple[str, str], Future[DistMetadata]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # pages -----------------------------------------------------------------
    def prefetch(self, name: str) -> None:
        key = canonicalize_name(name)
        with self._lock:
            if key not in self._pages:
                self._pages[key] = self._pool.submit(self._load_releases, key)

    def releases(self, name: str) -> list[Release]:
        self.prefetch(name)
        return self._pages[canonicalize_name(name)].result()

    def _load_releases(self, name: NormalizedName) -> list[Release]:
        last_missing: NotFound | None = None
        for index in self.indexes:
            try:
                page = index.project(name)
            except NotFound as exc:
                last_missing = exc
                continue
            return self._group(name, list(page.files), index.index_url)
        assert last_missing is not None, "a repository needs at least one index"
        raise last_missing

    def _group(self, name: NormalizedName, files: list[IndexFile], index_url: str = "") -> list[Release]:
        by_text: dict[str, list[IndexFile]] = {}
        for f in files:
            text = _version_text(f.filename, name)
            if text is not None:
                by_text.setdefault(text, []).append(f)
        releases = []
        for text, group in by_text.items():
            try:
                version = Version(text)
            except InvalidVersion:
                continue
            releases.append(Release(name, version, tuple(group), all(f.yanked for f in group), self.target,
                                    index_url))
        releases.sort(key=lambda r: r.version, reverse=True)
        return releases

    # metadata --------------------------------------------------------------
    def prefetch_metadata(self, release: Release) -> None:
        file = release.best_file
        if file is None:
            return
        key = (release.name, str(release.version))
        with self._lock:
            if key not in self._meta:
                self._meta[key] = self._pool.submit(self.fetcher.fetch, file, release.index_url)

    def metadata(self, release: Release) -> DistMetadata:
        file = release.best_file
        if file is None:
            raise LookupError(f"{release.name} {release.version} has no file for the target")
        self.prefetch_metadata(release)
        return self._meta[(release.name, str(release.version))].result()


def _version_text(filename: str, name: NormalizedName) -> str | None:
    """The version part of a wheel or sdist filename of project ``name``, cheaply.

    Full parsing (tags, normalization) waits until a version is looked at.
    """
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6) or canonicalize_name(parts[0]) != name:
            return None
        return parts[1]
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            project, sep, version = stem.rpartition("-")
            if not sep or canonicalize_name(project) != name:
                return None
            return version
    return None

"""The live probe: a project named like the import, confirmed by its wheel's file list.

A name match alone is never accepted (that is how dependency-confusion attacks
land): the probe reads the central directory of the wheel
:func:`poncho.artifacts.release.newest_wheels` ranks first (the builder reads
the same release) with range requests and accepts the project only if that
wheel provides the module.

The same evidence rule as the rest of the lookup applies here too
(:mod:`.names`): a runtime name (``__main__``, ``java.*``) is never asked
about, and a usually-local name (``config``, ``utils``) only when the project
declares a distribution named like it.

What a wheel provides never changes, so it is kept on disk under
``<cache>/probe/<index>/<sha256[:2]>/<sha256>.json``: by the wheel's sha256 as
the index states it *and* by that index (:func:`poncho.paths.index_digest`),
so one index's wheel never answers for another's that claims the same hash.
A warm run asks the index for the project page (which the HTTP cache serves)
and reads no wheel. Range responses (206) are not cached by the HTTP cache,
which is why this cache exists. Entries are written atomically; one that is
unreadable, of another format or another key is a miss and is rewritten; a
cache that cannot be written costs one warning. "No such project" and "no wheel" answers are kept only for the
life of the :class:`LiveProbe` (one run): a project may appear at any time.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from packaging.utils import canonicalize_name

from poncho.artifacts.release import newest_wheels
from poncho.errors import BadResponse, NotCached, NotFound, Reason
from poncho.fileio import write_cache_entry
from poncho.net import IndexFile, SimpleIndex
from poncho.paths import cache_root as default_cache_dir  # what poncho.net.session names so, without requests
from poncho.paths import index_digest

from .mapping import Mapping, Source, prefixes
from .names import name_rules
from .wheel_files import provided_modules


def candidate_names(module: str) -> list[str]:
    """Project names worth probing for ``module``, most specific first."""
    names: list[str] = []
    for prefix in prefixes(module):
        base = prefix.replace(".", "-").replace("_", "-")
        for name in (base, f"python-{base}", f"py{base}"):
            if canonicalize_name(name) not in {canonicalize_name(n) for n in names}:
                names.append(name)
    return names


CACHE_FORMAT = 2  # 1 was keyed by the wheel's sha256 alone
_SHA256 = re.compile(r"[0-9a-f]{64}")
DEFAULT_CACHE = object()  # default_cache_dir() / "probe", resolved when the probe is made
#: What a wheel's own content can be wrong with, as opposed to the index failing to serve it.
_CONFIRMS_NOTHING = frozenset({Reason.BAD_ARCHIVE, Reason.UNSUPPORTED, Reason.TOO_LARGE})


class ProvidedCache:
    """What each wheel provides, one small JSON file per (index, wheel sha256)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, index: str, sha256: str) -> Path:
        return self.directory / index / sha256[:2] / f"{sha256}.json"

    def get(self, index: str, sha256: str) -> set[str] | None:
        """The cached answer, or None when there is none (or it is unreadable: it will be rewritten)."""
        try:
            data = json.loads(self.path(index, sha256).read_bytes())
        except (OSError, ValueError, RecursionError):
            return None
        if (not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("sha256") != sha256
                or data.get("index") != index or not isinstance(data.get("provided"), list)
                or not all(isinstance(p, str) for p in data["provided"])):
            return None
        return set(data["provided"])

    def put(self, index: str, sha256: str, filename: str, provided: set[str]) -> None:
        """Store atomically (temporary file + ``os.replace``); a cache that cannot be written warns once."""
        text = json.dumps({"format": CACHE_FORMAT, "index": index, "sha256": sha256, "wheel": filename,
                           "provided": sorted(provided)}, sort_keys=True)
        write_cache_entry(self.path(index, sha256), text, "probe")


class LiveProbe:
    """Mapping source that asks the index, then checks the wheel's contents.

    ``cache_dir`` holds what wheels provide across runs (default
    ``default_cache_dir() / "probe"``, which honours ``PONCHO_CACHE_DIR``);
    None keeps nothing on disk.
    """

    source = Source.PROBE

    def __init__(self, index: SimpleIndex, cache_dir: Path | None | object = DEFAULT_CACHE,
                 declared: frozenset[str] = frozenset()) -> None:
        self.index = index
        self.declared = frozenset(canonicalize_name(d) for d in declared)  # evidence for usually-local names
        if cache_dir is DEFAULT_CACHE:
            cache_dir = default_cache_dir() / "probe"
        self.cache = ProvidedCache(cache_dir) if cache_dir is not None else None  # type: ignore[arg-type]
        self._provided: dict[str, set[str] | None] = {}  # this run's answers, negative ones included
        self._lock = threading.Lock()

    def provided_by(self, project: str) -> set[str] | None:
        """Import paths the newest usable wheel of ``project`` provides (None: no such project/wheel)."""
        key = canonicalize_name(project)
        with self._lock:
            if key in self._provided:
                return self._provided[key]
        try:
            page = self.index.project(project)
        except NotFound:
            result = None
        else:
            wheels = newest_wheels(page.files).wheels
            result = self._wheel_provides(wheels[0]) if wheels else None
        with self._lock:
            self._provided[key] = result
        return result

    def _wheel_provides(self, wheel: IndexFile) -> set[str] | None:
        sha = (wheel.sha256 or "").lower()
        cacheable = self.cache is not None and _SHA256.fullmatch(sha) is not None
        index = index_digest(self.index.index_url) if cacheable else ""
        if cacheable:
            cached = self.cache.get(index, sha)  # type: ignore[union-attr]
            if cached is not None:
                return cached
        from poncho.artifacts.wheel import open_wheel  # the HTTP client: only when a wheel must be read

        try:
            zf = open_wheel(self.index.session, wheel).zip
        except BadResponse as exc:
            if exc.kind not in _CONFIRMS_NOTHING:
                raise
            return None  # a wheel that lies, is too big or is no file confirms nothing; it fails no lock
        with zf:
            result, _ = provided_modules(zf.namelist())
        if cacheable:
            self.cache.put(index, sha, wheel.filename, result)  # type: ignore[union-attr]
        return result

    def lookup(self, module: str) -> Mapping | None:
        rules = name_rules()
        if rules.is_runtime(module):
            return None
        names = candidate_names(module)
        if rules.is_usually_local(module):
            names = [n for n in names if canonicalize_name(n) in self.declared]  # a guess is no evidence
        paths = set(prefixes(module))
        for name in names:
            try:
                provided = self.provided_by(name)
            except NotCached:
                continue  # offline and never probed: unknown, not an error
            if provided and paths & provided:
                matched = max(paths & provided, key=len)
                return Mapping(module, name, self.source, matched=matched,
                               reason=f"project {name!r} on the index; its wheel provides {matched!r}")
        return None

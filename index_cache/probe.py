"""The live probe: a project named like the import, confirmed by its wheel's file list.

A name match alone is never accepted (that is how dependency-confusion attacks
land): the probe reads the candidate's latest wheel's central directory with
range requests and accepts it only if the wheel provides the module.
"""

from __future__ import annotations

import threading

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from poncho.net import IndexFile, NetError, NotFound, SimpleIndex
from poncho.net.errors import BadResponse
from poncho.net.rangezip import open_remote_zip

from .mapping import Mapping, Source, prefixes
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


def latest_wheel(files: tuple[IndexFile, ...]) -> IndexFile | None:
    """The newest non-yanked wheel, preferring pure-Python ones within a version."""
    best: tuple[Version, int, IndexFile] | None = None
    for f in files:
        if not f.is_wheel or f.yanked:
            continue
        try:
            _, version, _, tags = parse_wheel_filename(f.filename)
        except InvalidWheelFilename:
            continue
        if version.is_prerelease:
            continue
        pure = int(any(t.platform == "any" for t in tags))
        key = (version, pure, f)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None


class LiveProbe:
    """Mapping source that asks the index, then checks the wheel's contents."""

    source = Source.PROBE

    def __init__(self, index: SimpleIndex) -> None:
        self.index = index
        self._provided: dict[str, set[str] | None] = {}
        self._lock = threading.Lock()

    def provided_by(self, project: str) -> set[str] | None:
        """Import paths the latest wheel of ``project`` provides (None: no such project/wheel)."""
        key = canonicalize_name(project)
        with self._lock:
            if key in self._provided:
                return self._provided[key]
        try:
            page = self.index.project(project)
        except NotFound:
            result = None
        else:
            wheel = latest_wheel(page.files)
            if wheel is None:
                result = None
            else:
                try:
                    zf, _ = open_remote_zip(self.index.session, wheel.url, wheel.size)
                except BadResponse as exc:
                    if "not a valid zip" not in exc.reason:
                        raise
                    result = None  # an unreadable wheel confirms nothing
                else:
                    with zf:
                        result, _ = provided_modules(zf.namelist())
        with self._lock:
            self._provided[key] = result
        return result

    def lookup(self, module: str) -> Mapping | None:
        paths = set(prefixes(module))
        for name in candidate_names(module):
            try:
                provided = self.provided_by(name)
            except NetError:
                raise
            if provided and paths & provided:
                matched = max(paths & provided, key=len)
                return Mapping(module, name, self.source, matched=matched,
                               reason=f"project {name!r} on the index; its wheel provides {matched!r}")
        return None

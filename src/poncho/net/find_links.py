"""pip's ``find-links``: a flat directory (or one HTML page) of wheels and sdists of many projects.

A source like an index, with the same small interface the resolver asks of
:class:`~poncho.net.simple_api.SimpleIndex` (``index_url`` and ``project(name)``),
so a wheelhouse on a cluster's shared disk locks like a mirror. Local files
carry no hash on the listing; the lock computes them from the files (as it
does for a ``file://`` index). A remote page's links must carry ``#sha256=``.
"""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from poncho.errors import ConfigError, IndexUnreachable, NotFound
from poncho.net.local import local_path
from poncho.net.simple_api import IndexFile, ProjectPage, parse_project_page

if TYPE_CHECKING:  # pragma: no cover
    import requests


class FindLinks:
    """One ``find-links`` location: a directory, a ``file:`` URL of one, or an http(s) page of links."""

    def __init__(self, session: requests.Session, location: str) -> None:
        self.session = session
        scheme = urllib.parse.urlsplit(location).scheme.lower()
        if scheme in ("http", "https"):
            self.index_url = location
            self._dir: Path | None = None
        else:
            path = local_path(location) if scheme == "file" else Path(location).expanduser()
            if not path.is_dir():
                raise ConfigError(f"find-links {location}: not a directory (give a directory of wheels and "
                                  "sdists, or an http(s) page that links to them)")
            self._dir = path.resolve()
            self.index_url = self._dir.as_uri() + "/"
        self._files: dict[str, list[IndexFile]] | None = None
        self._lock = threading.Lock()

    def project(self, name: str) -> ProjectPage:
        """The files of project ``name`` here; NotFound when there are none (the next source is asked)."""
        files = self._by_project().get(canonicalize_name(name))
        if not files:
            raise NotFound(self.index_url, f"no file of {name} in find-links")
        return ProjectPage(canonicalize_name(name), self.index_url, tuple(files))

    def _by_project(self) -> dict[str, list[IndexFile]]:
        with self._lock:
            if self._files is None:
                table: dict[str, list[IndexFile]] = {}
                for f in self._listing():
                    project = _project_of(f.filename)
                    if project is not None:
                        table.setdefault(project, []).append(f)
                self._files = table
            return self._files

    def _listing(self) -> tuple[IndexFile, ...]:
        if self._dir is not None:
            # Directories are skipped; a FIFO named like a wheel is listed and refused when read, never opened here.
            return tuple(IndexFile(p.name, p.as_uri()) for p in sorted(self._dir.iterdir()) if not p.is_dir())
        import requests  # only a remote page needs the HTTP client: a wheelhouse on disk is listed without it

        from poncho.net import session as session_mod

        try:
            resp = self.session.get(self.index_url, headers={"Accept": "text/html"}, stream=True)
        except requests.exceptions.RequestException as exc:
            raise IndexUnreachable(self.index_url, f"cannot read the find-links page: {exc}") from exc
        if resp.status_code != 200:
            resp.close()
            raise IndexUnreachable(self.index_url, f"the find-links page answered HTTP {resp.status_code}",
                                   status=resp.status_code)
        body = session_mod.read_body(resp, self.index_url)
        return parse_project_page("find-links", resp.url or self.index_url, body, "text/html").files


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None

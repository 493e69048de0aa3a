"""A client for the simple repository API: PEP 691 JSON, PEP 503 HTML as fallback.

Also reads ``file://`` indexes (a directory tree laid out like /simple/), so a
local mirror works the same way as a remote one.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests
from packaging.utils import canonicalize_name

from poncho.config import DEFAULT_INDEX  # one definition, re-exported here
from poncho.errors import BadResponse, IndexUnreachable, NotCached, NotFound, Reason
from poncho.net import session as session_mod
from poncho.net.local import local_path, read_regular
from poncho.net.session import OfflineMiss, read_body

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


@dataclass(frozen=True)
class IndexFile:
    """One downloadable file of a project, as the index describes it."""

    filename: str
    url: str
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    requires_python: str | None = None
    yanked: bool = False
    size: int | None = None
    # PEP 658/714: True/False when the index said; None when it did not say.
    core_metadata: bool | None = None
    metadata_sha256: str | None = None

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class ProjectPage:
    name: str
    url: str
    files: tuple[IndexFile, ...]


class SimpleIndex:
    """The project pages of one index URL."""

    def __init__(self, session: requests.Session, index_url: str = DEFAULT_INDEX) -> None:
        self.session = session
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"

    def project_url(self, name: str) -> str:
        """The project page URL; the name is quoted, so it can never point at another host or path."""
        return self.index_url + urllib.parse.quote(canonicalize_name(name), safe="") + "/"

    def project(self, name: str) -> ProjectPage:
        """The files of project ``name``; raises NotFound when the index has none."""
        url = self.project_url(name)
        if url.startswith("file:"):
            return self._file_project(name, url)
        try:
            resp = self.session.get(url, headers={"Accept": ACCEPT}, stream=True)
        except requests.exceptions.SSLError as exc:
            raise IndexUnreachable(url, f"TLS verification failed: {exc}",
                                   "set REQUESTS_CA_BUNDLE or pip's `cert` to your proxy's CA bundle") from exc
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, OfflineMiss):
                raise NotCached(url) from exc
            if isinstance(exc, requests.exceptions.Timeout):
                raise IndexUnreachable(url, f"timed out: {_short(exc)}", "check the network or pass --index-url",
                                       kind=Reason.TIMEOUT) from exc
            raise IndexUnreachable(url, f"cannot connect: {_short(exc)}",
                                   "check the network or pass --index-url") from exc
        except OSError as exc:  # e.g. a CA bundle path that does not exist
            raise IndexUnreachable(url, f"cannot connect: {_short(exc)}",
                                   "check --cert, pip's `cert` and REQUESTS_CA_BUNDLE") from exc
        if resp.status_code == 404:
            resp.close()
            raise NotFound(url, "no such project on this index")
        if resp.status_code != 200:
            resp.close()
            raise BadResponse(url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)
        ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip()
        body = read_body(resp, url)  # bounded: MAX_PAGE_BYTES, REQUEST_DEADLINE
        return parse_project_page(name, resp.url or url, body, ctype)

    def _file_project(self, name: str, url: str) -> ProjectPage:
        """A project of a ``file://`` index: its ``index.json`` / ``index.html``, else the directory's files.

        A page that is a FIFO or a device is refused, never opened for a
        blocking read; a bare directory lists every entry but directories, so
        a FIFO named like a wheel is refused when read, not skipped in silence.
        """
        path = local_path(url)
        for candidate, ctype in ((path / "index.json", "application/vnd.pypi.simple.v1+json"),
                                 (path / "index.html", "text/html")):
            page_url = candidate.as_uri()
            try:
                body = read_regular(page_url, session_mod.MAX_PAGE_BYTES)
            except BadResponse as exc:
                if exc.kind is Reason.NOT_FOUND:
                    continue
                raise
            return parse_project_page(name, page_url, body, ctype)
        if path.is_dir():  # a bare directory of files
            files = tuple(IndexFile(p.name, p.as_uri()) for p in sorted(path.iterdir()) if not p.is_dir())
            return ProjectPage(canonicalize_name(name), url, files)
        raise NotFound(url, "no such project on this index")


def parse_project_page(name: str, url: str, body: bytes, content_type: str) -> ProjectPage:
    """Parse a project page in whichever format the index chose to send; what it lists is checked."""
    if content_type == "application/vnd.pypi.simple.v1+json" or body.lstrip().startswith(b"{"):
        try:
            data = json.loads(body)
            files = tuple(_file_from_json(f, url) for f in data.get("files", []))
            page_name = data.get("name", name)
            if not isinstance(page_name, str):
                raise TypeError(f"name is {type(page_name).__name__}, not a string")
            checked = _checked(files, url)
        except BadResponse:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise BadResponse(url, f"invalid PEP 691 JSON: {exc!r}"[:300]) from exc
        return ProjectPage(canonicalize_name(page_name), url, checked)
    parser = _LinkParser(url)
    try:
        parser.feed(body.decode("utf-8", "replace"))
    except Exception as exc:  # pragma: no cover - html.parser is lenient
        raise BadResponse(url, f"invalid PEP 503 HTML: {exc}") from exc
    return ProjectPage(canonicalize_name(name), url, _checked(tuple(parser.files), url))


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _checked(files: tuple[IndexFile, ...], page_url: str) -> tuple[IndexFile, ...]:
    """Refuse what no honest index sends: a remote page pointing at local files, malformed hashes.

    A ``file:`` URL is honoured only on a page the user's own ``file://``
    index served; a hash that is not 64 hex digits could smuggle text into
    a lock and is an index error naming the file.
    """
    remote = not page_url.startswith("file:")
    for f in files:
        scheme = urllib.parse.urlsplit(f.url).scheme.lower()
        if remote and scheme not in ("http", "https"):
            raise BadResponse(page_url, f"lists {f.filename!r} at a {scheme or 'relative'}: URL; a remote index "
                                        "may only point at http(s) files", kind=Reason.UNSUPPORTED)
        for value in (f.sha256, f.metadata_sha256):
            if value is not None and not _SHA256.fullmatch(value):
                raise BadResponse(page_url, f"lists {f.filename!r} with sha256 {value[:80]!r}; expected 64 hex "
                                            "digits", kind=Reason.BAD_PAGE)
    return files


def _bool_or_hash(value: object) -> tuple[bool | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, dict):
        return True, value.get("sha256")
    return bool(value), None


def _file_from_json(f: dict, base: str) -> IndexFile:
    meta = f.get("core-metadata", f.get("data-dist-info-metadata"))
    has_meta, meta_hash = _bool_or_hash(meta)
    yanked = f.get("yanked", False)
    filename, size = f["filename"], f.get("size")
    if not isinstance(filename, str) or not isinstance(f["url"], str):
        raise TypeError("a file's filename and url must be strings")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        size = None  # PEP 700's size is optional: a bad one is no size, never a bad lock
    if meta_hash is not None and not isinstance(meta_hash, str):
        raise TypeError("core-metadata sha256 must be a string")
    return IndexFile(
        filename=filename,
        url=urllib.parse.urljoin(base, f["url"]),
        hashes={str(k): str(v) for k, v in dict(f.get("hashes") or {}).items()},
        requires_python=f.get("requires-python") or None,
        yanked=bool(yanked),
        size=size,
        core_metadata=has_meta,
        metadata_sha256=meta_hash,
    )


class _LinkParser(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.files: list[IndexFile] = []
        self._attrs: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[override]
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urllib.parse.urljoin(self.base, href)
        if tag == "a":
            self._attrs = dict(attrs)
            self._text = []

    def handle_data(self, data):  # type: ignore[override]
        if self._attrs is not None:
            self._text.append(data)

    def handle_endtag(self, tag):  # type: ignore[override]
        if tag != "a" or self._attrs is None:
            return
        attrs, self._attrs = self._attrs, None
        href = attrs.get("href")
        if not href:
            return
        url, _, fragment = urllib.parse.urljoin(self.base, href).partition("#")
        hashes = {}
        if "=" in fragment:
            algo, _, digest = fragment.partition("=")
            hashes[algo] = digest
        filename = urllib.parse.unquote(url.rsplit("/", 1)[-1])
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        has_meta: bool | None = None
        meta_hash = None
        if meta is not None:
            has_meta = meta != "false"
            if meta.startswith("sha256="):
                meta_hash = meta.split("=", 1)[1]
        rp = attrs.get("data-requires-python")
        self.files.append(IndexFile(
            filename=filename, url=url, hashes=hashes,
            requires_python=rp or None, yanked="data-yanked" in attrs,
            core_metadata=has_meta, metadata_sha256=meta_hash,
        ))


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "..."


__all__ = ["DEFAULT_INDEX", "IndexFile", "ProjectPage", "SimpleIndex", "parse_project_page"]

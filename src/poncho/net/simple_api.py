"""A client for the simple repository API: PEP 691 JSON, PEP 503 HTML as fallback.

Also reads ``file://`` indexes (a directory tree laid out like /simple/), so a
local mirror works the same way as a remote one.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from poncho.errors import BadResponse, IndexUnreachable, NotCached, NotFound, Reason
from poncho.net import DEFAULT_INDEX  # re-exported here
from poncho.net.local import local_path, read_regular

from .index_file import IndexFile, checked
from .page_cache import CompactPage, PageCache, body_digest, version_texts

if TYPE_CHECKING:  # pragma: no cover
    import requests

__all__ = ["DEFAULT_INDEX", "IndexFile", "ProjectPage", "SimpleIndex", "parse_compact", "parse_project_page"]

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


@dataclass(frozen=True)
class ProjectPage:
    name: str
    url: str
    files: tuple[IndexFile, ...]


class SimpleIndex:
    """The project pages of one index URL."""

    def __init__(self, session: requests.Session, index_url: str = DEFAULT_INDEX,
                 pages: PageCache | None = None) -> None:
        self.session = session
        # The session's page cache unless one is given (make_session attaches one to a caching session).
        self.pages = pages if pages is not None else getattr(session, "page_cache", None)
        self.index_url = index_url if index_url.endswith("/") else index_url + "/"

    def project_url(self, name: str) -> str:
        """The project page URL; the name is quoted, so it can never point at another host or path."""
        return self.index_url + urllib.parse.quote(canonicalize_name(name), safe="") + "/"

    def project(self, name: str) -> ProjectPage:
        """The files of project ``name``; raises NotFound when the index has none."""
        page = self.compact(name)
        return ProjectPage(page.name, page.url, page.files())

    def compact(self, name: str) -> CompactPage:
        """Project ``name``'s page grouped by release, each release decoded only when asked.

        With a page cache, a page fetched within its lifetime (any age with
        ``--offline``) is answered from disk; a refetched page whose bytes did
        not change reuses its parsed form; only a changed page is decoded.
        """
        key = canonicalize_name(name)
        url = self.project_url(name)
        if url.startswith("file:"):
            local = self._file_project(name, url)
            return CompactPage.from_files(key, local.url, "", local.files)
        cache = self.pages
        if cache is not None:
            stored = cache.load(self.index_url, key, fresh_only=True)
            if stored is not None:
                return stored
        body, page_url, ctype = self._get_page(url, cache is not None)
        digest = body_digest(body)
        if cache is not None:
            stored = cache.load(self.index_url, key, fresh_only=False)
            if stored is not None and stored.digest == digest and stored.url == page_url:
                cache.touch(self.index_url, key)
                cache.count("reused")
                stored.from_network = True
                return stored
        page = parse_compact(name, page_url, body, ctype, digest)
        page.from_network = True
        if cache is not None:
            cache.count("decoded")
            cache.store(self.index_url, page)
        return page

    def _get_page(self, url: str, cached_elsewhere: bool) -> tuple[bytes, str, str]:
        """(body, final URL, content type) of a project page; the HTTP cache keeps no copy when the page
        cache does (``no-store``), and is asked only offline (a cache from before the page cache)."""
        # The HTTP client loads here, on the first page the caches could not answer: an offline run, or one
        # the page and resolution caches answer, never imports requests, urllib3, CacheControl or ssl.
        import requests

        from poncho.net.session import OfflineMiss, discard, read_body

        headers = {"Accept": ACCEPT}
        if cached_elsewhere:
            headers["Cache-Control"] = "no-cache, no-store"
        try:
            resp = self.session.get(url, headers=headers, stream=True)
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
            discard(resp)
            raise NotFound(url, "no such project on this index")
        if resp.status_code != 200:
            discard(resp)
            raise BadResponse(url, f"HTTP {resp.status_code}", kind=Reason.HTTP_STATUS, status=resp.status_code)
        ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip()
        body = read_body(resp, url)  # bounded: MAX_PAGE_BYTES, REQUEST_DEADLINE
        return body, resp.url or url, ctype

    def _file_project(self, name: str, url: str) -> ProjectPage:
        """A project of a ``file://`` index: its ``index.json`` / ``index.html``, else the directory's files.

        A page that is a FIFO or a device is refused, never opened for a
        blocking read; a bare directory lists every entry but directories, so
        a FIFO named like a wheel is refused when read, not skipped in silence.
        """
        from poncho.net import session as session_mod  # its limits, read at call time (tests lower them)

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
    page = parse_compact(name, url, body, content_type)
    return ProjectPage(page.name, page.url, page.files())


def parse_compact(name: str, url: str, body: bytes, content_type: str, digest: str = "") -> CompactPage:
    """A project page grouped by release; no file is decoded (joined, checked) until its release is read.

    A JSON page costs one ``json.loads`` and a pass over the filenames; its
    entries stay as the index sent them, and each release is turned into
    checked :class:`IndexFile` records when first read, so a bad entry is
    reported when (and only if) its release is looked at.
    """
    key = canonicalize_name(name)
    if content_type == "application/vnd.pypi.simple.v1+json" or body.lstrip().startswith(b"{"):
        split = split_files(key, url, body)
        if split is not None:
            return CompactPage.from_json_texts(key, url, digest, *split)
        try:
            data = json.loads(body)
            page_name = data.get("name", name)
            if not isinstance(page_name, str):
                raise TypeError(f"name is {type(page_name).__name__}, not a string")
            files = data.get("files", [])
            if not isinstance(files, list):
                raise TypeError(f"files is {type(files).__name__}, not a list")
            groups: dict[str | None, list[dict]] = {}
            version_of = version_texts(key)
            for f in files:
                filename = f["filename"]
                if type(filename) is not str:
                    raise TypeError("a file's filename must be a string")
                groups.setdefault(version_of(filename), []).append(f)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise BadResponse(url, f"invalid PEP 691 JSON: {exc!r}"[:300]) from exc
        return CompactPage.from_json_entries(key, url, digest, groups)
    from .html_page import LinkParser  # html.parser: loaded only for an index that serves no JSON

    parser = LinkParser(url)
    try:
        parser.feed(body.decode("utf-8", "replace"))
    except Exception as exc:  # pragma: no cover - html.parser is lenient
        raise BadResponse(url, f"invalid PEP 503 HTML: {exc}") from exc
    return CompactPage.from_files(key, url, digest, checked(tuple(parser.files), url))


_FILES_START = b'{"files": [{"'
_FILES_END = b'}], "meta": {'
_BETWEEN = b'}, {"'
_FILENAME = re.compile(rb'"filename": "([^"\\]*)"')
_YANKED = (b'"yanked": true', b'"yanked": "', b'"yanked": ""')


def split_files(name: NormalizedName, url: str, body: bytes) -> tuple[list[tuple[str, bool, bytes]], list] | None:
    """PyPI's own page layout, split by release without decoding a file entry; None for any other layout.

    ``json.loads`` of a cold lock's 109 pages (52 MB, 120,000 files) was its
    largest CPU cost, for the few releases the resolver reads. PyPI (and the
    mirrors that pass its bytes on) writes ``{"files": [{"...}, {"...}], "meta":``
    with these separators and no array inside a file entry. In valid JSON
    ``}, {"`` cannot fall inside a string unless the string ends there, and
    then the split adds a part without a ``"filename"``: so the split is used
    only if the files array holds no ``[``, every part has one filename (the
    counts agree), and the rest of the page is valid JSON. A release's text
    is decoded when it is read, and its files must be where their filenames
    say (``ReleaseRows.load``). Returns (version, all yanked, JSON text) per
    release and the decoded entries that are no release file of ``name``.
    """
    if not body.startswith(_FILES_START):
        return None
    end = body.find(_FILES_END)
    if end < 0 or body.find(b"[", len(_FILES_START), end) >= 0:
        return None
    try:
        rest = json.loads(b"{" + body[end + 3:])
    except (ValueError, RecursionError):
        return None
    if not isinstance(rest, dict) or not isinstance(rest.get("name", name), str):
        return None
    inner = body[len(_FILES_START):end]  # the entries, without the first '{"' and the last '}'
    parts = inner.split(_BETWEEN)
    filenames = _FILENAME.findall(body, len(_FILES_START) - 1, end)  # from the first entry's opening quote
    if len(filenames) != len(parts):
        return None
    version_of = version_texts(name)
    groups: dict[str | None, list[bytes]] = {}
    for filename, part in zip(filenames, parts):
        groups.setdefault(version_of(filename.decode("utf-8", "surrogateescape")), []).append(part)
    other_parts = groups.pop(None, [])
    releases = []
    for version, group in groups.items():
        assert version is not None
        text = b'[{"' + _BETWEEN.join(group) + b"}]"
        yanked = text.count(_YANKED[0]) + text.count(_YANKED[1]) - text.count(_YANKED[2]) == len(group)
        releases.append((version, yanked, text))
    other: list = []
    if other_parts:  # few: old .exe and .egg files; when they are no JSON, the full decode says why
        try:
            other = json.loads(b'[{"' + _BETWEEN.join(other_parts) + b"}]")
        except (ValueError, RecursionError):
            return None
        if not all(type(e) is dict for e in other):
            return None
    return releases, other


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "..."


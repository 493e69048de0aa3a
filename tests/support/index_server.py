"""A real PEP 691/503 package index on 127.0.0.1 for hermetic tests.

It serves, from files on disk: ``/simple/`` (project list), ``/simple/<p>/``
as PEP 691 JSON or PEP 503 HTML by content negotiation, ``/files/<f>``
with byte ranges, and ``/files/<f>.metadata`` (PEP 658). Switches let tests
turn off range support, ``.metadata`` files, or their advertisement, and
every request is logged so tests can count round trips; ``fail`` makes
chosen paths answer with an error status (an overloaded mirror, say).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename


@dataclass
class ServedFile:
    filename: str
    path: Path
    project: str
    requires_python: str | None = None
    yanked: bool = False
    metadata: bytes | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass
class IndexServer:
    """Start with ``start()`` (or as a context manager); ``url`` is the simple index URL."""

    range_support: bool = True
    serve_metadata: bool = True
    advertise_metadata: bool = True
    # True: advertise with PEP 691's original key and attribute (``dist-info-metadata``), as indexes from
    # before PEP 714 do; False: ``core-metadata`` / ``data-core-metadata``
    legacy_metadata_key: bool = False
    json_api: bool = True
    files: dict[str, ServedFile] = field(default_factory=dict)
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    down: bool = False
    list_hashes: bool = True  # False: pages name files without a sha256 (an index no lock can trust)
    # A lying index: filename -> the sha256 / URL its pages claim instead of the real ones.
    hash_overrides: dict[str, str] = field(default_factory=dict)
    url_overrides: dict[str, str] = field(default_factory=dict)
    # A failing index: path fragment -> HTTP status answered for every request whose path contains it.
    failures: dict[str, int] = field(default_factory=dict)
    retry_after: str = "0"  # the Retry-After a failing answer carries
    trickle: str | None = None  # a path fragment whose answers are sent a byte every 50 ms
    # True: HTTP/1.1 with persistent connections (real PyPI and the proxy here now keep them open);
    # ``connections`` then holds each request's client (host, port): one entry per TCP connection used.
    keep_alive: bool = False
    connections: list[tuple[str, int]] = field(default_factory=list)

    def add(self, path: Path, *, requires_python: str | None = None, yanked: bool = False) -> ServedFile:
        """Serve a wheel or sdist; the project comes from the filename."""
        if path.name.endswith(".whl"):
            project = str(parse_wheel_filename(path.name)[0])
            with zipfile.ZipFile(path) as zf:
                metadata = _plain_metadata(zf)
            if requires_python is None and metadata:
                m = re.search(rb"^Requires-Python: (.+)$", metadata, re.M)
                requires_python = m.group(1).decode().strip() if m else None
        else:
            project = str(parse_sdist_filename(path.name)[0])
            metadata = None
        served = ServedFile(path.name, path, canonicalize_name(project), requires_python, yanked, metadata)
        self.files[path.name] = served
        return served

    def requests_for(self, fragment: str) -> list[tuple[str, str, dict[str, str]]]:
        return [r for r in self.log if fragment in r[1]]

    # lifecycle -------------------------------------------------------------
    def start(self) -> IndexServer:
        server = self

        class Handler(_Handler):
            index = server
            protocol_version = "HTTP/1.1" if server.keep_alive else "HTTP/1.0"

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.base + "/simple/"

    # pages ----------------------------------------------------------------
    def project_files(self, project: str) -> list[ServedFile]:
        key = canonicalize_name(project)
        return sorted((f for f in self.files.values() if f.project == key), key=lambda f: f.filename)

    def project_json(self, project: str) -> bytes:
        files = []
        for f in self.project_files(project):
            entry: dict = {
                "filename": f.filename,
                "url": self.url_overrides.get(f.filename, f"/files/{f.filename}"),
                "hashes": {"sha256": self.hash_overrides.get(f.filename, f.sha256)} if self.list_hashes else {},
                "requires-python": f.requires_python,
                "size": f.path.stat().st_size,
                "yanked": f.yanked,
            }
            if self.advertise_metadata and f.metadata is not None:
                key = "dist-info-metadata" if self.legacy_metadata_key else "core-metadata"
                entry[key] = {"sha256": hashlib.sha256(f.metadata).hexdigest()}
            files.append(entry)
        # PyPI's own layout (keys sorted, ", " and ": " separators), which the client splits without decoding
        versions = sorted({_version_of(f.filename) for f in self.project_files(project)})
        return json.dumps({"files": files, "meta": {"api-version": "1.1"}, "name": canonicalize_name(project),
                           "versions": versions}).encode()

    def project_html(self, project: str) -> bytes:
        links = []
        for f in self.project_files(project):
            attrs = f'href="/files/{f.filename}#sha256={f.sha256}"' if self.list_hashes else f'href="/files/{f.filename}"'
            if f.requires_python:
                attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
            if f.yanked:
                attrs += ' data-yanked=""'
            if self.advertise_metadata and f.metadata is not None:
                key = "data-dist-info-metadata" if self.legacy_metadata_key else "data-core-metadata"
                attrs += f' {key}="sha256={hashlib.sha256(f.metadata).hexdigest()}"'
            links.append(f"<a {attrs}>{html.escape(f.filename)}</a><br/>")
        return ("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n").encode()


class _Handler(BaseHTTPRequestHandler):
    index: IndexServer
    protocol_version = "HTTP/1.0"  # like the real proxy here: one request per connection

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence stderr
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if not self.index.keep_alive:
            self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        if self.index.trickle and self.index.trickle in self.path:
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:  # the client gave up: that is the point
                pass
            return
        self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        idx = self.index
        idx.log.append((self.command, self.path, dict(self.headers.items())))
        idx.connections.append(self.client_address[:2])
        if idx.down:
            self.close_connection = True
            self.connection.close()
            return
        path = self.path.split("?", 1)[0]
        failing = next((status for fragment, status in idx.failures.items() if fragment in path), None)
        if failing is not None:
            return self._send(failing, b"failing on purpose", "text/plain", {"Retry-After": idx.retry_after})
        if path == "/simple/":
            names = sorted({f.project for f in idx.files.values()})
            body = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names).encode()
            return self._send(200, body, "text/html")
        m = re.fullmatch(r"/simple/([^/]+)/?", path)
        if m:
            project = m.group(1)
            if not idx.project_files(project):
                return self._send(404, b"not found", "text/plain")
            if canonicalize_name(project) != project:
                self.send_response(301)
                self.send_header("Location", f"/simple/{canonicalize_name(project)}/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            accept = self.headers.get("Accept", "")
            if idx.json_api and "application/vnd.pypi.simple.v1+json" in accept:
                return self._send(200, idx.project_json(project), "application/vnd.pypi.simple.v1+json")
            return self._send(200, idx.project_html(project), "text/html")
        m = re.fullmatch(r"/files/(.+)", path)
        if m:
            name = m.group(1)
            if name.endswith(".metadata"):
                f = idx.files.get(name[: -len(".metadata")])
                if f is None or f.metadata is None or not idx.serve_metadata:
                    return self._send(404, b"not found", "text/plain")
                return self._send(200, f.metadata, "application/octet-stream")
            f = idx.files.get(name)
            if f is None:
                return self._send(404, b"not found", "text/plain")
            data = f.path.read_bytes()
            rng = self.headers.get("Range")
            if rng and idx.range_support:
                start, end = _parse_range(rng, len(data))
                return self._send(206, data[start:end + 1], "application/octet-stream",
                                  {"Content-Range": f"bytes {start}-{end}/{len(data)}", "Accept-Ranges": "bytes"})
            return self._send(200, data, "application/octet-stream")
        self._send(404, b"not found", "text/plain")


def _version_of(filename: str) -> str:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:  # a test's deliberately odd file: no version to list
        return ""


def _plain_metadata(zf: zipfile.ZipFile) -> bytes | None:
    """A wheel's METADATA for its ``.metadata`` file, as a real index would extract it; None (no ``.metadata``
    served) when the member is one a lying-archive test built: encrypted, exotic, huge or undecodable."""
    info = next((i for i in zf.infolist() if i.filename.endswith(".dist-info/METADATA")), None)
    if (info is None or info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or info.file_size > 2**20):
        return None
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, zlib.error):
        return None


def _parse_range(value: str, size: int) -> tuple[int, int]:
    spec = value.split("=", 1)[1].split(",", 1)[0].strip()
    first, _, last = spec.partition("-")
    if not first:
        n = int(last)
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    return start, min(end, size - 1)

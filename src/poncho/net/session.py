"""The one HTTP session policy: caching that works without server headers.

PyPI-like indexes (and the proxy in front of this machine) may send no
caching headers at all, so we decide freshness ourselves: artifact URLs and
their ``.metadata`` files are immutable and cached for a year; project pages
are cached for ``page_ttl`` seconds. Certificates follow requests' rules
(``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``) plus pip's ``cert`` when given;
verification is never turned off.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import sys
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import requests
from cachecontrol import CacheControlAdapter
from cachecontrol.caches.file_cache import FileCache
from cachecontrol.heuristics import BaseHeuristic
from urllib3.util.retry import Retry

from poncho import __version__
from poncho.errors import UsageError
from poncho.paths import cache_root

USER_AGENT = f"poncho-resolve/{__version__}"
IMMUTABLE_SUFFIXES = (".whl", ".metadata", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
YEAR = 365 * 24 * 3600


class IndexFreshness(BaseHeuristic):
    """Give every response an explicit lifetime, whatever the server said."""

    def __init__(self, page_ttl: int) -> None:
        self.page_ttl = page_ttl

    def update_headers(self, response) -> dict[str, str]:  # type: ignore[override]
        url = getattr(response, "geturl", lambda: "")() or ""
        path = url.split("?", 1)[0].split("#", 1)[0]
        ttl = YEAR if path.endswith(IMMUTABLE_SUFFIXES) else self.page_ttl
        now = time.time()
        return {
            "cache-control": f"max-age={ttl}",
            "date": formatdate(now, usegmt=True),
            "expires": formatdate(now + ttl, usegmt=True),
        }

    def warning(self, response) -> None:  # type: ignore[override]
        return None


def default_cache_dir() -> Path:
    """Where poncho-resolve keeps its caches (``PONCHO_CACHE_DIR`` overrides it)."""
    return cache_root()


class OfflineMiss(requests.exceptions.ConnectionError):
    """--offline, and the response is not in the cache (a type, so callers never read the message)."""


class _NoNetwork(requests.adapters.HTTPAdapter):
    def send(self, request, *args, **kwargs):  # type: ignore[override]
        raise OfflineMiss(
            f"{request.url} is not in the cache and --offline is set; run once with network access")


class OfflineAdapter(CacheControlAdapter, _NoNetwork):
    """Serves every cached response however old, and refuses the network.

    A request-side ``max-age`` overrides the stored freshness in CacheControl,
    so yesterday's project page still answers; a miss fails without a socket.
    """

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        request.headers["Cache-Control"] = f"max-age={100 * YEAR}"
        return super().send(request, *args, **kwargs)


class _SharedTLS(requests.adapters.HTTPAdapter):
    """Verify with a CA bundle loaded once per run, not once per connection.

    requests hands urllib3 the bundle's path, and urllib3 loads it into a new
    context for every connection: ~15-50 ms of CPU each (a 200 KB bundle),
    and an index that closes every connection makes every request a new one
    (a cold lock of 100 projects spent seconds there). Here the pool gets one
    context, built by urllib3's own ``create_urllib3_context`` (what requests
    does for its default bundle), with the same bundle: what is trusted does
    not change, only how often it is parsed. A client certificate or a
    directory of CAs keeps requests' own path.
    """

    def build_connection_pool_key_attributes(self, request, verify, cert=None):  # type: ignore[no-untyped-def]
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        bundle = _bundle_file(verify)
        if bundle is not None and cert is None and pool.get("cert_reqs") == "CERT_REQUIRED":
            pool.pop("ca_certs", None)
            pool["ssl_context"] = _tls_context(bundle)
        return host, pool

    def cert_verify(self, conn, url, verify, cert):  # type: ignore[no-untyped-def]
        super().cert_verify(conn, url, verify, cert)
        if url.lower().startswith("https") and cert is None and _bundle_file(verify) is not None:
            conn.ca_certs = None  # the pool's context holds the bundle; naming it again would reload it
            conn.ca_cert_dir = None


def _bundle_file(verify: object) -> str | None:
    """The CA bundle file ``verify`` means (requests' default for True), or None (a directory, no checks)."""
    if verify is True:
        from requests.utils import DEFAULT_CA_BUNDLE_PATH, extract_zipped_paths

        verify = extract_zipped_paths(DEFAULT_CA_BUNDLE_PATH)
    return verify if isinstance(verify, str) and os.path.isfile(verify) else None


def _tls_context(bundle: str) -> Any:
    """The one context for ``bundle``. Built under a lock: the first requests of a run start together on
    the fetch threads, and each loading the bundle at once cost ~0.1 s of CPU apiece, ahead of every
    first answer."""
    with _TLS_LOCK:
        context = _TLS_CONTEXTS.get(bundle)
        if context is None:
            from urllib3.util.ssl_ import create_urllib3_context

            context = create_urllib3_context()
            context.load_verify_locations(cafile=bundle)
            _TLS_CONTEXTS[bundle] = context
        return context


_TLS_LOCK = threading.Lock()
_TLS_CONTEXTS: dict[str, Any] = {}


class CachingAdapter(_SharedTLS, CacheControlAdapter):
    """CacheControl's adapter with the shared TLS context; a request that says ``no-store`` bypasses it.

    CacheControl copies every response body it might cache into a temporary
    file as it is read, and decides only at the end: with the freshness this
    module gives every response, that was each project page (52 MB on a cold
    lock of 109 pages) and each ``.metadata`` file, written to /tmp and
    mapped back, to be dropped for the request's own ``no-store``. Callers
    with a cache of their own (the page and metadata caches) send
    ``no-cache, no-store``: such a request is neither looked up nor copied.
    """

    def send(self, request, *args, **kwargs):  # type: ignore[override]
        if _not_stored(request):
            return requests.adapters.HTTPAdapter.send(self, request, *args, **kwargs)
        return super().send(request, *args, **kwargs)

    def build_response(self, request, response, *args, **kwargs):  # type: ignore[override]
        # (nor is an answer it would never store: a 206 for a range of a wheel, a 404 for a probe)
        if _not_stored(request) or (response.status not in self.controller.cacheable_status_codes
                                    and response.status != 304):  # a 304 refreshes what is stored
            return requests.adapters.HTTPAdapter.build_response(self, request, response)
        return super().build_response(request, response, *args, **kwargs)


def _not_stored(request: requests.PreparedRequest) -> bool:
    value = request.headers.get("Cache-Control") or ""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    directives = text.replace(" ", "").lower().split(",")
    return "no-store" in directives and "no-cache" in directives


class PlainAdapter(_SharedTLS):
    """No HTTP cache (``--no-cache``), the shared TLS context."""


def make_session(
    cache_dir: Path | None = None,
    *,
    page_ttl: int = 600,
    retries: int = 3,
    cert: str | None = None,
    timeout: float = 30.0,
    offline: bool = False,
) -> requests.Session:
    """A requests session with on-disk HTTP caching, retries and a default timeout.

    ``cache_dir=None`` disables the HTTP cache (tests of the wire itself);
    ``offline`` answers from the cache only (it needs a ``cache_dir``).
    """
    if offline and cache_dir is None:
        raise UsageError("offline mode needs the cache (drop --no-cache)")
    session = _TimeoutSession(timeout, cert)
    session.headers["User-Agent"] = USER_AGENT
    retry = _CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.25,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
    )
    if cache_dir is not None:
        cache = HealingFileCache(str(Path(cache_dir) / HTTP_CACHE))
        adapter: requests.adapters.HTTPAdapter = (OfflineAdapter if offline else CachingAdapter)(
            cache=cache, heuristic=IndexFreshness(page_ttl), max_retries=retry,
            pool_connections=16, pool_maxsize=32,
        )
    else:
        adapter = PlainAdapter(max_retries=retry, pool_connections=16, pool_maxsize=32)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if cache_dir is not None:
        from .page_cache import PageCache

        session.page_cache = PageCache(Path(cache_dir), ttl=page_ttl, offline=offline)
    return session


HTTP_CACHE = "http-v2"  # one file per response; "http" held CacheControl's separate header/body files

_FRAME = b"poncho-cache-1\n"


class HealingFileCache(FileCache):
    """CacheControl's file cache, made safe to share and impossible to poison by accident.

    Each response is one file (headers and body together, replaced
    atomically under CacheControl's file lock), framed with the sha256 of its
    content. An entry that is missing, truncated, foreign or corrupt reads as
    a miss and is removed, so the next run refetches it instead of failing for
    the entry's lifetime. A cache that cannot be written (read-only, a file
    where a directory should be) degrades to no caching, with one warning.
    """

    def __init__(self, directory: str) -> None:
        super().__init__(directory, filemode=0o644, dirmode=0o755)
        self._writable = True

    def get(self, key: str) -> bytes | None:
        try:
            raw = super().get(key)
        except OSError as exc:
            self._degrade(exc)
            return None
        if raw is None:
            return None
        head, digest, body = raw[:len(_FRAME)], raw[len(_FRAME):len(_FRAME) + 32], raw[len(_FRAME) + 32:]
        if head != _FRAME or hashlib.sha256(body).digest() != digest:
            self._discard(key)
            return None
        return body

    def set(self, key: str, value: bytes, expires: Any = None) -> None:
        if not self._writable:
            return
        try:
            super().set(key, _FRAME + hashlib.sha256(value).digest() + value, expires)
        except OSError as exc:
            self._degrade(exc)

    def delete(self, key: str) -> None:
        self._discard(key)

    def _discard(self, key: str) -> None:
        try:
            super().delete(key)
        except OSError:
            pass

    def _degrade(self, exc: OSError) -> None:
        if self._writable:
            self._writable = False
            print(f"warning: the HTTP cache at {self.directory} cannot be used ({exc.strerror or exc}); "
                  "continuing without caching", file=sys.stderr)


class _CappedRetry(Retry):
    """urllib3's Retry, but a server's ``Retry-After`` is honoured up to ``MAX_RETRY_AFTER`` seconds only."""

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), MAX_RETRY_AFTER)


MAX_RETRY_AFTER = 10.0


class _TimeoutSession(requests.Session):
    """Adds a default timeout, and makes an explicit CA bundle win over the environment's.

    (requests lets REQUESTS_CA_BUNDLE override ``Session.verify``; an explicit
    ``--cert`` or pip ``cert`` must not be silently replaced.)
    """

    #: Project pages in parsed form (:mod:`poncho.net.page_cache`); set by make_session when it caches.
    page_cache: Any = None

    def __init__(self, timeout: float, cert: str | None) -> None:
        super().__init__()
        self._timeout = timeout
        self._cert = cert
        self._proxies_for: dict[str, dict[str, str]] = {}  # scheme://host -> the environment's proxies
        if cert:
            self.verify = cert

    def request(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        if self._cert:
            kwargs.setdefault("verify", self._cert)
        return super().request(*args, **kwargs)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
        """requests' own, but the environment's proxies for a host are looked up once per session.

        requests scans the whole environment twice per request for them
        (``getproxies`` and ``no_proxy`` matching): about 0.4 ms each time
        on a machine with a long environment, over a cold lock's ~300
        requests. The answer depends only on the scheme and host, so it is
        kept per (scheme, host); the CA bundle variables are read as before.
        """
        if not self.trust_env or proxies is None or proxies:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        origin = url.split("/", 3)[:3]
        key = "/".join(origin)
        found = self._proxies_for.get(key)
        if found is None:
            from requests.utils import get_environ_proxies

            found = self._proxies_for[key] = get_environ_proxies(url)
        if verify is True or verify is None:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        from requests.sessions import merge_setting

        return {"proxies": merge_setting(dict(found), self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}




#: The most a project page or a metadata file may weigh, and the longest one request may take in all.
MAX_PAGE_BYTES = 128 * 1024 * 1024
MAX_METADATA_BYTES = 16 * 1024 * 1024
REQUEST_DEADLINE = 180.0


#: A refused answer this short is read, not dropped, so its connection serves the next request.
DRAIN_LIMIT = 16 * 1024


def discard(resp: requests.Response) -> None:
    """Done with a response whose body is not wanted (a 404 for an unadvertised ``.metadata``, say).

    Closing a response before its body is read closes its connection too,
    so the next request pays a new TCP and TLS handshake; a mirror that
    answers 404 to half the ``.metadata`` probes of a lock made that a
    third of its connections. A short body (``Content-Length`` up to
    ``DRAIN_LIMIT``) is read instead, within a short deadline, and the
    connection goes back to the pool; anything else is closed.
    """
    from poncho.errors import PonchoError

    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) <= DRAIN_LIMIT:
        try:
            read_body(resp, resp.url or "", DRAIN_LIMIT, deadline=DRAIN_DEADLINE)
            return
        except PonchoError:
            pass
    resp.close()


DRAIN_DEADLINE = 5.0


def _socket_of(resp: requests.Response) -> Any:
    """The socket under a streamed response: on the pooled connection, or (``Connection: close``,
    where http.client detaches it) under the response's file object, through CacheControl's wrapper."""
    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
    if sock is None:
        fp = getattr(getattr(resp.raw, "_fp", None), "fp", None)  # http.client's buffered socket file
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


def read_body(resp: requests.Response, url: str, limit: int | None = None, deadline: float | None = None,
              *, which: str | None = None) -> bytes:
    """A streamed response's body, at most ``limit`` bytes, within ``deadline`` seconds in all.

    A socket timeout bounds each read, not the whole body: a server that
    trickles a byte at a time would hold a run forever. The watchdog closes the
    connection at the deadline, which ends any read blocked on it. Over the
    limit it raises ``BadResponse`` (``TOO_LARGE``), or, when ``which`` names
    an :class:`~poncho.artifacts.limits.ArchiveLimits` field, ``OverLimit``
    naming it.
    """
    import socket

    from poncho.errors import BadResponse, IndexUnreachable, OverLimit, Reason

    limit = MAX_PAGE_BYTES if limit is None else limit
    deadline = REQUEST_DEADLINE if deadline is None else deadline

    def over(reason: str) -> BadResponse:
        return OverLimit(url, which, reason) if which else BadResponse(url, reason, kind=Reason.TOO_LARGE)

    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        resp.close()
        raise over(f"{int(declared)} bytes is over the {limit} byte limit")
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        # Closing the response does not wake a read blocked on the socket; shutting the socket does.
        sock = _socket_of(resp)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        resp.close()

    alarm = _WATCHDOG.schedule(deadline, expire)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise over(f"the body is over the {limit} byte limit")
            chunks.append(chunk)
    except (requests.exceptions.RequestException, OSError, AttributeError, ValueError) as exc:
        if expired.is_set():
            raise IndexUnreachable(url, f"no complete answer within {deadline:.0f} s", kind=Reason.TIMEOUT) from None
        raise IndexUnreachable(url, f"the answer broke off: {exc}"[:300]) from exc
    finally:
        _WATCHDOG.cancel(alarm)
        resp.close()
    if expired.is_set():
        raise IndexUnreachable(url, f"no complete answer within {deadline:.0f} s", kind=Reason.TIMEOUT)
    return b"".join(chunks)


class _Watchdog:
    """One thread that fires the deadline of every body being read.

    A ``threading.Timer`` per read started and stopped a thread each time:
    1-2 ms of CPU per request, a fifth of a cold lock's HTTP overhead over
    ~300 requests. Here a read registers an alarm in a heap and cancels it
    when done (dropping its callback at once, so nothing it holds outlives
    the read); one daemon thread, started on first use and again in a forked
    child, sleeps until the earliest alarm and runs it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list[Any]] = []  # [when, number, callback or None once cancelled]
        self._live: dict[int, list[Any]] = {}
        self._count = 0
        self._thread: threading.Thread | None = None

    def schedule(self, delay: float, callback: Callable[[], None]) -> int:
        with self._cond:
            self._count += 1
            alarm = [time.monotonic() + delay, self._count, callback]
            heapq.heappush(self._heap, alarm)
            self._live[self._count] = alarm
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="poncho-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is alarm:
                self._cond.notify()
            return self._count

    def cancel(self, number: int) -> None:
        with self._cond:
            alarm = self._live.pop(number, None)
            if alarm is not None:
                alarm[2] = None
                if len(self._heap) > 64 and len(self._live) < len(self._heap) // 2:
                    self._heap = [a for a in self._heap if a[2] is not None]  # drop what was cancelled
                    heapq.heapify(self._heap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                alarm = heapq.heappop(self._heap)
                self._live.pop(alarm[1], None)
                callback = alarm[2]
            if callback is not None:
                try:
                    callback()
                except Exception:  # an alarm that fails must not stop the others  # noqa: S110
                    pass


_WATCHDOG = _Watchdog()

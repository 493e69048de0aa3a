"""A cold lock's wire costs: connections kept, CA bundle loaded once, no request nobody needs.

Every test runs against the real loopback index (``support.index_server``),
which logs each request and, with ``keep_alive``, the client connection it
came on, so "one connection" and "no second request" are counted, not timed.
"""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from poncho.artifacts.wheel import wheel_metadata
from poncho.errors import BadResponse, Reason
from poncho.net import IndexFile, SimpleIndex, make_session
from poncho.net import session as session_mod
from poncho.net.page_cache import CompactPage
from poncho.net.rangezip import MAX_TAIL, TAIL, tail_size
from poncho.net.simple_api import parse_compact, split_files
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.index_server import IndexServer
from support.wheels import build_sdist, build_wheel, metadata_text


def _files(server: IndexServer, project: str) -> list[IndexFile]:
    return [f for f in SimpleIndex(make_session(None), server.url).project(project).files if f.is_wheel]


def test_a_refused_metadata_file_keeps_its_connection(tmp_path):
    """A listed ``.metadata`` the mirror answers with 404 is read, not dropped: the wheel's range request
    that follows, and every later one, reuse the one connection (closing it cost a TLS handshake each)."""
    with IndexServer(keep_alive=True, serve_metadata=False) as server:
        wheels = [server.add(build_wheel(tmp_path, f"plain{i}", "1.0")) for i in range(4)]
        files = [f for i in range(4) for f in _files(server, f"plain{i}")]
        assert all(f.core_metadata for f in files)
        session = make_session(None)
        server.log.clear()
        server.connections.clear()
        for wheel, file in zip(wheels, files):
            body, source = wheel_metadata(session, file)
            assert (body, source) == (wheel.metadata, "range")
        assert len(server.requests_for(".metadata")) == 4  # each listed, each refused
        assert len(server.log) == 8 and len(set(server.connections)) == 1


def test_a_refused_page_keeps_its_connection(tmp_path):
    with IndexServer(keep_alive=True) as server:
        server.add(build_wheel(tmp_path, "there", "1.0"))
        index = SimpleIndex(make_session(None), server.url)
        for name in ("missing-a", "there", "missing-b", "there"):
            try:
                index.project(name)
            except Exception:  # NotFound: what this test does not look at
                pass
        assert len(server.log) == 4 and len(set(server.connections)) == 1


def test_bodies_are_read_without_a_thread_each(tmp_path, monkeypatch):
    """Every body is read within a deadline; one watchdog thread keeps them all (a Timer per read
    started a thread per request, 1-2 ms of CPU each)."""
    with IndexServer(keep_alive=True) as server:
        for i in range(5):
            server.add(build_wheel(tmp_path, f"p{i}", "1.0"))
        index = SimpleIndex(make_session(None), server.url)
        index.project("p0")  # the watchdog starts here, if it was not running yet
        started: list[str] = []
        real_start = threading.Thread.start

        def start(self: threading.Thread) -> None:
            started.append(self.name)
            real_start(self)

        monkeypatch.setattr(threading.Thread, "start", start)
        for i in range(5):
            assert index.project(f"p{i}").files
        monkeypatch.undo()
        assert started == [] and len(server.log) == 6
        assert [t.name for t in threading.enumerate()].count("poncho-deadlines") == 1


def test_environment_proxies_are_looked_up_once_per_host_and_mean_the_same(monkeypatch):
    import requests

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "files.example")
    session = make_session(None)
    for url in ("https://pypi.org/simple/a/", "https://files.example/a.whl", "https://pypi.org/simple/b/",
                "http://files.example/b.whl"):
        ours = session.merge_environment_settings(url, {}, None, None, None)
        assert ours == requests.Session.merge_environment_settings(session, url, {}, None, None, None)
    assert session.merge_environment_settings("https://pypi.org/c", {}, None, None, None)["proxies"]["https"] \
        == "http://proxy.example:3128"
    assert session.merge_environment_settings("https://files.example/c", {}, None, None, None)["proxies"] == {}
    assert len(session._proxies_for) == 3  # pypi.org over https, files.example over https and http


def test_concurrent_first_connections_load_the_ca_bundle_once(monkeypatch):
    """The first requests of a run start together on the fetch threads: they wait for one context
    instead of each parsing the bundle (~0.1 s of CPU apiece, ahead of every first answer)."""
    import certifi
    import requests
    import urllib3.util.ssl_ as urllib3_ssl

    built: list[object] = []
    real = urllib3_ssl.create_urllib3_context

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(urllib3_ssl, "create_urllib3_context", counting)
    monkeypatch.setattr(session_mod, "_TLS_CONTEXTS", {})  # as at the start of a run
    session = make_session(None)
    adapter = session.get_adapter("https://index.example/")
    request = requests.Request("GET", "https://index.example/simple/").prepare()
    barrier = threading.Barrier(8)
    contexts: list[object] = []

    def connect() -> None:
        barrier.wait()
        contexts.append(adapter.build_connection_pool_key_attributes(request, certifi.where())[1]["ssl_context"])

    threads = [threading.Thread(target=connect) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and [id(c) for c in contexts] == [id(built[0])] * 8


def _lock_tree(server: IndexServer, tmp_path, cache_name: str) -> tuple[dict[str, str], dict[str, tuple]]:
    """Resolve ``app`` (wheels and an sdist-only dependency) against ``server`` with an empty cache: its
    pins, and each project's metadata as the resolver read it."""
    session = make_session(tmp_path / cache_name)
    target = Target.current()
    fetcher = MetadataFetcher(session, tmp_path / cache_name)
    repo = SimpleRepository([SimpleIndex(session, server.url)], fetcher, target)
    try:
        res = resolve(["app"], repo, target)
        metas = {p.name: repo.metadata(next(r for r in repo.releases(p.name) if r.version == p.version))
                 for p in res}
    finally:
        repo.close()
    return ({p.name: str(p.version) for p in res},
            {n: (m.name, m.version, [str(r) for r in m.requires_dist], m.requires_python) for n, m in metas.items()})


def _serve_tree(server: IndexServer, w) -> list[str]:
    """app -> lib-a, lib-b -> srconly (an sdist whose ``.metadata`` the server can serve); the files' names."""
    names = [server.add(build_wheel(w, "app", "1.0", requires_dist=["lib-a>=1", "lib-b"])).filename,
             server.add(build_wheel(w, "lib-a", "1.2", requires_dist=["srconly"])).filename,
             server.add(build_wheel(w, "lib-b", "2.0")).filename]
    sdist = server.add(build_sdist(w, "srconly", "0.5", requires_dist=["lib-b>=2"]))
    sdist.metadata = metadata_text("srconly", "0.5", ["lib-b>=2"]).encode()
    return names + [sdist.filename]


@pytest.mark.parametrize("api", ["json", "html"])
def test_an_unlisted_metadata_file_is_never_requested(tmp_path, api):
    """PEP 658/714: a client asks for ``<file>.metadata`` only when the page lists it. The server here
    would serve every one, yet a page that lists none gets none asked for: each wheel's METADATA comes from
    its tail (one range request) and the sdist's from the sdist. A listed one, under either key, is used
    instead of the file, and the resolution and every metadata read are the same."""
    runs = {}
    for mode in ("unlisted", "listed", "legacy-key"):
        with IndexServer(advertise_metadata=mode != "unlisted", legacy_metadata_key=mode == "legacy-key",
                         json_api=api == "json") as server:
            filenames = _serve_tree(server, tmp_path / "w")
            runs[mode] = _lock_tree(server, tmp_path, f"cache-{mode}")
            asked = [r for r in server.log if r[1].endswith(".metadata")]
            files = [r for r in server.log if r[1].startswith("/files/") and not r[1].endswith(".metadata")]
            if mode == "unlisted":
                assert asked == []
                ranges = [r for r in files if r[1].endswith(".whl")]
                assert len(ranges) == 3 and all("Range" in h for _, _, h in ranges)  # one tail per wheel
                assert [r[1] for r in files if not r[1].endswith(".whl")] == [f"/files/{filenames[3]}"]
            else:
                assert sorted(r[1] for r in asked) == sorted(f"/files/{f}.metadata" for f in filenames)
                assert files == []  # no wheel or sdist byte read
    assert runs["unlisted"][0] == {"app": "1.0", "lib-a": "1.2", "lib-b": "2.0", "srconly": "0.5"}
    assert runs["unlisted"] == runs["listed"] == runs["legacy-key"]


def test_a_file_the_page_says_has_no_metadata_file_is_read_directly(tmp_path):
    """``core-metadata: false`` is as good as unlisted: the wheel is read, nothing else asked."""
    with IndexServer() as server:
        wheel = server.add(build_wheel(tmp_path, "said-no", "1.0"))
        (file,) = _files(server, "said-no")
        server.log.clear()
        no = IndexFile(file.filename, file.url, file.hashes, size=file.size, core_metadata=False)
        assert wheel_metadata(make_session(None), no) == (wheel.metadata, "range")
        assert not server.requests_for(".metadata") and len(server.log) == 1


def test_a_metadata_file_is_cached_once(tmp_path):
    """The resolver's metadata cache keeps a ``.metadata`` body; the HTTP cache keeps no second copy."""
    cache = tmp_path / "cache"
    with IndexServer() as server:
        server.add(build_wheel(tmp_path / "w", "solo", "1.0"))
        session = make_session(cache)
        target = Target.current()
        repo = SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, cache), target)
        try:
            assert [p.name for p in resolve(["solo"], repo, target)] == ["solo"]
        finally:
            repo.close()
    assert len(list((cache / "metadata").rglob("*.metadata"))) == 1
    http = [p for p in (cache / session_mod.HTTP_CACHE).rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert http == []  # the page went to the page cache, the .metadata to the metadata cache


def test_answers_nobody_stores_are_not_copied_by_the_http_cache(tmp_path):
    """CacheControl copied each body it might store into a temporary file as it was read (a cold lock's
    52 MB of pages among them), then dropped it: a no-store request, a 206 and a 404 now bypass it."""
    from cachecontrol.filewrapper import CallbackFileWrapper

    cache = tmp_path / "cache"
    with IndexServer() as server:
        wheel = server.add(build_wheel(tmp_path / "w", "kept", "1.0"))
        session = make_session(cache)
        files = server.base + "/files/" + wheel.filename
        answers = {
            "no-store page": session.get(server.url + "kept/", stream=True,
                                         headers={"Cache-Control": "no-cache, no-store"}),
            "range": session.get(files, stream=True, headers={"Range": "bytes=0-9"}),
            "missing": session.get(files + ".nothing", stream=True),
        }
        assert [r.status_code for r in answers.values()] == [200, 206, 404]
        for what, resp in answers.items():
            assert not isinstance(resp.raw._fp, CallbackFileWrapper), what
            resp.content  # noqa: B018 - read it all
        stored = session.get(files + ".metadata", stream=True)  # what the HTTP cache is for: kept
        assert isinstance(stored.raw._fp, CallbackFileWrapper)
        assert stored.content == wheel.metadata
        server.log.clear()
        assert session.get(files + ".metadata").content == wheel.metadata and server.log == []


def test_a_central_directory_larger_than_the_tail_costs_one_more_request(tmp_path):
    """The tail (128 KiB) holds the end record but not the whole directory of a wheel with thousands of
    files: the next request asks only for the bytes not held, plus as much again before them, where the
    wheel keeps RECORD and METADATA, so METADATA comes with it (it cost two more, overlapping, before)."""
    files = {f"bigpkg/sub_{i:05d}/module_with_a_long_name_{i:05d}.py": f"x = {i}\n" for i in range(2500)}
    with IndexServer(serve_metadata=False, advertise_metadata=False) as server:
        wheel = server.add(build_wheel(tmp_path, "bigpkg", "1.0", files=files))
        (file,) = _files(server, "bigpkg")
        assert file.size is not None and file.size > 3 * TAIL
        server.log.clear()
        body, source = wheel_metadata(make_session(None), file)
        assert (body, source) == (wheel.metadata, "range")
        ranges = [r[2]["Range"] for r in server.log if "Range" in r[2]]
        assert len(ranges) == 2
        spans = [tuple(int(x) for x in r.split("=", 1)[1].split("-")) for r in ranges]
        (first_start, first_end), (second_start, second_end) = spans
        assert first_end == file.size - 1 and second_end == first_start - 1  # no byte asked twice


def test_a_big_wheel_is_read_with_one_larger_tail(tmp_path):
    """A 16 MiB wheel of 1,200 modules (numpy's shape) keeps its directory, RECORD and METADATA in its last
    ~200 KiB: more than 128 KiB, so the first request asks for 1/32 of the file (512 KiB at most) and
    METADATA costs that one request instead of two."""
    import os
    import zipfile

    files: dict[str, bytes | str] = {f"bignum/core/sub_{i:04d}/module_{i:04d}.py": f"x = {i}\n" for i in range(1200)}
    files["bignum/_core.so"] = os.urandom(16 * 1024 * 1024)  # incompressible, as a compiled library is
    with IndexServer(serve_metadata=False, advertise_metadata=False) as server:
        wheel = server.add(build_wheel(tmp_path, "bignum", "1.0", files=files))
        (file,) = _files(server, "bignum")
        assert file.size is not None
        with zipfile.ZipFile(wheel.path) as zf:  # what one request must cover, from the METADATA header on
            need = file.size - next(i.header_offset for i in zf.infolist() if i.filename.endswith("/METADATA"))
        assert TAIL < need <= tail_size(file.size) == MAX_TAIL  # 128 KiB would need a second request
        server.log.clear()
        assert wheel_metadata(make_session(None), file) == (wheel.metadata, "range")
        assert [r[2].get("Range") for r in server.log] == [f"bytes={file.size - MAX_TAIL}-{file.size - 1}"]
    assert [tail_size(n) for n in (0, 100_000, 4 << 20, 8 << 20, 1 << 30)] == [TAIL, TAIL, TAIL, 256 << 10, MAX_TAIL]


def test_a_requirement_that_rules_out_the_fetched_ahead_release_fetches_the_new_one_at_once(tmp_path):
    """pandas asks ``python-dateutil>=2.8.2`` (4.0 is fetched ahead); botocore's ``<3`` then arrives: 2.9's
    metadata is fetched as soon as that requirement is known, not when the resolver gets to it."""
    import time

    from packaging.requirements import Requirement

    with IndexServer() as server:
        for version in ("1.0", "2.0"):
            server.add(build_wheel(tmp_path, "dateish", version))
        session = make_session(None)
        target = Target.current()
        repo = SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, None), target)
        try:
            repo.prefetch("dateish", Requirement("dateish>=0.5"))
            assert [str(r.version) for r in repo.releases("dateish")] == ["2.0", "1.0"]
            repo.prefetch("dateish", Requirement("dateish<2"))  # what a dependency's metadata says
            deadline = time.monotonic() + 10
            while not server.requests_for("dateish-1.0-py3-none-any.whl.metadata") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert server.requests_for("dateish-1.0-py3-none-any.whl.metadata")  # nobody asked metadata()
            assert server.requests_for("dateish-2.0-py3-none-any.whl.metadata")
            repo.prefetch("dateish", Requirement("dateish<1.5"))  # 1.0 still fits: nothing more is fetched
            time.sleep(0.2)
            assert len(server.requests_for(".metadata")) == 2
        finally:
            repo.close()


# PyPI's page layout, split by release without decoding ------------------------------------------

def _pypi_page(entries: list[dict], name: str = "demo") -> bytes:
    """A page as PyPI writes it: keys sorted, ", " and ": " separators."""
    return json.dumps({"files": entries, "meta": {"_last-serial": 1, "api-version": "1.1"}, "name": name,
                       "versions": []}, sort_keys=True).encode()


def _entry(filename: str, **extra: object) -> dict:
    entry: dict = {"filename": filename, "hashes": {"sha256": "a" * 64}, "requires-python": None, "size": 10,
                   "upload-time": "2025-01-01T00:00:00Z", "url": f"https://files.example/{filename}",
                   "yanked": False}
    entry.update(extra)
    return entry


def _both(body: bytes) -> tuple[object, object]:
    """(fast, full): each page's releases as (version, all yanked, files), and its other entries."""
    import poncho.net.simple_api as simple_api

    def read(page) -> object:  # type: ignore[no-untyped-def]
        out = []
        for r in page.releases:
            try:
                files = [(f, f.hashes, f.size) for f in r.load()]
            except BadResponse as exc:
                files = [exc.kind]
            out.append((r.version, r.yanked, files))
        return out, page.other

    fast = read(parse_compact("demo", PAGE, body, JSON_TYPE))
    real = simple_api.split_files
    try:
        simple_api.split_files = lambda *a: None  # type: ignore[assignment]
        full = read(parse_compact("demo", PAGE, body, JSON_TYPE))
    finally:
        simple_api.split_files = real
    return fast, full


PAGE = "https://index.example/simple/demo/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
NASTY = st.sampled_from(['}, {"', '}, {"filename": "demo-6.6.6.tar.gz', '"', "\\", "[", "]", "{", "}", "é",
                         '"yanked": true', "\u2028", ""])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["1.0", "1.1", "2.0rc1", "2.0"]),
                          st.sampled_from(["-py3-none-any.whl", ".tar.gz", "-cp311-cp311-linux_x86_64.whl"]),
                          st.sampled_from([False, True, "broken", ""]),
                          st.lists(NASTY, max_size=3).map("".join)), max_size=8),
       st.sampled_from(["demo", "other"]))
def test_a_split_page_reads_exactly_as_the_decoded_one(files, project):
    """Whatever the strings hold (separators, quotes, brackets, a fake filename inside a URL), the split
    gives the releases, yanked flags, files and other entries a full decode gives, or is not used."""
    entries = [_entry(f"{project}-{v}{suffix}", yanked=yanked, url=f"https://files.example/{project}-{v}{nasty}")
               for v, suffix, yanked, nasty in files]
    fast, full = _both(_pypi_page(entries))
    assert fast == full


def test_pypi_pages_are_split_and_other_layouts_decoded():
    entries = [_entry("demo-1.0-py3-none-any.whl"), _entry("demo-1.0.tar.gz", yanked="bad"),
               _entry("demo-2.0-py3-none-any.whl", yanked=True), _entry("demo.exe")]
    assert split_files(canonicalize_name("demo"), PAGE, _pypi_page(entries)) is not None
    compact = json.dumps({"files": entries, "meta": {}, "name": "demo"}, separators=(",", ":")).encode()
    nested = _pypi_page([_entry("demo-1.0-py3-none-any.whl", provenance=[{"a": 1}, {"b": 2}])])
    for body in (compact, nested, json.dumps({"name": "demo", "files": entries}).encode()):
        assert split_files(canonicalize_name("demo"), PAGE, body) is None  # and parse_compact decodes it
        assert [r.version for r in parse_compact("demo", PAGE, body, JSON_TYPE).releases]
    page = parse_compact("demo", PAGE, _pypi_page(entries), JSON_TYPE)
    assert [(r.version, r.yanked) for r in page.releases] == [("1.0", False), ("2.0", True)]
    assert [e["filename"] for e in page.other] == ["demo.exe"]
    back = CompactPage.deserialize(page.serialize())  # the page cache keeps the text, decoded when read
    assert back is not None and [r.load() for r in back.releases] == [r.load() for r in page.releases]


def test_a_split_release_holding_another_releases_file_is_a_bad_page():
    """Only a page built to fool the split (a duplicate key, an entry without a filename: valid JSON)
    can put a file under another release; reading that release says the page is bad."""
    h = '"hashes": {"sha256": "' + "a" * 64 + '"}'
    body = ('{"files": [{"filename": "demo-1.0-py3-none-any.whl", "filename": "demo-2.0-py3-none-any.whl", '
            f'{h}, "url": "https://files.example/demo-2.0-py3-none-any.whl"}}, {{{h}, "url": "https://x/"}}], '
            '"meta": {"api-version": "1.1"}, "name": "demo", "versions": []}').encode()
    assert split_files(canonicalize_name("demo"), PAGE, body) is not None
    page = parse_compact("demo", PAGE, body, JSON_TYPE)
    assert [r.version for r in page.releases] == ["1.0", "2.0"]
    with pytest.raises(BadResponse) as info:
        page.releases[0].load()  # its one file says 2.0
    assert info.value.kind is Reason.BAD_PAGE
    with pytest.raises(BadResponse):
        page.releases[1].load()  # an entry without a filename
    with pytest.raises(BadResponse):  # what a full decode says of the same page, at once
        parse_compact("demo", PAGE, body.replace(b'{"files": [{', b'{"files": [ {'), JSON_TYPE)


@pytest.mark.parametrize("other", [
    b'{"filename": "foo-1.0.exe", "url": x}',  # no JSON: a ValueError
    b'{"filename": "foo-1.0.exe", "url": ' + b'{"a": ' * 100_000 + b'1' + b'}' * 100_000 + b'}',  # RecursionError
    b'{"filename": "foo-1.0.exe", "url": "u"}, 5, {"a": 1}',  # JSON, but an entry that is no object
])
def test_a_malformed_entry_of_another_kind_is_a_bad_page(index_server, tmp_path, other):
    """An entry that is no release file (.exe, .egg) is decoded with the page's remainder; when it is no
    JSON object the page is a BadResponse naming it, never an internal error (exit 70)."""
    index_server.add(build_wheel(tmp_path, "foo", "1.0"))
    body = (b'{"files": [{"filename": "foo-1.0-py3-none-any.whl", "url": "/files/foo-1.0-py3-none-any.whl"}, '
            + other + b'], "meta": {"api-version": "1.1"}, "name": "foo", "versions": []}')
    index_server.project_json = lambda project: body  # type: ignore[method-assign]
    with pytest.raises(BadResponse) as info:
        SimpleIndex(make_session(None), index_server.url).project("foo")
    assert info.value.url == index_server.url + "foo/"
    assert info.value.kind is Reason.BAD_PAGE


@pytest.mark.parametrize("serves_metadata", [True, False])
def test_a_server_that_ignores_ranges_is_asked_for_the_unlisted_metadata_file_before_the_whole_wheel(
        tmp_path, serves_metadata):
    """The design's "metadata without downloads" on a mirror that strips the listing and ignores Range:
    the range request's whole-file answer is dropped unread, and the unadvertised ``.metadata`` file is
    asked for; only a mirror that serves neither costs a download. Results are the same either way."""
    with IndexServer(range_support=False, advertise_metadata=False, serve_metadata=serves_metadata) as server:
        filenames = _serve_tree(server, tmp_path / "w")
        session = make_session(None)
        fetcher = MetadataFetcher(session, None)
        repo = SimpleRepository([SimpleIndex(session, server.url)], fetcher, Target.current())
        try:
            pins = {p.name: str(p.version) for p in resolve(["app"], repo, Target.current())}
        finally:
            repo.close()
        wheels = [f for f in filenames if f.endswith(".whl")]
        asked = sorted(r[1] for r in server.log if r[1].endswith(".metadata"))
        assert asked == sorted(f"/files/{f}.metadata" for f in wheels)  # the sdist is read, never probed
        gets = {f: [r for r in server.log if r[1] == f"/files/{f}"] for f in wheels}
        if serves_metadata:
            assert fetcher.stats["pep658"] == 3 and fetcher.stats["range"] == 0
            assert all(len(g) == 1 and "Range" in g[0][2] for g in gets.values())  # one refused range each
        else:
            assert fetcher.stats["range"] == 3 and fetcher.stats["pep658"] == 0
            assert all(len(g) == 2 for g in gets.values())  # the refused range, then the download
    assert pins == {"app": "1.0", "lib-a": "1.2", "lib-b": "2.0", "srconly": "0.5"}


def test_a_server_that_honours_ranges_is_never_asked_for_an_unlisted_metadata_file(tmp_path):
    with IndexServer(range_support=True, advertise_metadata=False) as server:
        server.add(build_wheel(tmp_path / "w", "solo", "1.0"))
        (file,) = _files(server, "solo")
        assert wheel_metadata(make_session(None), file)[1] == "range"
        assert not server.requests_for(".metadata")

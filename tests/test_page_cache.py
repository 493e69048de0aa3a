"""Project pages are decoded once per change and read lazily, against a real loopback index."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from poncho.net import SimpleIndex, make_session
from poncho.net.page_cache import CompactPage, PageCache
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.wheels import build_wheel


def _index(server, cache, *, ttl: float = 600, offline: bool = False) -> tuple[SimpleIndex, PageCache]:
    """One run's view of the index: a fresh session and page cache over the same cache directory."""
    pages = PageCache(cache, ttl=ttl, offline=offline)
    return SimpleIndex(make_session(cache, offline=offline), server.url, pages=pages), pages


def _page_requests(server) -> int:
    return len(server.requests_for("/simple/lib/"))


def _serve_lib(server, w, versions=("1.0", "2.0")) -> None:
    for v in versions:
        server.add(build_wheel(w, "lib", v))


def test_a_page_is_decoded_once_then_answered_from_disk(index_server, tmp_path):
    _serve_lib(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    index, pages = _index(index_server, cache)
    first = index.compact("lib")
    assert pages.stats["decoded"] == 1 and first.from_network
    assert sorted(r.version for r in first.releases) == ["1.0", "2.0"]

    index, pages = _index(index_server, cache)  # the next run, within the page lifetime
    again = index.compact("lib")
    assert pages.stats == {"decoded": 0, "reused": 0, "fresh": 1, "rewritten": 0}
    assert _page_requests(index_server) == 1 and not again.from_network
    assert [f.filename for f in again.files()] == [f.filename for f in first.files()]


def test_a_refetched_unchanged_page_is_not_decoded_again(index_server, tmp_path):
    _serve_lib(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    _index(index_server, cache)[0].compact("lib")
    index, pages = _index(index_server, cache, ttl=0)  # expired: ask the index, whose page is the same
    page = index.compact("lib")
    assert _page_requests(index_server) == 2
    assert pages.stats["decoded"] == 0 and pages.stats["reused"] == 1 and page.from_network


def test_a_changed_page_is_decoded_and_replaces_the_entry(index_server, tmp_path):
    w = tmp_path / "w"
    _serve_lib(index_server, w)
    cache = tmp_path / "cache"
    _index(index_server, cache)[0].compact("lib")
    index_server.add(build_wheel(w, "lib", "3.0"))  # a new release: the page's bytes change
    index, pages = _index(index_server, cache, ttl=0)
    assert sorted(r.version for r in index.compact("lib").releases) == ["1.0", "2.0", "3.0"]
    assert pages.stats["decoded"] == 1 and pages.stats["rewritten"] == 1
    index, pages = _index(index_server, cache)
    assert sorted(r.version for r in index.compact("lib").releases) == ["1.0", "2.0", "3.0"]
    assert pages.stats["fresh"] == 1


def _cached_lib(index_server, tmp_path) -> tuple[Path, Path, bytes]:
    """(cache directory, lib's page entry, its bytes) after one run read lib's page."""
    _serve_lib(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    index, pages = _index(index_server, cache)
    index.compact("lib")
    entry = pages.path(index.index_url, canonicalize_name("lib"))
    return cache, entry, entry.read_bytes()


def test_a_corrupt_entry_is_ignored_and_rewritten(index_server, tmp_path):
    """A truncated, appended-to, foreign or header-damaged entry is a miss when it is opened."""
    cache, entry, good = _cached_lib(index_server, tmp_path)
    in_header = good.index(b"url")
    for damaged in (good[:len(good) // 2], good[:-1], good + b"x", b"", b"\x00garbage",
                    good[:in_header] + bytes([good[in_header] ^ 1]) + good[in_header + 1:]):
        entry.write_bytes(damaged)
        assert CompactPage.deserialize(damaged) is None
        index, pages = _index(index_server, cache)
        page = index.compact("lib")
        assert pages.stats["decoded"] == 1 and pages.stats["rewritten"] == 1
        assert sorted(r.version for r in page.releases) == ["1.0", "2.0"]
        assert CompactPage.deserialize(entry.read_bytes()) is not None


def test_a_damaged_release_is_caught_when_decoded_and_its_entry_removed(index_server, tmp_path):
    """A release is checked when it is decoded, not when the entry is opened (an offline lock does not read
    every cached page whole): damaged bytes stop the run with DamagedCache, never a wrong file list, and
    the entry is removed so the next run fetches the page again."""
    from poncho.errors import DamagedCache, ExitCode, Reason

    cache, entry, good = _cached_lib(index_server, tmp_path)
    last = len(good) - 20  # inside the last release's entries (the oldest: 1.0)
    entry.write_bytes(good[:last] + bytes([good[last] ^ 1]) + good[last + 1:])
    index, pages = _index(index_server, cache, offline=True)
    page = index.compact("lib")  # the header is whole: the entry opens
    newest, oldest = page.releases
    assert newest.version == "2.0" and [f.filename for f in newest.load()] == ["lib-2.0-py3-none-any.whl"]
    try:
        oldest.load()
    except DamagedCache as exc:
        assert exc.kind is Reason.DAMAGED_CACHE and exc.exit_code is ExitCode.INDEX
        assert exc.url == page.url and exc.entry == str(entry)
    else:
        raise AssertionError("a damaged release was decoded")
    assert not entry.exists()
    index, pages = _index(index_server, cache)
    assert sorted(f.filename for f in index.compact("lib").files()) == ["lib-1.0-py3-none-any.whl",
                                                                        "lib-2.0-py3-none-any.whl"]
    assert pages.stats["decoded"] == 1 and entry.exists()


def test_offline_answers_from_an_entry_of_any_age(index_server, tmp_path):
    _serve_lib(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    _index(index_server, cache)[0].compact("lib")
    index_server.down = True
    index, pages = _index(index_server, cache, ttl=0, offline=True)
    assert sorted(r.version for r in index.compact("lib").releases) == ["1.0", "2.0"]
    assert pages.stats["fresh"] == 1


def test_releases_the_resolver_never_looks_at_are_never_decoded(index_server, tmp_path):
    w = tmp_path / "w"
    _serve_lib(index_server, w, versions=("1.0", "1.1", "1.2", "2.0"))
    index_server.add(build_wheel(w, "app", "1.0", requires_dist=["lib"]))
    cache = tmp_path / "cache"
    session = make_session(cache)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, cache), target)
    try:
        res = resolve(["app"], repo, target)
        assert str(res.pins["lib"].version) == "2.0"
        decoded = {str(r.version) for r in repo.releases("lib") if "files" in vars(r)}
    finally:
        repo.close()
    assert decoded == {"2.0"}  # Release.files is decoded on first use only


def _v2_entry(page: CompactPage) -> bytes:
    """``page`` as poncho wrote it before v3: one CRC-32 over the whole entry, none per release."""
    import json
    import zlib

    header: dict = {"digest": page.digest, "url": page.url, "name": page.name, "kind": page.kind,
                    "other": page.other, "releases": [], "valid": page.newest_first()}
    chunks, offset = [], 0
    for r in page.releases:
        chunk = r.stored()
        header["releases"].append([r.version, r.yanked, offset, len(chunk)])
        chunks.append(chunk)
        offset += len(chunk)
    rest = json.dumps(header, separators=(",", ":")).encode() + b"\n" + b"".join(chunks)
    return b"poncho-page-2 %08x\n%s" % (zlib.crc32(rest), rest)


def test_an_entry_of_the_previous_layout_is_a_miss_and_kept_apart(index_server, tmp_path):
    """The v3 layout (a CRC per release, checked when the release is decoded) lives in its own directory
    with its own frame: an older poncho sharing the cache keeps reading its v2 entries, never the new ones,
    and a v2 entry found where v3 is read is a miss that is rewritten, never a crash."""
    _serve_lib(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    index, pages = _index(index_server, cache)
    page = index.compact("lib")
    entry = pages.path(index.index_url, canonicalize_name("lib"))
    assert entry.relative_to(cache).parts[0] == "pages-v3"
    old = _v2_entry(page)
    older_poncho = cache / "pages-v2" / entry.parent.name / entry.name  # what an older poncho reads and writes
    older_poncho.parent.mkdir(parents=True)
    older_poncho.write_bytes(old)
    entry.write_bytes(old)  # a v2 entry where v3 is read (say, a copied cache)
    assert CompactPage.deserialize(old) is None
    index, pages = _index(index_server, cache)
    again = index.compact("lib")
    assert pages.stats["decoded"] == 1 and pages.stats["rewritten"] == 1
    assert [f.filename for f in again.files()] == [f.filename for f in page.files()]
    assert CompactPage.deserialize(entry.read_bytes()) is not None
    assert older_poncho.read_bytes() == old  # the older poncho's entry is left as it wrote it


def test_large_entries_are_mapped_but_never_hold_more_than_a_few_file_descriptors(tmp_path):
    """A resolution reads hundreds of pages: mapping each (before Python 3.13 a mapping holds a descriptor)
    would run a process out of descriptors (macOS allows 256). Past the cap, entries are read whole, and a
    page reads the same either way."""
    import os

    from poncho.net import IndexFile, page_cache

    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("counts descriptors through /proc")
    files = [IndexFile(f"big-{v}.{p}-py3-none-any.whl", f"https://files.example/{'x' * 150}/{v}.{p}.whl",
                       {"sha256": "a" * 64}) for v in range(40) for p in range(40)]
    entry = CompactPage.from_files(canonicalize_name("big"), "https://example/simple/big/", "d", files).serialize()
    assert len(entry) >= page_cache._MAP_MIN  # large enough to be mapped
    cache = PageCache(tmp_path)
    count = page_cache._MAP_MAX + 16
    for i in range(count):
        path = cache.path("https://example/simple/", canonicalize_name(f"big{i}"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(entry)
    before = len(os.listdir(fd_dir))
    pages = [cache.load("https://example/simple/", canonicalize_name(f"big{i}"), fresh_only=False)
             for i in range(count)]
    assert len(os.listdir(fd_dir)) - before <= 64
    assert all(p is not None and [f.filename for f in p.releases[0].load()] == [f.filename for f in
               pages[0].releases[0].load()] for p in pages)
    assert sorted(f.filename for f in pages[-1].files()) == sorted(f.filename for f in files)  # read whole
    del pages
    import gc

    gc.collect()
    assert len(os.listdir(fd_dir)) <= before  # the mappings closed with their pages


def test_a_mapped_entry_replaced_by_another_run_still_reads_as_it_was_opened(tmp_path):
    """Entries are replaced by rename (another run refreshing the page), never rewritten in place: a page this
    run opened keeps reading its own bytes, and the next open sees the new entry."""
    from poncho.fileio import write_cache_entry
    from poncho.net import IndexFile, page_cache

    def entry(versions: range) -> bytes:
        files = [IndexFile(f"big-{v}.{p}-py3-none-any.whl", f"https://files.example/{'x' * 150}/{v}.{p}.whl",
                           {"sha256": "a" * 64}) for v in versions for p in range(40)]
        return CompactPage.from_files(canonicalize_name("big"), "https://example/simple/big/", "d", files).serialize()

    old, new = entry(range(40)), entry(range(100, 140))
    assert min(len(old), len(new)) >= page_cache._MAP_MIN
    cache = PageCache(tmp_path)
    path = cache.path("https://example/simple/", canonicalize_name("big"))
    path.parent.mkdir(parents=True)
    path.write_bytes(old)
    opened = cache.load("https://example/simple/", canonicalize_name("big"), fresh_only=False)
    assert opened is not None
    assert write_cache_entry(path, new, "project page")  # another run's refresh
    assert sorted({f.filename.split("-")[1] for f in opened.files()}) == sorted(f"{v}.{p}" for v in range(40)
                                                                               for p in range(40))
    reopened = cache.load("https://example/simple/", canonicalize_name("big"), fresh_only=False)
    assert reopened is not None and reopened.files()[0].filename.startswith("big-1")
    assert {f.filename.split("-")[1].split(".")[0] for f in reopened.files()} == {str(v) for v in range(100, 140)}


def test_an_offline_resolution_reads_on_the_resolvers_thread(index_server, tmp_path):
    """Offline there is no network to lead: no fetch thread starts, nothing is read ahead, and the answer is
    the online one."""
    import threading

    w = tmp_path / "w"
    _serve_lib(index_server, w, versions=("1.0", "2.0"))
    index_server.add(build_wheel(w, "app", "1.0", requires_dist=["lib"]))
    cache = tmp_path / "cache"
    target = Target.current()

    def lock(offline: bool) -> tuple[str, SimpleRepository, set[str]]:
        session = make_session(cache, offline=offline)
        before = {t.name for t in threading.enumerate()}
        repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, cache, offline),
                                target)
        try:
            res = resolve(["app"], repo, target)
            started = {t.name for t in threading.enumerate()} - before
        finally:
            repo.close()
        return str(res.pins["lib"].version), repo, started

    online = lock(False)
    assert online[0] == "2.0" and any(n.startswith("poncho-fetch") for n in online[2])  # the test can fail
    index_server.down = True
    version, repo, started = lock(True)
    assert version == "2.0" and not any(n.startswith("poncho-fetch") for n in started)
    assert repo.stats.speculated == 0 and not repo.speculate

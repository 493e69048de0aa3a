"""On-disk caches of what files say (metadata, probe file lists) are keyed by index and survive damage.

Two real loopback indexes list a file with the same claimed sha256 but
different content; one's cached answer must never stand in for the other's.
Entries that are truncated, empty, garbage or of another schema read as
misses and are rewritten; a cache that cannot be written costs one warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from poncho.index_cache import LiveProbe
from poncho.net import SimpleIndex, make_session
from poncho.paths import index_digest
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.index_server import IndexServer
from support.wheels import build_wheel, metadata_text


def _pins(server: IndexServer, cache: Path, reqs: list[str]) -> dict[str, str]:
    session = make_session(None)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, cache), target)
    try:
        return {name: str(pin.version) for name, pin in resolve(reqs, repo, target).pins.items()}
    finally:
        repo.close()


def test_index_digest_names_one_index_however_its_url_is_spelled():
    assert index_digest("https://alice:s3cret@PyPI.org:443/simple") == index_digest("https://pypi.org/simple/")
    assert index_digest("https://pypi.org/simple/") != index_digest("https://mirror.example/simple/")
    assert index_digest("http://127.0.0.1:8080/simple/") != index_digest("http://127.0.0.1:8081/simple/")


# one index must not poison another's metadata ----------------------------------------------------------

def test_a_mirrors_metadata_for_the_same_claimed_hash_never_answers_for_another_index(tmp_path):
    """Index A serves lib 1.0's wheel with a .metadata adding a dependency; index B serves the same wheel
    (same sha256) with its true metadata. A lock from B after one from A must not carry A's dependency."""
    wheel = build_wheel(tmp_path / "w", "lib", "1.0")
    evil = build_wheel(tmp_path / "w", "evil-dep", "1.0")
    cache = tmp_path / "cache"
    with IndexServer() as a, IndexServer() as b:
        for server in (a, b):
            server.add(wheel)
            server.add(evil)
        a.files[wheel.name].metadata = metadata_text("lib", "1.0", requires_dist=["evil-dep"]).encode()
        assert a.files[wheel.name].sha256 == b.files[wheel.name].sha256
        assert _pins(a, cache, ["lib"]) == {"lib": "1.0", "evil-dep": "1.0"}
        assert _pins(b, cache, ["lib"]) == {"lib": "1.0"}  # B's own metadata, fetched from B
        assert b.requests_for(f"/files/{wheel.name}.metadata")
        b.log.clear()
        assert _pins(b, cache, ["lib"]) == {"lib": "1.0"}  # and cached for B, separately
        assert not b.requests_for(f"/files/{wheel.name}.metadata")


def test_a_wheel_file_list_cached_for_one_index_never_answers_for_another(tmp_path):
    """Both indexes claim one sha256 for python-widget's wheel; only A's wheel provides ``widget``."""
    real = build_wheel(tmp_path / "a", "python-widget", "2.0", files={"widget/__init__.py": ""})
    other = build_wheel(tmp_path / "b", "python-widget", "2.0", files={"gadget/__init__.py": ""})
    cache = tmp_path / "probe"
    with IndexServer() as a, IndexServer() as b:
        a.add(real)
        b.add(other)
        b.hash_overrides[other.name] = a.files[real.name].sha256  # B claims A's hash
        assert LiveProbe(SimpleIndex(make_session(None), a.url), cache).provided_by("python-widget") == {"widget"}
        found = LiveProbe(SimpleIndex(make_session(None), b.url), cache).provided_by("python-widget")
        assert found == {"gadget"} and b.requests_for(f"/files/{other.name}")


# damaged entries read as misses and are rewritten ----------------------------------------------------

DAMAGE = {
    "truncated": lambda raw: raw[: raw.index(b"Requires-Dist")] if b"Requires-Dist" in raw else raw[: len(raw) // 2],
    "empty": lambda raw: b"",
    "garbage": lambda raw: b"<html>captive portal</html>\x00\xff",
    "old-layout": lambda raw: raw.partition(b"\n")[2],  # the bare METADATA an older version wrote
    "other-key": lambda raw: raw.replace(raw.split(b" ")[1], b"0" * 32, 1),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_metadata_entry_is_a_miss_and_is_rewritten(index_server, tmp_path, damage):
    """A truncated entry can still parse, without its Requires-Dist: believed, it would drop a dependency."""
    wheel = index_server.add(build_wheel(tmp_path / "w", "lib", "1.0", requires_dist=["dep"]))
    index_server.add(build_wheel(tmp_path / "w", "dep", "1.0"))
    cache = tmp_path / "cache"
    assert _pins(index_server, cache, ["lib"]) == {"lib": "1.0", "dep": "1.0"}
    (entry,) = (cache / "metadata").rglob(f"{wheel.sha256}.metadata")
    good = entry.read_bytes()
    entry.write_bytes(DAMAGE[damage](good))
    index_server.log.clear()
    assert _pins(index_server, cache, ["lib"]) == {"lib": "1.0", "dep": "1.0"}
    assert index_server.requests_for(f"/files/{wheel.filename}.metadata")  # fetched again
    assert entry.read_bytes() == good  # and rewritten whole


@pytest.mark.parametrize("damage", ["truncated", "empty", "garbage", "old-format", "other-index", "not-an-object"])
def test_a_damaged_probe_entry_is_a_miss_and_is_rewritten(index_server, tmp_path, damage):
    wheel = index_server.add(build_wheel(tmp_path / "w", "python-widget", "2.0", files={"widget/__init__.py": ""}))
    cache = tmp_path / "probe"
    probe = lambda: LiveProbe(SimpleIndex(make_session(None), index_server.url), cache)  # noqa: E731
    assert probe().provided_by("python-widget") == {"widget"}
    (entry,) = cache.rglob(f"{wheel.sha256}.json")
    good = entry.read_bytes()
    data = json.loads(good)
    entry.write_bytes({
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "garbage": b"\xff\xfe not json",
        "old-format": json.dumps({"format": 1, "sha256": wheel.sha256, "provided": ["evil"]}).encode(),
        "other-index": json.dumps({**data, "index": "0" * 32, "provided": ["evil"]}).encode(),
        "not-an-object": b"[1, 2, 3]",
    }[damage])
    index_server.log.clear()
    assert probe().provided_by("python-widget") == {"widget"}
    assert index_server.requests_for(f"/files/{wheel.filename}")
    assert entry.read_bytes() == good


def test_caches_that_cannot_be_written_cost_one_warning_each(index_server, tmp_path):
    """A file where the metadata and probe directories should be: the lock is made, each cache warns once."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "python-widget", "2.0", files={"widget/__init__.py": ""}, requires_dist=["dep"]))
    index_server.add(build_wheel(w, "python-gadget", "1.0", files={"gadget/__init__.py": ""}))
    index_server.add(build_wheel(w, "dep", "1.0"))
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("metadata", "probe"):
        (cache / name).write_text("not a directory\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text("import widget\nimport gadget\n")
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PONCHO_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-m", "poncho", "job.py", "--index-url", index_server.url], cwd=app,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "python-widget==2.0" in proc.stdout and "python-gadget==1.0" in proc.stdout and "dep==1.0" in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if "cache cannot be written" in line]
    assert len(warnings) == 2, proc.stderr
    assert {"metadata", "probe"} == {cache for line in warnings for cache in ("metadata", "probe")
                                     if f"the {cache} cache" in line}


def test_a_code_digest_follows_the_code_it_covers(tmp_path):
    """Analysis, function-entry and resolution caches key entries by ``code_digest`` of their own code:
    it changes with a file's content, with a new matching file, and ignores files the patterns leave out."""
    from poncho.fileio import code_digest

    def fresh(*patterns: str) -> str:
        code_digest.cache_clear()  # once per process in real use; each state of the folder here
        return code_digest(tmp_path, patterns or ("*.py",))

    (tmp_path / "a.py").write_text("A = 1\n")
    first = fresh()
    assert fresh() == first and len(first) == 16
    (tmp_path / "notes.txt").write_text("not code\n")
    assert fresh() == first
    (tmp_path / "a.py").write_text("A = 2\n")
    second = fresh()
    assert second != first
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rules.toml").write_text("x = 1\n")
    assert fresh() == second and fresh("*.py", "data/*") != second

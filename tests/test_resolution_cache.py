"""A repeated lock is answered from the resolution cache: no resolver, no request, the same lock.

Real runs of the CLI against the loopback index; the index's request log
shows whether the fast path was taken.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from poncho.net.page_cache import PAGE_CACHE
from poncho.net.session import HTTP_CACHE
from support.cli import run
from support.wheels import build_wheel, serve_yaml_fastjson


@pytest.fixture
def served(index_server, tmp_path):
    serve_yaml_fastjson(index_server, tmp_path / "wheels")
    return index_server


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.py").write_text("import yaml\nimport fastjson\n")
    return root


def _cache() -> Path:
    return Path(os.environ["PONCHO_CACHE_DIR"])


def _entries() -> list[Path]:
    return sorted((_cache() / "resolutions").glob("*/*.json"))


def _expire_pages() -> None:
    """Pages as old as the entries: the HTTP cache and the parsed-page cache both forget them."""
    shutil.rmtree(_cache() / HTTP_CACHE, ignore_errors=True)  # (a lock may store nothing there: no-store)
    shutil.rmtree(_cache() / PAGE_CACHE, ignore_errors=True)


def _stamps() -> dict[Path, int]:
    """Each entry's inode: a resolution (or a revalidation) replaces its entry, a cache hit leaves it."""
    return {p: p.stat().st_ino for p in _entries()}


def _lock(app: Path, served, *extra: str) -> str:
    proc = run("main.py", "-o", "env.lock", "--index-url", served.url, *extra, cwd=app)
    assert proc.returncode == 0, proc.stderr
    return (app / "env.lock").read_text()


def _age(seconds: float) -> None:
    """Make every entry as old as ``seconds`` (the clock is the entry's own record)."""
    for path in _entries():
        entry = json.loads(path.read_text())
        entry["read_at"] -= seconds
        path.write_text(json.dumps(entry))


def test_a_repeated_lock_makes_no_request_and_writes_the_same_lock(app, served):
    first = _lock(app, served)
    stamps = _stamps()
    assert len(stamps) == 1
    served.log.clear()
    assert _lock(app, served) == first
    assert served.log == [] and _stamps() == stamps  # no request, and resolvelib never ran
    # and to stdout, without an existing lock (whose header may name the target otherwise: its own entry)
    printed = run("main.py", "--index-url", served.url, cwd=app).stdout
    stamps = _stamps()
    proc = run("main.py", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == printed and served.log == [] and _stamps() == stamps


def test_via_lines_follow_the_code_when_the_answer_comes_from_the_cache(app, served):
    _lock(app, served)
    stamps = _stamps()
    (app / "main.py").write_text("\n\nimport fastjson\nimport yaml\n")
    text = _lock(app, served)
    assert _stamps() == stamps  # same requirements: still the fast path
    assert "# via main.py:4" in text.split("PyYAML==6.0")[1].split("==")[0]


def test_a_new_requirement_resolves_again(app, served, tmp_path):
    _lock(app, served)
    served.add(build_wheel(tmp_path / "wheels", "attrs", "23.1", files={"attrs/__init__.py": ""}))
    (app / "main.py").write_text("import yaml\nimport fastjson\nimport attrs\n")
    served.log.clear()
    text = _lock(app, served, "--map", "attrs=attrs")
    assert served.requests_for("/attrs/") and "attrs==23.1" in text
    assert len(_entries()) == 2


def test_another_target_resolves_again(app, served):
    _lock(app, served)
    stamps = _stamps()
    _lock(app, served, "--python-version", "3.12")
    assert len(_entries()) == 2 and all(_stamps()[p] == ino for p, ino in stamps.items())  # resolved, stored apart


def test_a_new_constraint_resolves_again(app, served, tmp_path):
    served.add(build_wheel(tmp_path / "wheels", "speedups", "2.0"))
    assert "speedups==2.5" in _lock(app, served)
    (app / "c.txt").write_text("speedups<2.5\n")
    served.log.clear()
    text = _lock(app, served, "-c", "c.txt")
    assert "speedups==2.0" in text and len(_entries()) == 2


@pytest.mark.parametrize("age", [3600, -3600], ids=["old", "from-the-future"])
def test_an_old_entry_is_checked_against_the_pages_and_never_served_stale(app, served, tmp_path, age):
    assert "speedups==2.5" in _lock(app, served)
    served.add(build_wheel(tmp_path / "wheels", "speedups", "2.6"))
    _age(age)
    _expire_pages()  # the HTTP cache's pages are as old
    text = run("main.py", "--index-url", served.url, cwd=app).stdout  # no -o lock vouching for old pins
    assert "speedups==2.6" in text


def test_an_old_entry_whose_pages_did_not_change_is_served_after_checking_them(app, served):
    first = run("main.py", "--index-url", served.url, cwd=app).stdout
    _age(3600)
    _expire_pages()
    served.log.clear()
    assert run("main.py", "--index-url", served.url, cwd=app).stdout == first
    pages = {r[1] for r in served.log}
    assert pages == {"/simple/pyyaml/", "/simple/fastjson/", "/simple/speedups/"}  # the pages, no metadata
    (entry,) = _entries()
    assert json.loads(entry.read_text())["read_at"] > time.time() - 600  # checked now: fresh again


def test_an_existing_lock_of_the_same_inputs_is_kept_without_asking_the_index(app, served, tmp_path):
    mapped = ("--map", "fastjson=fastjson")  # no live probe: only the lock step may ask the index
    first = _lock(app, served, *mapped)
    served.add(build_wheel(tmp_path / "wheels", "speedups", "2.6"))
    _age(3600)
    _expire_pages()  # the pages are as old as the entry: nothing before resolution (the install plan) reads them
    stamps = _stamps()
    served.log.clear()
    assert _lock(app, served, *mapped) == first  # kept pins: speedups stays 2.5, as a re-lock keeps it
    assert served.log == [] and _stamps() == stamps  # not even revalidated
    assert "speedups==2.6" in _lock(app, served, *mapped, "-U")  # an upgrade is not vouched for: the pages are read


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(app, served):
    first = _lock(app, served)
    (entry,) = _entries()
    for garbage in (b"{not json", b'{"schema": 1, "pins": [{"name": 3}]}', b"[]"):
        entry.write_bytes(garbage)
        served.log.clear()
        assert run("main.py", "--index-url", served.url, cwd=app).stdout == first
        assert json.loads(entry.read_text())["pins"]  # resolved again (pages and metadata from the HTTP cache)
        # and rewritten whole


def test_offline_serves_an_old_entry(app, served):
    first = run("main.py", "--index-url", served.url, cwd=app).stdout
    _age(10 * 24 * 3600)
    stamps = _stamps()
    served.down = True
    proc = run("main.py", "--index-url", served.url, "--offline", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == first and _stamps() == stamps  # the entry answered, unchecked


def test_a_local_index_is_read_again_every_time(app, served, tmp_path):
    """A file:// index has no HTTP cache in front of it: a wheel dropped into it counts at once."""
    index = tmp_path / "local"
    for f in served.files.values():
        project = index / f.project
        project.mkdir(parents=True, exist_ok=True)
        shutil.copy(f.path, project / f.filename)
    url = index.as_uri() + "/"
    assert "speedups==2.5" in run("main.py", "--index-url", url, cwd=app).stdout
    stamps = _stamps()
    shutil.copy(build_wheel(tmp_path / "wheels", "speedups", "2.6"), index / "speedups")
    proc = run("main.py", "--index-url", url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "speedups==2.6" in proc.stdout and _stamps() != stamps


def test_an_entry_from_another_build_of_the_resolver_is_not_used(monkeypatch):
    """The key holds a digest of the resolver's code, not only the tool's version: a source checkout whose
    resolver changed (same version number) must not be answered by the older build's entry."""
    from poncho.resolver import cache
    from poncho.resolver.target import Target

    args = (["pyyaml"], Target.current(), ["https://index.example/simple/"], {}, False)
    key = cache.resolution_key(*args)
    assert key == cache.resolution_key(*args) and len(cache.resolver_digest()) == 16
    monkeypatch.setattr(cache, "resolver_digest", lambda: "0" * 16)
    assert cache.resolution_key(*args) != key

"""The HTTP and page caches heal and is shared safely: concurrent cold runs, damaged entries, an unusable directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poncho.net.page_cache import PAGE_CACHE
from poncho.net.session import HTTP_CACHE
from support.wheels import build_wheel


def lock(project: Path, url: str, cache: Path) -> subprocess.Popen:
    env = dict(os.environ, PONCHO_CACHE_DIR=str(cache))
    return subprocess.Popen([sys.executable, "-m", "poncho", "job.py", "--index-url", url, "-q"], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["tinydep"]))
    index_server.add(build_wheel(w, "tinydep", "1.0"))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    return root


def test_four_runs_share_a_cold_cache(project, index_server, tmp_path):
    cache = tmp_path / "shared"
    procs = [lock(project, index_server.url, cache) for _ in range(4)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [rc for _, _, rc in results] == [0, 0, 0, 0], [err for _, err, _ in results]
    assert len({out for out, _, _ in results}) == 1 and "tinydep==1.0" in results[0][0]


def test_damaged_entries_are_refetched_not_fatal(project, index_server, tmp_path):
    cache = tmp_path / "c"
    first = lock(project, index_server.url, cache)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    entries = [p for d in (HTTP_CACHE, PAGE_CACHE) for p in (cache / d).rglob("*")
               if p.is_file() and not p.name.endswith(".lock")]
    assert entries and any(p.suffix == ".page" for p in entries)
    for i, entry in enumerate(entries):  # truncated, emptied, or overwritten with garbage
        data = entry.read_bytes()
        entry.write_bytes([data[: len(data) // 2], b"", b"\x00garbage"][i % 3])
    shutil.rmtree(cache / "resolutions")  # else the resolution cache answers without reading a page
    pages_before = len(index_server.requests_for("/simple/"))
    again = lock(project, index_server.url, cache)
    out2, err2 = again.communicate(timeout=120)
    assert again.returncode == 0, err2
    assert out2 == out
    assert len(index_server.requests_for("/simple/")) > pages_before  # refetched, not trusted


def test_a_cache_that_cannot_be_written_degrades_with_one_warning(project, index_server, tmp_path):
    not_a_dir = tmp_path / "cachefile"
    not_a_dir.write_text("")
    p = lock(project, index_server.url, not_a_dir)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "tinydep==1.0" in out
    assert "Traceback" not in err
    # One warning per cache. A lock asks the HTTP cache nothing now (its pages and metadata have caches
    # of their own, which say no-store), so its degrading is shown on a session of its own.
    warnings = [line.split(" cannot ")[0] for line in err.splitlines() if line.startswith("warning: the ")]
    assert warnings and len(warnings) == len(set(warnings))
    import contextlib
    import io

    from poncho.net import make_session

    heard = io.StringIO()
    with contextlib.redirect_stderr(heard):
        session = make_session(not_a_dir)
        for _ in range(2):
            assert session.get(index_server.url + "tinydep/").status_code == 200
    assert heard.getvalue().count("warning: the HTTP cache") == 1

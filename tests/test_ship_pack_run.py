"""``pack`` then ``run``: real packers (pex, uv), a fresh directory, no network, a cache shared by concurrent runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poncho.pipeline import Options, Pipeline
from poncho.ship import read_record
from poncho.ship.tools import available
from support.cli import run as cli
from support.index_server import IndexServer
from support.wheels import serve_geotools

pytestmark = pytest.mark.slow

JOB = "import geotools, sys\n\nprint(geotools.VALUE)\nsys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)\n"


@pytest.fixture
def locked(tmp_path):
    """A job importing geotools (python-geotools -> unitconv), locked as env.lock and pylock.toml; the index
    is stopped before the test body runs, so nothing after packing can reach it."""
    server = IndexServer().start()
    serve_geotools(server, tmp_path / "wheels")
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text(JOB)
    lock = Pipeline(Options(index_urls=(server.url,), cache_dir=tmp_path / "cache")).lock([app]).lock
    lock.write(app / "env.lock")
    lock.write(app / "pylock.toml")
    lock.write(app / "poncho-spec.json", "poncho")
    lock.write(app / "environment.yml")
    try:
        yield app, server
    finally:
        server.stop()


def packer_env(tmp: Path) -> dict[str, str]:
    return {"UV_CACHE_DIR": str(tmp / "uv-cache"), "PEX_ROOT": str(tmp / "pex-root"), "UV_NO_CONFIG": "1",
            "PONCHO_CACHE_DIR": str(tmp / "run-cache")}


def fresh_dir(tmp: Path, app: Path) -> Path:
    """A directory with only the job: no lock, no source tree, no index."""
    where = tmp / "elsewhere"
    where.mkdir()
    shutil.copy(app / "job.py", where / "job.py")
    return where


@pytest.mark.parametrize("lock_name, artifact", [("pylock.toml", "job.pex"), ("env.lock", "job.pex"),
                                                 ("env.lock", "env.tar.gz"), ("pylock.toml", "env.tar.gz")])
def test_pack_then_run_in_a_fresh_directory_offline(locked, tmp_path, lock_name, artifact):
    app, server = locked
    env = packer_env(tmp_path)
    out = tmp_path / artifact
    proc = cli("pack", str(app / lock_name), "-o", str(out), cwd=tmp_path, env_extra=env)
    assert proc.returncode == 0, proc.stderr
    record = read_record(out)
    assert record.kind == ("pex" if artifact.endswith(".pex") else "venv")
    assert record.lock_digest == "sha256:" + hashlib.sha256((app / lock_name).read_bytes()).hexdigest()
    server.stop()  # run must not need the index
    where = fresh_dir(tmp_path, app)
    proc = cli("run", str(out), "--", "python", "job.py", cwd=where, env_extra=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3000"
    # The command's exit code is run's exit code; the second run reuses the unpacked environment.
    proc = cli("run", str(out), "--", "python", "job.py", "7", cwd=where, env_extra=env)
    assert proc.returncode == 7 and proc.stdout.strip() == "3000", proc.stderr
    envs = tmp_path / "run-cache" / "envs"
    assert [p.name for p in envs.iterdir() if p.is_symlink()] == [record.cache_key]


def test_two_runs_started_at_once_share_one_unpacked_environment(locked, tmp_path):
    app, server = locked
    env = packer_env(tmp_path)
    out = tmp_path / "job.pex"
    assert cli("pack", str(app / "pylock.toml"), "-o", str(out), cwd=tmp_path, env_extra=env).returncode == 0
    server.stop()
    where = fresh_dir(tmp_path, app)
    full_env = {**os.environ, **env}
    procs = [subprocess.Popen([sys.executable, "-m", "poncho", "run", str(out), "--", "python", "job.py"], cwd=where,
                              env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert [r[0].strip() for r in results] == ["3000", "3000"]
    envs = tmp_path / "run-cache" / "envs"
    links = [p for p in envs.iterdir() if p.is_symlink()]
    unpacked = [p for p in envs.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(links) == 1 and len(unpacked) == 1, sorted(p.name for p in envs.iterdir())
    assert links[0].resolve().parent == unpacked[0].resolve()


def test_another_lock_gets_another_environment(locked, tmp_path):
    app, _ = locked
    env = packer_env(tmp_path)
    edited = app / "edited.lock"
    edited.write_text((app / "env.lock").read_text() + "# an edit changes the digest\n")
    for lock, out in ((app / "env.lock"), tmp_path / "a.pex"), (edited, tmp_path / "b.pex"):
        assert cli("pack", str(lock), "-o", str(out), cwd=tmp_path, env_extra=env).returncode == 0
    assert read_record(tmp_path / "a.pex").cache_key != read_record(tmp_path / "b.pex").cache_key


def test_run_refuses_what_pack_did_not_make(tmp_path):
    import zipfile

    plain = tmp_path / "plain.pex"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("__main__.py", "print('hi')\n")
    proc = cli("run", str(plain), "--", "python", "-c", "pass", cwd=tmp_path)
    assert proc.returncode == 2 and "records no lock digest" in proc.stderr
    proc = cli("run", str(tmp_path / "missing.pex"), "--", "true", cwd=tmp_path)
    assert proc.returncode == 2 and "no such artifact" in proc.stderr


def test_a_packer_failure_writes_nothing(locked, tmp_path):
    app, server = locked
    server.stop()  # pex cannot download the locked wheels
    out = tmp_path / "job.pex"
    proc = cli("pack", str(app / "env.lock"), "-o", str(out), cwd=tmp_path, env_extra=packer_env(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".poncho-pack")] == []


@pytest.mark.skipif(not available("poncho_package_create"), reason="cctools' poncho_package_create is not installed")
def test_poncho_package_create_packs_the_poncho_spec(locked, tmp_path):
    app, _ = locked
    out = tmp_path / "env.tar.gz"
    proc = cli("pack", str(app / "poncho-spec.json"), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_record(out).kind == "poncho" and out.stat().st_size > 0


@pytest.mark.skipif(not (available("conda") and available("conda-pack")), reason="conda and conda-pack are not installed")
def test_conda_pack_packs_the_environment_yml(locked, tmp_path):
    app, _ = locked
    out = tmp_path / "env.tar.gz"
    proc = cli("pack", str(app / "environment.yml"), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_record(out).kind == "conda-pack" and out.stat().st_size > 0

"""A lock installs with the real installer and the imports work.

The hermetic test runs against the loopback index; the live one locks a
corpus application against the real package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from venvs import make_venv, pip_env, run

from support.wheels import serve_geotools

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def poncho(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600, env=dict(os.environ))


@pytest.mark.slow
def test_lock_installs_with_require_hashes_from_loopback_index(index_server, tmp_path):
    w = tmp_path / "wheels"
    serve_geotools(index_server, w)
    app = tmp_path / "proj"
    app.mkdir()
    (app / "job.py").write_text("import json\nimport geotools\n\nprint(json.dumps(geotools.VALUE))\n")
    # `geotools` is not the project's name: the probe confirms python-geotools by its file list.
    proc = poncho("job.py", "-o", "env.lock", "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "python-geotools==1.4" in (app / "env.lock").read_text()
    python = make_venv(tmp_path / "venv")
    inst = run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                index_server.url, "-r", str(app / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert run([str(python), "-m", "pip", "check"]).returncode == 0
    out = run([str(python), str(app / "job.py")])
    assert out.returncode == 0 and out.stdout.strip() == "3000", out.stderr


@pytest.mark.live
@pytest.mark.slow
def test_corpus_app_locks_against_pypi_and_installs(tmp_path):
    corpus = REPO / "corpora" / "weather_service"
    expected = tomllib.loads((corpus / "expected.toml").read_text())
    lock = tmp_path / "env.lock"
    proc = poncho(str(corpus), "-o", str(lock), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = lock.read_text()
    pinned = {canonicalize_name(line.split("==")[0]) for line in text.splitlines() if "==" in line}
    for dist in expected["direct"]:
        assert canonicalize_name(dist) in pinned, f"{dist} missing from the lock"
    python = make_venv(tmp_path / "venv")
    inst = run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "-r", str(lock)])
    assert inst.returncode == 0, inst.stdout[-3000:] + inst.stderr[-3000:]
    check = run([str(python), "-m", "pip", "check"])
    assert check.returncode == 0, check.stdout + check.stderr
    modules = sorted({m for mods in expected["direct"].values() for m in mods})
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\nprint('ok', len(sys.argv) - 1)\n"
    imp = run([str(python), "-c", code, *modules], env=pip_env())
    assert imp.returncode == 0, imp.stderr
    assert imp.stdout.strip() == f"ok {len(modules)}"

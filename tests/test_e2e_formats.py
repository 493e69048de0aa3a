"""Each lock format installs with a real installer into a fresh venv, and the code runs.

The lock comes from the real pipeline against the loopback index. Proven here:
pylock.toml with ``uv pip install -r``, ``pip install -r`` (pip >= 26.1) and
``pex --pylock`` (whole lock, and a subset, which needs the dependency
edges); the requirements lock with ``uv pip install --require-hashes`` and
``pex -r``. A served file altered after locking is refused by every one of
them, by its sha256.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from packaging.version import Version
from venvs import pip_env

from poncho.pipeline import Options, Pipeline
from support.wheels import serve_geotools

pytestmark = pytest.mark.slow

JOB = "import geotools\n\nprint(geotools.VALUE)\n"


def installer_env(tmp: Path) -> dict[str, str]:
    """pip's isolation (venvs.pip_env), and no uv/pex settings from this machine; caches in ``tmp``."""
    env = {k: v for k, v in pip_env().items() if not k.startswith(("UV_", "PEX_"))}
    env.update(UV_CACHE_DIR=str(tmp / "uv-cache"), PEX_ROOT=str(tmp / "pex-root"), UV_NO_CONFIG="1")
    return env


def uv_bin() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def bare_venv(path: Path) -> str:
    """A venv without pip: the installer under test brings its own."""
    venv.EnvBuilder(with_pip=False, clear=True).create(path)
    return str(path / ("Scripts" if sys.platform == "win32" else "bin") / "python")


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, env=env)


@pytest.fixture
def app(index_server, tmp_path):
    """A job importing ``geotools`` (python-geotools, which needs unitconv>=2), locked in two formats."""
    w = tmp_path / "wheels"
    serve_geotools(index_server, w)
    root = tmp_path / "app"
    root.mkdir()
    (root / "job.py").write_text(JOB)
    lock = Pipeline(Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache")).lock([root]).lock
    assert [(e.name, e.version) for e in lock.entries] == [("python-geotools", "1.4"), ("unitconv", "2.1")]
    lock.write(root / "pylock.toml")
    lock.write(root / "env.lock")
    return root


def installs(index_url: str, app: Path, tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (command that installs into a venv or builds a pex, the interpreter that then runs job.py)."""
    py = bare_venv(tmp / "venv")
    pex = str(tmp / "job.pex")
    in_venv, in_pex = [py], [sys.executable, pex]
    pylock, reqs = str(app / "pylock.toml"), str(app / "env.lock")
    return {
        "uv pylock.toml": ([uv_bin(), "pip", "install", "--python", py, "-r", pylock], in_venv),
        "pip pylock.toml": ([sys.executable, "-m", "pip", "--python", py, "install", "--no-cache-dir", "-r", pylock],
                            in_venv),
        "pex --pylock": ([sys.executable, "-m", "pex", "--pylock", pylock, "-o", pex], in_pex),
        # A subset: pex follows the lock's `dependencies` edges from python-geotools to unitconv.
        "pex --pylock subset": ([sys.executable, "-m", "pex", "--pylock", pylock, "python-geotools", "-o", pex],
                                in_pex),
        "uv requirements": ([uv_bin(), "pip", "install", "--python", py, "--require-hashes", "--no-deps",
                             "--index-url", index_url, "-r", reqs], in_venv),
        "pex requirements": ([sys.executable, "-m", "pex", "--no-pypi", "--index-url", index_url, "--no-transitive",
                              "-r", reqs, "-o", pex], in_pex),
    }


INSTALLERS = ["uv pylock.toml", "pip pylock.toml", "pex --pylock", "pex --pylock subset", "uv requirements",
              "pex requirements"]


def test_pip_reads_pylock_toml():
    """The pip driving these tests is one that reads ``-r pylock.toml`` (the test extra asks for it)."""
    import pip

    assert Version(pip.__version__) >= Version("26.1"), f"pip {pip.__version__} cannot read pylock.toml"


@pytest.mark.parametrize("installer", INSTALLERS)
def test_lock_installs_and_the_job_runs(installer, app, index_server, tmp_path):
    cmd, interpreter = installs(index_server.url, app, tmp_path)[installer]
    env = installer_env(tmp_path)
    proc = run(cmd, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = run([*interpreter, str(app / "job.py")], env)
    assert out.returncode == 0 and out.stdout.strip() == "3000", out.stderr


@pytest.mark.parametrize("installer", INSTALLERS)
def test_installers_refuse_an_artifact_changed_after_locking(installer, app, index_server, tmp_path):
    served = index_server.files["unitconv-2.1-py3-none-any.whl"]
    locked_hash = served.sha256
    data = bytearray(served.path.read_bytes())
    # Same size, still a valid zip (the first member's modification time, which no CRC
    # covers, moves by two seconds): only the sha256 can tell it from the locked file.
    assert data[:4] == b"PK\x03\x04"
    data[10] ^= 0x01
    served.path.write_bytes(bytes(data))
    cmd, _ = installs(index_server.url, app, tmp_path)[installer]
    proc = run(cmd, installer_env(tmp_path))
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert locked_hash in proc.stdout + proc.stderr, proc.stdout[-2000:] + proc.stderr[-2000:]

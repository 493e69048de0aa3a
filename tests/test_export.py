"""`poncho-resolve export LOCK --format F`: an existing lock in another format, without resolving.

Locks are made by the real CLI against the loopback index; the URLs a
requirements lock lacks come from the index pages (the HTTP cache first).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support.cli import run
from support.wheels import build_sdist, build_wheel


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": "VALUE = 6\n"},
                                 requires_dist=["tinydep"]))
    index_server.add(build_sdist(w, "PyYAML", "6.0"))
    index_server.add(build_wheel(w, "tinydep", "1.0", files={"tinydep/__init__.py": ""}))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("import yaml\n")
    (root / "c.txt").write_text("tinydep<2\n")
    made = run("app", "-o", "env.lock", "-c", "c.txt", "--index-url", index_server.url, cwd=root)
    assert made.returncode == 0, made.stderr
    return root


def test_requirements_to_pylock_to_requirements_is_identical(project, index_server):
    original = (project / "env.lock").read_text()
    to_pylock = run("export", "env.lock", "-o", "pylock.exported.toml", cwd=project)
    assert to_pylock.returncode == 0, to_pylock.stderr
    pylock = (project / "pylock.exported.toml").read_text()
    assert f'url = "{index_server.base}/files/pyyaml-6.0-py3-none-any.whl"' in pylock  # found on the index
    assert 'display-name = "PyYAML"' in pylock
    back = run("export", "pylock.exported.toml", "--format", "requirements", cwd=project)
    assert back.returncode == 0, back.stderr
    assert back.stdout == original
    # The pylock.toml is the one a lock would have written, and check reads it as the same lock.
    direct = run("app", "-o", "pylock.toml", "-c", "c.txt", "--index-url", index_server.url, cwd=project)
    assert direct.returncode == 0, direct.stderr
    assert (project / "pylock.toml").read_text() == pylock
    assert run("check", "app", "--lock", "pylock.exported.toml", cwd=project).returncode == 0


def test_json_and_the_unhashed_formats(project, index_server):
    as_json = run("export", "env.lock", "--format", "json", cwd=project)
    assert as_json.returncode == 0, as_json.stderr
    record = json.loads(as_json.stdout)
    assert record["inputs"]["constraints"] == ["tinydep<2"]
    assert all(a["url"] for e in record["entries"] for a in e["artifacts"])
    (project / "lock.json").write_text(as_json.stdout)
    back = run("export", "lock.json", "--format", "requirements", cwd=project)
    assert back.stdout == (project / "env.lock").read_text()
    index_server.down = True  # conda and poncho specs need no URLs: nothing is fetched
    conda = run("export", "env.lock", "-o", "environment.yml", cwd=project)
    assert conda.returncode == 0, conda.stderr
    assert '"PyYAML==6.0"' in (project / "environment.yml").read_text()
    spec = run("export", "env.lock", "--format", "poncho", cwd=project)
    assert json.loads(spec.stdout)["conda"]["dependencies"][2]["pip"] == [
        f"--index-url {index_server.url}", "PyYAML==6.0", "tinydep==1.0"]


def test_what_cannot_be_exported_says_why(project, index_server, tmp_path):
    no_format = run("export", "env.lock", cwd=project)
    assert no_format.returncode == 2 and "--format" in no_format.stderr
    run("export", "env.lock", "-o", "environment.yml", cwd=project)
    conda = run("export", "environment.yml", "--format", "requirements", cwd=project)
    assert conda.returncode == 2 and "no hashes" in conda.stderr
    (project / "other.txt").write_text("tinydep==1.0\n")
    foreign = run("export", "other.txt", "--format", "pylock", cwd=project)
    assert foreign.returncode == 2 and "not written by poncho-resolve" in foreign.stderr
    # A file the index no longer lists: exit 6 naming it; nothing is written.
    del index_server.files["tinydep-1.0-py3-none-any.whl"]
    fresh = {"PONCHO_CACHE_DIR": str(tmp_path / "fresh-cache")}
    gone = run("export", "env.lock", "-o", "pylock.toml", cwd=project, env_extra=fresh)
    assert gone.returncode == 6, gone.stderr
    assert "tinydep 1.0: no file with sha256" in gone.stderr
    assert not (project / "pylock.toml").exists()


@pytest.mark.slow
def test_an_exported_pylock_installs_with_uv(project, index_server, tmp_path):
    import venv

    from uv import find_uv_bin

    assert run("export", "env.lock", "-o", "pylock.toml", cwd=project).returncode == 0
    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    python = str(tmp_path / "venv" / "bin" / "python")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("UV_")}
    env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    installed = subprocess.run([find_uv_bin(), "pip", "install", "--python", python, "-r", "pylock.toml"],
                               cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    ran = subprocess.run([python, "-c", "import yaml, tinydep; print(yaml.VALUE)"], capture_output=True, text=True)
    assert ran.stdout.strip() == "6", ran.stderr
    assert sys.executable

"""The real pre-commit tool runs this checkout's hooks (.pre-commit-hooks.yaml) on a temporary git repository.

`pre-commit try-repo` installs this checkout into a venv of its own, with its dependencies from PyPI: live
and slow. The repository's index is the loopback one, named in its [tool.poncho] table so the hooks need no
flags; PRE_COMMIT_HOME stays inside tmp.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import run as poncho
from support.wheels import build_wheel

pytestmark = [pytest.mark.live, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent


def _run(*cmd: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=900)


def test_hooks_file_declares_both_hooks():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"poncho-check", "poncho-lock"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hooks["poncho-check"]["entry"] == "poncho-resolve check"


def test_commit_adding_an_import_fails_until_relocked(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    index_server.add(build_wheel(w, "fastjson", "1.0", files={"fastjson/__init__.py": ""}))
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    (work / "pyproject.toml").write_text(f'[tool.poncho]\nindex-url = "{index_server.url}"\n')
    (work / "app" / "__init__.py").write_text("")
    (work / "app" / "main.py").write_text("import yaml\n")
    assert poncho(".", "-o", "env.lock", cwd=work).returncode == 0
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO)]
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "locked"]):
        assert _run(*cmd, cwd=work, env=env).returncode == 0

    (work / "app" / "extra.py").write_text("import fastjson\n")
    assert _run("git", "add", "app/extra.py", cwd=work, env=env).returncode == 0
    stale = _run(*pre_commit, "poncho-check", cwd=work, env=env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "PR001 fastjson: imported at app/extra.py:1" in stale.stdout, stale.stdout

    relock = _run(*pre_commit, "poncho-lock", cwd=work, env=env)  # re-locks, and fails: the file changed
    assert relock.returncode == 1 and "files were modified by this hook" in relock.stdout, relock.stdout
    assert "fastjson==1.0" in (work / "env.lock").read_text()
    assert _run("git", "add", "env.lock", cwd=work, env=env).returncode == 0
    both = _run(*pre_commit, cwd=work, env=env)  # every hook: the lock matches now, and a re-lock leaves it be
    assert both.returncode == 0, both.stdout + both.stderr
    assert both.stdout.count("Passed") == 2, both.stdout
    assert _run("git", "commit", "-q", "-m", "import fastjson", cwd=work, env=env).returncode == 0

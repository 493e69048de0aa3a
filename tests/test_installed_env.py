"""A lock against an installed environment: `check --env` (drift), `--from-env` and `--prefer-installed`.

Every environment here is a real venv the real pip installed into; poncho-resolve asks its interpreter in a
subprocess, never importing what is installed there.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from venvs import make_venv
from venvs import run as run_tool

from support.cli import run
from support.wheels import build_wheel

pytestmark = pytest.mark.slow


def _pip(python: Path, *args: str) -> None:
    proc = run_tool([str(python), "-m", "pip", *args])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def wheels(tmp_path, index_server) -> dict[str, Path]:
    w = tmp_path / "wheels"
    built = {
        "yaml60": build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["tinydep>=1"]),
        "yaml61": build_wheel(w, "PyYAML", "6.1", files={"yaml/__init__.py": ""}, requires_dist=["tinydep>=1"]),
        "tiny05": build_wheel(w, "tinydep", "0.5"),
        "tiny10": build_wheel(w, "tinydep", "1.0"),
        "tiny20": build_wheel(w, "tinydep", "2.0"),
        "fast09": build_wheel(w, "fastjson", "0.9", files={"fastjson/__init__.py": ""}),
        "fast10": build_wheel(w, "fastjson", "1.0", files={"fastjson/__init__.py": ""}),
        "stray": build_wheel(w, "stray", "1.0"),
    }
    for path in built.values():
        index_server.add(path)
    return built


def _app(root: Path, *imports: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("".join(f"import {m}\n" for m in imports))
    return root


def test_check_env_finds_missing_other_and_extra_distributions(tmp_path, index_server, wheels):
    root = _app(tmp_path / "proj", "yaml", "fastjson")
    proc = run("app", "-o", "env.lock", "--index-url", index_server.url, cwd=root)
    assert proc.returncode == 0, proc.stderr
    lock = (root / "env.lock").read_text()
    assert "PyYAML==6.1" in lock and "tinydep==2.0" in lock and "fastjson==1.0" in lock
    venv = tmp_path / "venv"
    python = make_venv(venv)
    _pip(python, "install", "--no-deps", "--require-hashes", "--index-url", index_server.url, "-r",
         str(root / "env.lock"))

    base = ["check", "app", "--lock", "env.lock", "--index-url", index_server.url]
    fresh = run(*base, "--env", str(python), cwd=root)
    assert fresh.returncode == 0 and fresh.stdout == "", fresh.stdout + fresh.stderr  # pip/setuptools: not "extra"

    _pip(python, "install", "--no-deps", "--force-reinstall", str(wheels["fast09"]))  # one version changed
    _pip(python, "uninstall", "-y", "tinydep")  # one distribution removed
    _pip(python, "install", "--no-deps", str(wheels["stray"]))  # one the lock never had
    assert run(*base, cwd=root).returncode == 0  # the code still matches the lock; only the env drifted

    proc = run(*base, "--format", "json", f"--env={venv}", cwd=root)  # a venv directory names its python
    assert proc.returncode == 1, proc.stderr
    found = {(r["code"], r["message"].split(":")[0]): r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(found) == {("PR011", "tinydep"), ("PR012", "fastjson"), ("PR013", "stray")}
    assert found["PR012", "fastjson"]["message"].startswith("fastjson: 1.0 is locked but 0.9 is installed")
    assert [found[k]["severity"] for k in sorted(found)] == ["error", "error", "warning"]
    locked_line = lock.splitlines().index(next(ln for ln in lock.splitlines() if ln.startswith("tinydep==")))
    assert (found["PR011", "tinydep"]["file"], found["PR011", "tinydep"]["line"]) == ("env.lock", locked_line + 1)
    assert "uv pip sync env.lock" in proc.stderr and "re-lock" not in proc.stderr

    # Silencing the two errors leaves the warning: shown, and the check passes.
    proc = run(*base, "--env", str(python), "--ignore", "PR011", "--ignore", "PR012:fastjson", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [f"PR013 stray: 1.0 is installed in the environment of {python} but not "
                                        "locked"]
    assert run(*base, "--env", str(python), "--ignore", "PR011", cwd=root).returncode == 1  # PR012 still fails

    # --env before the paths swallows one: a usage error that says so, never a check of something else.
    proc = run("check", "--env", "app", "--lock", "env.lock", cwd=root)
    assert proc.returncode == 2 and "required: PATH" in proc.stderr, proc.stderr
    proc = run(*base, "--env=app", cwd=root)
    assert proc.returncode == 2 and "app: a directory, but not a virtual environment" in proc.stderr, proc.stderr


def test_from_env_pins_what_is_installed_with_the_index_hashes(tmp_path, index_server, wheels):
    root = _app(tmp_path / "proj", "yaml")
    python = make_venv(tmp_path / "venv")
    _pip(python, "install", "--no-deps", str(wheels["yaml60"]), str(wheels["tiny10"]))

    newest = run("app", "--index-url", index_server.url, cwd=root)
    assert "PyYAML==6.1" in newest.stdout and "tinydep==2.0" in newest.stdout
    proc = run("app", "--index-url", index_server.url, "--from-env", str(python), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert re.findall(r"^(\S+==\S+)", proc.stdout, re.M) == ["PyYAML==6.0", "tinydep==1.0"]
    for wheel in ("yaml60", "tiny10"):  # the hashes are the index's files for exactly those versions
        assert index_server.files[wheels[wheel].name].sha256 in proc.stdout
    assert proc.stdout.count("--hash=") == 2
    # The digest is the code's inputs, not the environment: the lock passes `check` anywhere.
    (root / "env.lock").write_text(proc.stdout)
    assert run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=root).returncode == 0

    # --prefer-installed: installed versions where they fit, the newest elsewhere.
    (root / "tiny.txt").write_text("tinydep>=2\n")
    proc = run("app", "--index-url", index_server.url, "--prefer-installed", str(python), "-c", "tiny.txt",
               cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert re.findall(r"^(\S+==\S+)", proc.stdout, re.M) == ["PyYAML==6.0", "tinydep==2.0"]
    # --from-env cannot move an installed pin: the constraint conflicts with what is installed (exit 5).
    proc = run("app", "--index-url", index_server.url, "--from-env", str(python), "-c", "tiny.txt", cwd=root)
    assert proc.returncode == 5, proc.stderr

    # An inconsistent environment is refused, naming the broken requirement; so is a needed one not installed.
    _pip(python, "install", "--no-deps", "--force-reinstall", str(wheels["tiny05"]))
    proc = run("app", "--index-url", index_server.url, "--from-env", str(python), cwd=root)
    assert proc.returncode == 5 and proc.stdout == ""
    assert "PyYAML 6.0 requires tinydep>=1, but tinydep 0.5 is installed" in proc.stderr, proc.stderr
    (root / "app" / "more.py").write_text("import fastjson\n")
    _pip(python, "install", "--no-deps", "--force-reinstall", str(wheels["tiny10"]))
    proc = run("app", "--index-url", index_server.url, "--from-env", str(python), cwd=root)
    assert proc.returncode == 5 and "fastjson is imported but not installed" in proc.stderr, proc.stderr


PY39 = Path("/root/.pyenv/versions/3.9.18/bin/python3")


@pytest.mark.skipif(not PY39.exists(), reason="needs pyenv's CPython 3.9")
def test_from_env_locks_for_the_environments_python(tmp_path, index_server):
    """The environment is asked in its own interpreter (3.9 here), and the lock is for that Python."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import json\n")
    proc = run("job.py", "--index-url", index_server.url, "--from-env", str(PY39), cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"cpython 3\.9\.18 on ", proc.stdout), proc.stdout


def test_the_environment_is_read_never_run(tmp_path):
    """An `import` line in a .pth file is code site.py would run; asking the environment must not run it,
    while a .pth path line (a legacy editable install) is still followed, and the working directory's
    *.egg-info is never taken for an installed distribution."""
    import sysconfig
    import venv

    from poncho.installed import query

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)}))
    marker = tmp_path / "ran"
    (purelib / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'w').close()\n")
    legacy = tmp_path / "src-checkout"
    (legacy / "legacy.egg-info").mkdir(parents=True)
    (legacy / "legacy.egg-info" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: legacy\nVersion: 1.0\n"
                                                         "Requires-Dist: tinydep>=1\n")
    (purelib / "easy-install.pth").write_text(f"{legacy}\n")
    cwd_dist = tmp_path / "cwd" / "mine.egg-info"
    cwd_dist.mkdir(parents=True)
    (cwd_dist / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: mine\nVersion: 0.1\n")
    monkey_cwd = os.getcwd()
    os.chdir(cwd_dist.parent)
    try:
        env = query(str(env_dir))
    finally:
        os.chdir(monkey_cwd)
    assert not marker.exists()
    assert sorted(env.distributions) == ["legacy"]
    assert env.problems({"legacy"}) == ["legacy 1.0 requires tinydep>=1, which is not installed"]

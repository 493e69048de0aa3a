"""``--include-tests`` with pylock.toml: what only tests import is the ``test`` dependency group (PEP 751
``dependency-groups`` and per-package markers), so installing the lock by default leaves it out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.pylock import Pylock

from support.cli import run
from support.wheels import build_wheel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAPS = ("--map", "httpish=httpish", "--map", "pytestish=pytestish")


@pytest.fixture
def app(tmp_path, index_server) -> Path:
    """App code imports httpish (-> dateparse); tests import pytestish (-> pluggish, dateparse)."""
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "httpish", "2.0", requires_dist=["dateparse"]))
    index_server.add(build_wheel(w, "dateparse", "2.9"))
    index_server.add(build_wheel(w, "pytestish", "8.0", requires_dist=["pluggish", "dateparse"]))
    index_server.add(build_wheel(w, "pluggish", "1.5"))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "app" / "__init__.py").write_text("import httpish\n")
    (root / "tests" / "test_app.py").write_text("import pytestish\nimport app\n")
    return root


def lock(app: Path, index_server, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    proc = run(".", "--index-url", index_server.url, *MAPS, "-o", "pylock.toml", *extra, cwd=app)
    return proc, app / "pylock.toml"


def selected(path: Path, groups: list[str] | None = None) -> set[str]:
    pylock = Pylock.from_dict(tomllib.loads(path.read_text()))
    return {str(pkg.name) for pkg, _ in pylock.select(environment=default_environment(), dependency_groups=groups)}


def test_test_only_requirements_are_a_group_not_default(app, index_server):
    proc, path = lock(app, index_server, "--include-tests")
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(path.read_text())
    assert data["dependency-groups"] == ["test"]
    markers = {p["name"]: p.get("marker") for p in data["packages"]}
    assert markers == {"httpish": None, "dateparse": None,  # dateparse: the app needs it too, so it is default
                       "pytestish": '"test" in dependency_groups', "pluggish": '"test" in dependency_groups'}
    assert selected(path) == {"httpish", "dateparse"}
    assert selected(path, ["test"]) == {"httpish", "dateparse", "pytestish", "pluggish"}
    # The lock still reads back as the pins poncho wrote (the group clause is not a target marker).
    check = run("check", ".", "--lock", "pylock.toml", "--include-tests", *MAPS, cwd=app)
    assert check.returncode == 0, check.stdout + check.stderr


def test_without_include_tests_there_is_no_group(app, index_server):
    proc, path = lock(app, index_server)
    assert proc.returncode == 0, proc.stderr
    data = tomllib.loads(path.read_text())
    assert "dependency-groups" not in data and {p["name"] for p in data["packages"]} == {"httpish", "dateparse"}


def test_a_grouped_pylock_exports_to_requirements_and_back(app, index_server):
    proc, _ = lock(app, index_server, "--include-tests")
    assert proc.returncode == 0, proc.stderr
    back = run("export", "pylock.toml", "--format", "pylock", "-o", "again.toml", cwd=app)
    assert back.returncode == 0, back.stderr
    assert (app / "again.toml").read_text() == (app / "pylock.toml").read_text()


@pytest.mark.slow
def test_uv_installs_the_default_set_and_the_test_group_on_request(app, index_server, tmp_path):
    proc, path = lock(app, index_server, "--include-tests")
    assert proc.returncode == 0, proc.stderr
    uv = [sys.executable, "-m", "uv"]
    for name, group in (("plain", []), ("with-tests", ["--group", "test"])):
        venv = tmp_path / name
        assert subprocess.run([*uv, "venv", "-q", str(venv)], capture_output=True).returncode == 0
        python = venv / "bin" / "python"
        inst = subprocess.run([*uv, "pip", "install", "--python", str(python), "-r", str(path), *group],
                              capture_output=True, text=True)
        assert inst.returncode == 0, inst.stdout + inst.stderr
        freeze = subprocess.run([*uv, "pip", "freeze", "--python", str(python)], capture_output=True, text=True)
        names = {line.split("==")[0] for line in freeze.stdout.splitlines()}
        assert names == ({"httpish", "dateparse"} | ({"pytestish", "pluggish"} if group else set())), names

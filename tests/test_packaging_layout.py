"""The built wheel installs everything under `poncho` and nothing else at top level."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from venvs import pip_env

REPO = Path(__file__).resolve().parent.parent
_ROOT_ONLY = {".git", "build", "dist", ".venv", ".ci-venv", ".index-build"}  # at the top; index_cache/build stays
_ANYWHERE = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def _clean_copy(dest: Path) -> Path:
    """The source tree without build leftovers: setuptools packs a stale ``build/lib`` as it finds it."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in _ANYWHERE or n.endswith(".egg-info")}
        return skip | (_ROOT_ONLY & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    src = _clean_copy(tmp_path_factory.mktemp("src") / "poncho-resolve")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(src)],
                          capture_output=True, text=True, env=pip_env(), stdin=subprocess.DEVNULL, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("poncho_resolve-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_has_only_the_poncho_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"poncho"}, sorted(tops)
    for stage in ("analysis", "index_cache", "resolver", "lock", "net"):
        assert f"poncho/{stage}/__init__.py" in names
    assert not any(n.startswith(("analysis/", "resolver/", "tests/", "corpora/")) for n in names)


@pytest.mark.slow
def test_wheel_declares_console_script_and_dependencies(wheel):
    zf = zipfile.ZipFile(wheel)
    info = next(n.split("/")[0] for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert "poncho-resolve = poncho.cli:main" in entry_points
    metadata = zf.read(f"{info}/METADATA").decode()
    for dep in ("libcst", "resolvelib", "packaging", "requests", "CacheControl", "platformdirs"):
        assert f"Requires-Dist: {dep}" in metadata, dep
    assert "Requires-Python: >=3.10" in metadata


@pytest.mark.slow
def test_wheel_ships_the_lookup_data_but_not_the_builder_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "poncho/index_cache/data/import-index.tsv" in names
    data = {n for n in names if n.endswith((".tsv", ".json"))}
    assert not {n for n in data if n.rsplit("/", 1)[-1] in ("projects.tsv", "pypi-top15000.tsv", "manifest.json")}
    assert not [n for n in names if "/build/data/" in n]
    # the builder and the shared readers are code the wheel does carry
    for module in ("index_cache/build/__init__.py", "index_cache/build/crawl.py", "index_cache/__main__.py",
                   "artifacts/wheel.py", "artifacts/sdist.py", "artifacts/release.py"):
        assert f"poncho/{module}" in names, module


@pytest.mark.slow
def test_installed_index_build_needs_input(wheel, tmp_path):
    """Without the checkout's popularity list, ``index build`` asks for --input (exit 2) before any request."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    env = dict(pip_env(), PYTHONPATH=str(site))  # ahead of the editable install on sys.path
    where = subprocess.run([sys.executable, "-c", "import poncho.index_cache.build.store as s; print(s.__file__)"],
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    proc = subprocess.run([sys.executable, "-m", "poncho.index_cache", "build", "--index-url", "http://127.0.0.1:9/simple/",
                           "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 2, proc.stderr
    assert "--input is required" in proc.stderr and "pypi-top15000.tsv" in proc.stderr
    assert not (tmp_path / "out").exists()

"""The built wheel installs everything under `poncho` and nothing else at top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from venvs import pip_env

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(REPO)],
                          capture_output=True, text=True, env=pip_env(), stdin=subprocess.DEVNULL, timeout=600)
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

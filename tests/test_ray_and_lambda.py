"""Ray's runtime_env (shape, and installed the way Ray installs it) and an AWS Lambda zip layer made with the
real ``pip install --target`` from a lock."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import zipfile

import pytest
from venvs import pip_env

from poncho.lock.ray_env import RAY_DEFAULT_OPTIONS, runtime_env
from poncho.pipeline import Options, Pipeline
from support.cli import run as cli
from support.wheels import serve_geotools

JOB = "import geotools\n"


@pytest.fixture
def locked(index_server, tmp_path):
    serve_geotools(index_server, tmp_path / "wheels")
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text(JOB)
    lock = Pipeline(Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache")).lock([app]).lock
    return lock, app


def test_ray_runtime_env_shape(locked, index_server):
    lock, _ = locked
    env = json.loads(lock.render("ray"))
    assert env == runtime_env(lock) and list(env) == ["pip"]
    pip = env["pip"]
    assert set(pip) == {"packages", "pip_check", "pip_install_options"} and pip["pip_check"] is False
    assert pip["pip_install_options"] == [*RAY_DEFAULT_OPTIONS, "--no-deps", "--require-hashes",
                                          "--index-url", index_server.url]
    line = re.compile(r"^[A-Za-z0-9._-]+==[^ ;]+( ; [^-]+)?( --hash=sha256:[0-9a-f]{64})+$")
    assert all(line.match(p) for p in pip["packages"]), pip["packages"]
    by_name = {p.split("==")[0]: p for p in pip["packages"]}
    assert set(by_name) == {e.name for e in lock.entries}
    for e in lock.entries:
        assert all(f"--hash=sha256:{a.sha256}" in by_name[e.name] for a in e.artifacts)


@pytest.mark.slow
def test_ray_packages_install_the_way_ray_installs_them(locked, tmp_path):
    """Ray writes ``packages`` to a requirements file and runs ``pip install <pip_install_options> -r`` on it."""
    lock, app = locked
    # A marker on a line, as a lock may carry one: pip must still read the line with its hashes.
    first = lock.entries[0]
    lock = dataclasses.replace(lock, entries=(dataclasses.replace(first, marker='python_version >= "3"'),
                                              *lock.entries[1:]))
    pip = runtime_env(lock)["pip"]
    assert pip["packages"][0].startswith(f'{first.name}=={first.version} ; python_version >= "3" --hash=sha256:')
    reqs = tmp_path / "ray_requirements.txt"
    reqs.write_text("\n".join(pip["packages"]) + "\n")
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", *pip["pip_install_options"], "--target", str(target),
                           "-r", str(reqs)], capture_output=True, text=True, env=pip_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = subprocess.run([sys.executable, "-c", "import geotools; print(geotools.VALUE)"], capture_output=True,
                         text=True, env={**pip_env(), "PYTHONPATH": str(target)})
    assert out.stdout.strip() == "3000", out.stderr


@pytest.mark.slow
def test_lambda_layer_zip_from_the_lock_with_pip_install_target(locked, index_server, tmp_path):
    """The README's Lambda recipe: lock for the Lambda runtime, `pip install --target python/` for its platform,
    zip; the layer's python/ directory is what Lambda puts on sys.path."""
    lock, app = locked
    lock_file = tmp_path / "layer.lock"
    proc = cli(str(app), "-o", str(lock_file), "--index-url", index_server.url, "--no-pip-config",
               "--target", "cp312-manylinux_2_28_x86_64", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    build = tmp_path / "layer"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--require-hashes", "--only-binary=:all:",
         "--platform", "manylinux_2_28_x86_64", "--python-version", "3.12", "--implementation", "cp",
         "--index-url", index_server.url, "--target", str(build / "python"), "-r", str(lock_file)],
        capture_output=True, text=True, env=pip_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(build.rglob("*")):
            zf.write(path, path.relative_to(build).as_posix())
    names = zipfile.ZipFile(layer).namelist()
    assert "python/geotools/__init__.py" in names and "python/unitconv/__init__.py" in names
    # Pure-Python wheels import straight from the zip, as they will from /opt/python on Lambda.
    out = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(layer / 'python')!r}); "
                          "import geotools; print(geotools.VALUE)"], capture_output=True, text=True)
    assert out.stdout.strip() == "3000", out.stderr

"""Options in one place: flags > [tool.poncho] > pip's configuration > defaults, for the CLI and lock_for alike."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import poncho
from poncho.config import DEFAULT_INDEX, Options, load_options, parse_target
from poncho.errors import ConfigError, ExitCode, UsageError
from poncho.resolver.target import Target
from support.wheels import build_wheel


def test_target_strings():
    t = Options(target="cp311-manylinux_2_28_x86_64").target
    assert isinstance(t, Target) and t.python_full_version == "3.11.0"
    assert t.platform_label == "manylinux_2_28_x86_64" and t.marker_environment["sys_platform"] == "linux"
    win = parse_target("cp313-win_amd64")
    assert win.python_full_version == "3.13.0" and win.marker_environment["sys_platform"] == "win32"
    here = parse_target("3.12.4")
    assert here.python_full_version == "3.12.4" and here.platform_label == Target.current().platform_label
    for bad in ("cp2-win_amd64", "cpXY-win_amd64", "cp311-amiga", "three"):
        with pytest.raises(ConfigError):
            parse_target(bad)
    with pytest.raises(ConfigError, match="cannot be combined"):
        parse_target("cp311-win_amd64", platform="macosx_11_0_arm64")


def test_offline_needs_a_cache():
    with pytest.raises(UsageError) as info:
        Options(offline=True, cache_dir=None)
    assert info.value.exit_code == ExitCode.USAGE


def _project(tmp_path: Path, table: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'job'\nversion = '1'\n\n[tool.poncho]\n" + table)
    return root


def test_precedence_flags_then_project_then_pip(tmp_path):
    root = _project(tmp_path, "index-url = 'https://project.example/simple/'\npython-version = '3.12'\n"
                              "constraints = ['pins.txt']\ninclude-optional = true\n")
    (root / "pins.txt").write_text("pyyaml<7\n")
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text("[global]\nindex-url = https://pip.example/simple/\n"
                        "extra-index-url = https://extra.example/simple/\ncert = /etc/ssl/corp.pem\n")
    # This machine sets PIP_CERT for its proxy; the settings below come from this environment alone.
    environ = {"PIP_CONFIG_FILE": str(pip_conf), "HOME": str(tmp_path)}

    opts = load_options([root / "job.py"], environ=environ)
    assert opts.index_urls == ("https://project.example/simple/", "https://extra.example/simple/")
    assert opts.cert == "/etc/ssl/corp.pem"
    assert isinstance(opts.target, Target) and opts.target.python_full_version == "3.12.0"
    assert str(opts.constraints["pyyaml"]) == "<7" and opts.include_optional is True
    assert opts.pyproject == root / "pyproject.toml"

    flags = load_options([root / "job.py"], index_url="https://flag.example/simple/", target="cp311-win_amd64",
                         include_optional=False, cert="/tmp/mine.pem", environ=environ)
    assert flags.index_urls[0] == "https://flag.example/simple/" and flags.cert == "/tmp/mine.pem"
    assert isinstance(flags.target, Target) and flags.target.platform_label == "win_amd64"
    assert flags.include_optional is False

    bare = load_options([tmp_path / "nowhere.py"], use_pip_config=False)
    assert bare.index_urls == (DEFAULT_INDEX,) and bare.cert is None and bare.target is None


@pytest.mark.parametrize("table, message", [
    ("index_url = 'x'\n", "unknown key(s) index_url"),
    ("python-version = 3.12\n", "python-version must be a str"),
    ("extra-index-urls = 'https://x/'\n", "extra-index-urls must be a list of strings"),
    ("constraints = ['missing.txt']\n", "missing.txt: cannot read constraints"),
])
def test_bad_project_settings_name_the_file(tmp_path, table, message):
    root = _project(tmp_path, table)
    with pytest.raises(ConfigError) as info:
        load_options([root], use_pip_config=False)
    assert message in str(info.value)


MODULE = "def handler(event):\n    import yaml\n    return yaml.safe_dump(event)\n"


def test_lock_for_and_the_cli_agree_on_pip_config(tmp_path, index_server, monkeypatch):
    """A lock made by lock_for with pip's index passes `check` by the CLI on the same machine."""
    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text(f"[global]\nindex-url = {index_server.url}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(pip_conf))
    app = tmp_path / "app"
    app.mkdir()
    (app / "jobs.py").write_text(MODULE)
    spec = importlib.util.spec_from_file_location("poncho_cfg_jobs", app / "jobs.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["poncho_cfg_jobs"] = mod
    try:
        spec.loader.exec_module(mod)
        lock = poncho.lock_for(mod.handler)
    finally:
        sys.modules.pop("poncho_cfg_jobs", None)
    assert [e.name.lower() for e in lock.entries] == ["pyyaml"] and lock.index_urls == (index_server.url,)
    lock.write(app / "env.lock")
    env = dict(os.environ, PIP_CONFIG_FILE=str(pip_conf))
    proc = subprocess.run([sys.executable, "-m", "poncho", "check", "jobs.py:handler", "--lock", "env.lock"],
                          cwd=app, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Without pip's index the digest differs: the check is really comparing the settings.
    env["PIP_CONFIG_FILE"] = os.devnull
    other = subprocess.run([sys.executable, "-m", "poncho", "check", "jobs.py:handler", "--lock", "env.lock",
                            "--index-url", index_server.url + "other/"],
                           cwd=app, capture_output=True, text=True, env=env, timeout=120)
    assert other.returncode == 1 and "PR005" in other.stdout, other.stdout + other.stderr


def test_lock_write_infers_the_format(tmp_path, index_server):
    from poncho.lock.parse import read_lock

    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    lock = poncho.pipeline.lock([root], Options(index_urls=(index_server.url,), cache_dir=tmp_path / "c"))
    assert lock.write(root) == root / "env.lock"
    assert "\nlock-version = \"1.0\"\n" in lock.write(root / "pylock.toml").read_text()
    assert lock.write(root / "environment.yml").read_text() == lock.render("conda")
    for path in (root / "env.lock", root / "pylock.toml"):
        assert set(read_lock(path).entries) == {"pyyaml"}
    with pytest.raises(UsageError, match="say which JSON"):
        lock.write(root / "lock.json")
    assert lock.write(root / "lock.json", "json").is_file()
    with pytest.raises(UsageError, match="directory does not exist"):
        lock.write(root / "missing" / "env.lock")


@pytest.mark.parametrize("fmt, name", [("requirements", "env.lock"), ("pylock", "pylock.toml"), ("json", "lock.json")])
def test_a_lock_is_a_constraints_file(tmp_path, index_server, fmt, name):
    """`-c env.lock` pins what the lock pins (pip-compile and uv accept their locks the same way)."""
    from poncho.config import read_constraints

    w = tmp_path / "w"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    lock = poncho.pipeline.lock([root], Options(index_urls=(index_server.url,), cache_dir=tmp_path / "c"))
    path = lock.write(root / name, fmt)
    assert {k: str(v) for k, v in read_constraints([path]).items()} == {"pyyaml": "==6.0"}
    index_server.add(build_wheel(w, "PyYAML", "6.1", files={"yaml/__init__.py": ""}))
    again = poncho.pipeline.lock([root], Options(index_urls=(index_server.url,), cache_dir=None,
                                                 constraints=read_constraints([path])))
    assert [(e.name, e.version) for e in again.entries] == [("PyYAML", "6.0")]

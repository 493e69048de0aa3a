"""Regressions from the architecture and hardening review: each was an exit 70, a wrong lock or a leak."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poncho.config import load_options
from poncho.errors import BadResponse, ExitCode, redact_url
from poncho.net.simple_api import parse_project_page
from support.cli import run
from support.wheels import build_wheel


@pytest.fixture
def served(index_server, tmp_path):
    w = tmp_path / "wheels"
    for version in ("6.0", "6.1"):
        index_server.add(build_wheel(w, "PyYAML", version, files={"yaml/__init__.py": ""}))
    return index_server


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    return root


def test_hand_edited_locks_are_lock_errors_or_pin_nothing(project, served):
    (project / "hand.lock").write_text("pyyaml==6.*\n")  # not a pin: the re-lock keeps nothing, exit 0
    proc = run("job.py", "--index-url", served.url, "--no-cache", "-o", "hand.lock", cwd=project)
    assert proc.returncode == 0, proc.stderr
    (project / "bad.lock").write_text("pyyaml==6.0 --hash=abc\n")
    check = run("check", "job.py", "--lock", "bad.lock", "--index-url", served.url, cwd=project)
    assert check.returncode == ExitCode.USAGE and "bad.lock:1" in check.stderr
    relock = run("job.py", "--index-url", served.url, "--no-cache", "-o", "bad.lock", cwd=project)
    assert relock.returncode == 0 and "not read as a lock" in relock.stderr


def test_index_json_fields_of_the_wrong_type():
    base = "https://index.example/simple/x/"
    good = {"filename": "x-1.0-py3-none-any.whl", "url": "x-1.0-py3-none-any.whl", "hashes": {"sha256": "a" * 64}}
    for bad in ({"core-metadata": {"sha256": 5}}, {"filename": 5}, {"url": 7}):
        with pytest.raises(BadResponse):
            parse_project_page("x", base, json.dumps({"name": "x", "files": [dict(good, **bad)]}).encode(),
                               "application/vnd.pypi.simple.v1+json")
    for size in ("123", True, -5):
        page = parse_project_page("x", base, json.dumps({"name": "x", "files": [dict(good, size=size)]}).encode(),
                                  "application/vnd.pypi.simple.v1+json")
        assert page.files[0].size is None


def test_upgrade_package_neither_enters_the_digest_nor_misses_its_name(project, served):
    assert run("job.py", "--index-url", served.url, "--no-cache", "-o", "env.lock", "-P", "pyyaml==6.0",
               cwd=project).returncode == 0
    assert "PyYAML==6.0" in (project / "env.lock").read_text()
    check = run("check", "job.py", "--lock", "env.lock", "--index-url", served.url, cwd=project)
    assert check.returncode == 0, check.stdout  # -P narrowed the resolution, it is not an input of the lock
    moved = run("job.py", "--index-url", served.url, "--no-cache", "-o", "env.lock", "-P", "PyYAML>=6.0",
                cwd=project)
    assert moved.returncode == 0 and "PyYAML==6.1" in (project / "env.lock").read_text()


def test_target_parts_merge_one_by_one(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.poncho]\npython-version = '3.12'\nplatform = 'macosx_11_0_arm64'\n")
    opts = load_options([root], platform="win_amd64", use_pip_config=False)
    assert opts.target.python_full_version == "3.12.0" and opts.target.platform_label == "win_amd64"  # type: ignore[union-attr]
    opts = load_options([root], python_version="3.13", use_pip_config=False)
    assert opts.target.platform_label == "macosx_11_0_arm64"  # type: ignore[union-attr]
    assert opts.explicit >= {"python", "platform"}


def test_check_takes_the_platform_from_the_header_when_only_python_is_configured(project, served):
    made = run("job.py", "--index-url", served.url, "-o", "mac.lock", "--target", "cp311-macosx_11_0_arm64",
               cwd=project)
    assert made.returncode == 0, made.stderr
    (project / "pyproject.toml").write_text("[tool.poncho]\npython-version = '3.11'\n")
    check = run("check", "job.py", "--lock", "mac.lock", "--index-url", served.url, cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_kept_pin_the_index_fails_to_serve_does_not_move_silently(project, served):
    assert run("job.py", "--index-url", served.url, "--no-cache", "-o", "env.lock", "-P", "pyyaml==6.0",
               cwd=project).returncode == 0
    served.failures["pyyaml-6.0-py3-none-any.whl"] = 503
    proc = run("job.py", "--index-url", served.url, "--no-cache", "-o", "env.lock", cwd=project)
    assert proc.returncode == ExitCode.INDEX and "pinned by the existing lock" in proc.stderr
    allowed = run("job.py", "--index-url", served.url, "--no-cache", "-o", "env.lock", "--allow-fallback",
                  cwd=project)
    assert allowed.returncode == 0 and "kept pin 6.0 unreadable" in (project / "env.lock").read_text()


def test_a_password_with_an_at_sign_is_redacted_whole():
    assert redact_url("https://user:p@ss@host/simple/") == "https://***@host/simple/"
    assert redact_url("at https://a:b@h/x and https://c@d/y") == "at https://***@h/x and https://***@d/y"


def test_small_review_items(tmp_path, project, served):
    import os

    from poncho.config import read_constraints
    from poncho.fileio import write_atomic

    constraints = tmp_path / "c.txt"
    constraints.write_text("pyyaml<7\t# tab before the comment, as pip allows\n")
    assert str(read_constraints([constraints])["pyyaml"]) == "<7"
    target = tmp_path / "keep-mode.lock"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o640
    proc = run("job.py", "--index-url", served.url, "-U", cwd=project)
    assert proc.returncode == 0 and "-U/-P move the pins of an existing -o lock" in proc.stderr

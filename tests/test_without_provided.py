"""``--without NAME``: the platform provides NAME (boto3 on AWS Lambda), so it stays out of the lock even when a
locked package depends on it, and so does what only it needed; the header says so and ``check`` agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from poncho.check import unmet_requirements
from poncho.config import parse_target
from poncho.lock.parse import read_lock
from support.cli import run
from support.wheels import build_wheel

LINUX = "cp311-manylinux_2_28_x86_64"


@pytest.fixture
def app(tmp_path, index_server) -> Path:
    """awsapp -> boto3-like ``cloudsdk`` -> ``cloudcore`` -> ``dateparse``; ``httpish`` -> ``dateparse`` too."""
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "awsapp", "1.0", requires_dist=["cloudsdk>=1"]))
    index_server.add(build_wheel(w, "cloudsdk", "1.2", requires_dist=["cloudcore", "jmesish"]))
    index_server.add(build_wheel(w, "cloudcore", "1.2", requires_dist=["dateparse"]))
    index_server.add(build_wheel(w, "jmesish", "1.0"))
    index_server.add(build_wheel(w, "dateparse", "2.9"))
    index_server.add(build_wheel(w, "httpish", "2.0", requires_dist=["dateparse"]))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handler.py").write_text("import awsapp\nimport httpish\nimport cloudsdk\n")
    return root


MAPS = ("--map", "awsapp=awsapp", "--map", "httpish=httpish", "--map", "cloudsdk=cloudsdk")


def pins(text: str) -> set[str]:
    return {line.split(" ")[0] for line in text.splitlines() if "==" in line and not line.startswith("#")}


def test_without_leaves_out_a_dependency_and_what_only_it_needs(app, index_server):
    proc = run("handler.py", "--index-url", index_server.url, "--target", LINUX, *MAPS, "--without", "cloudsdk",
               "-o", "env.lock", cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    # cloudcore and jmesish came only with cloudsdk; dateparse is httpish's too, so it stays.
    assert pins(text) == {"awsapp==1.0", "httpish==2.0", "dateparse==2.9"}
    assert "# provided: cloudsdk==1.2" in text
    assert ("# NOTE: without: cloudsdk==1.2, left out of the lock: the platform must provide it (resolved against "
            "1.2; needed by awsapp); left out with it, needed only by it: cloudcore, jmesish") in text
    assert "PR207" in proc.stderr and "needed by awsapp" in proc.stderr
    # check, with no flags: the header says the platform provides it; nothing is missing.
    ok = run("check", "handler.py", "--lock", "env.lock", *MAPS, cwd=app)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # Without the choice recorded, the same lock would be missing cloudsdk (the feature is what keeps check quiet).
    bare = text.replace("# provided: cloudsdk==1.2\n", "")
    (app / "bare.lock").write_text(bare)
    missing = run("check", "handler.py", "--lock", "bare.lock", *MAPS, cwd=app)
    assert missing.returncode == 1 and "PR001 cloudsdk" in missing.stdout


def test_a_pin_that_needs_a_provided_project_is_not_unmet(app, index_server):
    proc = run("handler.py", "--index-url", index_server.url, "--target", LINUX, *MAPS, "--without", "cloudsdk",
               "--format", "pylock", "-o", "pylock.toml", cwd=app)
    assert proc.returncode == 0, proc.stderr
    locked = read_lock(app / "pylock.toml")
    assert locked.provided == {"cloudsdk": "cloudsdk==1.2"}
    requires = {"awsapp": [Requirement("cloudsdk>=1")], "httpish": [Requirement("dateparse")]}
    target = parse_target(LINUX)
    assert unmet_requirements(locked, lambda e: requires.get(e.key, []), [target]) == []
    locked.provided.clear()
    assert [f.code for f in unmet_requirements(locked, lambda e: requires.get(e.key, []), [target])] == ["PR006"]


def test_without_a_direct_import_only_is_recorded_too(app, index_server):
    (app / "handler.py").write_text("import httpish\nimport cloudsdk\n")
    proc = run("handler.py", "--index-url", index_server.url, "--target", LINUX, *MAPS, "--without", "cloudsdk",
               "--format", "json", cwd=app)
    assert proc.returncode == 0, proc.stderr
    lock = json.loads(proc.stdout)
    assert {e["name"] for e in lock["entries"]} == {"httpish", "dateparse"}
    assert lock["provided"] == ["cloudsdk"]


@pytest.mark.slow
def test_the_lock_installs_onto_a_platform_that_provides_the_left_out_project(app, index_server, tmp_path):
    from venvs import make_venv
    from venvs import run as venv_run

    proc = run("handler.py", "--index-url", index_server.url, *MAPS, "--without", "cloudsdk", "-o", "env.lock",
               cwd=app)
    assert proc.returncode == 0, proc.stderr
    python = make_venv(tmp_path / "venv")
    pip = [str(python), "-m", "pip", "install", "-q", "--index-url", index_server.url]
    platform = venv_run([*pip, "cloudsdk==1.2"])  # what the platform ships (the Lambda runtime's boto3)
    assert platform.returncode == 0, platform.stderr
    inst = venv_run([*pip, "--no-deps", "--require-hashes", "-r", str(app / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert venv_run([str(python), "-m", "pip", "check"]).returncode == 0
    imp = venv_run([str(python), "-c", "import awsapp, httpish, cloudsdk, dateparse"])
    assert imp.returncode == 0, imp.stderr

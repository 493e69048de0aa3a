"""A consistent lock is checked, not trusted: PR006 when a pin's Requires-Dist is not met by the other pins.

The lock is made by the real CLI against the loopback index; the metadata
`check` reads is the resolver's own cache (the index is taken down to prove
it), fetched from the index only when the cache lacks it.
"""

from __future__ import annotations

import pytest

from support.cli import run
from support.wheels import build_wheel


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "webfw", "3.0", files={"webfw/__init__.py": ""},
                                 requires_dist=["werkzeug>=3", "colorlib; extra == 'color'"]))
    index_server.add(build_wheel(w, "werkzeug", "3.0", files={"werkzeug/__init__.py": ""}))
    index_server.add(build_wheel(w, "werkzeug", "2.0", files={"werkzeug/__init__.py": ""},
                                 requires_dist=["oldhelper"]))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("import webfw\n")
    made = run("app", "-o", "env.lock", "--map", "webfw=webfw", "--index-url", index_server.url, cwd=root)
    assert made.returncode == 0, made.stderr
    return root


def check(root, **env):
    return run("check", "app", "--lock", "env.lock", cwd=root, env_extra=env)


def test_a_hand_edited_pin_that_breaks_the_set_is_a_finding_read_from_the_cache(project, index_server):
    lock = project / "env.lock"
    lock.write_text(lock.read_text().replace("werkzeug==3.0", "werkzeug==2.0"))
    index_server.down = True  # the metadata comes from the cache the lock was made with
    proc = check(project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("PR006 webfw: webfw 3.0 requires werkzeug>=3, but the lock pins werkzeug 2.0 "
                                  "(env.lock:"), proc.stdout
    assert "PR005" not in proc.stdout  # the inputs did not change
    assert "werkzeug 2.0: its requirements were not checked" in proc.stderr  # never cached, index down: said


def test_a_removed_dependency_is_a_finding(project, index_server):
    lock = project / "env.lock"
    text = lock.read_text()
    lock.write_text(text[:text.index("werkzeug==3.0")])  # the last entry, cut off
    proc = check(project)
    assert proc.returncode == 1
    assert "PR006 webfw: webfw 3.0 requires werkzeug>=3, which the lock does not contain" in proc.stdout
    assert "colorlib" not in proc.stdout  # an extra the lock does not ask for is not required


def test_an_untouched_lock_reads_no_metadata(project, index_server, tmp_path):
    """Its pinned digest says the pins are as resolved: no cache, no index, and still up to date."""
    index_server.down = True
    proc = check(project, PONCHO_CACHE_DIR=str(tmp_path / "empty-cache"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_metadata_missing_from_the_cache_is_fetched(project, index_server, tmp_path):
    lock = project / "env.lock"
    lock.write_text(lock.read_text().replace("werkzeug==3.0", "werkzeug==2.0"))
    proc = check(project, PONCHO_CACHE_DIR=str(tmp_path / "empty-cache"))
    assert proc.returncode == 1
    assert "PR006 webfw: webfw 3.0 requires werkzeug>=3, but the lock pins werkzeug 2.0" in proc.stdout
    assert index_server.requests_for("webfw-3.0-py3-none-any.whl.metadata")
    # The edited pin's own requirements too: its hashes name 3.0's files, so 2.0's are found by version.
    assert "PR006 werkzeug: werkzeug 2.0 requires oldhelper, which the lock does not contain" in proc.stdout


def test_unmet_requirements_evaluates_markers_and_extras_per_target():
    from packaging.requirements import Requirement

    from poncho.check import unmet_requirements
    from poncho.lock.parse import LockedEntry, LockedFile
    from poncho.resolver.target import Target

    entries = {e.key: e for e in (
        LockedEntry("app-lib", "1.0", None, extras=("color",)),
        LockedEntry("colorlib", "0.5", None),
    )}
    locked = LockedFile("env.lock", entries)
    requires = {
        "app-lib": [Requirement("colorlib>=1; extra == 'color'"), Requirement("pywin32; sys_platform == 'win32'"),
                    Requirement("tomli; python_version < '3.11'")],
        "colorlib": [],
    }
    linux311 = Target.for_platform("3.11", "manylinux_2_28_x86_64")
    win310 = Target.for_platform("3.10", "win_amd64")
    found = unmet_requirements(locked, lambda e: requires[e.key], [linux311])
    assert [str(f) for f in found] == [
        "PR006 app-lib: app-lib 1.0 requires colorlib>=1; extra == \"color\", but the lock pins colorlib 0.5 (env.lock)"]
    found = unmet_requirements(locked, lambda e: requires[e.key], [linux311, win310])
    assert sorted(str(f).split(" requires ")[1].split(",")[0].split(" on ")[0] for f in found) == [
        "colorlib>=1; extra == \"color\"", "colorlib>=1; extra == \"color\"", "pywin32; sys_platform == \"win32\"",
        "tomli; python_version < \"3.11\""]


def test_verifying_pins_from_the_cache_loads_no_http_client(project):
    """The startup discipline holds for a hand-edited lock too: metadata in the cache is read without requests."""
    from test_startup_imports import HEAVY, modules_after

    lock = project / "env.lock"
    lock.write_text(lock.read_text().replace("# pinned-digest: sha256:", "# pinned-digest: sha256:0"))
    rc, modules = modules_after(["check", "app", "--lock", "env.lock"], project)
    assert rc == 0
    assert "poncho.resolver.metadata" in modules  # it did read the pins' metadata
    assert not HEAVY & modules, sorted(HEAVY & modules)

"""``--with REQ`` on the command line is part of the lock's contract: its header records it (``# with:``, pylock's
and the JSON lock's ``with``), so ``check`` and a flag-less re-lock add it again, as they do the header's target and
indexes. Without the record, ``check`` called the added requirement unused and the re-lock dropped it.
``[tool.poncho] with`` is read from pyproject, never from the header, so removing it there is seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from poncho.lock.parse import read_lock
from support.cli import run
from support.wheels import serve_yaml_fastjson

LINUX = "cp311-manylinux_2_28_x86_64"
FORMATS = [("env.lock", ()), ("pylock.toml", ("--format", "pylock")), ("env.json", ("--format", "json"))]


@pytest.fixture
def app(tmp_path, index_server) -> Path:
    serve_yaml_fastjson(index_server, tmp_path / "wheels")  # PyYAML (yaml), fastjson -> speedups
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.py").write_text("import yaml\n")
    return root


def _names(path: Path) -> set[str]:
    return set(read_lock(path).entries)


@pytest.mark.parametrize(("out", "fmt"), FORMATS)
def test_check_and_a_flag_less_relock_keep_what_with_added(app, index_server, out, fmt):
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--with", "fastjson>=1", *fmt, "-o", out,
               cwd=app)
    assert made.returncode == 0, made.stderr
    assert _names(app / out) == {"pyyaml", "fastjson", "speedups"}
    assert read_lock(app / out).flags.with_requirements == ("fastjson>=1",)

    ok = run("check", ".", "--lock", out, cwd=app)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    again = run(".", "-o", out, *fmt, cwd=app)  # no flags: the header's target, index and --with
    assert again.returncode == 0, again.stderr
    assert _names(app / out) == {"pyyaml", "fastjson", "speedups"}
    assert read_lock(app / out).flags.with_requirements == ("fastjson>=1",)


def test_without_the_record_check_calls_the_addition_unused(app, index_server):
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--with", "fastjson", "-o", "env.lock", cwd=app)
    assert made.returncode == 0, made.stderr
    text = (app / "env.lock").read_text()
    assert "# with: fastjson\n" in text
    (app / "bare.lock").write_text(text.replace("# with: fastjson\n", ""))
    stale = run("check", ".", "--lock", "bare.lock", cwd=app)
    assert stale.returncode == 1 and "PR003 fastjson" in stale.stdout + stale.stderr


def test_a_failing_check_re_locks_with_the_recorded_addition(app, index_server):
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--with", "fastjson", "-o", "env.lock", cwd=app)
    assert made.returncode == 0, made.stderr
    (app / "main.py").write_text("import yaml\nimport fastjson\nimport speedups\n")  # a new direct requirement
    stale = run("check", ".", "--lock", "env.lock", "--map", "speedups=speedups", cwd=app)
    assert stale.returncode == 1
    assert "--with fastjson" in stale.stdout + stale.stderr  # the printed re-lock command keeps the addition


def test_a_with_from_pyproject_is_not_recorded_so_removing_it_is_seen(app, index_server):
    (app / "pyproject.toml").write_text('[tool.poncho]\nwith = ["fastjson"]\n')
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "-o", "env.lock", cwd=app)
    assert made.returncode == 0, made.stderr
    assert "fastjson" in _names(app / "env.lock") and read_lock(app / "env.lock").flags.with_requirements == ()
    assert run("check", ".", "--lock", "env.lock", cwd=app).returncode == 0
    (app / "pyproject.toml").write_text("[tool.poncho]\n")
    stale = run("check", ".", "--lock", "env.lock", cwd=app)
    assert stale.returncode == 1 and "PR003 fastjson" in stale.stdout + stale.stderr


def test_with_given_to_check_wins_over_the_header(app, index_server):
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--with", "fastjson", "-o", "env.lock", cwd=app)
    assert made.returncode == 0, made.stderr
    other = run("check", ".", "--lock", "env.lock", "--with", "PyYAML", cwd=app)
    assert other.returncode == 1 and "PR003 fastjson" in other.stdout + other.stderr


@pytest.mark.parametrize(("out", "fmt"), FORMATS)
def test_the_scope_flags_are_recorded_too(app, index_server, out, fmt):
    """--exclude and --include-tests decide which files are analyzed, so which requirements the lock holds:
    without them, check called the tests' requirement unused and a tool's import missing."""
    (app / "tests").mkdir()
    (app / "tests" / "test_main.py").write_text("import fastjson\n")
    (app / "tools").mkdir()
    (app / "tools" / "gen.py").write_text("import speedups\n")
    maps = ("--map", "fastjson=fastjson", "--map", "speedups=speedups")
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--include-tests", "--exclude", "tools",
               *maps, *fmt, "-o", out, cwd=app)
    assert made.returncode == 0, made.stderr
    locked = read_lock(app / out)
    assert locked.flags.exclude == ("tools",) and locked.flags.include_tests
    assert locked.entries["fastjson"].direct and not locked.entries["speedups"].direct
    ok = run("check", ".", "--lock", out, *maps, cwd=app)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    again = run(".", "-o", out, *fmt, *maps, cwd=app)
    assert again.returncode == 0, again.stderr
    relocked = read_lock(app / out)
    assert relocked.flags.exclude == ("tools",) and relocked.flags.include_tests and "fastjson" in relocked.entries
    (app / "main.py").write_text("import yaml\nimport missing_thing\n")
    stale = run("check", ".", "--lock", out, *maps, "--map", "missing_thing=speedups", cwd=app)
    assert stale.returncode == 1
    assert "--exclude tools --include-tests" in stale.stdout + stale.stderr  # the printed re-lock command


def test_without_the_scope_record_check_disagrees(app, index_server):
    (app / "tests").mkdir()
    (app / "tests" / "test_main.py").write_text("import fastjson\n")
    maps = ("--map", "fastjson=fastjson")
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--include-tests", *maps, "-o", "env.lock",
               cwd=app)
    assert made.returncode == 0, made.stderr
    text = (app / "env.lock").read_text()
    (app / "bare.lock").write_text(text.replace("# include-tests: true\n", ""))
    stale = run("check", ".", "--lock", "bare.lock", *maps, cwd=app)
    assert stale.returncode == 1 and "PR003 fastjson" in stale.stdout + stale.stderr


def test_only_binary_is_recorded_so_an_upgrade_keeps_refusing_sdists(index_server, tmp_path):
    """``--only-binary`` prefers an older wheel to the newest sdist; a flag-less ``--upgrade`` re-lock reads the
    header's ``# only-binary: true`` and keeps doing so, where without it the sdist came back."""
    from support.wheels import build_sdist, build_wheel

    w = tmp_path / "w"
    index_server.add(build_wheel(w, "purelib", "1.0"))
    index_server.add(build_sdist(w, "purelib", "2.0"))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.py").write_text("import purelib\n")
    made = run(".", "--index-url", index_server.url, "--target", LINUX, "--map", "purelib=purelib", "--only-binary",
               "-o", "env.lock", cwd=root)
    assert made.returncode == 0, made.stderr
    text = (root / "env.lock").read_text()
    assert "purelib==1.0" in text and "# only-binary: true\n" in text
    upgraded = run(".", "-o", "env.lock", "--upgrade", cwd=root)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "purelib==1.0" in (root / "env.lock").read_text() and read_lock(root / "env.lock").flags.only_binary
    (root / "bare.lock").write_text(text.replace("# only-binary: true\n", ""))
    bare = run(".", "-o", "bare.lock", "--upgrade", cwd=root)
    assert bare.returncode == 0, bare.stderr
    assert "purelib==2.0" in (root / "bare.lock").read_text()  # the record is what kept the wheel

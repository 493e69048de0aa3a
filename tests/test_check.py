"""`poncho-resolve check`: findings with codes, exit 1 when the lock is stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.wheels import build_wheel


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["tinydep"]))
    index_server.add(build_wheel(w, "tinydep", "1.0"))
    index_server.add(build_wheel(w, "fastjson", "1.0", files={"fastjson/__init__.py": ""}))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text("import yaml\n")
    proc = run("app", "-o", "env.lock", "--index-url", index_server.url, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root


def test_fresh_lock_passes(project, index_server):
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "up to date" in proc.stderr


def test_new_import_is_missing_from_lock(project, index_server):
    (project / "app" / "extra.py").write_text("import fastjson\n")
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("PR001 fastjson: imported at app/extra.py:1")


def test_removed_import_and_transitive_only(project, index_server):
    (project / "app" / "main.py").write_text("import tinydep\n")
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("PR002 tinydep: imported at app/main.py:1 but locked only via pyyaml") for ln in lines)
    assert any(ln.startswith("PR003 PyYAML: env.lock:") for ln in lines)


def test_findings_as_json_lines_and_github_annotations(project, index_server):
    import json

    (project / "app" / "extra.py").write_text("\n\nimport fastjson\n")
    base = ["check", "app", "--lock", "env.lock", "--index-url", index_server.url, "--output-format"]
    as_json = run(*base, "json", cwd=project)
    assert as_json.returncode == 1, as_json.stderr
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records == [{"code": "PR001", "severity": "error", "file": "app/extra.py", "line": 3, "cell": None,
                        "message": "fastjson: imported at app/extra.py:3; re-lock"}]
    github = run(*base, "github", cwd=project)
    assert github.returncode == 1
    assert github.stdout == ("::error file=app/extra.py,line=3,title=PR001::"
                             "fastjson: imported at app/extra.py:3; re-lock\n")


def test_missing_or_garbled_lock_is_a_usage_error(project, index_server):
    proc = run("check", "app", "--lock", "nope.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 2 and "nope.lock: no such lock file" in proc.stderr
    (project / "bad.lock").write_text("this is ( not a requirement\n")
    proc = run("check", "app", "--lock", "bad.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 2 and "bad.lock:1: not a requirement line" in proc.stderr


def test_hand_edited_lock_is_caught_even_with_the_same_digest(project, index_server):
    lock = project / "env.lock"
    text = lock.read_text()
    start = text.index("PyYAML==")
    end = text.index("tinydep==")
    lock.write_text(text[:start] + text[end:])  # drop the PyYAML entry, keep the header digest
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith("PR001 PyYAML: imported at app/main.py:1")


def test_unmapped_imports_and_changed_inputs(project, index_server, tmp_path):
    (project / "app" / "extra.py").write_text("import no_such_module_anywhere\n")
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, "--no-probe", cwd=project)
    assert proc.returncode == 1
    assert "PR004 no_such_module_anywhere: imported at app/extra.py:1" in proc.stdout
    (project / "app" / "extra.py").unlink()
    # Same code, another target: the lock was made for other inputs.
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url,
               "--python-version", "3.10", "--platform", "manylinux_2_17_x86_64", cwd=project)
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout.startswith("PR005 env.lock: target: cpython 3.1"), proc.stdout
    assert "-> cpython 3.10 on manylinux_2_17_x86_64; re-lock with: poncho-resolve app -o env.lock " in proc.stdout


def test_requirements_for_other_platforms_are_not_missing(project, index_server):
    (project / "app" / "winonly.py").write_text(
        "import sys\n\nif sys.platform == 'win32':\n    import fastjson\n")
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert "PR001" not in proc.stdout, proc.stdout
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url,
               "--python-version", "3.11", "--platform", "win_amd64", cwd=project)
    assert "PR001 fastjson" in proc.stdout


def test_check_strict_fails_on_analysis_problems(project, index_server):
    (project / "app" / "broken.py").write_text("def f(:\n")
    proc = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 0 and "broken.py:1" in proc.stderr
    proc = run("check", "app", "--lock", "env.lock", "--strict", "--index-url", index_server.url, cwd=project)
    assert proc.returncode == 3


def test_check_reads_target_and_index_from_the_lock_header(project, index_server):
    """A lock made for macOS workers through pip's index passes `check` here with no flags (same answer
    on any machine); an explicit flag that differs from the header is still a finding."""
    pip_conf = project / "pip.conf"
    pip_conf.write_text(f"[global]\nindex-url = {index_server.url}\n")
    # XDG_CONFIG_DIRS: this machine's site-wide pip files (a constraints file) must not add inputs.
    env = dict(os.environ, PIP_CONFIG_FILE=str(pip_conf), XDG_CONFIG_DIRS=str(project / "no-site-config"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=project, capture_output=True, text=True,
                              env=env, stdin=subprocess.DEVNULL, timeout=120)

    made = cli("app", "-o", "mac.lock", "--target", "cp311-macosx_11_0_arm64")
    assert made.returncode == 0, made.stderr
    assert "# target: cpython 3.11 on macosx_11_0_arm64" in (project / "mac.lock").read_text()
    env["PIP_CONFIG_FILE"] = os.devnull  # another machine: no pip configuration at all
    proc = cli("check", "app", "--lock", "mac.lock")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    other = cli("check", "app", "--lock", "mac.lock", "--target", "cp312-win_amd64")
    assert other.returncode == 1 and "PR005" in other.stdout


def test_ignore_silences_exactly_what_it_names(project, index_server):
    (project / "app" / "main.py").write_text("import tinydep\n")  # PR002 tinydep, PR003 PyYAML
    (project / "app" / "extra.py").write_text("import fastjson\n")  # PR001 fastjson
    base = ["check", "app", "--lock", "env.lock", "--index-url", index_server.url]
    codes = lambda proc: sorted(line.split()[0] + ":" + line.split()[1].rstrip(":") for line in proc.stdout.splitlines())
    everything = run(*base, cwd=project)
    assert codes(everything) == ["PR001:fastjson", "PR002:tinydep", "PR003:PyYAML"]
    some = run(*base, "--ignore", "PR003", "--ignore", "PR001:fastjson", cwd=project)
    assert some.returncode == 1 and codes(some) == ["PR002:tinydep"]
    other_name = run(*base, "--ignore", "PR001:numpy", cwd=project)
    assert "PR001:fastjson" in codes(other_name)
    (project / "pyproject.toml").write_text('[tool.poncho.check]\nignore = ["PR002", "PR003", "PR001:FastJSON"]\n')
    configured = run(*base, cwd=project)
    assert configured.returncode == 0, configured.stdout
    bad = run(*base, "--ignore", "PR999", cwd=project)
    assert bad.returncode == 2 and "not a check finding" in bad.stderr


def test_format_json_and_github_parse_for_every_finding(project, index_server):
    """`--format` (the old `--output-format` stays an alias): every line of each output parses."""
    import json
    import re

    (project / "app" / "main.py").write_text("import tinydep\n")  # PR002 tinydep, PR003 PyYAML
    (project / "app" / "extra.py").write_text("x = 1\n\nimport fastjson\n")  # PR001 fastjson
    base = ["check", "app", "--lock", "env.lock", "--index-url", index_server.url]
    as_json = run(*base, "--format", "json", cwd=project)
    assert as_json.returncode == 1, as_json.stderr
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["code"], r["file"], r["line"], r["severity"]) for r in records] == [
        ("PR001", "app/extra.py", 3, "error"), ("PR002", "app/main.py", 1, "error"),
        ("PR003", "env.lock", records[2]["line"], "error")]
    assert records[2]["line"] > 0 and (project / "env.lock").read_text().splitlines()[records[2]["line"] - 1] \
        .startswith("PyYAML==")
    assert run(*base, "--output-format", "json", cwd=project).stdout == as_json.stdout

    github = run(*base, "--format", "github", cwd=project)
    assert github.returncode == 1
    command = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*,?)+)::(.*)$")
    parsed = []
    for line in github.stdout.splitlines():
        m = command.match(line)
        assert m, line
        props = dict(p.split("=", 1) for p in m.group(2).split(","))
        parsed.append((m.group(1), props["title"], props["file"], int(props["line"])))
        assert (project / props["file"]).is_file()
    assert parsed == [(lvl, code, file, line) for lvl, (code, file, line) in
                      zip(["error"] * 3, [(r["code"], r["file"], r["line"]) for r in records])]

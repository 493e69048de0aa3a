"""Progress and colors appear on a real terminal only (a pseudo-terminal from os.openpty), and NO_COLOR is
honoured; piped output stays plain text."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys

import pytest

from support.cli import run
from support.wheels import build_wheel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

SGR = re.compile(r"\x1b\[[0-9;]*m")  # a color (Select Graphic Rendition) sequence


def on_terminal(*args: str, cwd, env_extra=None) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe: (exit code, stdout, terminal text)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.update({"TERM": "xterm-256color", **(env_extra or {})})
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "poncho", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = []
    try:
        while select.select([master], [], [], 120)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            seen.append(data)
    finally:
        os.close(master)
    out = proc.stdout.read().decode() if proc.stdout else ""
    return proc.wait(timeout=60), out, b"".join(seen).decode(errors="replace")


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["tinydep"]))
    index_server.add(build_wheel(w, "tinydep", "1.0"))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text("import yaml\nimport not_a_module_anyone_ships\n")  # PR201, a warning
    return root


def test_progress_and_colors_on_a_terminal(project, index_server):
    code, out, tty = on_terminal("app", "--index-url", index_server.url, "--no-probe", cwd=project)
    assert code == 0, tty
    assert "\r\x1b[Kponcho-resolve: analyzing" in tty and "poncho-resolve: resolving" in tty, tty
    status = [part for part in tty.split("\r\x1b[K") if part.startswith("poncho-resolve: locking")]
    assert re.search(r"1 source files · 2 pages · 2 metadata · [\d.]+ (B|kB) · [\d.]+s$", status[0]), status
    assert "\x1b[1;33mwarning:\x1b[0m PR201" in tty  # the severity in color
    assert SGR.search(out) is None and "\r" not in out and "PyYAML==6.0" in out  # stdout is a pipe: plain

    code, out, tty = on_terminal("app", "--index-url", index_server.url, "--no-probe", cwd=project,
                                 env_extra={"NO_COLOR": "1"})
    assert code == 0
    assert "poncho-resolve: resolving" in tty  # progress stays
    assert SGR.search(tty) is None and "warning: PR201" in tty  # colors go

    code, out, tty = on_terminal("app", "--index-url", index_server.url, "--no-probe", "-q", cwd=project)
    assert code == 0 and "PyYAML==6.0" in out
    assert "poncho-resolve:" not in tty and "\x1b[1;33mwarning:\x1b[0m PR201" in tty  # -q: no progress line

    code, _, tty = on_terminal("check", "app", "--lock", "missing.lock", cwd=project)
    assert code == 2 and "\x1b[1;31merror:\x1b[0m missing.lock" in tty


def test_nothing_but_text_when_stderr_is_not_a_terminal(project, index_server):
    proc = run("app", "--index-url", index_server.url, "--no-probe", cwd=project)
    assert proc.returncode == 0
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr and "poncho-resolve:" not in proc.stderr
    assert "warning: PR201" in proc.stderr

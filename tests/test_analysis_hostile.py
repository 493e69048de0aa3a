"""Hostile input (CI and pre-commit run on code nobody reviewed): every bound has a diagnostic, nothing crashes.

The cases that used to kill the process (a segfault in libcst's native
parser) run the CLI in a subprocess, so a regression fails one test instead
of taking pytest down.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from poncho.analysis import analyze
from poncho.analysis.analyze import analyze_source
from poncho.analysis.nesting import MAX_BRACKETS, MAX_CHAIN, measure
from poncho.diagnostics import Code, Severity


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PONCHO_CACHE_DIR=str(cwd / ".cache"))
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=120)


# --- 1. the libcst fallback never gets input deeper than it survives -------------------------------

def test_nested_brackets_are_a_diagnostic_not_a_segfault(tmp_path):
    (tmp_path / "nest.py").write_text("[" * 2000 + "]" * 2000)
    (tmp_path / "ok.py").write_text("import yaml\n")
    proc = cli(".", "--no-resolve", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert "PyYAML" in proc.stdout
    assert "nest.py:1: cannot parse: too many nested parentheses" in proc.stderr


def test_deep_input_in_worker_processes(tmp_path):
    """The multi-process path (-j 2, a large tree) survives the same files."""
    for i in range(60):
        (tmp_path / f"m{i}.py").write_text("import os\n" + "# padding\n" * 1000)
    (tmp_path / "nest.py").write_text("[" * 2000 + "]" * 2000)
    # CPython stops at line 1 (syntax newer than 3.11 or simply invalid); libcst would recurse on line 2.
    (tmp_path / "chain.py").write_text("type X = int\nx = " + "+".join(["a"] * 10000) + "\n")
    (tmp_path / "unary.py").write_text("type X = int\nx = " + "-" * 20000 + "1\n")
    proc = cli(".", "--no-resolve", "--no-cache", "-j", "2", cwd=tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    for name, line in (("nest.py", 1), ("chain.py", 2), ("unary.py", 2)):
        assert f"{name}:{line}: cannot parse" in proc.stderr, proc.stderr


def test_newer_syntax_within_the_limits_still_uses_the_fallback():
    sites, diags = analyze_source("type X = int\nimport yaml\nx = " + "(" * 150 + "1" + ")" * 150 + "\n", "new.py",
                                  include_info=True)
    assert [s.module for s in sites] == ["yaml"]
    assert [d.code for d in diags] in ([Code.PARTIAL_ANALYSIS], [])  # [] on a Python that parses 3.12 syntax


def test_nesting_measure_skips_strings_and_comments():
    text = b"x = '(((' + \"[[[\"  # (((((\ny = '''\n)))\n'''\n"
    n = measure(text)
    assert n.brackets == 0 and n.chain == 2
    assert measure(b"[" * (MAX_BRACKETS + 1)).brackets == MAX_BRACKETS + 1
    assert measure(b"x = " + b" + ".join([b"a"] * (MAX_CHAIN + 1))).chain > MAX_CHAIN
    assert measure(b"x = [" + b", ".join([b"-a.b"] * 5000) + b"]").chain < 10  # a long flat list is not deep

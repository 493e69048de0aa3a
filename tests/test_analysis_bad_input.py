"""Bad input: each broken file gives exactly one `path:line: reason` diagnostic; the rest is analyzed."""

from __future__ import annotations

import os
import sys

import pytest

from poncho.analysis import analyze


def run(tmp_path, **kw):
    (tmp_path / "good.py").write_text("import requests\n")
    result = analyze([tmp_path], cache=False, **kw)
    assert [s.module for s in result.sites if s.file.endswith("good.py")] == ["requests"]
    return result


def one_diag(result, name):
    diags = [d for d in result.diagnostics if os.path.basename(d.file) == name]
    assert len(diags) == 1, [str(d) for d in result.diagnostics]
    assert str(diags[0]).startswith(f"{diags[0].file}:{diags[0].line}: ")
    return diags[0]


def test_syntax_error(tmp_path):
    (tmp_path / "bad.py").write_text("import os\n\ndef f(:\n    pass\n")
    d = one_diag(run(tmp_path), "bad.py")
    assert d.line == 3 and "cannot parse" in d.message


def test_python2(tmp_path):
    (tmp_path / "old.py").write_text('import urllib2\nprint "hello"\n')
    d = one_diag(run(tmp_path), "old.py")
    assert d.line == 2 and "Python 2" in d.message


def test_non_utf8_without_cookie(tmp_path):
    (tmp_path / "latin.py").write_bytes("import os\nx = 'caf\xe9'\n".encode("latin-1"))
    d = one_diag(run(tmp_path), "latin.py")
    assert "cannot decode" in d.message


def test_coding_cookie_and_bom_are_honoured(tmp_path):
    (tmp_path / "latin.py").write_bytes("# -*- coding: latin-1 -*-\nx = 'caf\xe9'\nimport numpy\n".encode("latin-1"))
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfimport scipy\n")
    r = run(tmp_path)
    assert {"numpy", "scipy"} <= {s.module for s in r.sites} and not r.diagnostics


def test_nul_byte_and_binary(tmp_path):
    (tmp_path / "nul.py").write_bytes(b"import os\nx = 1\x00\n")
    (tmp_path / "binary.py").write_bytes(bytes(range(256)) * 4)
    r = run(tmp_path)
    assert one_diag(r, "nul.py").line == 2 and "NUL" in one_diag(r, "binary.py").message


def test_large_file(tmp_path):
    with open(tmp_path / "huge.py", "wb") as fh:
        fh.write(b"import os\n" + b"x = 1\n" * (50 * 1024 * 1024 // 6))
    d = one_diag(run(tmp_path), "huge.py")
    assert "limit" in d.message


def test_unreadable_file(tmp_path):
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    r = run(tmp_path)
    assert "cannot read" in one_diag(r, "dangling.py").message


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads everything")
def test_permission_denied(tmp_path):
    p = tmp_path / "secret.py"
    p.write_text("import x\n")
    p.chmod(0)
    try:
        assert "cannot read" in one_diag(run(tmp_path), "secret.py").message
    finally:
        p.chmod(0o644)


def test_symlink_loops(tmp_path):
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "loop").symlink_to(tmp_path)
    r = run(tmp_path)
    assert "cannot read" in one_diag(r, "a.py").message
    assert any("symlink loop" in d.message for d in r.notes)  # a note: harmless, never a --strict failure
    assert not any("symlink loop" in d.message for d in r.diagnostics)


def test_strict_flag_and_info_notes(tmp_path):
    (tmp_path / "dyn.py").write_text("import importlib\ndef f(n):\n    importlib.import_module(n)\n")
    r = run(tmp_path)
    assert not r.diagnostics and not r.strict_failed and r.notes
    (tmp_path / "bad.py").write_text("def (:\n")
    assert analyze([tmp_path], cache=False).strict_failed


def test_analysis_never_runs_the_code(tmp_path):
    marker = tmp_path / "EXECUTED"
    payload = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
               "import importlib\nimportlib.import_module('evil_plugin')\n")
    (tmp_path / "trap.py").write_text(payload)
    (tmp_path / "__init__.py").write_text(payload)
    (tmp_path / "setup.py").write_text(payload)
    (tmp_path / "conftest_like.py").write_text(f"exec(open({str(tmp_path / 'trap.py')!r}).read())\n")
    r = analyze([tmp_path], cache=False, jobs=1)
    analyze([tmp_path], cache=True)
    assert not marker.exists()
    assert "evil_plugin" in {s.module for s in r.sites}


def test_diagnostics_carry_their_codes(tmp_path):
    from poncho.diagnostics import Code

    (tmp_path / "bad.py").write_text("def f(:\n    pass\n")
    (tmp_path / "dyn.py").write_text("import importlib\nimportlib.import_module(name)\n")
    (tmp_path / "new.py").write_text("type Alias = int\nimport gamma\n")
    (tmp_path / "old.py").write_text("import tomllib\n")
    r = analyze([tmp_path], python_version=(3, 10), cache=False)
    codes = {(os.path.basename(d.file), d.code) for d in [*r.diagnostics, *r.notes]}
    assert {("bad.py", Code.UNREADABLE), ("old.py", Code.TARGET_LACKS_STDLIB)} <= codes
    if sys.version_info < (3, 12):  # PEP 695 syntax goes to the libcst fallback
        assert ("new.py", Code.PARTIAL_ANALYSIS) in codes
    assert ("dyn.py", Code.DYNAMIC_UNKNOWN) in codes
    assert ("good.py", Code.UNREADABLE) not in codes

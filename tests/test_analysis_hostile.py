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


# --- 2. folding is bounded: length, candidates, combinations, work, depth -------------------------

def _limits(diags):
    return [d for d in diags if d.code is Code.DYNAMIC_UNKNOWN and "past a bound" in d.message]


def test_a_long_plus_chain_folds_without_recursion():
    text = "import importlib\nx = " + " + ".join(["'a'"] * 1200) + "\nimportlib.import_module(x)\n"
    sites, diags = analyze_source(text, "chain.py")
    assert [s.module for s in sites] == ["importlib", "a" * 1200] and not diags


def test_string_doubling_is_dropped_with_a_warning_not_built():
    lines = ["import importlib", "s0 = 'ab'"] + [f"s{i} = s{i - 1} + s{i - 1}" for i in range(1, 41)]
    sites, diags = analyze_source("\n".join(lines) + "\nimportlib.import_module(s40)\n", "dbl.py")
    assert [s.module for s in sites] == ["importlib"]
    [d] = _limits(diags)
    assert (d.file, d.line, d.severity) == ("dbl.py", 43, Severity.WARNING)
    assert "s12 on line 14" in d.message and len(d.message) < 200


def test_the_same_name_doubled_keeps_its_prefix():
    text = "import importlib\ns = 'ab'\n" + "s = s + s\n" * 40 + "importlib.import_module(s)\n"
    sites, diags = analyze_source(text, "same.py")
    assert [s.module for s in sites] == ["importlib"] and not diags  # 'ab...' is no module prefix


def test_format_over_loop_lists_is_bounded():
    loop = lambda v: "[" + ", ".join(f"'{v}{i}'" for i in range(30)) + "]"  # noqa: E731
    text = (f"import importlib\nfor a in {loop('a')}:\n    for b in {loop('b')}:\n        for c in {loop('c')}:\n"
            "            importlib.import_module('{}{}{}'.format(a, b, c))\n"
            "            importlib.import_module('{:99999999}'.format(a))\n"
            "            importlib.import_module('%99999999s' % a)\n"
            "            importlib.import_module('{:{}}'.format(a, '99999999'))\n")
    sites, diags = analyze_source(text, "fmt.py", include_info=True)
    assert [d.line for d in _limits(diags)] == [5, 6, 7]
    assert "combinations" in _limits(diags)[0].message
    assert all(len(s.module) < 100 for s in sites)


def test_sequence_doubling_and_deep_operators_are_bounded():
    import ast

    from poncho.analysis.folding import FoldLimit, bind, fold, strings_in

    env: dict = {}
    bind(env, "a", ast.parse("['x']", mode="eval").body)
    for _ in range(40):
        bind(env, "a", ast.parse("a + a", mode="eval").body)
    assert env["a"][0] == "limit"
    for text in ("a", "a + []"):
        try:
            strings_in(ast.parse(text, mode="eval").body, env)
        except FoldLimit as exc:
            assert "strings" in exc.reason
        else:
            raise AssertionError("a sequence past the bound was folded")
    deep = ast.parse("'%s'" + " % 'x'" * 1200, mode="eval").body
    try:
        fold(deep, {})
    except FoldLimit as exc:
        assert "nested" in exc.reason


def test_cli_doubling_file_stays_small(tmp_path):
    lines = ["import importlib", "s0 = 'ab'"] + [f"s{i} = s{i - 1} + s{i - 1}" for i in range(1, 41)]
    (tmp_path / "dbl.py").write_text("\n".join(lines) + "\nimportlib.import_module(s40)\n")
    proc = cli(".", "--no-resolve", cwd=tmp_path)
    assert proc.returncode == 0 and len(proc.stderr) < 2000, proc.stderr[:2000]
    assert "dbl.py:43: import_module() not analyzed" in proc.stderr
    assert sum(p.stat().st_size for p in (tmp_path / ".cache").rglob("*") if p.is_file()) < 100_000


def test_a_long_elif_chain_is_walked_without_recursion():
    """Each elif nests in the previous else: 300 branches used to pass Python's recursion limit."""
    branches = "".join(f"elif sys.platform == 'p{i}':\n    import m{i}\n" for i in range(1, 400))
    sites, diags = analyze_source("import sys\nif sys.platform == 'p0':\n    import m0\n" + branches, "disp.py",
                                  include_info=True)
    assert len(sites) == 401 and sites[5].marker and sites[-1].marker is None  # past the bound: no marker
    assert [d.code for d in diags] == [Code.PARTIAL_ANALYSIS] and diags[0].severity is Severity.INFO
    assert max(len(s.marker or "") for s in sites) < 5000


def test_elif_chains_never_reach_libcst_past_its_limit(tmp_path):
    branches = "".join(f"elif x{i}:\n    pass\n" for i in range(1, 12000))
    (tmp_path / "elif.py").write_text("type X = int\nif x0:\n    pass\n" + branches)
    proc = cli(".", "--no-resolve", "--no-cache", cwd=tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert "elif.py:" in proc.stderr and "elif branches" in proc.stderr


# --- 3. the walk stays inside the tree --------------------------------------------------------------

def test_symlinks_out_of_the_tree_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    (outside / "ns").mkdir(parents=True)
    (outside / "evil.py").write_text("import evil_dependency\n")
    (outside / "ns" / "mod.py").write_text("import evil_namespace\n")
    proj = tmp_path / "proj"
    (proj / "build" / "gen").mkdir(parents=True)
    (proj / "build" / "gen" / "gen.py").write_text("import yaml\n")  # build/ is skipped, but reached by a link
    (proj / "app.py").write_text("import requests\n")
    (proj / "escape").symlink_to(outside)
    (proj / "ns").symlink_to(outside / "ns")
    (proj / "gen").symlink_to(proj / "build" / "gen")
    result = analyze([proj], cache=False, jobs=1)
    assert sorted(s.module for s in result.sites) == ["requests", "yaml"]
    assert not result.diagnostics and not result.strict_failed
    skipped = sorted(os.path.basename(d.file) for d in result.notes if "symlink not followed" in d.message)
    assert skipped == ["escape", "ns"]
    assert all(d.severity is Severity.INFO and d.code is Code.UNREADABLE for d in result.notes)
    assert "ns" not in result.first_party and "evil" not in result.first_party


def test_a_symlink_to_the_root_directory_is_not_walked(tmp_path):
    (tmp_path / "app.py").write_text("import requests\n")
    (tmp_path / "root").symlink_to("/")
    proc = cli(".", "--no-resolve", "--no-cache", "-v", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["requests", "#", "via", "app.py:1", "(requests)"]
    assert "root:0: symlink not followed" in proc.stderr


# --- 4. notebooks of any shape ----------------------------------------------------------------------

def _notebook(tmp_path, content) -> list[str]:
    import json

    (tmp_path / "n.ipynb").write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    result = analyze([tmp_path], cache=False, jobs=1)
    assert result.files == 1
    return [s.module for s in result.sites] + [f"{d.cell}:{d.message}" for d in result.diagnostics]


def test_notebooks_of_any_shape_are_diagnostics(tmp_path):
    code = lambda source: {"cell_type": "code", "source": source}  # noqa: E731
    assert _notebook(tmp_path, {"cells": 5}) == ["None:not a notebook: cells is a number, not a list"]
    assert _notebook(tmp_path, {"cells": [code(["import a\n", None]), code("import b")]}) == [
        "b", "1:cell source is a list holding null, not text: cell not analyzed"]
    assert _notebook(tmp_path, {"cells": [5, "x", None, [], code("import c")]}) == ["c"]
    assert _notebook(tmp_path, {"cells": [code(5)]}) == ["1:cell source is a number, not text: cell not analyzed"]
    assert _notebook(tmp_path, {"metadata": [], "cells": [code("import d")]}) == ["d"]
    assert _notebook(tmp_path, {"metadata": {"kernelspec": 5}, "worksheets": [5, {"cells": [7, {
        "cell_type": "code", "input": "import e"}]}]}) == ["e"]
    assert _notebook(tmp_path, {"worksheets": {"a": 1}}) == ["None:not a notebook: worksheets is not a list"]
    assert _notebook(tmp_path, b"[" * 100_000) == ["None:not a notebook: JSON nested too deeply"]
    assert _notebook(tmp_path, {"cells": [code("import f\0"), code("import g")]}) == [
        "g", "1:cannot parse: source contains a NUL byte"]


def test_a_long_blank_notebook_line_is_linear():
    import time

    from poncho.analysis.notebooks import clean_cell

    start = time.perf_counter()
    clean_cell(" " * 200_000 + "\nimport x\n")
    assert time.perf_counter() - start < 1  # the old pattern took minutes


# --- 5. the project's pyproject.toml ([tool.poncho] first-party) -------------------------------------

def test_unusable_first_party_configuration_is_a_warning(tmp_path):
    import pytest

    from poncho.config import PROJECT_KEYS, load_options
    from poncho.errors import ConfigError

    assert "first-party" in PROJECT_KEYS
    (tmp_path / "app.py").write_text("import internal_sdk\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.poncho]\nfirst-party = ["internal_sdk"]\n')
    assert "internal_sdk" in analyze([tmp_path], cache=False).first_party
    load_options([tmp_path], use_pip_config=False)  # a key the analyzer reads is a known key
    bad = {b"[tool.poncho]\nfirst-party = 5\n": "first-party must be a list of strings",
           b'[tool.poncho]\nfirst-party = "abc"\n': "first-party must be a list of strings",
           b"tool = 5\n": "must be tables",
           b"[tool.poncho\n": "invalid TOML",
           b'[tool.poncho]\nfirst-party = ["\xff"]\n': "not UTF-8",
           b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n": "invalid TOML"}
    for content, reason in bad.items():
        pyproject.write_bytes(content)
        result = analyze([tmp_path], cache=False)
        [d] = result.diagnostics
        assert (d.file, d.severity, d.code) == (str(pyproject), Severity.WARNING, Code.UNREADABLE)
        assert reason in d.message and "internal_sdk" not in result.first_party
        with pytest.raises(ConfigError, match="pyproject.toml"):  # the CLI: exit 2, as for any [tool.poncho] key
            load_options([tmp_path], use_pip_config=False)


# --- 6. the analysis cache heals ------------------------------------------------------------------

def test_corrupted_cache_entries_are_misses_and_are_rewritten(tmp_path):
    import json

    from poncho.analysis.cache import SiteCache

    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("import requests\ntry:\n    import yaml\nexcept ImportError:\n    pass\n")
    store = SiteCache(tmp_path / "cache")
    first = analyze([src], cache=store, jobs=1)
    [entry] = [p for p in (tmp_path / "cache").rglob("*.json") if p.parent.name != "trees"]
    good = entry.read_bytes()
    import shutil
    row = json.loads(good)
    wrong_types = dict(row, sites=[[str(v) for v in site] for site in row["sites"]])
    for bad in [b"[]", b"null", b"\xff\xfe garbage", good[: len(good) // 2], b'{"schema": 1, "sites": []}',
                b'{"schema": 2, "sites": 5, "diagnostics": []}', b'{"schema": 2, "sites": [[1]], "diagnostics": []}',
                json.dumps(wrong_types).encode(), b"[" * 100_000]:
        entry.write_bytes(bad)
        shutil.rmtree(tmp_path / "cache" / "trees", ignore_errors=True)  # the whole-tree entry would answer first
        again = analyze([src], cache=store, jobs=1)
        assert (again.cache_hits, again.parsed) == (0, 1), bad[:40]
        assert again.sites == first.sites
        assert entry.read_bytes() == good  # rewritten
    assert analyze([src], cache=store, jobs=1).cache_hits == 1


def test_an_unwritable_cache_warns_once_and_degrades_to_no_caching(tmp_path):
    for i, name in enumerate(["requests", "yaml", "numpy"]):
        (tmp_path / f"m{i}.py").write_text(f"import {name}\n")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file where the cache directory should be\n")  # chmod cannot stop root
    env = dict(os.environ, PONCHO_CACHE_DIR=str(blocker))
    proc = subprocess.run([sys.executable, "-m", "poncho", ".", "--no-resolve"], cwd=tmp_path, capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [line for line in proc.stdout.splitlines() if not line.startswith(" ")] == ["numpy", "PyYAML", "requests"]
    assert proc.stderr.count("the analysis cache cannot be written") == 1, proc.stderr


def test_a_store_that_cannot_write_stops_trying(tmp_path):
    from poncho.analysis.cache import SiteCache

    (tmp_path / "blocker").write_text("x")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("import requests\n")
    store = SiteCache(tmp_path / "blocker" / "analysis")
    assert [s.module for s in analyze([tmp_path / "src"], cache=store, jobs=1).sites] == ["requests"]
    assert store.writable is False


def test_decoding_problems_are_found_by_type_not_by_message():
    cases = {b"# coding: nope\nimport x\n": (1, "unknown encoding: nope"),
             b"import os\n\nx = 'caf\xe9'\n": (3, "can't decode byte 0xe9"),
             b"# coding: rot13\nimport a\n": (1, "not a text encoding")}
    for data, (line, reason) in cases.items():
        [d] = analyze_source(data, "enc.py")[1]
        assert d.line == line and d.message.startswith("cannot decode: ") and reason in d.message, d


def test_functions_do_not_copy_the_module_environment():
    """Each function used to copy every module constant: 20,000 of each took seconds, 10 MB would take minutes."""
    import time

    n = 20_000
    text = ("import importlib\nNAME = 'plugins.a'\n" + "".join(f"C{i} = 'v{i}'\n" for i in range(n))
            + "".join(f"def f{i}():\n    pass\n" for i in range(n))
            + "def g():\n    importlib.import_module(NAME)\n"
            + "def h():\n    NAME = compute()\n    importlib.import_module(NAME)\n")
    start = time.perf_counter()
    sites, diags = analyze_source(text, "wide.py", include_info=True)
    assert time.perf_counter() - start < 2
    assert [s.module for s in sites] == ["importlib", "plugins.a"]  # h's NAME hides the module's: unknown
    assert [d.line for d in diags] == [3 * n + 7]

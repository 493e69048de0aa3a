"""Hypothesis fuzzing: hostile input gets a documented error or a diagnostic, never a crash.

Each property feeds random and mutated input to one reader and allows only
the errors that reader documents (a PonchoError subclass with its exit
code), or none. The example count is bounded for CI; a longer run:

    PONCHO_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poncho.analysis import analyze
from poncho.analysis.analyze import analyze_source
from poncho.config import load_options
from poncho.errors import BadResponse, ConfigError, LockFileError
from poncho.lock.parse import read_lock
from poncho.net.simple_api import parse_project_page

EXAMPLES = int(os.environ.get("PONCHO_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Pieces real code and real attacks are made of, so mutations reach the interesting paths.
SOURCE_PIECES = [
    "import yaml\n", "from . import x\n", "from .. import y\n", "try:\n    import a\nexcept ImportError:\n    pass\n",
    "if TYPE_CHECKING:\n    import t\n", "import importlib\nimportlib.import_module('p' + 'q')\n",
    "__import__('x' * 3)\n", "if sys.version_info >= (3, 11):\n    import tomllib\n", "(" * 50, ")" * 50,
    "def f():\n    import inner\n", "'{}{}'.format(a, b)\n", "\x00", "\ufeff", "# coding: latin-1\n", "\\\n",
    "import a.b.c as d\n", "from x import *\n", "lambda: __import__(name)\n", "s = 'a' + 'b'\n" * 3,
    "x = " + " + ".join(["'a'"] * 1200) + "\n",  # deeper than the recursion limit, valid Python
    "[" * 2000 + "]" * 2000 + "\n",  # a SyntaxError for CPython (too nested)
    "s = 'ab'\n" + "s = s + s\n" * 40 + "importlib.import_module(s)\n",  # 2**40 characters if folded naively
    # crash classes found while hardening (tests/test_analysis_hostile.py has one regression test each)
    "type X = int\n",  # syntax newer than 3.11: the rest of the text goes to the libcst fallback
    "x = " + "-" * 5000 + "1\n",  # CPython gives up; libcst would recurse once per operator
    "if y:\n    import d\n" + "elif x:\n    import e\n" * 400,  # each elif nests in the previous else
    "s0 = 'ab'\n" + "".join(f"s{i} = s{i - 1} + s{i - 1}\n" for i in range(1, 41)) + "__import__(s40)\n",
    "__import__('%999999999s' % 'a')\n", "__import__('{:{}}'.format('a', '999999999'))\n",
    "a = ['x']\n" + "a = a + a\n" * 30 + "INSTALLED_APPS = a\n",
    "for m in ['a', 'b', 'c']:\n    for n in ['d', 'e']:\n        __import__('{}.{}'.format(m, n))\n",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(st.lists(st.sampled_from(SOURCE_PIECES) | st.text(max_size=30), max_size=12))
def test_analyze_source_never_raises(pieces):
    sites, diags = analyze_source("".join(pieces), "fuzz.py")
    assert all(s.module for s in sites) and all(d.message for d in diags)


@FUZZ
@given(st.binary(max_size=300) | st.sampled_from([b"[]", b"null", b"{}", b"[" * 5000,
                                                  b'{"schema": 2, "sites": [[1]], "diagnostics": []}']))
def test_cache_entries_of_any_content_are_misses(tmp_path_factory, entry):
    from poncho.analysis.cache import SiteCache

    root = tmp_path_factory.mktemp("cached")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("import requests\ntry:\n    import yaml\nexcept ImportError:\n    pass\n")
    store = SiteCache(root / "cache")
    expected = analyze([root / "src"], cache=store, jobs=1).sites
    for path in (root / "cache").rglob("*.json"):
        path.write_bytes(entry)
    again = analyze([root / "src"], cache=store, jobs=1)
    assert again.sites == expected and again.cache_hits == 0


CELLS = st.lists(st.dictionaries(st.sampled_from(["cell_type", "source", "outputs", "metadata"]),
                                 st.sampled_from(["code", "markdown", ["import x\n", None], "%pip install y"])
                                 | JSON_VALUES, max_size=4), max_size=4)
NOTEBOOKS = st.one_of(
    JSON_VALUES.map(lambda v: json.dumps({"cells": v}).encode()),
    CELLS.map(lambda cells: json.dumps({"cells": cells, "nbformat": 4}).encode()),
    st.binary(max_size=200),
)


@FUZZ
@given(NOTEBOOKS)
def test_notebooks_of_any_shape(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("nb")
    (root / "n.ipynb").write_bytes(data)
    result = analyze([root], cache=False, jobs=1)
    assert result.files == 1


@FUZZ
@given(JSON_VALUES, st.text(max_size=30))
def test_pyproject_tool_poncho_tables(tmp_path_factory, table, key):
    import tomli_w

    root = tmp_path_factory.mktemp("proj")
    try:
        text = tomli_w.dumps({"tool": {"poncho": table if isinstance(table, dict) else {key or "k": table}}})
    except (TypeError, ValueError):
        return  # not representable as TOML (None values): nothing to feed
    (root / "pyproject.toml").write_text(text)
    (root / "job.py").write_text("import yaml\n")
    try:
        load_options([root], use_pip_config=False)
    except ConfigError:
        pass


@FUZZ
@given(st.sampled_from(["env.lock", "pylock.toml", "lock.json"]),
       st.lists(st.sampled_from(["pyyaml==6.0 \\\n", "    --hash=sha256:" + "a" * 64 + "\n", "# via x.py:1\n",
                                 "lock-version = \"1.0\"\n", "[[packages]]\n", "name = 5\n", "{\"format\": 1}",
                                 "[" * 40, "--index-url x\n", "# input-digest: z\n"]) | st.text(max_size=40),
                max_size=10))
def test_lock_files_of_any_shape(tmp_path_factory, name, pieces):
    path = Path(tmp_path_factory.mktemp("lock")) / name
    path.write_text("".join(pieces), encoding="utf-8")
    try:
        read_lock(path)
    except LockFileError:
        pass


@FUZZ
@given(JSON_VALUES, st.sampled_from(["application/vnd.pypi.simple.v1+json", "text/html"]))
def test_index_pages_of_any_shape(value, content_type):
    body = json.dumps({"name": "x", "files": value} if not isinstance(value, dict) else value).encode()
    for payload in (body, b"<a href='" + body[:50] + b"'>x</a>"):
        try:
            page = parse_project_page("x", "https://index.example/simple/x/", payload, content_type)
        except BadResponse:
            continue
        for f in page.files:  # what a page yields is safe to lock or fetch
            assert f.url.startswith("https://") and (f.sha256 is None or len(f.sha256) == 64)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

"""The visitor's shortcuts change nothing: every file analyzed both ways gives the same records.

The shortcuts (``analysis/visitor.py``): trigger lines found from the file's words in one pass, a rule
function's word (``use`` of ``matplotlib.use``) counted only where the file can reach its library, and
function bodies with no busy line (no ``import``, no trigger word, no watched assignment name) skipped
whole. The reference path finds trigger lines with a plain regex and visits every body.
"""

from __future__ import annotations

import ast
import re
import sysconfig
import warnings
from pathlib import Path

import pytest

from poncho.analysis.dynamic import TRIGGER_WORDS
from poncho.analysis.rules import load_rules
from poncho.analysis.visitor import SiteCollector, _scan, busy_lines, collect_sites, trigger_lines

REPO = Path(__file__).resolve().parent.parent


def _reference_triggers(text: bytes) -> list[int]:
    rules = load_rules()
    words = sorted(TRIGGER_WORDS | rules.trigger_words)
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b")
    return sorted({text.count(b"\n", 0, m.start()) + 1 for m in pattern.finditer(text)})


def _both_ways(path: Path) -> tuple[object, object] | None:
    data = path.read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    fast = collect_sites(tree, str(path), "pkg", "pkg.mod", data)
    slow = SiteCollector(str(path), "pkg", "pkg.mod", load_rules(), _reference_triggers(data), None).collect(tree)
    return fast, (slow.sites, slow.diagnostics)


def _compare(files: list[Path]) -> int:
    compared = 0
    for path in files:
        pair = _both_ways(path)
        if pair is None:
            continue
        fast, slow = pair
        assert fast == slow, path
        compared += 1
    return compared


def test_trigger_lines_are_the_regex_lines():
    text = (b"x = open('f')\n# use\nimport_module2 = 1\nfoo.update()\n\xc3\xa9open\n_open = 2\n"
            b"reopen()\nimportlib.import_module(name)\n__import__('a')\n")
    assert trigger_lines(text, load_rules()) == _reference_triggers(text) == [1, 2, 4, 5, 8, 9]


def test_busy_lines_hold_every_import_and_trigger_and_give_up_on_watched_names():
    rules = load_rules()
    text = b"def f():\n    return 1\n\ndef g():\n    from x import (\n        y)\n    reimport = 2\n"
    assert busy_lines(text, rules, trigger_lines(text, rules)) == [5, 7]
    assert busy_lines(b"def f():\n    DATABASES = {}\n", rules, []) is None
    assert busy_lines(b"def f():\n    c['sqlalchemy.url'] = 'x'\n", rules, []) is None


def test_a_skipped_body_would_have_yielded_nothing():
    text = (b"import importlib\n\ndef quiet():\n    name = 'yaml'\n    return name\n\n"
            b"def loud():\n    name = 'yaml'\n    return importlib.import_module(name)\n\n"
            b"def settings():\n    base = 'django.contrib.'\n    INSTALLED_APPS = [base + 'admin']\n")
    sites, _ = collect_sites(ast.parse(text), "m.py", "", "m", text)
    assert {(s.module, s.scope) for s in sites} == {("importlib", "<module>"), ("yaml", "loud"),
                                                    ("django.contrib.admin", "settings")}


def _reference(text: bytes, package: str) -> tuple[object, object]:
    c = SiteCollector("m.py", package, f"{package}.m", load_rules(), _reference_triggers(text), None)
    c.collect(ast.parse(text))
    return c.sites, c.diagnostics


def test_a_rule_function_word_counts_only_where_its_library_can_be_reached():
    rules = load_rules()
    scan = _scan(rules)
    # `use` (matplotlib.use) and `open` (fsspec.open) in a file that imports neither: not looked at
    prose = b"def save(path):\n    # use the backend\n    return open(path).read()\n"
    assert trigger_lines(prose, rules, scan.relevant(scan.words(prose), "app")) == []
    assert collect_sites(ast.parse(prose), "m.py", "app", "app.m", prose) == _reference(prose, "app") == ([], [])
    # the same words reached through an import, or a relative import inside the library itself
    cases = [(b"import matplotlib as mpl\n\ndef setup():\n    mpl.use('gtk4agg')\n", "app"),
             (b"from . import use\n\ndef setup():\n    use('qtagg')\n", "matplotlib")]
    for text, package in cases:
        fast = collect_sites(ast.parse(text), "m.py", package, f"{package}.m", text)
        assert fast == _reference(text, package)
        assert any(s.kind.value == "plugin" for s in fast[0]), text
    # a watched setting inside a function folds what the function bound, with or without a relevant trigger
    settings = b"def configure():\n    # use postgres\n    url = 'postgresql://db'\n    DATABASE_URL = url\n"
    assert collect_sites(ast.parse(settings), "m.py", "app", "app.m", settings) == _reference(settings, "app")


def test_corpora_give_the_same_records_both_ways():
    files = sorted(REPO.glob("corpora/**/*.py"))
    assert _compare(files) > 50


@pytest.mark.slow
def test_the_standard_library_gives_the_same_records_both_ways():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)
    assert _compare(files) > 1500

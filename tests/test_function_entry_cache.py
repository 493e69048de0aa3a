"""The function-entry cache (analysis.function_entry.memo): a warm walk is read back, never served for other code.

Real files on disk and the real walker; the entry is checked against every answer the file system gave the
walk, so each test changes one such answer and expects the walk's new result.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from poncho.analysis.function_entry import analyze_definition
from poncho.analysis.function_entry.memo import cached_definition

PY = (3, 11)


def _app(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "helpers.py").write_text("import yaml\n\ndef util():\n    return yaml\n")
    (root / "pkg" / "tasks.py").write_text(
        "import requests\nfrom .helpers import util\nimport mylib\n\n"
        "def task():\n    import click\n    return util(), mylib\n\n"
        "def other():\n    return requests\n")
    return root / "pkg" / "tasks.py"


def _modules(analysis) -> list[tuple[str, str, int]]:
    return sorted((s.module, s.file, s.line) for s in analysis.third_party)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.json"))


def _both(path: Path, root: Path, cache: Path, qualname: str = "task"):
    """The cached answer and a fresh walk of the same definition."""
    kw = {"line": None, "roots": [root], "python_version": PY}
    return cached_definition(path, qualname, directory=cache, **kw), analyze_definition(path, qualname, **kw)


def test_a_warm_walk_is_read_back_identical(tmp_path):
    path, cache = _app(tmp_path / "src"), tmp_path / "cache"
    first, fresh = _both(path, tmp_path / "src", cache)
    assert _modules(first) == _modules(fresh)
    assert {m for m, _, _ in _modules(first)} == {"click", "mylib", "yaml"}  # not requests: other() is not reached
    (entry,) = _entries(cache)
    stamp = entry.stat().st_ino
    again, _ = _both(path, tmp_path / "src", cache)
    assert entry.stat().st_ino == stamp  # read, not rewritten
    assert _modules(again) == _modules(first)
    assert again.files == first.files and again.first_party == first.first_party
    assert [str(d) for d in again.diagnostics] == [str(d) for d in first.diagnostics]


def test_an_edited_module_the_walk_reached_is_walked_again(tmp_path):
    root = tmp_path / "src"
    path, cache = _app(root), tmp_path / "cache"
    _both(path, root, cache)
    (root / "pkg" / "helpers.py").write_text("import toml\n\ndef util():\n    return toml\n")
    again, fresh = _both(path, root, cache)
    assert _modules(again) == _modules(fresh)
    assert "toml" in {m for m, _, _ in _modules(again)} and "yaml" not in {m for m, _, _ in _modules(again)}


def test_a_new_first_party_module_takes_the_name_from_the_index(tmp_path):
    """No file the walk read changed; a new file under the roots makes ``mylib`` the program's own."""
    root = tmp_path / "src"
    path, cache = _app(root), tmp_path / "cache"
    first, _ = _both(path, root, cache)
    assert "mylib" in {m for m, _, _ in _modules(first)}
    (root / "mylib.py").write_text("import attrs\n")
    again, fresh = _both(path, root, cache)
    assert _modules(again) == _modules(fresh)
    assert "mylib" not in {m for m, _, _ in _modules(again)}


def test_another_working_directory_or_definition_is_another_entry(tmp_path, monkeypatch):
    root = tmp_path / "src"
    path, cache = _app(root), tmp_path / "cache"
    _both(path, root, cache)
    monkeypatch.chdir(root)  # display paths are relative to it
    here, fresh = _both(path, root, cache)
    assert _modules(here) == _modules(fresh) and {f for _, f, _ in _modules(here)} == {os.path.join("pkg", "tasks.py"),
                                                                                       os.path.join("pkg", "helpers.py")}
    other, fresh_other = _both(path, root, cache, "other")
    assert _modules(other) == _modules(fresh_other) == [("requests", os.path.join("pkg", "tasks.py"), 1)]
    assert len(_entries(cache)) == 3


def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path):
    root = tmp_path / "src"
    path, cache = _app(root), tmp_path / "cache"
    first, _ = _both(path, root, cache)
    (entry,) = _entries(cache)
    for garbage in (b"{not json", b'{"schema": 1, "files": 3}', json.dumps({"schema": 1}).encode(), b"[]"):
        entry.write_bytes(garbage)
        again, _ = _both(path, root, cache)
        assert _modules(again) == _modules(first)
        assert json.loads(entry.read_text())["schema"] == 1 and "files" in json.loads(entry.read_text())


def test_live_functions_use_the_cache_they_are_given_and_none_without_one(tmp_path, monkeypatch):
    import importlib

    from poncho.live import requirements_for

    root = tmp_path / "src"
    (root / "livepkg_fec").mkdir(parents=True)
    (root / "livepkg_fec" / "__init__.py").write_text("")
    (root / "livepkg_fec" / "tasks.py").write_text("def task():\n    import click\n    import yaml\n")
    monkeypatch.syspath_prepend(str(root))
    task = importlib.import_module("livepkg_fec.tasks").task
    try:
        walked = requirements_for(task, python_version=PY, cache_dir=None)  # lock_for under --no-cache
        assert not (tmp_path / "cache").exists()
        first = requirements_for(task, python_version=PY, cache_dir=tmp_path / "cache")
        assert len(_entries(tmp_path / "cache" / "analysis" / "functions")) == 1
        again = requirements_for(task, python_version=PY, cache_dir=tmp_path / "cache")
    finally:
        for name in ("livepkg_fec.tasks", "livepkg_fec"):
            sys.modules.pop(name, None)
    assert _modules(walked) == _modules(first) == _modules(again)
    assert {m for m, _, _ in _modules(again)} == {"click", "yaml"}


def test_a_file_edited_during_the_walk_is_walked_again(tmp_path, monkeypatch):
    """The entry records the hash of the bytes the walk parsed, not of the file after the walk: an edit
    that lands while the walk runs leaves an entry that no longer matches, so the next call walks again."""
    import poncho.analysis.function_entry.analyze as walk_module

    root = tmp_path / "src"
    path, cache = _app(root), tmp_path / "cache"
    helpers = root / "pkg" / "helpers.py"
    real = walk_module.walk_definition

    def edited_while_walking(*args, **kwargs):  # type: ignore[no-untyped-def]
        walked = real(*args, **kwargs)  # helpers.py is parsed: it imports yaml
        helpers.write_text("import toml\n\ndef util():\n    return toml\n")  # saved before the entry is written
        return walked

    monkeypatch.setattr(walk_module, "walk_definition", edited_while_walking)
    first, _ = _both(path, root, cache)
    assert "yaml" in {m for m, _, _ in _modules(first)}
    monkeypatch.setattr(walk_module, "walk_definition", real)
    again, fresh = _both(path, root, cache)
    assert _modules(again) == _modules(fresh)
    assert "toml" in {m for m, _, _ in _modules(again)} and "yaml" not in {m for m, _, _ in _modules(again)}

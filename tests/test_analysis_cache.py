"""Per-file cache by content hash, and parallel parsing."""

from __future__ import annotations

import os
from pathlib import Path

from poncho.analysis import analyze
from poncho.analysis.cache import SiteCache, default_cache_dir


def tree(root: Path, n: int = 5) -> None:
    for i in range(n):
        (root / f"m{i}.py").write_text(f"import lib{i}\nimport os\ntry:\n    import opt{i}\nexcept ImportError:\n    pass\n")


def test_rerun_on_unchanged_tree_only_hashes(tmp_path):
    tree(tmp_path)
    cache = SiteCache(tmp_path / "cache")
    first = analyze([tmp_path / "m0.py", *sorted(tmp_path.glob("m*.py"))], cache=cache)
    second = analyze([tmp_path / "m0.py", *sorted(tmp_path.glob("m*.py"))], cache=cache)
    assert first.parsed == 5 and first.cache_hits == 0
    assert second.parsed == 0 and second.cache_hits == 5
    assert first.sites == second.sites and [s.note for s in first.sites] == [s.note for s in second.sites]


def test_changed_file_is_reparsed(tmp_path):
    tree(tmp_path)
    cache = SiteCache(tmp_path / "cache")
    src = tmp_path / "src"
    src.mkdir()
    tree(src)
    analyze([src], cache=cache)
    (src / "m3.py").write_text("import changed\n")
    r = analyze([src], cache=cache)
    assert r.parsed == 1 and "changed" in {s.module for s in r.sites}


def test_corrupted_entry_is_ignored_and_rewritten(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    tree(src, 2)
    cache = SiteCache(tmp_path / "cache")
    good = analyze([src], cache=cache)
    entries = sorted(p for p in (tmp_path / "cache").rglob("*.json") if p.parent.name != "trees")
    assert len(entries) == 2
    entries[0].write_bytes(b"{not json")
    for whole in (tmp_path / "cache" / "trees").iterdir():  # the whole-tree entry would answer first
        whole.unlink()
    again = analyze([src], cache=cache)
    assert again.parsed == 1 and again.sites == good.sites
    assert analyze([src], cache=cache).parsed == 0  # rewritten


def test_env_var_sets_the_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PONCHO_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" / "analysis"
    src = tmp_path / "src"
    src.mkdir()
    tree(src, 1)
    analyze([src])
    assert list((tmp_path / "c" / "analysis").rglob("*.json"))
    assert not [p for p in (tmp_path / "c").rglob(".tmp-*")]  # atomic writes leave no temp files


def test_cache_hit_survives_a_move(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    tree(a, 2)
    cache = SiteCache(tmp_path / "cache")
    analyze([a], cache=cache)
    os.rename(a, b)
    r = analyze([b], cache=cache)
    assert r.cache_hits == 2 and all(s.file.startswith(str(b)) for s in r.sites)


def test_parallel_equals_serial(tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules["poncho.analysis.analyze"], "PARALLEL_MIN_BYTES", 0)
    src = tmp_path / "big"
    src.mkdir()
    for i in range(80):
        (src / f"mod{i}.py").write_text(f"import dep{i}\nimport importlib\nimportlib.import_module('dyn{i}')\n")
    serial = analyze([src], jobs=1, cache=False)
    parallel = analyze([src], jobs=2, cache=False)
    assert parallel.parsed == 80 and parallel.sites == serial.sites
    assert {f"dep{i}" for i in range(80)} <= {s.module for s in parallel.sites}
    assert {f"dyn{i}" for i in range(80)} <= {s.module for s in parallel.sites}


def test_cached_diagnostics_keep_their_codes(tmp_path):
    from poncho.diagnostics import Code

    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "dyn.py").write_text("import importlib\nimportlib.import_module(name)\n")
    cache = SiteCache(tmp_path / "cache")
    first = analyze([tmp_path / "bad.py", tmp_path / "dyn.py"], cache=cache)
    second = analyze([tmp_path / "bad.py", tmp_path / "dyn.py"], cache=cache)
    assert second.cache_hits == 2
    for a in (first, second):
        assert [d.code for d in a.diagnostics] == [Code.UNREADABLE]
        assert [d.code for d in a.notes] == [Code.DYNAMIC_UNKNOWN]
    assert second.diagnostics[0].as_dict()["code"] == "PR101"


def test_an_untouched_tree_is_one_entry_and_any_change_moves_its_key(tmp_path, monkeypatch):
    """A warm run of an untouched tree reads one whole-tree entry and no source file; editing a file (same
    size, same second) or a damaged tree entry falls back to the per-file entries, which stay right."""
    import importlib

    analyze_module = importlib.import_module("poncho.analysis.analyze")  # the package re-exports the function

    src = tmp_path / "src"
    src.mkdir()
    tree(src)
    cache = SiteCache(tmp_path / "cache")
    first = analyze([src], cache=cache)
    (entry,) = (tmp_path / "cache" / "trees").iterdir()
    read: list[str] = []
    real_read = analyze_module._read
    monkeypatch.setattr(analyze_module, "_read", lambda f, size: read.append(str(f.path)) or real_read(f, size))
    again = analyze([src], cache=cache)
    assert read == [] and again.cache_hits == 5 and again.sites == first.sites
    before = os.stat(src / "m2.py")
    (src / "m2.py").write_text((src / "m2.py").read_text().replace("lib2", "new"))  # same size
    os.utime(src / "m2.py", ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime: ctime moves
    edited = analyze([src], cache=cache)
    assert "new" in {s.module for s in edited.sites} and "lib2" not in {s.module for s in edited.sites}
    assert edited.parsed == 1 and len(read) == 5
    for damaged in (b"", b"{not json", b'{"schema": 2, "files": [["x", [[1]], []]]}'):
        for e in (tmp_path / "cache" / "trees").iterdir():
            e.write_bytes(damaged)
        assert analyze([src], cache=cache).sites == edited.sites
    assert entry.parent.is_dir()

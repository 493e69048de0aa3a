"""The analysis cache stays bounded: whole-tree entries per root and in all, per-file entries by last use.

Real files in a real cache directory; entries are aged with ``os.utime`` (the cache's notion of last use).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from poncho.analysis import analyze
from poncho.analysis.cache import DAY, SiteCache


def write_tree(root: Path, n: int = 4) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"m{i}.py").write_text(f"import lib{i}\n")


def trees(cache: Path) -> list[Path]:
    return sorted((cache / "trees").glob("*.json"))


def per_file(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("??/*.json"))


def age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def test_each_root_keeps_its_newest_tree_entries_and_a_used_one_counts_as_new(tmp_path):
    src = tmp_path / "src"
    write_tree(src)
    cache = SiteCache(tmp_path / "cache", keep_trees=2)
    first = analyze([src], cache=cache)
    (first_entry,) = trees(tmp_path / "cache")
    for n in range(4):  # four more states of the same tree: four more entries written, two kept
        (src / "m0.py").write_text(f"import state{n}\n")
        age(trees(tmp_path / "cache")[0], 1)  # older than the one about to be written
        analyze([src], cache=cache)
        assert len(trees(tmp_path / "cache")) <= 2
    assert not first_entry.exists()
    newest = analyze([src], cache=cache)  # the current state answers from its tree entry
    assert newest.cache_hits == 4 and newest.parsed == 0 and "state3" in {s.module for s in newest.sites}

    # a state used again is kept over a newer one nobody used since
    (src / "m0.py").write_text("import lib0\n")
    analyze([src], cache=cache)
    older, lib0_state = sorted(trees(tmp_path / "cache"), key=lambda p: p.stat().st_mtime)
    age(lib0_state, 2)  # the oldest now, unless using it marks it
    age(older, 1)
    back = analyze([src], cache=cache)  # lib0 state: a hit, which marks its entry as used now
    assert back.parsed == 0 and back.sites == first.sites
    (src / "m1.py").write_text("import another\n")
    analyze([src], cache=cache)  # a new state: the entry used a moment ago survives, the other goes
    assert len(trees(tmp_path / "cache")) == 2 and lib0_state.exists() and not older.exists()
    (src / "m1.py").write_text("import lib1\n")
    again = analyze([src], cache=cache)
    assert again.parsed == 0 and again.cache_hits == 4 and again.sites == first.sites


def test_roots_share_an_overall_bound_and_do_not_evict_each_other_below_it(tmp_path):
    cache = SiteCache(tmp_path / "cache", keep_trees=2, max_trees=3)
    roots = [tmp_path / f"app{i}" for i in range(5)]
    for root in roots[:3]:
        write_tree(root)
        analyze([root], cache=cache)
    assert len(trees(tmp_path / "cache")) == 3  # one per root, below the overall bound
    for root in roots[3:]:
        write_tree(root)
        for p in trees(tmp_path / "cache"):
            age(p, 1)
        analyze([root], cache=cache)
    assert len(trees(tmp_path / "cache")) == 3
    assert analyze([roots[4]], cache=cache).parsed == 0  # the newest roots answer whole


def test_per_file_entries_unused_for_a_month_are_swept_once_a_day(tmp_path):
    src, other = tmp_path / "src", tmp_path / "other"
    write_tree(src)
    write_tree(other)
    (other / "m0.py").write_text("import elsewhere\n")
    cache_dir = tmp_path / "cache"
    cache = SiteCache(cache_dir, unused_days=30)
    analyze([src], cache=cache)
    analyze([other], cache=cache)
    entries = per_file(cache_dir)
    assert len(entries) == 5  # m1..m3 are the same in both trees: one entry each
    for p in entries:
        age(p, 40)
    stale_tmp = cache_dir / entries[0].parent.name / ".left-by-a-killed-run.1.2.3.tmp"
    stale_tmp.write_bytes(b"{")
    age(stale_tmp, 2)
    age(cache_dir / "last-sweep", 2)
    for p in trees(cache_dir):
        p.unlink()  # so that the run below reads per-file entries, which marks them as used

    (src / "m0.py").write_text("import fresh\n")  # src's other entries are read (used); m0 is new
    run = analyze([src], cache=cache)
    assert run.parsed == 1 and run.cache_hits == 3
    left = per_file(cache_dir)
    assert len(left) == 4  # src's three used entries and the new one; other's m0 and src's old m0 are gone
    assert not stale_tmp.exists()
    assert {s.module for s in analyze([other], cache=SiteCache(cache_dir)).sites} == {"elsewhere", "lib1", "lib2",
                                                                                     "lib3"}

    # the sweep ran today: entries aged now stay until tomorrow's run
    for p in per_file(cache_dir):
        age(p, 40)
    (src / "m1.py").write_text("import fresher\n")
    analyze([src], cache=cache)
    assert len(per_file(cache_dir)) == 6  # four used (or written) just now, two unused for 40 days
    assert cache.sweep(now=time.time() + 2 * DAY) and len(per_file(cache_dir)) == 4
    assert not cache.sweep(now=time.time() + 2.5 * DAY)  # once a day
    assert cache.sweep(now=time.time() + 31 * DAY) and per_file(cache_dir) == []


def test_concurrent_sweeps_and_readers_see_entries_or_misses(tmp_path):
    src = tmp_path / "src"
    write_tree(src, 40)
    cache_dir = tmp_path / "cache"
    first = analyze([src], cache=SiteCache(cache_dir), jobs=1)
    for p in [*per_file(cache_dir), *trees(cache_dir)]:
        age(p, 40)
    age(cache_dir / "last-sweep", 2)
    errors: list[BaseException] = []
    results = []

    def sweeper() -> None:
        try:
            SiteCache(cache_dir).sweep(now=time.time() + 3 * DAY)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            results.append(analyze([src], cache=SiteCache(cache_dir), jobs=1))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (sweeper, reader, sweeper, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r.sites == first.sites and not r.diagnostics for r in results)
    assert analyze([src], cache=SiteCache(cache_dir), jobs=1).sites == first.sites


def test_function_entry_walks_are_swept_with_the_per_file_entries(tmp_path):
    """``<cache>/analysis/functions/xx/`` (lock_for's walks) is bounded like the rest: an entry unused for a
    month and a killed run's temporary file go in the daily sweep; a hit marks an entry used."""
    from poncho.analysis.function_entry.memo import cached_definition

    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "tasks.py").write_text("def old():\n    import yaml\n\ndef used():\n    import click\n")
    cache_dir = tmp_path / "cache" / "analysis"
    functions = cache_dir / "functions"

    def walk(name: str) -> None:
        cached_definition(root / "pkg" / "tasks.py", name, line=None, roots=[root], python_version=(3, 11),
                          directory=functions)

    walk("old")
    walk("used")
    assert (cache_dir / "last-sweep").exists()  # a lock_for-only user's cache is swept too
    entries = sorted(functions.glob("??/*.json"))
    assert len(entries) == 2
    for p in entries:
        age(p, 40)
    stale_tmp = entries[0].parent / ".left-by-a-killed-run.1.2.3.tmp"
    stale_tmp.write_bytes(b"{")
    age(stale_tmp, 2)
    before = {p: p.stat().st_mtime for p in entries}
    walk("used")  # a hit: marks its entry used
    (kept,) = [p for p in entries if p.stat().st_mtime != before[p]]
    assert SiteCache(cache_dir).sweep(now=time.time() + 2 * DAY)
    assert sorted(functions.glob("??/*.json")) == [kept] and not stale_tmp.exists()


def test_each_scope_of_a_root_keeps_its_own_tree_entries(tmp_path):
    """The runtime files, the left-out ones (``left_out_only``, read when a declaration is unmatched) and the
    ``--include-tests`` / ``--exclude`` variants of one root are different file sets: alternating them keeps
    every one's entry, none evicts another's (they shared the root's slots before)."""
    from poncho.analysis.scope import RuntimeScope

    src = tmp_path / "src"
    write_tree(src)
    (src / "tests").mkdir()
    (src / "tests" / "test_m.py").write_text("import pytest\n")
    (src / "setup.py").write_text("import setuptools\n")
    cache_dir = tmp_path / "cache"
    scopes = [dict(runtime=RuntimeScope()), dict(runtime=RuntimeScope(), left_out_only=True),
              dict(runtime=RuntimeScope(include_tests=True)), dict(runtime=RuntimeScope(("m3.py",)))]
    for kw in scopes:  # written in turn, the first the oldest
        analyze([src], cache=SiteCache(cache_dir, keep_trees=2), **kw)
        for p in trees(cache_dir):
            age(p, 1)
    written = {p: p.stat().st_ino for p in trees(cache_dir)}
    assert len(written) == 4
    for kw in scopes:  # each answers from its own tree entry, read, not rewritten
        again = analyze([src], cache=SiteCache(cache_dir, keep_trees=2), **kw)
        assert again.parsed == 0
    assert {p: p.stat().st_ino for p in trees(cache_dir)} == written

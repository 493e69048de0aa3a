"""The network leads the resolver: pages and metadata are fetched breadth-first before it asks.

A real loopback index serves a tree three levels deep. Every answer depends
on the one before it, so the shortest possible critical path is two round
trips per level (a page, then the metadata of the release picked from it);
a resolver that asked one question at a time would need far more.
"""

from __future__ import annotations

import os

from poncho.net import SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.cli import run
from support.wheels import build_wheel

MIDDLE = ["mid-a", "mid-b", "mid-c", "mid-d"]


def _tree(server, w) -> None:
    server.add(build_wheel(w, "app", "1.0", requires_dist=MIDDLE))
    for name in MIDDLE:
        server.add(build_wheel(w, name, "0.9", requires_dist=[f"leaf-{name}"]))
        server.add(build_wheel(w, name, "1.0", requires_dist=[f"leaf-{name}>=1"]))
        server.add(build_wheel(w, f"leaf-{name}", "1.0"))
        server.add(build_wheel(w, f"leaf-{name}", "0.1"))


def _resolve(server, cache, *, speculate=True, offline=False):
    session = make_session(cache, offline=offline)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, cache, offline=offline),
                            target, speculate=speculate)
    try:
        return resolve(["app"], repo, target)
    finally:
        repo.close()


def test_the_critical_path_is_two_round_trips_per_level(index_server, tmp_path):
    _tree(index_server, tmp_path / "w")
    res = _resolve(index_server, tmp_path / "cache")
    assert {p.name: str(p.version) for p in res}["leaf-mid-c"] == "1.0"
    stats = res.fetches
    assert stats is not None
    assert (stats.pages, stats.metadata) == (9, 9)  # one page and one metadata file per project: nothing wasted
    assert stats.round_trips == 6  # app, the four mids together, the four leaves together
    assert stats.speculated >= 16  # every mid and leaf page and metadata asked before the resolver did
    assert "6 sequential round trips" in res.summary()
    # Only the picked releases' metadata was fetched: 0.9 and 0.1 were never needed.
    assert not [r for r in index_server.log if r[1].endswith(("-0.9-py3-none-any.whl.metadata",
                                                               "-0.1-py3-none-any.whl.metadata"))]


def test_without_speculation_the_resolver_waits_for_each_answer(index_server, tmp_path):
    _tree(index_server, tmp_path / "w")
    res = _resolve(index_server, tmp_path / "cache", speculate=False)
    assert res.fetches is not None and res.fetches.speculated == 0
    assert res.fetches.round_trips > 6  # the measure tells the two apart


def test_cached_answers_cost_no_round_trip(index_server, tmp_path):
    _tree(index_server, tmp_path / "w")
    cache = tmp_path / "cache"
    cold = _resolve(index_server, cache)
    requests_before = len(index_server.log)
    for offline in (False, True):
        again = _resolve(index_server, cache, offline=offline)
        assert again.fetches is not None
        assert (again.fetches.pages, again.fetches.metadata, again.fetches.round_trips) == (0, 0, 0)
        assert {p.name: p.version for p in again} == {p.name: p.version for p in cold}
    assert len(index_server.log) == requests_before



def test_verbose_reports_the_round_trips(index_server, tmp_path):
    _tree(index_server, tmp_path / "w")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "job.py").write_text("import app\n")
    done = run("job.py", "--index-url", index_server.url, "--map", "app=app", "-v", cwd=tmp_path / "proj")
    assert done.returncode == 0, done.stderr
    stats = [line for line in done.stderr.splitlines() if "PR303" in line]
    assert len(stats) == 1 and "9 pins" in stats[0] and "6 sequential round trips" in stats[0]
    quiet = run("job.py", "--index-url", index_server.url, "--map", "app=app", cwd=tmp_path / "proj")
    assert quiet.returncode == 0 and "PR303" not in quiet.stderr


def test_metadata_by_range_costs_one_request(index_server, tmp_path):
    """Without a .metadata file, a wheel's METADATA comes from the zip's tail: one range request, not three."""
    index_server.serve_metadata = index_server.advertise_metadata = False
    # An incompressible payload, sized so the wheel ends a few bytes into a 64 KiB block: reading the end
    # record by blocks would take a request for it, one for the central directory, one for METADATA.
    size = 300_000
    for attempt in range(6):
        wheel = build_wheel(tmp_path / f"w{attempt}", "big", "1.0", files={"big/data.bin": os.urandom(size)})
        over = wheel.stat().st_size % 65536
        if 16 <= over <= 200:
            break
        size += (65536 - over) + 64
    else:
        raise AssertionError("could not size the wheel")
    index_server.add(wheel)
    session = make_session(None)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, None), target)
    try:
        res = resolve(["big"], repo, target)
    finally:
        repo.close()
    assert str(res.pins["big"].version) == "1.0" and repo.fetcher.stats["range"] == 1
    ranges = [r for r in index_server.requests_for("/files/big-1.0") if "Range" in r[2]]
    assert len(ranges) == 1 and ranges[0][2]["Range"].startswith("bytes=")

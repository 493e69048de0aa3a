"""A walk back through hundreds of releases finishes, and at the network's pace, not one fetch at a time.

The shape of boto3 with ``python-dateutil>=3`` asked for: every newer ``sdk`` (boto3) allows only its own
window of ``core`` (botocore), and every ``core`` in those windows caps ``dateutil`` below 3; only the oldest
``sdk`` needs a ``core`` without the cap. uv answers it (boto3 0.0.3) by reading every release, fifty at a
time once a project's releases keep failing (its ``BatchPrefetcher``). poncho read them one at a time:
on PyPI, 4,547 metadata files on a critical path of 2,273 sequential round trips, 90 s, and CPU that grew
with the square of the walk (each botocore window re-tested against every release; the speculation's
"likely release" re-scanned for every new requirement). It also locked boto3 1.2.0, whose metadata spells
``botocore>=1.3.0,<1.4.0',``, without botocore.
"""

from __future__ import annotations

import pytest

from poncho.errors import ExitCode, ResolutionConflict
from poncho.resolver.solve import MAX_ASKS
from support.resolving import resolve_on
from support.wheels import build_wheel

WALK = 60  # sdk releases to walk back through, each with its own core window




def _boto_shape(index_server, tmp_path, *, oldest: bool = True) -> None:
    w = tmp_path / "w"
    for v in ("2.0", "4.0"):
        index_server.add(build_wheel(w, "dateutil", v))
    index_server.add(build_wheel(w, "core", "0.1"))  # before the cap
    for n in range(1, WALK + 1):
        for patch in range(3):  # a few core releases per window, all capped
            index_server.add(build_wheel(w, "core", f"1.{n}.{patch}", requires_dist=["dateutil<3,>=1"]))
        index_server.add(build_wheel(w, "sdk", f"1.{n}", requires_dist=[f"core>=1.{n}.0,<1.{n + 1}.0"]))
    # boto3 1.2.0: a quote in its Requires-Dist; locking it without core would break the install
    index_server.add(build_wheel(w, "sdk", "0.9", requires_dist=["core>=1.1.0,<1.2.0',"]))
    if oldest:
        index_server.add(build_wheel(w, "sdk", "0.1", requires_dist=["core<1"]))


def test_a_walk_through_every_capped_release_reaches_the_old_one_fetching_in_batches(index_server, tmp_path):
    """Every sdk 1.x is read (as uv does), but in batches: on main this was 240 metadata files on a critical
    path of ~125 sequential round trips, and sdk 0.9 was locked without core."""
    _boto_shape(index_server, tmp_path)
    res = resolve_on(index_server, tmp_path, ["sdk", "dateutil>=3"], max_rounds=200)
    assert {p.name: str(p.version) for p in res} == {"sdk": "0.1", "core": "0.1", "dateutil": "4.0"}
    assert res.rounds < 20
    assert res.fetches is not None
    assert res.fetches.round_trips <= 25, res.fetches  # ~WALK * 2 one at a time


def test_with_no_release_left_the_walk_fails_naming_the_cap(index_server, tmp_path):
    """Without the old release there is no answer: said in one resolution, naming dateutil>=3, in a message
    a person reads (the real one listed each of boto3's 2,137 botocore windows: 2,146 lines)."""
    _boto_shape(index_server, tmp_path, oldest=False)
    with pytest.raises(ResolutionConflict) as err:
        resolve_on(index_server, tmp_path, ["sdk", "dateutil>=3"], max_rounds=200)
    assert err.value.exit_code == ExitCode.RESOLUTION
    text = str(err.value)
    assert "requires dateutil<3,>=1, but you asked for dateutil>=3" in text
    assert f"core<1.{WALK + 1}.0,>=1.{WALK}.0  required by sdk 1.{WALK}" in text
    assert f"... and {WALK - MAX_ASKS} more asks, from sdk 1.{WALK - MAX_ASKS} ... 1.1" in text
    assert len(text.splitlines()) < 30


def test_a_release_whose_requires_dist_does_not_parse_is_passed_over(index_server, tmp_path):
    """pip (>= 24.1) and uv skip such a release; keeping it minus the broken line locks an environment that
    lacks a dependency. The release is named in the conflict when nothing else is left."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "core", "1.0"))
    index_server.add(build_wheel(w, "sdk", "1.0", requires_dist=["core"]))
    index_server.add(build_wheel(w, "sdk", "2.0", requires_dist=["core>=1,<2',"]))
    res = resolve_on(index_server, tmp_path, ["sdk"])
    assert {p.name: str(p.version) for p in res} == {"sdk": "1.0", "core": "1.0"}
    with pytest.raises(ResolutionConflict) as err:
        resolve_on(index_server, tmp_path / "again", ["sdk>=2"])
    assert "2.0: invalid Requires-Dist" in str(err.value)

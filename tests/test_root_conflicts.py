"""A release that needs a project at versions the user's own requirements rule out is never tried.

sqlmodel's lock ran for 900 s: ``typing-extensions==4.6.1`` was asked for,
every typing-inspection release needs >=4.12, and the newest pydantic-settings
needs typing-inspection. resolvelib found that out only when it came to pin
typing-inspection, then backjumped to the last pin sharing a dependency with
the conflict (SQLAlchemy, which needs typing-extensions too) and walked every
FastAPI release again for each older SQLAlchemy. Here, in miniature, on the
real loopback index.
"""

from __future__ import annotations

import pytest

from poncho.errors import ExitCode, ResolutionConflict
from support.resolving import resolve_on
from support.wheels import build_wheel


def _sqlmodel_shape(index_server, tmp_path) -> None:
    w = tmp_path / "w"
    for v in ("1.0", "2.0", "3.0"):
        index_server.add(build_wheel(w, "te", v))
    for n in range(6):  # typing-inspection: every release needs te>=2
        index_server.add(build_wheel(w, "inspection", f"0.{n}", requires_dist=["te>=2"]))
    index_server.add(build_wheel(w, "settings", "1.0", requires_dist=["te"]))
    for n in range(10):  # pydantic-settings: the newer releases need typing-inspection
        index_server.add(build_wheel(w, "settings", f"2.{n}", requires_dist=["te", "inspection>=0.1"]))
    for n in range(30):  # SQLAlchemy: any te, many releases, pinned between settings and the conflict
        index_server.add(build_wheel(w, "orm", f"2.0.{n}", requires_dist=["te>=1"]))
    index_server.add(build_wheel(w, "api", "0.103", requires_dist=["te>=1"]))
    for n in range(40):  # FastAPI: its newer releases need a newer te
        index_server.add(build_wheel(w, "api", f"0.{104 + n}", requires_dist=["te>=2"]))


def test_a_release_needing_what_the_user_rules_out_is_passed_over(index_server, tmp_path):
    """Without the check this took over 150 rounds and pinned old orm releases; now nothing backtracks:
    the newest orm stays, settings 1.0 (the release without the inspection need) and api 0.103 are pinned,
    and orm's older releases are never read."""
    _sqlmodel_shape(index_server, tmp_path)
    res = resolve_on(index_server, tmp_path, ["te==1.0", "settings", "orm", "api"], max_rounds=150)
    assert {p.name: str(p.version) for p in res} == {"te": "1.0", "settings": "1.0", "orm": "2.0.29",
                                                     "api": "0.103"}
    assert res.rounds < 20
    old_orm = [r for r in index_server.log if "/files/orm-" in r[1] and "orm-2.0.29" not in r[1]]
    assert old_orm == []


def test_a_constraint_rules_out_releases_the_same_way(index_server, tmp_path):
    from packaging.specifiers import SpecifierSet
    _sqlmodel_shape(index_server, tmp_path)
    res = resolve_on(index_server, tmp_path, ["settings", "orm", "api"], max_rounds=150,
                   constraints={"te": SpecifierSet("<2")})
    assert {p.name: str(p.version) for p in res}["settings"] == "1.0"
    assert res.rounds < 20


def test_no_solution_is_said_fast_naming_both_sides(index_server, tmp_path):
    """api>=0.104 all need te>=2 and the user pins te==1.0: exit 5 at once, naming the pin and why each
    api release was passed over."""
    _sqlmodel_shape(index_server, tmp_path)
    with pytest.raises(ResolutionConflict) as err:
        resolve_on(index_server, tmp_path, ["te==1.0", "api>=0.104"], max_rounds=50)
    assert err.value.exit_code == ExitCode.RESOLUTION
    text = str(err.value)
    assert "api>=0.104" in text
    assert "requires te>=2, but you asked for te==1.0" in text
    assert "... and 35 more skipped" in text  # 40 releases: 5 named, the rest counted


def test_too_many_rejections_stop_with_the_conflict_named(index_server, tmp_path):
    """The budget on rejected candidates: a walk that rounds do not bound stops with exit 5 and the
    conflict it was backtracking on."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "shared", "1.0"))
    index_server.add(build_wheel(w, "shared", "2.0"))
    for n in range(30):
        index_server.add(build_wheel(w, "left", f"1.{n}", requires_dist=["shared<2"]))
        index_server.add(build_wheel(w, "right", f"1.{n}", requires_dist=["shared>=2"]))
    with pytest.raises(ResolutionConflict) as err:
        resolve_on(index_server, tmp_path, ["left", "right"], max_rejections=10)
    text = str(err.value)
    assert "gave up after rejecting 10 candidates" in text
    assert "shared" in text and "required by" in text

"""Which project the resolver pins next: the conflict first, then the most constrained (pip's and uv's rules)."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib.structs import RequirementInformation

from poncho.net import SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from poncho.resolver.provider import (
    BATCH_AFTER,
    CONFLICTS_FIRST,
    CULPRIT_THRESHOLD,
    Candidate,
    Provider,
    Reprioritized,
)
from poncho.resolver.repository import Release
from support.resolving import resolve_on
from support.wheels import build_wheel


def _provider(server) -> Provider:
    session = make_session(None)
    target = Target.current()
    return Provider(SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, None), target),
                    target)


def _info(req: str, parent: str | None = None) -> RequirementInformation:
    cand = None
    if parent is not None:
        name, _, version = parent.partition("==")
        cand = Candidate(Release(canonicalize_name(name), Version(version), (), False, Target.current()))
    return RequirementInformation(Requirement(req), cand)


def _order(provider: Provider, information: dict[str, list[RequirementInformation]], causes=()) -> list[str]:
    return sorted(information, key=lambda i: provider.get_preference(i, {}, {}, information, causes))


def test_pinned_then_upper_bounded_then_requested_then_constrained_then_free(index_server):
    provider = _provider(index_server)
    provider.user_order = {"zz-requested": 0}
    information = {
        "a-free": [_info("a-free", "p==1")],
        "b-lower": [_info("b-lower>=2", "p==1")],
        "c-upper": [_info("c-upper<3", "p==1")],
        "d-pinned": [_info("d-pinned==1.0", "p==1")],
        "e-wildcard": [_info("e-wildcard==1.*", "p==1")],
        "zz-requested": [_info("zz-requested")],
    }
    assert _order(provider, information) == ["d-pinned", "c-upper", "e-wildcard", "zz-requested", "b-lower", "a-free"]
    provider.repository.close()  # type: ignore[attr-defined]


def test_after_a_conflict_only_its_projects_and_their_parents_are_considered(index_server):
    provider = _provider(index_server)
    causes = [_info("urllib3<2", "pyppeteer==2.0"), _info("urllib3>=2")]
    identifiers = ["tzdata", "urllib3", "pyppeteer", "selenium", "requests[socks]"]
    narrowed = provider.narrow_requirement_selection(identifiers, {}, {}, {}, causes)
    assert list(narrowed) == ["urllib3", "pyppeteer"]
    assert provider.narrow_requirement_selection(identifiers, {}, {}, {}, []) == identifiers
    provider.repository.close()  # type: ignore[attr-defined]


def test_a_project_in_repeated_conflicts_is_decided_early(index_server):
    provider = _provider(index_server)
    information = {"a-upper": [_info("a-upper<2", "p==1")], "openai": [_info("openai>=1", "p==1")]}
    assert _order(provider, information) == ["a-upper", "openai"]
    for n in range(CONFLICTS_FIRST):
        causes = [_info("openai<3", f"litellm=={n}")]
        for _ in range(3):  # resolvelib asks many times about one conflict: it counts once
            provider.narrow_requirement_selection(["openai"], {}, {}, {}, causes)
    assert provider.conflicts["openai"] == CONFLICTS_FIRST
    assert _order(provider, information) == ["openai", "a-upper"]
    provider.repository.close()  # type: ignore[attr-defined]


def test_the_conflict_is_revisited_instead_of_unrelated_old_releases(index_server, tmp_path):
    """The newest ``parent`` caps ``shared`` below the newest ``shared`` the user asked for: the resolver
    walks ``parent`` back to the release without the cap, and never looks at ``noise``'s old releases."""
    w = tmp_path / "w"
    for v in range(1, 31):
        index_server.add(build_wheel(w, "noise", f"{v}.0"))
    index_server.add(build_wheel(w, "shared", "1.0"))
    index_server.add(build_wheel(w, "shared", "2.0"))
    index_server.add(build_wheel(w, "parent", "1.0", requires_dist=["shared"]))
    index_server.add(build_wheel(w, "parent", "2.0", requires_dist=["shared<2", "noise"]))
    index_server.add(build_wheel(w, "parent", "3.0", requires_dist=["shared<2", "noise"]))
    session = make_session(tmp_path / "cache")
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, index_server.url)], MetadataFetcher(session, tmp_path / "cache"),
                            target)
    try:
        res = resolve(["noise", "shared==2.0", "parent"], repo, target)
    finally:
        repo.close()
    assert {p.name: str(p.version) for p in res} == {"noise": "30.0", "shared": "2.0", "parent": "1.0"}
    old_noise = [r for r in index_server.log if "/files/noise-" in r[1] and "noise-30.0" not in r[1]]
    assert old_noise == []




def test_a_requirement_in_repeated_dead_ends_is_decided_last(index_server, tmp_path):
    """uv's conflict tracking: a project whose requirement left no release for another's candidates in
    CULPRIT_THRESHOLD dead ends is a culprit, decided after everything else. A requirement that still leaves
    a release is not; rejections followed by a pin (an older release fits) are skips, not dead ends; and a
    project the user asked for keeps its place."""
    for v in ("2.0", "3.0"):
        index_server.add(build_wheel(tmp_path / "w", "openai", v))
    provider = _provider(index_server)
    provider.restarts_left = 1
    provider.user_order = {"direct-one": 0}

    def reject(n: int) -> None:
        info = [_info("openai>=3", "azure-ai-projects==2.10"), _info("openai<3", f"litellm=={n}"),
                _info("openai>=2", "anthropic-ish==1"),  # overlaps litellm's cap: not a culprit
                _info("openai>=3", "direct-one==1")]  # asked for by the user: never demoted
        provider.record_rejection(info, _info("litellm", f"litellm=={n}").parent)

    for n in range(CULPRIT_THRESHOLD + 2):  # skipped releases: the round pinned an older one
        reject(n)
        provider.forget_rejections()
    assert provider.culprit == {}
    for n in range(CULPRIT_THRESHOLD - 1):
        reject(n)
        provider.record_dead_end()
    assert provider.late == set() and provider.culprit == {"azure-ai-projects": CULPRIT_THRESHOLD - 1}
    reject(99)
    with pytest.raises(Reprioritized):  # a new culprit starts the resolution again
        provider.record_dead_end()
    assert provider.late == {"azure-ai-projects"}
    assert provider.affected["litellm"] == CULPRIT_THRESHOLD
    information = {"azure-ai-projects": [_info("azure-ai-projects")], "zz-free": [_info("zz-free", "p==1")],
                   "litellm": [_info("litellm<2", "p==1")]}
    assert _order(provider, information) == ["litellm", "zz-free", "azure-ai-projects"]
    provider.repository.close()  # type: ignore[attr-defined]


def test_a_cap_chain_moves_the_early_pin_not_the_cap_holder(index_server, tmp_path):
    """The shape of airflow[google]: ``azure`` (through ``services``, upper-bounded, so pinned early) needs
    openai>=3; every release of the newest ``platform`` (through ``provider``) caps ``litellm`` to releases
    that need openai<3. resolvelib alone walked every ``platform`` release back to the one without the cap,
    in more than 150 rounds, and pinned the roots' old releases (the real set gave up after 20,000 rounds).
    Now azure is a culprit after a few dead ends, decided last, and gives way: the newest provider and
    platform stay, and only the few platform releases read before the restart are looked at."""
    w = tmp_path / "w"
    for v in ("1.0", "2.0", "3.0"):
        index_server.add(build_wheel(w, "openai", v))
    index_server.add(build_wheel(w, "azure", "1.0", requires_dist=["openai>=1"]))
    index_server.add(build_wheel(w, "azure", "2.0", requires_dist=["openai>=3"]))
    index_server.add(build_wheel(w, "litellm", "1.0", requires_dist=["openai"]))
    for n in range(10):
        index_server.add(build_wheel(w, "litellm", f"2.{n}", requires_dist=["openai<3,>=2"]))
    index_server.add(build_wheel(w, "platform", "1.0", requires_dist=["litellm<2"]))
    for n in range(40):
        index_server.add(build_wheel(w, "platform", f"2.{n}", requires_dist=["litellm>=2,<3"]))
    index_server.add(build_wheel(w, "provider", "1.0", requires_dist=["platform"]))
    index_server.add(build_wheel(w, "provider", "2.0", requires_dist=["platform>=2"]))
    index_server.add(build_wheel(w, "services", "1.0", requires_dist=["azure<3"]))
    res = resolve_on(index_server, tmp_path, ["services", "provider"], max_rounds=150)
    assert {p.name: str(p.version) for p in res} == {
        "services": "1.0", "azure": "1.0", "openai": "2.0", "provider": "2.0", "platform": "2.39", "litellm": "2.9"}
    assert res.rounds < 50
    read = {r[1].split("/files/")[1].split("-py3")[0] for r in index_server.log if "/files/platform-" in r[1]}
    # (plus the first batch fetched ahead once BATCH_AFTER[0] releases were tried: uv's batch prefetch)
    assert len(read) <= CULPRIT_THRESHOLD + 2 + BATCH_AFTER[0], sorted(read)

"""Which project the resolver pins next: the conflict first, then the most constrained (pip's and uv's rules)."""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib.structs import RequirementInformation

from poncho.net import SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from poncho.resolver.provider import CONFLICTS_FIRST, Candidate, Provider
from poncho.resolver.repository import Release
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

"""resolve(): direct requirements + target + repository -> a pinned Resolution (records in :mod:`.resolution`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from poncho.errors import BadResponse, IndexProblem, NoSuchProject, NotFound, Reason, ResolutionConflict

from .provider import Candidate, Provider, Reprioritized, split_identifier
from .repository import FetchStats, Repository
from .resolution import Pin, Resolution
from .target import Target

#: How many times one resolution may start again after finding a new culprit (each marks one more project
#: "decided last", so the count is bounded anyway; this bounds the cost on pathological sets).
MAX_RESTARTS = 20
#: How many candidates one resolution may reject before it stops and names the conflict it keeps hitting.
#: Rounds count pins, not rejections: resolvelib walking a few hundred releases after each of many
#: backjumps stays under any round limit for many minutes (sqlmodel's lock: 28,000 rejections in 40 s warm,
#: with no end in sight at 900 s). The largest real sets in benchmarks/ reject far fewer.
MAX_REJECTIONS = 20000
#: How many of the requirements on one project a conflict lists before it sums the rest up.
MAX_ASKS = 10


class _TooManyRejections(Exception):
    """The resolution rejected :data:`MAX_REJECTIONS` candidates: give up, naming the last conflict."""


class _CountingReporter(BaseReporter):
    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.rounds = 0
        self.backtracks = 0
        self.causes: list = []  # the last conflict resolvelib backtracked on
        self.rejected_by: list = []  # the requirements that clashed when the last candidate was rejected

    def starting_round(self, index: int) -> None:
        self.rounds = index

    def rejecting_candidate(self, criterion, candidate) -> None:  # resolvelib >= 0.9
        self.backtracks += 1
        self.provider.record_rejection(list(criterion.information), candidate)
        self.rejected_by = list(criterion.information)
        self.provider.rejections += 1
        if self.provider.rejections > self.provider.max_rejections:
            raise _TooManyRejections()

    def pinning(self, candidate) -> None:
        self.provider.forget_rejections()

    def resolving_conflicts(self, causes) -> None:
        self.causes = list(causes)
        self.provider.record_dead_end()


def resolve(
    requirements: Sequence[Requirement | str],
    repository: Repository,
    target: Target,
    *,
    reasons: Mapping[str, str] | None = None,
    allow_prereleases: bool = False,
    constraints: Mapping[str, SpecifierSet] | None = None,
    max_rounds: int = 20000,
    max_rejections: int = MAX_REJECTIONS,
    allow_fallback: bool = False,
    preferred: Mapping[str, str] | None = None,
) -> Resolution:
    """Pin every requirement and its dependencies for ``target``.

    ``reasons`` maps a canonical project name to why it was asked for (import
    sites), so a conflict can say "required by your code at app/x.py:3".
    When the index fails to serve a newer release (a 5xx after retries, a
    broken download), the run fails rather than silently pinning an older one,
    unless ``allow_fallback``; a fallback is then listed in ``fallbacks``.
    """
    reqs = [Requirement(r) if isinstance(r, str) else r for r in requirements]
    reqs = [r for r in reqs if target.evaluate(r.marker)]
    for r in reqs:
        repository.prefetch(r.name, r)
    provider = Provider(repository, target, allow_prereleases=allow_prereleases, constraints=constraints,
                        preferred=preferred)
    for i, r in enumerate(reqs):
        provider.user_order.setdefault(canonicalize_name(r.name), i)
    provider.set_roots(reqs)
    provider.restarts_left = MAX_RESTARTS
    provider.max_rejections = max_rejections
    rounds = 0
    reporter = _CountingReporter(provider)
    try:
        while True:  # a new culprit starts the search again, decided last (uv's conflict tracking)
            reporter = _CountingReporter(provider)
            try:
                result = Resolver(provider, reporter).resolve(reqs, max_rounds=max_rounds - rounds)
            except Reprioritized:
                rounds += reporter.rounds + 1
                continue
            rounds += reporter.rounds
            break
    except ResolutionImpossible as exc:
        raise ResolutionConflict(explain_conflict(exc, provider, repository, target, reasons or {})) from None
    except ResolutionTooDeep:
        raise ResolutionConflict(_gave_up(f"{max_rounds} rounds of backtracking", reporter.causes, provider,
                                          repository, target, reasons or {})) from None
    except _TooManyRejections:
        raise ResolutionConflict(_gave_up(f"rejecting {max_rejections} candidates",
                                          reporter.causes or reporter.rejected_by, provider,
                                          repository, target, reasons or {})) from None

    direct_names = {canonicalize_name(r.name) for r in reqs}
    parents: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    for ident in result.graph:
        if ident is None:
            continue
        child, _ = split_identifier(ident)
        for parent in result.graph.iter_parents(ident):
            if parent is None:
                continue
            pname, _ = split_identifier(parent)
            if pname != child:
                parents[child].add(pname)
    pins: dict[NormalizedName, Pin] = {}
    extras: dict[NormalizedName, set[str]] = defaultdict(set)
    for ident in result.mapping:
        name, ex = split_identifier(ident)
        extras[name] |= ex
    for ident, cand in result.mapping.items():
        assert isinstance(cand, Candidate)
        name, ex = split_identifier(ident)
        if ex:
            continue
        meta = repository.metadata(cand.release)
        pins[name] = Pin(
            name=name,
            display_name=meta.name,
            version=cand.version,
            files=cand.release.artifacts,
            parents=tuple(sorted(parents[name])),
            direct=name in direct_names,
            extras=frozenset(extras[name]),
            index_url=cand.release.index_url,
        )
    warnings = list(dict.fromkeys(provider.metadata_warnings))
    for ident, cand in result.mapping.items():
        if cand.release.yanked and not split_identifier(ident)[1]:
            warnings.append(f"{cand.name} {cand.version} is yanked on the index; it is locked only because "
                            "a requirement pins it with ==")
    fallbacks = []
    for name, kept in sorted(provider.preferred.items()):  # a kept pin the index failed to serve moves loudly too
        problem = provider.unreadable.get(name, {}).get(kept)
        pin = pins.get(name)
        if pin is None or pin.version == kept or problem is None or not _index_failed(problem):
            continue
        if not allow_fallback:
            assert isinstance(problem, IndexProblem)
            raise BadResponse(problem.url, f"{pin.display_name} {kept}, pinned by the existing lock, could not be "
                              f"read ({problem.reason}); the lock would silently move it to {pin.version}",
                              "retry later, or pass --allow-fallback to accept the move",
                              kind=problem.kind, status=problem.status)
        fallbacks.append(f"{name} {pin.version} (kept pin {kept} unreadable)")
    for name, pin in sorted(pins.items()):
        skipped = provider.unreadable.get(name, {})
        newer = sorted((v for v in skipped if v > pin.version), reverse=True)
        if not newer:
            continue
        failed = [v for v in newer if _index_failed(skipped[v])]
        if failed and not allow_fallback:
            problem = skipped[failed[0]]
            assert isinstance(problem, IndexProblem)
            raise BadResponse(problem.url, f"{pin.display_name} {failed[0]} could not be read ({problem.reason}); "
                              f"the lock would silently fall back to {pin.version}",
                              "retry later, or pass --allow-fallback to lock the older release",
                              kind=problem.kind, status=problem.status)
        if failed:
            fallbacks.append(f"{name} {pin.version} (newer {failed[0]} unreadable)")
        warnings.append(f"{pin.display_name}: pinned {pin.version}, but newer {', '.join(map(str, newer[:3]))} "
                        f"could not be used: {skipped[newer[0]]}")
    stats = getattr(repository, "stats", None)
    return Resolution(pins, target, warnings=warnings, rounds=rounds, fallbacks=fallbacks,
                      fetches=stats if isinstance(stats, FetchStats) else None)


def _gave_up(what: str, causes: Sequence, provider: Provider, repository: Repository, target: Target,
             reasons: Mapping[str, str]) -> str:
    """Why the search stopped, with the conflict it was working on when it did (who asked for what)."""
    head = f"gave up after {what}; pin some versions to narrow the search"
    if not causes:
        return head
    return f"{head}. The conflict it kept backtracking on:\n" + explain_conflict(
        ResolutionImpossible(list(causes)), provider, repository, target, reasons)


def _span(parents: Sequence[str]) -> str:
    """``["boto3 1.43.9", ..., "boto3 1.0.0"]`` -> ``"boto3 1.43.9 ... 1.0.0"``; a mix of projects by count."""
    names = dict.fromkeys(p.split(" ")[0] for p in parents)
    if len(names) == 1:
        first, last = parents[0], parents[-1].split(" ", 1)[1]
        return first if len(parents) == 1 else f"{first} ... {last}"
    return ", ".join(f"{n} ({sum(p.split(' ')[0] == n for p in parents)})" for n in names)


def _index_failed(problem: Exception) -> bool:
    """The index failed to serve a release (flaky), as opposed to a release unusable by its content.

    Content that lies (BAD_ARCHIVE, UNSUPPORTED, TOO_LARGE, BAD_METADATA) is the release's own fault and the
    same on every run: an older release is locked, with a warning. A file the index lists but cannot serve
    (an HTTP error, a local index's missing file: NOT_FOUND) is the index failing.
    """
    return isinstance(problem, IndexProblem) and (problem.transient or problem.kind in (
        Reason.HTTP_STATUS, Reason.HASH_MISMATCH, Reason.NOT_CACHED, Reason.NOT_FOUND))


def explain_conflict(exc: ResolutionImpossible, provider: Provider, repository: Repository,
                     target: Target, reasons: Mapping[str, str]) -> str:
    """Who asked for what, and why nothing fits."""
    by_name: dict[str, list[str]] = defaultdict(list)
    askers: dict[str, list[str]] = defaultdict(list)  # the parents, by name, of the asks past MAX_ASKS
    for cause in exc.causes:
        req = cause.requirement
        parent = cause.parent
        who = (f"{parent.name} {parent.version}" if parent is not None
               else f"your code ({reasons.get(canonicalize_name(req.name), 'direct requirement')})")
        key = canonicalize_name(req.name)
        ask = f"    - {req}  required by {who}"
        if parent is not None and len(by_name[key]) >= MAX_ASKS and ask not in by_name[key]:
            askers[key].append(f"{parent.name} {parent.version}")
        else:
            by_name[key].append(ask)
    lines = [f"cannot find versions that work together on {target.describe()}:"]
    for name, asks in sorted(by_name.items()):
        lines.append(f"  {name}:")
        lines.extend(dict.fromkeys(asks))
        more = list(dict.fromkeys(askers.get(name, ())))
        if more:  # walking back through boto3 named each of its 2,000 releases' botocore window
            lines.append(f"    ... and {len(more)} more asks, from {_span(more)}")
        try:
            releases = repository.releases(name)
        except NotFound:
            raise NoSuchProject(name, f"no project named {name!r} on the index "
                                f"(required as: {'; '.join(a.strip() for a in asks)})") from None
        usable = [str(r.version) for r in releases if r.wheels or r.sdists][:8]
        if usable:
            lines.append(f"    installable versions: {', '.join(usable)}{' ...' if len(releases) > 8 else ''}")
        else:
            lines.append(f"    no release has a file installable on {target.describe()}")
        key = canonicalize_name(name)
        if key in provider.constraints:
            lines.append(f"    constrained to {provider.constraints[key]} by --constraint")
        skipped = provider.rejected.get(name, [])
        for note in skipped[:5]:
            lines.append(f"    skipped {note}")
        if len(skipped) > 5:
            lines.append(f"    ... and {len(skipped) - 5} more skipped")
    lines.append("hint: relax one of the requirements above, or narrow a version with --constraint FILE")
    return "\n".join(lines)

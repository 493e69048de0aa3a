"""The resolvelib provider: the one boundary between resolvelib and our repositories.

Identifiers are a canonical project name, plus ``[extra,...]`` for a request
with extras; an extras candidate depends on its base candidate at the same
version, the way pip models extras, so extras never split a project's pin.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib.providers import AbstractProvider
from resolvelib.structs import RequirementInformation

from poncho.errors import BadResponse, IndexProblem, NotFound

from .metadata import DistMetadata
from .repository import Release, Repository
from .target import Target


@dataclass(frozen=True)
class Candidate:
    release: Release
    extras: frozenset[str] = frozenset()

    @property
    def name(self) -> NormalizedName:
        return self.release.name

    @property
    def version(self) -> Version:
        return self.release.version

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras} {self.version}"


def identifier_for(name: str, extras: Iterable[str] = ()) -> str:
    extras = sorted({canonicalize_name(e) for e in extras})
    base = canonicalize_name(name)
    return f"{base}[{','.join(extras)}]" if extras else base


def split_identifier(identifier: str) -> tuple[NormalizedName, frozenset[str]]:
    if "[" in identifier:
        name, _, rest = identifier.partition("[")
        return NormalizedName(name), frozenset(rest.rstrip("]").split(","))
    return NormalizedName(identifier), frozenset()


#: uv's batch prefetch (uv-resolver ``BatchPrefetcher``): once this many releases of one project were tried,
#: then every :data:`BATCH_EVERY` more, the metadata of up to :data:`BATCH_MAX` older ones is fetched at once.
BATCH_AFTER = (5, 10, 20)
BATCH_EVERY = 20
BATCH_MAX = 50
#: After this many conflicts a project is decided before unconflicted ones (uv's PubGrub "conflict early").
CONFLICTS_FIRST = 5
#: After this many dead ends a project whose requirement keeps rejecting others' candidates is decided
#: last, and the resolution starts again (uv's ``CONFLICT_THRESHOLD`` for a "culprit").
CULPRIT_THRESHOLD = 5


class Reprioritized(Exception):
    """A project was found to be a repeated culprit: the resolution should start again with it decided last.

    uv backtracks to before the culprit's decision (``backtrack_package``); resolvelib cannot undo one pin,
    so the resolver starts over with what the provider learned (the metadata read so far stays cached)."""


class Provider(AbstractProvider):
    """Answers resolvelib's questions from a Repository, for one Target."""

    def __init__(self, repository: Repository, target: Target, allow_prereleases: bool = False,
                 constraints: Mapping[str, SpecifierSet] | None = None,
                 preferred: Mapping[str, str] | None = None) -> None:
        self.repository = repository
        # Versions an existing lock pinned: tried first, so a re-lock moves only what must move.
        self.preferred = {canonicalize_name(k): Version(v) for k, v in (preferred or {}).items()}
        # pip-style constraints: they narrow a project's versions, never add a project.
        self.constraints = {canonicalize_name(k): v for k, v in (constraints or {}).items()}
        self.target = target
        self.allow_prereleases = allow_prereleases
        self.metadata_warnings: list[str] = []
        self.rejected: dict[str, list[str]] = {}
        # Releases whose metadata could not be read (not a Requires-Python mismatch):
        # if an older one is pinned instead, the user must hear about it.
        self.unreadable: dict[str, dict[Version, IndexProblem | LookupError]] = {}
        # The user's requirements in the order given: a tie-breaker of get_preference (set by resolve()).
        self.user_order: dict[str, int] = {}
        # How many conflicts each project took part in: past CONFLICTS_FIRST it is decided early (uv's rule).
        self.conflicts: dict[str, int] = {}
        # uv's conflict tracking (uv-resolver ``ConflictTracker``): how often a project's candidate was
        # rejected (affected) and how often a project's requirement rejected another's candidate (culprit).
        self.affected: dict[str, int] = {}
        self.culprit: dict[str, int] = {}
        self.late: set[str] = set()  # culprits, decided after everything else
        self.restarts_left = 0  # set by resolve(): how many fresh starts a new culprit may still ask for
        self._disjoint: dict[tuple[int, int], bool] = {}
        self._pending_affected: set[str] = set()
        self._pending_culprits: set[str] = set()
        self._satisfied: dict[tuple[int, int], bool] = {}
        self._kept: list[object] = []
        self._counted: tuple[int, ...] = ()
        # What every solution must satisfy: the user's requirements and constraints, by project (set by
        # resolve()). A release that needs a project outside them can never be pinned (:meth:`_root_clash`).
        self.roots: dict[str, list[Requirement]] = {}
        self._constraint_roots: set[int] = set()  # ids of the roots that come from --constraint
        # Releases tried per project, over every find_matches call, and the count at its last batch prefetch.
        self._tried: dict[str, set[Version]] = {}
        self._batched: dict[str, int] = {}
        self._never: set[tuple[str, frozenset[str], Version]] = set()  # (name, extras, version) passed over
        self.rejections = 0  # candidates resolvelib rejected, over every restart (bounded by resolve())
        self.max_rejections = math.inf

    # identity ----------------------------------------------------------------
    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return identifier_for(requirement_or_candidate.name, requirement_or_candidate.extras)

    def narrow_requirement_selection(  # type: ignore[override]
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation]],
        backtrack_causes: Sequence[RequirementInformation],
    ) -> Iterable[str]:
        """After a conflict, work on what it was about first (pip's rule): the projects the last
        backtrack named and the candidates that asked for them. The resolver then revisits the real
        conflict (an old release of its parent drops the clashing bound) instead of walking older
        releases of projects that had nothing to do with it."""
        identifiers = list(identifiers)
        if not backtrack_causes:
            return identifiers
        names: set[str] = set()
        for cause in backtrack_causes:
            names.add(canonicalize_name(cause.requirement.name))
            if cause.parent is not None:
                names.add(cause.parent.name)
        conflict = tuple(map(id, backtrack_causes))  # resolvelib copies the list each round, not its items
        if conflict != self._counted:  # one count per conflict, however often resolvelib asks
            self._counted = conflict
            for name in names:
                self.conflicts[name] = self.conflicts.get(name, 0) + 1
        chosen = [i for i in identifiers if split_identifier(i)[0] in names]
        return chosen or identifiers

    def get_preference(  # type: ignore[override]
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation]],
        backtrack_causes: Sequence[RequirementInformation],
    ) -> tuple:
        """Which project to pin next: the most constrained first, so a conflict shows up early.

        pip's order (provider.py ``get_preference``): pinned with ``==``, then
        upper-bounded (``<``, ``<=``, ``~=``, ``==X.*``), then what the user
        asked for in the order asked, then anything with a specifier, then
        free projects; ties by name, so the result never depends on dict order.
        """
        operators = [(spec.operator, spec.version) for info in information[identifier]
                     for spec in info.requirement.specifier]
        name = split_identifier(identifier)[0]
        if name in self.constraints:
            operators += [(spec.operator, spec.version) for spec in self.constraints[name]]
        pinned = any(op in ("==", "===") and "*" not in version for op, version in operators)
        upper_bounded = any(op in ("<", "<=", "~=") or (op == "==" and "*" in version)
                            for op, version in operators)
        requested = self.user_order.get(name, math.inf)
        late = name in self.late
        conflicted = not late and (self.conflicts.get(name, 0) >= CONFLICTS_FIRST
                                   or self.affected.get(name, 0) >= CONFLICTS_FIRST)
        return (not pinned, late, not conflicted, not upper_bounded, requested, not operators, identifier)

    # conflict tracking -------------------------------------------------------
    def record_rejection(self, information: Sequence[RequirementInformation], candidate: Candidate) -> None:
        """Note a candidate rejected because its requirement on a project clashes with others' (uv's
        ``record_conflict``): the candidate's project is *affected*, and each project whose requirement
        leaves no release the candidate's requirement allows is a *culprit*. They count only if the round
        ends in a dead end (:meth:`record_dead_end`); a round that pins an older release merely skipped."""
        affected = candidate.name
        self._pending_affected.add(affected)
        own = [i.requirement for i in information if i.parent is not None and i.parent.name == affected]
        for info in information:
            if (info.parent is None or info.parent.name == affected or info.parent.name in self.late
                    or info.parent.name in self.user_order):
                continue
            if any(self._clash(mine, info.requirement) for mine in own):
                self._pending_culprits.add(info.parent.name)

    def forget_rejections(self) -> None:
        """A candidate was pinned: the rejections before it were skips, not a conflict."""
        self._pending_affected.clear()
        self._pending_culprits.clear()

    def record_dead_end(self) -> None:
        """No candidate of a project worked, and resolvelib is about to backjump: count the round's
        affected projects and culprits once each.

        A culprit in :data:`CULPRIT_THRESHOLD` dead ends is decided last from then on and, while restarts
        are left, :class:`Reprioritized` is raised so the resolution starts again without its early pin.
        That is what lets ``azure-ai-projects`` (openai>=3) give way instead of the resolver walking every
        release of google-cloud-aiplatform whose litellm caps openai below 3. Counting dead ends rather than
        rejected releases leaves alone a conflict that an older release settles within one round (pyppeteer
        capping urllib3 while newer selenium needs urllib3>=2).

        A project the user asked for is never a culprit: it keeps its place in the order asked (uv's
        discovery order decides direct requirements first). uv also demotes those, but its choice then
        depends on PubGrub's path: pyppeteer gave way in the Flask set and kept 2.0.0 in changedetection.io's,
        and demoting it here moved changedetection.io's lock off uv's pins (benchmarks/resolve.py).
        """
        for name in self._pending_affected:
            self.affected[name] = self.affected.get(name, 0) + 1
        newly_late = False
        for name in sorted(self._pending_culprits):
            self.culprit[name] = self.culprit.get(name, 0) + 1
            if self.culprit[name] >= CULPRIT_THRESHOLD:
                self.late.add(name)
                newly_late = True
        self.forget_rejections()
        if newly_late and self.restarts_left > 0:
            self.restarts_left -= 1
            raise Reprioritized()

    def _clash(self, mine: Requirement, theirs: Requirement) -> bool:
        """No release of the project satisfies both requirements (memoized by identity: they live as long
        as the metadata that holds them)."""
        key = (id(mine), id(theirs))
        answer = self._disjoint.get(key)
        if answer is None:
            try:
                releases: Sequence[Release] = self.repository.releases(canonicalize_name(mine.name))
            except NotFound:
                releases = ()
            # Newest first, stopping at the first release both allow: usually the newest (versions are
            # parsed as they are looked at). No releases known: no evidence.
            answer = self._disjoint[key] = len(releases) > 0 and not any(
                mine.specifier.contains(r.version, prereleases=True)
                and theirs.specifier.contains(r.version, prereleases=True) for r in releases)
            self._kept.extend((mine, theirs))
        return answer

    # candidates --------------------------------------------------------------
    def find_matches(  # type: ignore[override]
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        name, extras = split_identifier(identifier)
        reqs = list(requirements[identifier])
        bad = {(c.name, c.version) for c in incompatibilities[identifier]}
        # A lazy, re-iterable view: metadata is fetched only for candidates tried.
        return functools.partial(self._iter_candidates, name, extras, reqs, bad)

    def _iter_candidates(self, name: NormalizedName, extras: frozenset[str], reqs: Sequence[Requirement],
                         bad: set) -> Iterator[Candidate]:
        try:
            releases = self.repository.releases(name)
        except NotFound:
            return
        specs = [r.specifier for r in reqs]
        if name in self.constraints:
            specs.append(self.constraints[name])
        pinned_exact = all(any(s.operator in ("==", "===") for s in spec) for spec in specs) and specs
        allow_pre = self.allow_prereleases or any(spec.prereleases for spec in specs)
        matching = _matching(releases, specs, bad, bool(pinned_exact), allow_pre, self.preferred.get(name))
        installable = (r for r in matching if r.installable)  # file compatibility is worked out lazily
        ahead: Release | None = None  # the next release, once looked at
        tried = 0
        while True:
            release, ahead = (ahead if ahead is not None else next(installable, None)), None
            if release is None:
                break
            if (name, extras, release.version) in self._never:  # passed over before, for good
                continue
            tried += 1
            # Past the first candidate the resolver is walking back: fetch the next one's metadata while
            # this one is tried. (The first is almost always kept; looking past it would decode and fetch
            # a release that a resolution without backtracking never needs.)
            if tried > 1:
                ahead = next(installable, None)
                if ahead is not None and (name, extras, ahead.version) not in self._never:
                    self.repository.prefetch_metadata(ahead)
            self._note_tried(release, releases, allow_pre)
            note = self._passed_over(release, extras)
            if note is not None:
                self.rejected.setdefault(name, []).append(f"{release.version}: {note}")
                self._never.add((name, extras, release.version))
                continue
            yield Candidate(release, extras)

    def _passed_over(self, release: Release, extras: frozenset[str]) -> str | None:
        """Why ``release`` can never be pinned in this resolution, else None: its metadata cannot be read or
        is invalid, its Requires-Python excludes the target, or it needs what the user's requirements rule
        out. None of these changes while the resolution runs, so the provider remembers the answer: walking
        back through boto3 asked about each botocore release of a minor series once per boto3 release."""
        try:
            meta = self.repository.metadata(release)
        except (IndexProblem, LookupError) as exc:
            if isinstance(exc, IndexProblem) and not _is_per_file_problem(exc):
                raise
            self.unreadable.setdefault(release.name, {})[release.version] = exc
            return str(exc)
        if meta.invalid_requires_dist:
            # Locking it without the dependency it spells wrong would break the install (boto3 1.2.0's
            # "botocore>=1.3.0,<1.4.0'," left botocore out): passed over, as pip (>= 24.1) and uv do.
            return f"invalid Requires-Dist {meta.invalid_requires_dist[0]!r}"
        self.metadata_warnings.extend(meta.warnings)
        if meta.requires_python is not None and not self.target.allows_python(meta.requires_python):
            return f"requires Python {meta.requires_python}"
        clash = self._root_clash(release.name, meta, extras)
        if clash is not None:
            whose = ("it is constrained to " + str(clash[1].specifier) + " by --constraint"
                     if id(clash[1]) in self._constraint_roots else f"you asked for {clash[1]}")
            return f"requires {clash[0]}, but {whose}"
        return None

    def _note_tried(self, release: Release, releases: Sequence[Release], allow_pre: bool) -> None:
        """Fetch the metadata of a batch of older releases at once when a project's releases keep failing
        (uv's ``BatchPrefetcher``).

        Walking back through boto3 because every newer botocore caps python-dateutil below what was asked
        for reads two thousand boto3 and botocore releases one at a time: each find_matches call for
        botocore sees only the one or two releases its boto3 allows, so the next one is not known to be
        needed until this one failed. Counting tries per project over every call, and fetching the next
        older releases in order (within the user's requirements and constraints), keeps a dozen fetches
        in flight instead of one. Nothing is decided differently; only the metadata arrives earlier.
        """
        name = release.name
        tried = self._tried.setdefault(name, set())
        tried.add(release.version)
        n, last = len(tried), self._batched.get(name, 0)
        if not (any(n >= t > last for t in BATCH_AFTER) or n - last >= BATCH_EVERY):
            return
        self._batched[name] = n
        roots = [r.specifier for r in self.roots.get(name, ())]
        wanted = min(n, BATCH_MAX)
        lo, hi = 0, len(releases)  # releases are newest first: find where the older ones start
        while lo < hi:
            mid = (lo + hi) // 2
            if releases[mid].version >= release.version:
                lo = mid + 1
            else:
                hi = mid
        for i in range(lo, len(releases)):
            older = releases[i]
            if ((older.version.is_prerelease and not allow_pre) or older.yanked
                    or not all(spec.contains(older.version, prereleases=True) for spec in roots)
                    or not older.wheels):  # an sdist's metadata costs its download: not speculated on (uv)
                continue
            self.repository.prefetch_metadata(older)
            wanted -= 1
            if wanted == 0:
                break

    def set_roots(self, requirements: Iterable[Requirement]) -> None:
        """The requirements every solution meets: the user's (markers already evaluated) and constraints."""
        self.roots = {}
        self._constraint_roots = set()
        for req in requirements:
            self.roots.setdefault(canonicalize_name(req.name), []).append(req)
        for name, spec in self.constraints.items():
            constraint = Requirement(f"{name}{spec}")
            self._constraint_roots.add(id(constraint))
            self.roots.setdefault(name, []).append(constraint)

    def _root_clash(self, name: NormalizedName, meta: DistMetadata,
                    extras: frozenset[str]) -> tuple[Requirement, Requirement] | None:
        """(the release's requirement, the user's) when the release needs a project at versions the user's
        requirements or constraints rule out, else None.

        The user's requirements hold in every solution, so such a release can never be pinned; resolvelib
        would try it, and when it fails, backjump to the last pin that shares a dependency with the conflict
        (often an unrelated one: SQLAlchemy also needs typing-extensions) and try everything after it again.
        With ``typing-extensions==4.6.1`` asked for, every release of typing-inspection needs >=4.12, so
        pydantic-settings releases that need typing-inspection are passed over here, where uv's
        incompatibility learning drops them, instead of after a walk through SQLAlchemy's and FastAPI's
        releases (sqlmodel's lock ran for 900 s).
        """
        if not self.roots:
            return None
        for dep in meta.requires_dist:
            key = canonicalize_name(dep.name)
            if key == name or key not in self.roots or dep.url is not None:
                continue
            if not (self.target.evaluate(dep.marker, "")
                    or any(self.target.evaluate(dep.marker, extra) for extra in extras)):
                continue
            for root in self.roots[key]:
                if self._clash(dep, root):
                    return dep, root
        return None

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:  # type: ignore[override]
        """Answered from a memo: resolvelib asks again about every pin each round (O(pins x criteria)),
        so a 300-pin resolution asked this ~10^6 times. The key is the identities of the requirement and the
        release (hashing two ints, not a Version): both are kept alive, so an id is never reused."""
        release = candidate.release
        key = (id(requirement), id(release))
        answer = self._satisfied.get(key)
        if answer is None:
            answer = self._satisfied[key] = (
                canonicalize_name(requirement.name) == release.name
                and requirement.specifier.contains(release.version, prereleases=True))
            self._kept.append((requirement, release))  # an id is unique only while its object lives
        return answer

    # dependencies ------------------------------------------------------------
    def get_dependencies(self, candidate: Candidate) -> list[Requirement]:  # type: ignore[override]
        meta: DistMetadata = self.repository.metadata(candidate.release)
        deps: list[Requirement] = []
        if candidate.extras:
            deps.append(Requirement(f"{candidate.name}=={candidate.version}"))
            for extra in sorted(candidate.extras):
                deps.extend(r for r in meta.requires_dist if r.marker is not None
                            and self.target.evaluate(r.marker, extra)
                            and not self.target.evaluate(r.marker, ""))
        else:
            deps.extend(r for r in meta.requires_dist if self.target.evaluate(r.marker, ""))
        for dep in deps:
            if dep.url is None:
                self.repository.prefetch(dep.name, dep)
            else:
                self.metadata_warnings.append(
                    f"{candidate.name} {candidate.version} requires {dep} (a direct URL); not locked: "
                    "locks hold index files with hashes only")
        return [d for d in deps if d.url is None]


def _matching(releases: Sequence[Release], specs: Sequence[SpecifierSet], bad: Collection[tuple[str, Version]],
              yanked_ok: bool, allow_pre: bool, preferred: Version | None) -> Iterator[Release]:
    """The releases that fit ``specs``, lazily, in the order they are tried: newest first, as pip does; final
    releases only unless ``allow_pre`` or none fits; a ``preferred`` version (an existing lock's pin) first
    when it fits (pip-compile's rule). A release without a compatible wheel is locked by its sdist (metadata
    read statically, never built here).

    The walk stops where the resolver stops asking: a resolution without backtracking looks at the newest
    fitting release of each project and parses no older version (``releases`` makes them on access).
    """
    def fits(r: Release, pre: bool | None) -> bool:  # pre: None for any release, else only of that kind
        return ((pre is None or r.version.is_prerelease == pre) and (r.name, r.version) not in bad
                and (not r.yanked or yanked_ok)
                and all(spec.contains(r.version, prereleases=True) for spec in specs))

    start, floor = _window(releases, specs)

    def window() -> Iterator[Release]:
        for i in range(start, len(releases)):
            r = releases[i]
            if floor is not None and floor(r.version):
                return
            yield r

    def newest_first() -> Iterator[Release]:
        if allow_pre:
            yield from (r for r in window() if fits(r, None))
            return
        found = False
        for r in window():
            if fits(r, False):
                found = True
                yield r
        if not found:  # no final release fits: prereleases do (pip's rule)
            yield from (r for r in window() if fits(r, True))

    if preferred is None:
        yield from newest_first()
        return
    first = []
    for r in newest_first():  # sorted: the preferred version is found before any older one
        if r.version == preferred:
            first.append(r)
        elif r.version < preferred:
            break
    yield from first
    yield from (r for r in newest_first() if r.version != preferred)


def _window(releases: Sequence[Release], specs: Sequence[SpecifierSet]
            ) -> tuple[int, Callable[[Version], bool] | None]:
    """(the index of the newest release no upper bound rules out, a test for "this release and every older one
    are below a lower bound"), for releases sorted newest first.

    Walking back through boto3 asks for botocore once per boto3 release, each time with a window such as
    ``>=1.44.7,<1.45``: testing every one of botocore's 2,400 releases against it for each of 2,000 boto3
    releases was most of that walk's CPU. The window is found by bisection and the walk stops below it; what
    is tested inside it is unchanged (:func:`_matching` still checks every specifier).
    """
    ceilings: list[tuple[str, Version]] = []  # "above the bound" is true for a prefix of the list
    floors: list[tuple[str, Version]] = []  # "below the bound" is true for a suffix
    for spec_set in specs:
        for spec in spec_set:
            op, text = spec.operator, spec.version
            if op == "===" or text.endswith(".*"):
                continue
            if op in ("<", "<="):
                ceilings.append((op, Version(text)))
            elif op in (">=", "~=", "==", ">"):
                floors.append((op, Version(text)))

    def above(v: Version) -> bool:
        # <=1.0 allows 1.0+local, which sorts above 1.0
        return any(v >= b if op == "<" else v > b and (v.local is None or Version(v.public) > b)
                   for op, b in ceilings)

    def below(v: Version) -> bool:
        return any(v <= b if op == ">" else v < b for op, b in floors)

    lo, hi = 0, len(releases)
    while ceilings and lo < hi:
        mid = (lo + hi) // 2
        if above(releases[mid].version):
            lo = mid + 1
        else:
            hi = mid
    return lo, (below if floors else None)


def _is_per_file_problem(exc: IndexProblem) -> bool:
    """A broken file or missing metadata rules out one release, not the run."""
    return isinstance(exc, BadResponse)


__all__ = ["Candidate", "Provider", "Reprioritized", "identifier_for", "split_identifier"]

"""The neighbour rule: which of several providers projects like this one depend on.

``import ninja`` is the build tool in most projects and django-ninja in a
Django project. The builder records, per distribution that shares an import
path with another (``neighbours.tsv``, :mod:`.build.store`), its
*neighbourhood*: how many crawled projects require it, how many of those
also require each other distribution, and what it requires itself (it counts
as one more project that requires it). At mapping time the project's
*context* (the distributions its other imports map to without a choice, plus
what it declares) is laid over each candidate's neighbourhood.

A distribution of the context *supports* a candidate (:func:`supports`) when

- at least :data:`NEIGHBOURS_MIN` projects require both: an anecdote is not
  evidence;
- no other candidate is required with it by more projects: the candidate
  that projects using it depend on (a Bayesian reading of the counts);
- the share of the candidate's projects that require it is more than
  :data:`NEIGHBOURS_MARGIN` times any other candidate's: it is
  characteristic of the candidate, not merely popular (``requests`` goes
  with everything and supports nothing).

The rule decides only when the context supports exactly one candidate
(:func:`strongest`); a Django project that also uses numpy gives ``ninja``
evidence both ways, and the next rule decides. A neighbour the table does not
list counts as its cut-off (``floor``) for the other candidates, so a table
cut short never makes a popular candidate look unrelated. Generic rules such
as "a ``django-`` name in a Django project" are not evidence: they picked
django-dotenv for ``dotenv``, which no crawled project requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from packaging.utils import canonicalize_name

NEIGHBOURS_FILE = "neighbours.tsv"  # next to the index (see .build.store)

NEIGHBOURS_MIN = 3
NEIGHBOURS_MARGIN = 2


@dataclass(frozen=True)
class Neighbourhood:
    """One contested distribution's row of ``neighbours.tsv``.

    ``dependents``: the crawled projects counted (bundles left out, see
    :mod:`.build.store`); ``counts``: (neighbour, how many of them require it
    too), most first; ``floor``: the largest count left out of ``counts``;
    ``requires``: its own runtime ``Requires-Dist``, None when it was not crawled.
    """

    dependents: int = 0
    counts: tuple[tuple[str, int], ...] = ()
    floor: int = 0
    requires: frozenset[str] | None = None

    @property
    def projects(self) -> int:
        """Its dependents, plus itself when crawled (its own requirements are one project's word)."""
        return self.dependents + (self.requires is not None)

    @cached_property
    def _table(self) -> dict[str, int]:
        return dict(self.counts)

    def count(self, neighbour: str) -> int:
        """Projects known to require it together with ``neighbour`` (itself included)."""
        return self._table.get(neighbour, 0) + (neighbour in (self.requires or ()))

    def bound(self, neighbour: str) -> int:
        """The most projects that could require it together with ``neighbour``."""
        return self._table.get(neighbour, self.floor) + (neighbour in (self.requires or ()))

    def share(self, count: int) -> float:
        return count / self.projects if self.projects else 0.0


EMPTY = Neighbourhood()


@dataclass(frozen=True)
class Evidence:
    """How one candidate's neighbourhood meets the project's context."""

    distribution: str
    projects: int  # crawled projects that require it (itself included when crawled)
    matched: tuple[tuple[str, int], ...]  # (context distribution, projects requiring both), most first
    supported_by: tuple[str, ...] = ()  # context distributions that support it (see the module docstring)

    def describe(self) -> str:
        counts = ", ".join(f"{d} {n}" for d, n in self.matched) or "none"
        text = f"{self.distribution}: {counts} of {self.projects}"
        return text + (f" (supported by {', '.join(self.supported_by)})" if self.supported_by else "")


def parse_row(row: list[str]) -> tuple[str, Neighbourhood] | None:
    """``distribution  dependents  floor  neighbour:count,...  requires,...|-`` (None: not such a row).

    The builder writes canonical names; the distribution is canonicalized
    again here all the same, neighbours are compared as written.
    """
    if len(row) != 5 or not row[1].isdigit() or not row[2].isdigit():
        return None
    counts = []
    for item in row[3].split(","):
        name, _, n = item.rpartition(":")
        if name and n.isdigit():
            counts.append((name, int(n)))
    requires = None if row[4] == "-" else frozenset(r for r in row[4].split(",") if r)
    return canonicalize_name(row[0]), Neighbourhood(int(row[1]), tuple(counts), int(row[2]), requires)


def supports(neighbour: str, mine: Neighbourhood, others: Iterable[Neighbourhood]) -> bool:
    """Whether ``neighbour`` (a distribution of the context) is evidence for ``mine`` over ``others``."""
    n = mine.count(neighbour)
    if n < NEIGHBOURS_MIN:
        return False
    share = mine.share(n)
    for other in others:
        up = other.bound(neighbour)
        if up > n or share <= NEIGHBOURS_MARGIN * other.share(up):
            return False
    return True


def weigh(candidates: list[tuple[str, Neighbourhood]], context: Iterable[str]) -> list[Evidence]:
    """Each candidate's neighbourhood laid over ``context`` (canonical names; the candidates left out)."""
    names = {canonicalize_name(d) for d, _ in candidates}
    ctx = sorted(set(context) - names)
    out = []
    for i, (dist, hood) in enumerate(candidates):
        others = [h for j, (_, h) in enumerate(candidates) if j != i]
        matched = sorted(((c, hood.count(c)) for c in ctx if hood.count(c)), key=lambda x: (-x[1], x[0]))
        out.append(Evidence(dist, hood.projects, tuple(matched),
                            tuple(c for c, _ in matched if supports(c, hood, others))))
    return out


def strongest(found: list[Evidence]) -> tuple[Evidence, str] | None:
    """The one candidate the context supports, and why; None when none or several are supported."""
    backed = [e for e in found if e.supported_by]
    if len(backed) != 1:
        return None
    top = backed[0]
    counts = dict(top.matched)
    shown = ", ".join(f"{c} ({counts[c]} of its {top.projects})" for c in top.supported_by[:5])
    rest = "; ".join(f"{e.distribution} {', '.join(f'{d} {n}' for d, n in e.matched) or 'none'} of {e.projects}"
                     for e in found if e is not top)
    return top, (f"projects that use what this project uses require it: crawled projects requiring it also "
                 f"require {shown}; {rest}")

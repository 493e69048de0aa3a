"""What the platform provides: ``--without NAME`` leaves a distribution out of the lock, with what only it needs.

``--without boto3`` on AWS Lambda means "the runtime already has boto3": it
must stay out of the lock even when a locked package depends on it, and so
must what boto3 alone brings (botocore, s3transfer, jmespath), which the
platform ships with it. What else in the lock needs stays.

The choice, against the tools that have something close: uv's
``--no-install-package`` resolves everything and skips installing the named
package only (its dependencies are still installed); pip-tools'
``--unsafe-package`` comments the package out of the output. Both resolve
with the package in the graph, so the other pins are ones that work with
*some* release of it; we do the same (the lock's header says which release it
was resolved against, so the user can compare with what the platform has),
and additionally drop the dependencies only it needed, since a platform that
provides a package provides what it imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from .universal import UniversalResolution


@dataclass(frozen=True)
class Provided:
    """A distribution the lock leaves to the platform, the version it was resolved against, who needs it."""

    name: str
    versions: tuple[str, ...] = ()  # empty: nothing in the lock depends on it (only the code imported it)
    needed_by: tuple[str, ...] = ()
    along: tuple[str, ...] = ()  # dependencies only it needed, left out with it

    def __str__(self) -> str:
        """The header's record: ``boto3==1.35.0`` (PEP 508; a bare name when nothing was resolved)."""
        return f"{self.name}=={self.versions[0]}" if len(self.versions) == 1 else self.name

    def note(self) -> str:
        """One line for the header and stderr: what was left out and that the platform must provide it."""
        text = f"without: {self}, left out of the lock: the platform must provide it"
        if self.versions:
            text += f" (resolved against {', '.join(self.versions)}"
            text += f"; needed by {', '.join(self.needed_by)})" if self.needed_by else ")"
        if self.along:
            text += f"; left out with it, needed only by it: {', '.join(self.along)}"
        return text


def leave_out(resolution: UniversalResolution, names: Iterable[str]) -> tuple[UniversalResolution, list[Provided]]:
    """``resolution`` without ``names`` and every pin reachable only through them, and what was left out.

    The dependency graph is read from each pin's parents; roots are the direct
    pins. A pin stays when some path from a root reaches it without passing
    through a left-out name.
    """
    drop = {canonicalize_name(n) for n in names}
    if not drop:
        return resolution, []
    children: dict[NormalizedName, set[NormalizedName]] = {}
    for pin in resolution.pins:
        for parent in pin.parents:
            children.setdefault(parent, set()).add(pin.name)
    kept: set[NormalizedName] = set()
    todo = [p.name for p in resolution.pins if p.direct and p.name not in drop]
    while todo:
        name = todo.pop()
        if name in kept or name in drop:
            continue
        kept.add(name)
        todo.extend(children.get(name, ()))
    gone = {p.name for p in resolution.pins} - kept
    provided = []
    for key in sorted(drop):
        pins = [p for p in resolution.pins if p.name == key]  # one per version (a split pin)
        along = _only_through(key, children, kept, drop)
        provided.append(Provided(
            pins[0].display_name if pins else key,
            tuple(str(p.version) for p in sorted(pins, key=lambda p: p.version, reverse=True)),
            tuple(sorted({parent for p in pins for parent in p.parents if parent in kept})),
            tuple(sorted(along & gone))))
    return dataclasses.replace(resolution, pins=tuple(p for p in resolution.pins if p.name in kept)), provided


def _only_through(key: str, children: dict[NormalizedName, set[NormalizedName]], kept: set[NormalizedName],
                  drop: set[NormalizedName]) -> set[str]:
    """The pins below ``key`` that are not kept (those only ``key``, or other left-out names, needed)."""
    out: set[str] = set()
    todo = list(children.get(canonicalize_name(key), ()))
    while todo:
        name = todo.pop()
        if name in out or name in kept or name in drop:
            continue
        out.add(name)
        todo.extend(children.get(name, ()))
    return out


__all__ = ["Provided", "leave_out"]

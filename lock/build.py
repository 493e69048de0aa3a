"""Resolution + direct requirements -> Lock (the only place the two meet).

A universal resolution (several targets) gives one entry per pin and version,
with the marker that selects the targets it serves; a single-target
Resolution is the one-target case.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from poncho import __version__
from poncho.errors import BadResponse, Reason, redact_url
from poncho.net import IndexFile
from poncho.net.local import open_regular
from poncho.resolver import Resolution
from poncho.resolver.universal import UniversalResolution, merge

from . import validate
from .inputs import LockFlags, LockInputs, normalize_index_url
from .records import Artifact, Lock, LockEntry, LockTarget

if TYPE_CHECKING:  # pragma: no cover
    from poncho.index_cache.requirements import DirectRequirement  # the mapping stage: not loaded by a lock


def _artifact(file: IndexFile) -> Artifact:
    """A locked file with its sha256: from the index, or computed when a local index lists none (as uv does).

    A remote index that gives no hash is unusable: a lock without hashes
    cannot be installed with ``--require-hashes``, and hashing a download
    would only vouch for whatever this run happened to receive.
    """
    sha = file.sha256
    if not sha and file.url.startswith("file:"):
        sha = sha256_of_local(file.url)
    if not sha:
        raise BadResponse(file.url, "the index gives no sha256 for this file; a lock needs one",
                          "use an index that lists hashes (PEP 503 #sha256= or PEP 691 hashes)",
                          kind=Reason.NO_HASH)
    url = redact_url(file.url)
    return Artifact(file.filename, url, validate.sha256(sha, url), file.size)


def sha256_of_local(url: str) -> str:
    """The sha256 of a ``file:`` URL's regular file; a FIFO or a device is refused, never read (it would block
    or never end)."""
    digest = hashlib.sha256()
    with open_regular(url) as f:
        try:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        except OSError as exc:
            raise BadResponse(url, f"cannot read the file to hash it: {exc.strerror or exc}",
                              kind=Reason.UNREACHABLE) from exc
    return digest.hexdigest()


def build_lock(resolution: Resolution | UniversalResolution, direct: Sequence[DirectRequirement],
               index_urls: Sequence[str], notes: Sequence[str] = (), inputs: LockInputs | None = None, *,
               left_out: Sequence[str] = (), variants: Mapping[str, str] | None = None,
               provided: Sequence[str] = (), flags: LockFlags | None = None) -> Lock:
    """Join pins with the import sites that asked for them; ``notes`` and ``inputs`` land in the header.

    ``inputs`` (what the pipeline was told) gets the resolution's own part
    here: the targets, the fallbacks and this tool's version. ``variants`` maps an imported project to the
    binary variant locked for it (its import sites carry over); ``left_out`` names direct requirements a
    target cannot install (PEP 508, with the marker where they do install); ``provided`` names what
    ``--without`` left to the platform (``boto3==1.35.0``). None enters the inputs: like versions, they follow
    from the index (``without`` itself is the user's choice, recorded in the notes and ``[tool.poncho]``).
    """
    if isinstance(resolution, Resolution):
        resolution = merge((resolution.target,), (resolution,), [r.requirement for r in direct])
    by_key = {r.key: r for r in direct}
    for plain, variant in (variants or {}).items():
        if plain in by_key:
            by_key[variant] = by_key[plain]
    grouped = _group_only(resolution, by_key)
    entries = []
    for pin in resolution:
        req = by_key.get(canonicalize_name(pin.name)) if pin.direct else None
        via: list[str] = []
        if req is not None:
            via.extend(dict.fromkeys(validate.comment(loc) for loc in req.locations))
        via.extend(pin.parents)
        artifacts = tuple(_artifact(f) for f in pin.files)
        if not artifacts:
            raise BadResponse(pin.index_url or "", f"{pin.display_name} {pin.version}: no file to lock",
                              kind=Reason.NO_HASH)
        origin = redact_url(pin.index_url)
        where = req.locations[0] if req is not None and req.locations else pin.name
        entries.append(LockEntry(
            name=validate.name(pin.display_name, origin),
            version=validate.version(str(pin.version), origin),
            artifacts=artifacts,
            direct=req is not None,
            via=tuple(via),
            marker=validate.marker(pin.marker, where),
            extras=tuple(sorted(validate.name(x, origin) for x in pin.extras)),
            parents=tuple(pin.parents),
            index_url=normalize_index_url(pin.index_url) if pin.index_url else "",
            groups=grouped.get(pin.name, ()),
        ))
    targets = tuple(LockTarget(t.python, t.implementation, t.platform_label) for t in resolution.targets)
    first = targets[0]
    inputs = inputs or LockInputs.of(requirements=[str(r) for r in direct], targets=(), index_urls=index_urls)
    inputs = dataclasses.replace(inputs, targets=tuple(t.describe() for t in targets), tool_version=__version__,
                                 fallbacks=tuple(sorted(set(resolution.fallbacks))))
    return Lock(
        entries=tuple(entries),
        python=first.python,
        implementation=first.implementation,
        platform=first.platform,
        tool_version=__version__,
        input_digest=inputs.digest(),
        index_urls=inputs.index_urls,
        notes=tuple(validate.comment(n) for n in (*notes, *_credential_note(index_urls),
                                                   *(f"fallback: {f}" for f in resolution.fallbacks))),
        inputs=inputs,
        targets=targets,
        left_out=tuple(validate.comment(r) for r in left_out),
        variants=tuple(validate.comment(f"{plain} -> {variant}")
                       for plain, variant in sorted((variants or {}).items())),
        provided=tuple(validate.comment(p) for p in provided),
        flags=LockFlags() if flags is None else dataclasses.replace(
            flags, with_requirements=tuple(validate.comment(r) for r in flags.with_requirements),
            exclude=tuple(validate.comment(g) for g in flags.exclude)),
    )


def _group_only(resolution: UniversalResolution, by_key: Mapping[str, DirectRequirement]) -> dict[str, tuple[str, ...]]:
    """canonical name -> the groups that alone need it: pins no runtime requirement reaches, through the
    dependency graph, but a grouped one (``test``) does."""
    children: dict[str, set[str]] = {}
    for pin in resolution:
        for parent in pin.parents:
            children.setdefault(parent, set()).add(pin.name)

    def reach(roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(children.get(name, ()))
        return seen

    direct = [p.name for p in resolution if p.direct]
    runtime = reach(n for n in direct if by_key.get(n) is None or by_key[n].group is None)
    out: dict[str, set[str]] = {}
    for group in sorted({r.group for r in by_key.values() if r.group}):
        for name in reach(n for n in direct if by_key.get(n) is not None and by_key[n].group == group) - runtime:
            out.setdefault(name, set()).add(group)
    return {name: tuple(sorted(groups)) for name, groups in out.items()}


def _credential_note(index_urls: Sequence[str]) -> list[str]:
    if all(redact_url(u) == u for u in index_urls):
        return []
    return ["index credentials are not written into locks; installers take them from ~/.netrc, "
            "keyring or pip's configuration"]

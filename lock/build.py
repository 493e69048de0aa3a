"""Resolution + direct requirements -> Lock (the only place the two meet)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from packaging.utils import canonicalize_name

from poncho import __version__
from poncho.errors import BadResponse, Reason, redact_url
from poncho.index_cache.requirements import DirectRequirement
from poncho.net import IndexFile
from poncho.net.local import open_regular
from poncho.resolver import Resolution

from . import validate
from .digest import input_digest
from .records import Artifact, Lock, LockEntry


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


def build_lock(resolution: Resolution, direct: Sequence[DirectRequirement], index_urls: Sequence[str],
               notes: Sequence[str] = (), constraints: Mapping[str, object] | None = None, *,
               left_out: Sequence[str] = (), variants: Mapping[str, str] | None = None) -> Lock:
    """Join pins with the import sites that asked for them; ``notes`` land in the header.

    ``variants`` maps an imported project to the binary variant locked for it (its import sites carry
    over); ``left_out`` names direct requirements the target cannot install (PEP 508, with the marker
    where they do install). Neither enters the input digest: like versions, they follow from the index.
    """
    by_key = {r.key: r for r in direct}
    for plain, variant in (variants or {}).items():
        if plain in by_key:
            by_key[variant] = by_key[plain]
    entries = []
    for pin in resolution:
        req = by_key.get(canonicalize_name(pin.name))
        via: list[str] = []
        if req is not None:
            via.extend(dict.fromkeys(validate.comment(s.location) for s in req.sites))
        via.extend(pin.parents)
        artifacts = tuple(_artifact(f) for f in pin.files)
        if not artifacts:
            raise BadResponse(pin.index_url or "", f"{pin.display_name} {pin.version}: no file to lock",
                              kind=Reason.NO_HASH)
        origin = redact_url(pin.index_url)
        entries.append(LockEntry(
            name=validate.name(pin.display_name, origin),
            version=validate.version(str(pin.version), origin),
            artifacts=artifacts,
            direct=req is not None,
            via=tuple(via),
            marker=validate.marker(req.marker, req.sites[0].location) if req is not None else None,
            extras=tuple(sorted(validate.name(x, origin) for x in pin.extras)),
            parents=tuple(pin.parents),
            index_url=redact_url(pin.index_url),
        ))
    t = resolution.target
    return Lock(
        entries=tuple(entries),
        python=t.python_full_version,
        implementation=t.implementation,
        platform=t.platform_label,
        tool_version=__version__,
        input_digest=input_digest(direct, t, index_urls, constraints, resolution.fallbacks),
        index_urls=tuple(redact_url(u) for u in index_urls),
        notes=tuple(validate.comment(n) for n in (*notes, *_credential_note(index_urls),
                                                   *(f"fallback: {f}" for f in resolution.fallbacks))),
        left_out=tuple(validate.comment(r) for r in left_out),
        variants=tuple(validate.comment(f"{plain} -> {variant}")
                       for plain, variant in sorted((variants or {}).items())),
    )


def _credential_note(index_urls: Sequence[str]) -> list[str]:
    if all(redact_url(u) == u for u in index_urls):
        return []
    return ["index credentials are not written into locks; installers take them from ~/.netrc, "
            "keyring or pip's configuration"]

"""A lock file back into the :class:`~poncho.lock.records.Lock` record, so it can be rendered in another format.

``poncho-resolve export`` converts without resolving: the JSON lock is the
record itself, ``pylock.toml`` holds every field the record has, and the
requirements format holds all but the files' names, URLs and sizes (its
artifacts come back with the sha256 only; :func:`needs_urls` says so, and
the pipeline finds them on the index). conda and poncho specs hold no hashes
and are not read back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from poncho.errors import LockFileError

from .parse import LockedFile, read_lock
from .records import Artifact, Lock, LockEntry


def load_lock(path: str | Path) -> Lock:
    """The Lock a file holds (requirements, pylock.toml or JSON, as poncho-resolve wrote it)."""
    p = Path(path)
    if p.suffix in (".yml", ".yaml"):
        raise LockFileError(f"{p}: a conda environment holds no hashes and cannot be read back as a lock; "
                            "export from the requirements, pylock or JSON lock")
    locked = read_lock(p)
    if locked.format == "json":
        from .json_lock import load

        return load(p.read_text(encoding="utf-8"))
    if not locked.generated_by_poncho or locked.python_and_platform is None or locked.inputs is None:
        raise LockFileError(f"{p}: not written by poncho-resolve (no target or inputs in its header); "
                            "lock the code with poncho-resolve first")
    files = _pylock_files(p) if locked.format == "pylock" else {}
    groups = _pylock_groups(p) if locked.format == "pylock" else {}
    entries = []
    for key, e in locked.entries.items():
        if e.version is None:
            raise LockFileError(f"{p}:{e.line}: {e.name} is not pinned to one version")
        artifacts, index_url = files.get(key, (tuple(Artifact("", "", sha) for sha in e.hashes), ""))
        entries.append(LockEntry(name=e.name, version=e.version, artifacts=artifacts, direct=e.direct,
                                 via=tuple(e.via), marker=e.marker, extras=e.extras,
                                 parents=tuple(_parents(locked, key)), index_url=index_url,
                                 groups=groups.get(key, ())))
    python, platform = locked.python_and_platform
    return Lock(entries=tuple(entries), python=python, implementation="cpython", platform=platform,
                tool_version=locked.inputs.tool_version, input_digest=locked.input_digest or "",
                index_urls=locked.index_urls, notes=locked.notes, inputs=locked.inputs,
                left_out=tuple(f"{k}; {m}" if m else k for k, m in locked.left_out.items()),
                variants=tuple(f"{k} -> {v}" for k, v in locked.variants.items()),
                provided=tuple(locked.provided.values()), flags=locked.flags)


def needs_urls(lock: Lock) -> bool:
    """Whether some artifact is known by its hash alone (read from a requirements lock)."""
    return any(not a.url for e in lock.entries for a in e.artifacts)


def _parents(locked: LockedFile, key: str) -> list[str]:
    """The distributions that require ``key``: its ``# via`` names (pylock: its ``dependencies`` edges)."""
    if locked.format == "pylock":
        return sorted(p for p, deps in locked.dependencies.items() if key in deps)
    return [canonicalize_name(v) for v in locked.entries[key].parents]


def _pylock_groups(p: Path) -> dict[str, tuple[str, ...]]:
    """canonical name -> the dependency groups that alone need it (``[packages.tool.poncho] groups``)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    data = tomllib.loads(p.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for pkg in data.get("packages", []):
        groups = pkg.get("tool", {}).get("poncho", {}).get("groups")
        if isinstance(groups, list):
            out[canonicalize_name(str(pkg["name"]))] = tuple(str(g) for g in groups)
    return out


def _pylock_files(p: Path) -> dict[str, tuple[tuple[Artifact, ...], str]]:
    """canonical name -> (artifacts with name, URL, size and sha256; the package's index)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    data = tomllib.loads(p.read_text(encoding="utf-8"))  # read_lock already vouched for its shape
    out: dict[str, tuple[tuple[Artifact, ...], str]] = {}
    for pkg in data.get("packages", []):
        files: list[Any] = [*pkg.get("wheels", []), *([pkg["sdist"]] if pkg.get("sdist") else [])]
        try:
            artifacts = tuple(Artifact(str(f["name"]), str(f["url"]), str(f["hashes"]["sha256"]),
                                       f.get("size") if isinstance(f.get("size"), int) else None) for f in files)
        except (KeyError, TypeError) as exc:
            raise LockFileError(f"{p}: {pkg.get('name')}: a file without name, url or sha256 ({exc!r})") from None
        out[canonicalize_name(str(pkg["name"]))] = (artifacts, str(pkg.get("index") or ""))
    return out

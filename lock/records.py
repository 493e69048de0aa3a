"""The Lock record: what every lock format is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    """One file that may be installed for an entry; the hash is what installers verify."""

    filename: str
    url: str
    sha256: str
    size: int | None = None


@dataclass(frozen=True)
class LockEntry:
    name: str
    version: str
    artifacts: tuple[Artifact, ...]
    direct: bool
    via: tuple[str, ...]  # import sites (path:line) for direct entries, parent names otherwise
    marker: str | None = None
    extras: tuple[str, ...] = ()
    # Canonical names of the locked distributions that require this one: the
    # dependency edges (``via`` mixes them with import sites, so formats that
    # record a graph, such as pylock.toml, read this instead).
    parents: tuple[str, ...] = ()
    index_url: str = ""  # the simple index that listed the artifacts ("" when unknown)


@dataclass(frozen=True)
class Lock:
    entries: tuple[LockEntry, ...]
    python: str  # target Python, e.g. "3.11.7"
    implementation: str
    platform: str
    tool_version: str
    input_digest: str  # sha256 over the direct requirements, target and indexes
    index_urls: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    # Direct requirements not in the lock because the target cannot install them, as PEP 508 text:
    # "pywin32; sys_platform == \"win32\"" (published only there) or "name" (installable nowhere here).
    left_out: tuple[str, ...] = field(default=())
    # Binary-wheel variants locked instead of the imported project: "psycopg2 -> psycopg2-binary".
    variants: tuple[str, ...] = field(default=())

    def render(self, fmt: str = "requirements") -> str:
        """The lock as text in ``fmt``: requirements, pylock, poncho, conda or json."""
        from .formats import renderer

        return renderer(fmt)(self)

    def write(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the lock to ``path`` atomically; the format is inferred from the name unless given.

        A directory gets the format's usual file name (``env.lock``,
        ``pylock.toml``, ...). Returns the path written.
        """
        from .formats import choose_format, write

        fmt, target = choose_format(fmt, path)
        assert target is not None
        return write(self.render(fmt), target)

    def entry(self, name: str) -> LockEntry | None:
        from packaging.utils import canonicalize_name

        key = canonicalize_name(name)
        return next((e for e in self.entries if canonicalize_name(e.name) == key), None)

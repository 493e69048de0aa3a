"""The Lock record: what every lock format is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .inputs import LockFlags, LockInputs, pins_digest


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
    # Dependency groups that alone need this entry ("test": only tests import it, with --include-tests);
    # empty: installed by default. pylock.toml writes them as `dependency-groups` markers.
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockTarget:
    """One machine kind the lock serves, as its header records it."""

    python: str  # "3.11" (any patch) or "3.11.7" (pinned)
    implementation: str
    platform: str

    def describe(self) -> str:
        """``cpython 3.11 on manylinux_2_28_x86_64``: the header's spelling, which ``check`` reads back."""
        return f"{self.implementation} {self.python} on {self.platform}"


@dataclass(frozen=True)
class Lock:
    """A lock for one or more targets; ``python``/``implementation``/``platform`` are the first target's.

    An entry's ``marker`` is true on exactly the targets it serves (a pin split
    across targets has one entry per version).
    """

    entries: tuple[LockEntry, ...]
    python: str  # the first target's Python: "3.11" (any patch) or "3.11.7"
    implementation: str
    platform: str
    tool_version: str
    input_digest: str  # LockInputs.digest() of ``inputs``: equal digests, equal inputs
    index_urls: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    inputs: LockInputs = LockInputs()  # what shaped the lock, written into every format's header
    targets: tuple[LockTarget, ...] = ()  # every target, the first one first; filled from the fields above

    def __post_init__(self) -> None:
        first = LockTarget(self.python, self.implementation, self.platform)
        if not self.targets:
            object.__setattr__(self, "targets", (first,))
        elif self.targets[0] != first:
            from poncho.errors import LockFileError  # a hand-edited JSON lock; json_lock.load names the file

            raise LockFileError(f"the first target {self.targets[0].describe()!r} is not the lock's "
                                f"python/implementation/platform {first.describe()!r}")

    @property
    def pins_digest(self) -> str:
        """The digest of the pinned set (names, versions, markers, extras) as poncho-resolve wrote it."""
        return pins_digest((e.name, e.version, e.marker, e.extras) for e in self.entries)
    # Direct requirements not in the lock because the target cannot install them, as PEP 508 text:
    # "pywin32; sys_platform == \"win32\"" (published only there) or "name" (installable nowhere here).
    left_out: tuple[str, ...] = field(default=())
    # Binary-wheel variants locked instead of the imported project: "psycopg2 -> psycopg2-binary".
    variants: tuple[str, ...] = field(default=())
    # Left to the platform by --without, with what only they needed (resolver/provided.py): "boto3==1.35.0".
    provided: tuple[str, ...] = field(default=())
    # --with, --exclude, --include-tests, --only-binary as given: `check` and a flag-less re-lock make them again.
    flags: LockFlags = field(default_factory=LockFlags)

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
        """The first entry named ``name`` (a split pin has one per version)."""
        from packaging.utils import canonicalize_name

        key = canonicalize_name(name)
        return next((e for e in self.entries if canonicalize_name(e.name) == key), None)

"""Every failure a user can cause, each carrying the exit code the CLI returns.

A leaf module: it imports nothing from poncho (and nothing slow), so any
stage can raise these and ``poncho.cli.main`` can catch them without loading
the stages. Callers branch on the class and on its data (``kind``,
``status``, ``url``), never on the text of a message.
"""

from __future__ import annotations

import enum
import re

_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")  # up to the authority's last @


def redact_url(url: str) -> str:
    """``https://user:secret@host/x`` -> ``https://***@host/x``: credentials never reach a lock or a message.

    Lives here because every message this module formats passes through it;
    the locks use it too (credentials come from netrc, keyring or pip's
    configuration at install time, never from the lock).
    """
    return _USERINFO.sub(r"\1***@", url)


class ExitCode(enum.IntEnum):
    """The CLI's exit codes; the README's table lists the same ones."""

    OK = 0
    CHECK_FAILED = 1  # `check`: the lock does not match the code
    USAGE = 2  # bad arguments, a missing path, unreadable configuration or lock
    ANALYSIS = 3  # analysis problems, under --strict
    UNMAPPED = 4  # imports that map to no distribution, under --strict
    RESOLUTION = 5  # no consistent set of versions, or a project the index lacks
    INDEX = 6  # the index is unreachable or answered with something unusable
    INTERRUPTED = 130
    INTERNAL = 70  # a bug: nothing was written


class PonchoError(Exception):
    """Base of every failure a user can cause; ``exit_code`` is what the CLI returns."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(PonchoError):
    """Bad arguments, a path that does not exist, an unwritable output."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """Configuration that cannot be used: pip's files, ``[tool.poncho]``, ``--map``, a target."""


class EntryError(UsageError):
    """A callable entry (``file.py:function``) that cannot be found or used."""


class OverrideError(ConfigError):
    """A ``--map`` or ``[tool.poncho.mapping]`` entry that cannot be used; the message names where."""


class LockFileError(UsageError):
    """A lock file that cannot be read back (``check``, ``-c env.lock``); the message names the file."""


class EnvironmentProblem(UsageError):
    """An installed environment (``--env``, ``--from-env``) that cannot be asked what it holds."""

    def __init__(self, python: str, reason: str) -> None:
        self.python = python
        super().__init__(f"{python}: {reason}")


class AnalysisFailed(PonchoError):
    """``--strict``: the analyzer could not read part of the program."""

    exit_code = ExitCode.ANALYSIS


class UnmappedImports(PonchoError):
    """``--strict``: imports no distribution provides."""

    exit_code = ExitCode.UNMAPPED

    def __init__(self, modules: tuple[str, ...]) -> None:
        self.modules = modules
        super().__init__(f"{len(modules)} import(s) map to no distribution and --strict is set: "
                         + ", ".join(modules))


class ResolutionError(PonchoError):
    """Resolution failed for a reason in the requirements, not in the index's health."""

    exit_code = ExitCode.RESOLUTION


class ResolutionConflict(ResolutionError):
    """No set of versions satisfies every requirement; the message says who asked for what."""


class InconsistentEnvironment(ResolutionError):
    """``--from-env``: the installed distributions do not meet each other's requirements, so their
    versions are no consistent set to lock; ``problems`` lists each unmet requirement."""

    def __init__(self, python: str, problems: list[str]) -> None:
        self.python = python
        self.problems = tuple(problems)
        super().__init__(f"{python}: the installed distributions are not a consistent set, so they cannot be "
                         "locked as they are:\n  " + "\n  ".join(problems)
                         + "\nfix the environment (`pip check` lists the same), or lock without --from-env")


class NoSuchProject(ResolutionError):
    """A requirement names a project the index does not have."""

    def __init__(self, project: str, message: str) -> None:
        self.project = project
        super().__init__(message)


class NotInstallable(ResolutionError):
    """Under ``--strict``: direct requirements with no release installable on the target."""

    def __init__(self, projects: tuple[str, ...], message: str) -> None:
        self.projects = projects
        super().__init__(message)


class SdistOnly(ResolutionError):
    """Under ``--only-binary``: pins that have no wheel for the target (they would be built at install)."""

    def __init__(self, projects: tuple[str, ...], message: str) -> None:
        self.projects = projects
        super().__init__(message)


class Reason(enum.Enum):
    """Why an index answer was unusable: the data callers branch on."""

    UNREACHABLE = "unreachable"  # DNS, refused, reset, TLS
    TIMEOUT = "timeout"
    NOT_CACHED = "not-cached"  # --offline, and the answer was never fetched
    NOT_FOUND = "not-found"  # 404 / 410
    HTTP_STATUS = "http-status"  # any other non-2xx answer (see ``status``)
    BAD_PAGE = "bad-page"  # a project page that is not PEP 691 JSON or PEP 503 HTML
    BAD_ARCHIVE = "bad-archive"  # not a valid zip / tar, or a member that cannot be read
    BAD_METADATA = "bad-metadata"  # METADATA that does not parse or names another project
    TOO_LARGE = "too-large"  # a body, archive or member over its limit
    NO_HASH = "no-hash"  # a remote index gave no sha256 for a file
    HASH_MISMATCH = "hash-mismatch"  # a body whose sha256 is not what the index said
    UNSUPPORTED = "unsupported"  # a scheme or feature this tool does not read
    DAMAGED_CACHE = "damaged-cache"  # a cache entry whose bytes fail their checksum (damaged on disk)


#: Statuses worth retrying later (rate limits, overloaded servers).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class IndexProblem(PonchoError):
    """The index (or a file it points at) was unreachable or unusable."""

    exit_code = ExitCode.INDEX

    def __init__(self, url: str, reason: str, hint: str = "", *, kind: Reason = Reason.UNREACHABLE,
                 status: int | None = None) -> None:
        self.url = url = redact_url(url)
        self.reason = reason
        self.hint = hint
        self.kind = kind
        self.status = status
        msg = f"{url}: {reason}"
        if hint:
            msg += f" ({hint})"
        super().__init__(redact_url(msg))  # reasons quote URLs too (requests' messages do)

    @property
    def transient(self) -> bool:
        """Worth retrying: a timeout, a dropped connection or a 429/5xx."""
        return self.kind in (Reason.TIMEOUT, Reason.UNREACHABLE) or (
            self.kind is Reason.HTTP_STATUS and self.status in TRANSIENT_STATUSES)


class IndexUnreachable(IndexProblem):
    """The index could not be contacted at all (DNS, refused, TLS, timeout)."""


class NotCached(IndexUnreachable):
    """Offline mode, and the answer is not in the cache."""

    def __init__(self, url: str, reason: str = "not in the cache and --offline is set",
                 hint: str = "run once without --offline to fill the cache") -> None:
        super().__init__(url, reason, hint, kind=Reason.NOT_CACHED)


class DamagedCache(IndexProblem):
    """A cached answer of ``url`` failed its checksum when read: damaged on disk after it was written.

    The entry is removed before this is raised, so the next run fetches it
    again; this run writes nothing.
    """

    def __init__(self, url: str, entry: str) -> None:
        self.entry = entry
        super().__init__(url, f"its cached copy ({entry}) is damaged and was removed",
                         "run the command again to fetch it anew", kind=Reason.DAMAGED_CACHE)


class NotFound(IndexProblem):
    """The index answered 404 for a project or file."""

    def __init__(self, url: str, reason: str = "not found", hint: str = "", *, status: int | None = 404) -> None:
        super().__init__(url, reason, hint, kind=Reason.NOT_FOUND, status=status)


class BadResponse(IndexProblem):
    """The index answered, but with something we cannot use (``kind`` says what)."""

    def __init__(self, url: str, reason: str, hint: str = "", *, kind: Reason = Reason.BAD_PAGE,
                 status: int | None = None) -> None:
        super().__init__(url, reason, hint, kind=kind, status=status)


class OverLimit(BadResponse):
    """A body, archive or member over one of the readers' limits (``kind`` is TOO_LARGE).

    ``limit`` names which one, as a field of ``poncho.artifacts.limits.ArchiveLimits``
    (``compressed``, ``uncompressed``, ``members``, ``member``), so callers can
    report it without reading the message.
    """

    def __init__(self, url: str, limit: str, reason: str, hint: str = "") -> None:
        self.limit = limit
        super().__init__(url, reason, hint, kind=Reason.TOO_LARGE)


class BuildError(UsageError):
    """``index build`` cannot start or cannot go on (an output that is not a directory, a journal of
    another index, no Dask); nothing was written."""


class ProjectListError(ConfigError):
    """``index build``: the popularity list (``--input``) is missing or cannot be used; the message
    names the file and line."""


class BuildIncomplete(PonchoError):
    """``index build``: some projects could not be read; the data was written without them."""

    exit_code = ExitCode.INDEX

    def __init__(self, failed: int, total: int) -> None:
        self.failed = failed
        self.total = total
        super().__init__(f"{failed} of {total} project(s) could not be read; re-run to retry them")


class ShipError(UsageError):
    """``pack``, ``run`` and ``poncho.dask`` cannot go on; the message names the file, tool or worker."""


class PackError(ShipError):
    """``pack``: a packer (pex, uv, conda-pack, poncho_package_create) is missing or failed; nothing was written."""


class ArtifactError(ShipError):
    """``run``: a file that is not an artifact ``pack`` made, or one that cannot be unpacked."""


class TargetMismatch(ShipError):
    """A lock made for another target (Python version, platform) than the workers that would run it."""

"""The one record for everything worth telling a user that does not stop a run.

Every stage reports through :class:`Diagnostic`: the analyzer (unreadable
files, stdlib modules the target lacks), the mapper (imports no distribution
provides, optional and typing-only imports left out), the resolver and the
lock (yanked pins), and ``check`` (its findings). They are rendered in one
place, :func:`render`, as text, JSON lines or GitHub annotations.

Codes are stable and documented in the README; behaviour may branch on a
code, never on a message.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """How bad a diagnostic is; ``--strict`` fails on errors and warnings."""

    ERROR = "error"  # the program cannot work as written for the target (e.g. a removed stdlib module)
    WARNING = "warning"  # input the tool could not read, or a result the user must look at
    NOTE = "note"  # a decision the user should know about (shown unless -q)
    INFO = "info"  # detail for the curious (shown with -v)


class Code(str, enum.Enum):
    """Stable identifiers; PR0xx are ``check`` findings, the rest name the stage."""

    # check (the lock against the code)
    MISSING_FROM_LOCK = "PR001"
    LOCKED_ONLY_TRANSITIVELY = "PR002"
    NO_LONGER_IMPORTED = "PR003"
    UNRESOLVED_IN_CHECK = "PR004"
    INPUTS_CHANGED = "PR005"
    UNMET_REQUIREMENT = "PR006"  # a pin's Requires-Dist not met by the other pins (a hand edit, a removed entry)
    # check: the code against the project's declared dependencies (warnings; errors under --strict)
    UNDECLARED_IMPORT = "PR007"  # imported, but not among the project's declared dependencies
    DECLARED_UNUSED = "PR008"  # declared as a runtime dependency, but nothing imports it
    NOT_INSTALLABLE_IN_CHECK = "PR009"  # imported, but left out of the lock: nothing installs on its target
    # check --env (the lock against an installed environment)
    NOT_INSTALLED = "PR011"  # locked, not installed
    OTHER_VERSION_INSTALLED = "PR012"  # locked at one version, installed at another
    NOT_LOCKED_BUT_INSTALLED = "PR013"  # installed, not in the lock (a warning)
    # analysis
    UNREADABLE = "PR101"  # a file or directory that cannot be read or parsed
    TARGET_LACKS_STDLIB = "PR102"  # a stdlib module the target Python does not ship
    DYNAMIC_UNKNOWN = "PR103"  # a dynamic import whose module is not known before run time
    PARTIAL_ANALYSIS = "PR104"  # a file analyzed in part: a fallback parser (static imports only), a bound met
    ENTRY_NOT_FOUND = "PR105"  # a callable entry that names nothing
    OUT_OF_SCOPE = "PR106"  # files left out of the runtime analysis (tests, docs, --exclude)
    # mapping
    UNMAPPED = "PR201"  # an import no distribution provides
    OPTIONAL_LEFT_OUT = "PR202"
    TYPING_ONLY = "PR203"
    NOT_A_MODULE = "PR204"  # a string that no import statement could use
    INSTALL_HINT = "PR205"  # `%pip install x` in a notebook
    RUNTIME_PROVIDED = "PR206"  # `__main__`, Jython's `java.*`: provided at run time, never mapped
    USER_CHOICE = "PR207"  # a requirement added by `with` or dropped by `without`
    DECLARED_WINS = "PR208"  # locked because the project declares it at run time (guarded or out-of-scope imports)
    DIRECT_URL_DECLARED = "PR209"  # declared by a direct URL (git+https://...): not locked from the index
    # resolution and the lock
    RESOLUTION_WARNING = "PR301"  # a yanked pin, a direct URL dependency, ...
    FORMAT_LIMIT = "PR302"  # a lock format that cannot carry hashes
    RESOLUTION_STATS = "PR303"  # info: rounds, fetches and critical-path round trips of a resolution
    # a lock that installs (poncho.resolver.installable)
    PLATFORM_ONLY = "PR311"  # published only for other platforms: a marker, left out of this target's lock
    NOT_INSTALLABLE = "PR312"  # no release installable on the target: left out (--strict: exit 5)
    SDIST_ONLY = "PR313"  # a pin with no wheel for the target: built at install time (--only-binary: exit 5)
    OLDER_WHEEL_PREFERRED = "PR314"  # the newest release is an sdist only; an older one with a wheel is locked
    BINARY_VARIANT = "PR315"  # a binary-wheel variant locked instead of the plain project (psycopg2-binary)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A located message with a code and a severity; the run goes on."""

    file: str
    line: int
    message: str
    severity: Severity = field(default=Severity.WARNING, compare=False)
    cell: int | None = field(default=None, compare=False)
    code: Code = field(default=Code.UNREADABLE, compare=False)

    @property
    def location(self) -> str:
        """``path:line`` (``path:cell N:line`` in notebooks; line 0 when it is the whole file)."""
        if not self.file:
            return ""
        if self.cell is not None:
            return f"{self.file}:cell {self.cell}:{self.line}"
        return f"{self.file}:{self.line}"

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "severity": self.severity.value, "file": self.file or None,
                "line": self.line or None, "cell": self.cell, "message": self.message}


def diagnostic(code: Code, message: str, severity: Severity = Severity.WARNING, file: str = "", line: int = 0,
               cell: int | None = None) -> Diagnostic:
    """Keyword-friendly constructor for stages that have a code first and a place second."""
    return Diagnostic(file, line, message, severity, cell, code)


def render(diagnostics: Iterable[Diagnostic], style: str = "text") -> str:
    """All diagnostics as one text: ``text`` (one line each), ``json`` (JSON lines) or ``github``."""
    lines = []
    for d in diagnostics:
        if style == "json":
            lines.append(json.dumps(d.as_dict(), sort_keys=True))
        elif style == "github":
            level = {"error": "error", "warning": "warning"}.get(d.severity.value, "notice")  # GitHub's three
            props = [f"file={_escape_property(d.file)}"] if d.file else []
            if d.line and d.cell is None:
                props.append(f"line={d.line}")
            props.append(f"title={d.code.value}")
            lines.append(f"::{level} {','.join(props)}::{_escape_data(d.message)}")
        else:
            lines.append(f"{d.severity.value}: {d.code.value} {d}")
    return "".join(line + "\n" for line in lines)


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping (actions/toolkit, command.ts)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")

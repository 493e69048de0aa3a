"""What may enter a lock: checked names, versions, hashes and markers; escaped comments; no credentials.

A lock is a program for an installer: pip reads a requirements file line by
line, so one newline smuggled in through a file path, an index's hash field
or a marker folded from the analyzed code could add ``--extra-index-url`` or
another package. Everything the Lock record holds is checked here when the
lock is built, and every renderer escapes free text again on the way out.
"""

from __future__ import annotations

import re

from packaging.markers import InvalidMarker, Marker
from packaging.version import InvalidVersion, Version

from poncho.errors import BadResponse, ConfigError, Reason, redact_url

SHA256 = re.compile(r"[0-9a-f]{64}")
# PEP 508 names: letters, digits, and . _ - inside (packaging.utils' own rule, case-insensitive)
NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def _breaks_line(ch: str) -> bool:
    # Every character str.splitlines() splits on (pip's requirement-file reader uses it), and controls.
    return ch < " " or ch == "\x7f" or len(f"a{ch}a".splitlines()) > 1


def comment(text: str) -> str:
    """Free text made safe for a ``#`` comment: line breaks and controls escaped, credentials removed."""
    text = redact_url(text)
    if not any(_breaks_line(ch) for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _breaks_line(ch) else ch for ch in text)


def sha256(value: str, url: str) -> str:
    """A lowercase hex sha256, or an index error naming the file: hashes come from the index."""
    value = value.lower()
    if not SHA256.fullmatch(value):
        raise BadResponse(url, f"the index gave {value[:80]!r} as a sha256; expected 64 hex digits",
                          kind=Reason.BAD_PAGE)
    return value


def name(value: str, origin: str) -> str:
    if not NAME.fullmatch(value):
        raise BadResponse(origin, f"{value[:80]!r} is not a distribution name", kind=Reason.BAD_METADATA)
    return value


def version(value: str, origin: str) -> str:
    try:
        return str(Version(value))
    except InvalidVersion:
        raise BadResponse(origin, f"{value[:80]!r} is not a version", kind=Reason.BAD_METADATA) from None


def marker(value: str | None, where: str) -> str | None:
    """A PEP 508 marker as packaging prints it; one that cannot sit on one line is refused."""
    if value is None:
        return None
    try:
        text = str(Marker(value))
    except InvalidMarker as exc:
        raise ConfigError(f"{where}: {value[:80]!r} is not a PEP 508 marker ({exc})") from None
    if any(_breaks_line(ch) for ch in text):
        raise ConfigError(f"{where}: the marker {comment(text)[:120]} holds a line break; it cannot be locked")
    return text

"""What the build learned about one project: the journal's record, with a typed outcome.

``ProjectResult.reason`` is prose for people (file names, sizes, the error);
``ProjectResult.outcome`` is what code branches on: the manifest counts
unindexed projects by it and ``--recrawl OUTCOME`` selects journaled projects
by it. Its values are the reason categories earlier builds derived from the
prose, so ``unindexed_reasons`` keys and documented ``--recrawl`` arguments
keep their meaning.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field
from typing import Any

INDEXED = "indexed"
UNINDEXED = "unindexed"
ERROR = "error"  # transient: a re-run retries it


class Outcome(str, enum.Enum):
    """Why a project ended as it did (stable values: journals, manifests and ``--recrawl`` use them)."""

    WHEELS = "wheels"  # indexed from its wheels' file lists
    SDIST_TOP_LEVEL = "sdist only; read its top_level.txt"
    SDIST_LAYOUT = "sdist only; derived from its package layout"
    SDIST_NO_PACKAGE = "sdist only; no package found in it"
    SDIST_OVER_LIMITS = "sdist only: tar archive over the streaming limits"
    UNREADABLE = "unreadable archive"  # a wheel or sdist that is not a valid archive
    NOT_ON_INDEX = "not on the index"
    NO_FILES = "no wheels or sdists"
    STUBS_ONLY = "type stubs only"
    NO_MODULE = "wheels provide no importable module"
    NO_READABLE_WHEEL = "no readable wheel"
    FAILED = "error"  # the index failed (network, 5xx) after retries; re-runs retry it


@dataclass
class ProjectResult:
    """What the build learned about one project (one journal line)."""

    project: str
    rank: int
    status: str
    outcome: Outcome = Outcome.FAILED
    version: str | None = None
    distribution: str | None = None  # display name from METADATA when read
    wheels: list[str] = field(default_factory=list)
    provides: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # one level below provided packages
    loose: list[str] = field(default_factory=list)  # provided directories without __init__.py
    skipped: list[str] = field(default_factory=list)
    import_names: list[str] | None = None  # PEP 794, when the metadata declares it
    import_namespaces: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)  # canonical names in Requires-Dist (any marker, any extra)
    base_requires: list[str] = field(default_factory=list)  # those required without an extra
    extras: list[str] = field(default_factory=list)  # Provides-Extra
    reason: str = ""  # for people; code reads ``outcome``
    requests: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProjectResult:
        """A journal line; lines of journal format 1 (no ``outcome``) get one from :func:`legacy_outcome`."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        text = fields.get("outcome")
        fields["outcome"] = Outcome(text) if text else legacy_outcome(fields.get("status", ""),
                                                                      fields.get("reason", ""))
        return cls(**fields)


def legacy_outcome(status: str, reason: str) -> Outcome:
    """The outcome of a journal line written before outcomes were recorded (journal format 1).

    Those lines carry only prose, so the category is recovered from it, as
    those builds did; nothing else reads ``reason``.
    """
    if status == ERROR:
        return Outcome.FAILED
    text = re.sub(r"^latest \S+ has no wheels; read \S+(; )?", "", reason)
    if "unreadable:" in text:
        return Outcome.UNREADABLE
    if text.startswith("sdist only (") and ("over the streaming limit" in text or "cannot be range-read" in text):
        return Outcome.SDIST_OVER_LIMITS
    head = text.split(":", 1)[0].strip()
    if head == "no wheels":
        return Outcome.NO_FILES
    try:
        return Outcome(head)
    except ValueError:
        return Outcome.WHEELS if status == INDEXED else Outcome.NO_MODULE

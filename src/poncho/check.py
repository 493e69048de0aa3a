"""`poncho-resolve check`: is a lock still right for the code? One class per finding.

Findings have a code and a message, in the manner of deptry's violations, so
CI output is greppable and each kind can be documented and silenced alone.
Checking never resolves: it analyzes and maps (cheap, cached), then compares
the direct requirements with the lock's entries, always (a hand-edited lock
keeps its digest), and only then looks at the input digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from packaging.utils import canonicalize_name

from poncho.diagnostics import Code, Diagnostic, Severity
from poncho.index_cache.requirements import DirectRequirement, Requirements
from poncho.lock.parse import LockedFile

if TYPE_CHECKING:  # pragma: no cover
    from poncho.installed import Environment


@dataclass(frozen=True)
class Finding:
    """One way the lock disagrees with the code; ``diagnostic()`` is how every output shows it."""

    code: ClassVar[str] = "PR000"
    summary: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR  # errors fail `check` (exit 1); warnings are shown only
    subject: str
    detail: str
    file: str = ""  # where the finding points (the import site, or the lock line)
    line: int = 0

    def __str__(self) -> str:
        return f"{self.code} {self.subject}: {self.detail}"

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.file, self.line, f"{self.subject}: {self.detail}", self.severity, None,
                          Code(self.code))


@dataclass(frozen=True)
class MissingFromLock(Finding):
    code: ClassVar[str] = "PR001"
    summary: ClassVar[str] = "the code imports a distribution the lock does not contain"


@dataclass(frozen=True)
class LockedOnlyTransitively(Finding):
    code: ClassVar[str] = "PR002"
    summary: ClassVar[str] = "the code imports a distribution the lock holds only as someone's dependency"


@dataclass(frozen=True)
class NoLongerImported(Finding):
    code: ClassVar[str] = "PR003"
    summary: ClassVar[str] = "the lock has a direct entry that no code imports any more"


@dataclass(frozen=True)
class Unresolved(Finding):
    code: ClassVar[str] = "PR004"
    summary: ClassVar[str] = "an import maps to no distribution"


@dataclass(frozen=True)
class InputsChanged(Finding):
    code: ClassVar[str] = "PR005"
    summary: ClassVar[str] = "the lock was made for other inputs (requirements, target, indexes or tool version)"


@dataclass(frozen=True)
class LeftOutNotInstallable(Finding):
    code: ClassVar[str] = "PR009"
    summary: ClassVar[str] = "the code imports a distribution the lock left out: nothing installs on its target"


def _variant_of_wanted(key: str, locked: LockedFile, wanted: dict[str, DirectRequirement]) -> bool:
    return any(variant == key and plain in wanted for plain, variant in locked.variants.items())


def _site(r: DirectRequirement) -> tuple[str, int]:
    return (r.sites[0].file, r.sites[0].line) if r.sites else ("", 0)


def _where(r: DirectRequirement) -> str:
    return ", ".join(s.location for s in r.sites[:3])


def check(requirements: Requirements, locked: LockedFile, current_digest: str,
          applies: Callable[[str | None], bool] = lambda marker: True) -> list[Finding]:
    """Every way ``locked`` disagrees with the code's ``requirements``; empty when it is right.

    ``applies(marker)`` says whether a requirement's marker holds on the lock's
    target: a Windows-only import is not missing from a Linux lock.
    """
    findings: list[Finding] = []
    wanted = {r.key: r for r in requirements.direct if applies(r.marker)}
    for key, req in sorted(wanted.items()):
        entry = locked.entries.get(key)
        if entry is None and key in locked.variants:  # psycopg2 imported, psycopg2-binary locked for it
            entry = locked.entries.get(locked.variants[key])
        if entry is None and key in locked.left_out:
            marker = locked.left_out[key]
            if marker is None or applies(marker):  # a platform-only project the target cannot install is fine
                findings.append(LeftOutNotInstallable(
                    req.name, f"imported at {_where(req)}, but left out of the lock: no release installs on "
                    "its target", *_site(req)))
            continue
        if entry is None:
            findings.append(MissingFromLock(req.name, f"imported at {_where(req)}; re-lock", *_site(req)))
        elif not entry.direct:
            findings.append(LockedOnlyTransitively(
                req.name, f"imported at {_where(req)} but locked only via {', '.join(entry.via)}", *_site(req)))
    for key, entry in sorted(locked.entries.items()):
        if entry.direct and entry.via and key not in wanted and not _variant_of_wanted(key, locked, wanted):
            where = f"{locked.path}:{entry.line}" if entry.line else locked.path
            findings.append(NoLongerImported(entry.name, f"{where} (was via {', '.join(entry.via)})",
                                             locked.path, entry.line or 0))
    for module, sites in requirements.unresolved.items():
        findings.append(Unresolved(module, f"imported at {', '.join(s.location for s in sites[:3])}",
                                   sites[0].file, sites[0].line))
    if not findings and locked.input_digest is not None and locked.input_digest != current_digest:
        findings.append(InputsChanged(locked.path, f"digest {locked.input_digest} != {current_digest}; re-lock",
                                      locked.path))
    return findings


@dataclass(frozen=True)
class Drift(Finding):
    """An installed environment differs from the lock (``check --env``): the environment moved, not the code;
    the fix is to sync it, not to re-lock."""


@dataclass(frozen=True)
class NotInstalled(Drift):
    code: ClassVar[str] = "PR011"
    summary: ClassVar[str] = "the lock pins a distribution the environment does not have"


@dataclass(frozen=True)
class OtherVersionInstalled(Drift):
    code: ClassVar[str] = "PR012"
    summary: ClassVar[str] = "the environment has another version than the lock pins"


@dataclass(frozen=True)
class NotLocked(Drift):
    code: ClassVar[str] = "PR013"
    summary: ClassVar[str] = "the environment has a distribution the lock does not pin"
    severity: ClassVar[Severity] = Severity.WARNING


#: What installers put into every environment; "extra" only when a lock pins them.
INSTALLER_TOOLS = frozenset({"pip", "setuptools", "wheel", "distribute"})


def drift(locked: LockedFile, env: Environment) -> list[Finding]:
    """Every way the installed environment ``env`` differs from ``locked``: missing distributions and
    other versions are errors, distributions the lock does not pin a warning. Entries whose marker does
    not hold in ``env`` are not expected there."""
    findings: list[Finding] = []
    where = f"the environment of {env.python}"
    for key, entry in sorted(locked.entries.items()):
        if not entry.version or not env.applies(entry.marker):
            continue
        installed = env.distributions.get(canonicalize_name(key))
        if installed is None:
            findings.append(NotInstalled(entry.name, f"{entry.version} is locked but not installed in {where}",
                                         locked.path, entry.line))
        elif not env.same_version(key, entry.version):
            findings.append(OtherVersionInstalled(
                entry.name, f"{entry.version} is locked but {installed.version} is installed in {where}",
                locked.path, entry.line))
    for key, dist in sorted(env.distributions.items()):
        if key not in locked.entries and key not in INSTALLER_TOOLS:
            findings.append(NotLocked(dist.name, f"{dist.version} is installed in {where} but not locked",
                                      locked.path))
    return findings

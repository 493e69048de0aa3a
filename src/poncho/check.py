"""`poncho-resolve check`: is a lock still right for the code? One class per finding.

Findings have a code and a message, in the manner of deptry's violations, so
CI output is greppable and each kind can be documented and silenced alone.
Checking never resolves: it analyzes and maps (cheap, cached), then compares
the direct requirements with the lock's entries, always (a hand-edited lock
keeps its digest), then the lock's recorded inputs with today's, one
component at a time (PR005 names the input and prints the re-lock command),
and finally whether the pins still fit together (PR006, :func:`unmet_requirements`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from packaging.utils import canonicalize_name

from poncho.diagnostics import Code, Diagnostic, Severity
from poncho.index_cache.requirements import DirectRequirement, Requirements
from poncho.lock.inputs import LockInputs, changes
from poncho.lock.parse import LockedEntry, LockedFile

if TYPE_CHECKING:  # pragma: no cover
    from packaging.requirements import Requirement

    from poncho.analysis.declared import Declarations
    from poncho.installed import Environment
    from poncho.resolver.target import Target


@dataclass(frozen=True)
class Finding:
    """One way the lock disagrees with the code; ``diagnostic()`` is how every output shows it."""

    code: ClassVar[str] = "PR000"
    summary: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR  # errors fail `check` (exit 1); warnings are shown only
    strict: ClassVar[bool] = False  # a warning that makes `check --strict` fail (advice about declarations)
    subject: str
    detail: str
    file: str = ""  # where the finding points (the import site, or the lock line)
    line: int = 0

    def __str__(self) -> str:
        return f"{self.code} {self.subject}: {self.detail}"

    def diagnostic(self, severity: Severity | None = None) -> Diagnostic:
        """The finding as a Diagnostic (``severity`` overrides its own: a lock reports advice as notes)."""
        return Diagnostic(self.file, self.line, f"{self.subject}: {self.detail}", severity or self.severity, None,
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
    summary: ClassVar[str] = ("the lock was made for other inputs (a requirement, target, index, constraint, mapping, "
                              "include-optional, tool version or fallback)")


@dataclass(frozen=True)
class UnmetRequirement(Finding):
    code: ClassVar[str] = "PR006"
    summary: ClassVar[str] = "a locked distribution requires what the other pins do not provide (a hand edit?)"


@dataclass(frozen=True)
class UndeclaredImport(Finding):
    code: ClassVar[str] = "PR007"
    summary: ClassVar[str] = "the code imports a distribution the project does not declare"
    severity: ClassVar[Severity] = Severity.WARNING
    strict: ClassVar[bool] = True


@dataclass(frozen=True)
class DeclaredUnused(Finding):
    code: ClassVar[str] = "PR008"
    summary: ClassVar[str] = "the project declares a runtime dependency that no analyzed code imports"
    severity: ClassVar[Severity] = Severity.WARNING
    strict: ClassVar[bool] = True


def declaration_findings(requirements: Requirements, declared: Declarations,
                         without: Sequence[str] = (), whole_project: bool = True) -> list[Finding]:
    """Where the imports and the project's own declarations disagree (nothing when it declares nothing).

    An import whose distribution no runtime declaration names (an extra or a
    non-development group counts; a test or docs requirements file does not) is
    PR007; a runtime declaration that nothing imports (and ``--with`` does not
    add) is PR008, only when ``whole_project`` (a directory) was analyzed: one
    file or function needs a part of the declarations. Both are advice: the lock follows the code.
    """
    if not declared:
        return []
    findings: list[Finding] = []
    for r in requirements.direct:
        if r.sites and declared.shipped(r.name) is None:
            dev = declared.get(r.name)
            only = f" (only for development, in {dev.where})" if dev is not None else ""
            findings.append(UndeclaredImport(r.name, f"imported at {_where(r)} but not among the project's "
                                             f"declared dependencies{only}; declare it", *_site(r)))
    used = {r.key for r in [*requirements.direct, *requirements.optional, *requirements.typing_only,
                            *requirements.without, *requirements.by_url]}
    used |= {canonicalize_name(n) for n in without}
    seen: set[str] = set()
    for d in declared.runtime if whole_project else ():
        if d.key in used or d.key in seen:
            continue
        seen.add(d.key)
        findings.append(DeclaredUnused(d.requirement.name, f"declared at {d.file}:{d.line} but no analyzed code "
                                       f"imports it; remove it, or lock it anyway with --with {d.requirement.name}",
                                       d.file, d.line))
    return findings


@dataclass(frozen=True)
class LeftOutNotInstallable(Finding):
    code: ClassVar[str] = "PR009"
    summary: ClassVar[str] = "the code imports a distribution the lock left out: nothing installs on its target"


def _variant_of_wanted(key: str, locked: LockedFile, wanted: dict[str, DirectRequirement]) -> bool:
    return any(variant == key and plain in wanted for plain, variant in locked.variants.items())


def _site(r: DirectRequirement) -> tuple[str, int]:
    return (r.sites[0].file, r.sites[0].line) if r.sites else ("", 0)


def _where(r: DirectRequirement) -> str:
    return ", ".join(r.locations[:3])


def check(requirements: Requirements, locked: LockedFile, current: LockInputs,
          applies: Callable[[str | None], bool] = lambda marker: True, relock: str = "") -> list[Finding]:
    """Every way ``locked`` disagrees with the code's ``requirements`` and inputs ``current``; empty when right.

    ``applies(marker)`` says whether a requirement's marker holds on the lock's
    target: a Windows-only import is not missing from a Linux lock. ``relock``
    is the command each PR005 finding tells the user to run.
    """
    findings: list[Finding] = []
    wanted = {r.key: r for r in requirements.direct if applies(r.marker)}
    for key, req in sorted(wanted.items()):
        entry = locked.entries.get(key)
        if entry is None and key in locked.provided:  # `without`: the platform provides it, the header says
            continue
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
    return findings + inputs_changed(locked, current, relock, {f.subject.lower() for f in findings})


def inputs_changed(locked: LockedFile, current: LockInputs, relock: str, named: Iterable[str] = ()) -> list[Finding]:
    """One PR005 per input that differs from the lock's header (none when the digests agree).

    Requirement changes already named by PR001/PR003 (``named``) are not
    repeated. A lock from another tool records no inputs: nothing to compare.
    """
    from packaging.utils import canonicalize_name

    hint = f"re-lock with: {relock}"
    if locked.inputs is None:
        if locked.generated_by_poncho and locked.input_digest is not None:
            return [InputsChanged(locked.path, f"the header records no inputs (written by an older poncho-resolve); "
                                               f"{hint}", locked.path)]
        return []
    out: list[Finding] = []
    if locked.inputs.digest() != locked.input_digest:
        out.append(InputsChanged(locked.path, f"the header's inputs do not match its input-digest (edited by hand?); "
                                              f"{hint}", locked.path))
    elif current.digest() == locked.input_digest:
        return []
    skip = {canonicalize_name(n) for n in named}
    for change in changes(locked.inputs, current):
        if change.what == "requirement" and canonicalize_name(change.subject) in skip:
            continue
        out.append(InputsChanged(change.subject or locked.path, f"{change.what}: {change.old} -> {change.new}; {hint}",
                                 locked.path))
    return out


def unmet_requirements(locked: LockedFile, metadata: Callable[[LockedEntry], Sequence[Requirement] | None],
                       targets: Sequence[Target]) -> list[Finding]:
    """PR006 for each locked entry whose Requires-Dist (for its locked extras) the other pins do not meet, on
    every target; ``metadata(entry)`` gives an entry's Requires-Dist (None: unknown, so not judged)."""
    findings: list[Finding] = []
    for entry in sorted(locked.all_entries, key=lambda e: e.key):  # each version of a split pin
        requires = metadata(entry)
        if requires is None or entry.version is None:
            continue
        for target in targets:
            if not _holds(entry.marker, target):
                continue
            for req in requires:
                if not any(_holds(req.marker, target, extra) for extra in ("", *entry.extras)):
                    continue
                if canonicalize_name(req.name) in locked.provided:  # left to the platform by `without`
                    continue
                finding = _unmet(locked, entry, req, target, len(targets) > 1)
                if finding is not None:
                    findings.append(finding)
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
    for entry in sorted(locked.all_entries, key=lambda e: e.key):  # a split pin: the entry for this machine
        key = entry.key
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


def _holds(marker: object, target: Target, extra: str = "") -> bool:
    from packaging.markers import Marker

    if marker is None:
        return True
    return target.evaluate(marker if isinstance(marker, Marker) else Marker(str(marker)), extra)


def _unmet(locked: LockedFile, entry: LockedEntry, req: Requirement, target: Target, name_target: bool
           ) -> Finding | None:
    from packaging.utils import canonicalize_name

    key = canonicalize_name(req.name)  # a split pin: the entry for this target
    dep = next((e for e in locked.all_entries if e.key == key and _holds(e.marker, target)), None)
    on = f" on {target.describe()}" if name_target else ""
    where = f"{locked.path}:{entry.line}" if entry.line else locked.path
    if dep is None or not _holds(dep.marker, target):
        return UnmetRequirement(entry.name, f"{entry.name} {entry.version} requires {req}{on}, which the lock does "
                                            f"not contain ({where})", locked.path, entry.line)
    if dep.version is not None and not req.specifier.contains(dep.version, prereleases=True):
        return UnmetRequirement(entry.name, f"{entry.name} {entry.version} requires {req}{on}, but the lock pins "
                                            f"{dep.name} {dep.version} ({where})", locked.path, entry.line)
    return None

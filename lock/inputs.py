"""What shaped a lock, recorded in its header: the contract ``check`` and a flag-less re-lock read back.

Every format carries the same :class:`LockInputs` record (requirements-format
``#`` lines, pylock's ``[tool.poncho]`` table, the JSON lock's ``inputs``
field). ``check`` compares it with today's inputs one component at a time, so
a finding names what changed (a requirement, the target, an index, a
constraint, a mapping, the tool version) and the command that re-locks with
the lock's own flags; the digest is only the fast "nothing changed" answer.

Kept free of the resolver and the HTTP client: ``check`` loads it on every
commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from poncho.errors import redact_url


@dataclass(frozen=True)
class LockInputs:
    """Everything that decided a lock except the index's contents, in a canonical (sorted, normalized) form."""

    requirements: tuple[str, ...] = ()  # direct requirements, PEP 508 (markers kept: a Windows-only import too)
    targets: tuple[str, ...] = ()  # Target.describe(): "cpython 3.11.7 on manylinux_2_28_x86_64"
    index_urls: tuple[str, ...] = ()  # normalized, credential-free, in precedence order
    constraint_files: tuple[str, ...] = ()  # relative to the lock's directory when inside it
    constraints: tuple[str, ...] = ()  # "flask<3": what the files said, so an edited file is seen
    mappings: tuple[str, ...] = ()  # IMPORT=DIST from [tool.poncho.mapping]
    map_flags: tuple[str, ...] = ()  # IMPORT=DIST from --map (they win over the table)
    include_optional: bool = False
    tool_version: str = ""
    fallbacks: tuple[str, ...] = ()  # releases the index failed to serve, locked older (--allow-fallback)

    @classmethod
    def of(cls, *, requirements: Iterable[str], targets: Iterable[str], index_urls: Iterable[str],
           constraint_files: Iterable[str] = (), constraints: Iterable[str] = (), mappings: Iterable[str] = (),
           map_flags: Iterable[str] = (), include_optional: bool = False, tool_version: str = "",
           fallbacks: Iterable[str] = ()) -> LockInputs:
        """The record in canonical form, whatever order and spelling the parts came in."""
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        reqs = {str(Requirement(r)) for r in requirements}
        flags = _table(map_flags)
        table = {k: v for k, v in _table(mappings).items() if k not in flags}
        return cls(
            requirements=tuple(sorted(reqs, key=lambda r: (canonicalize_name(Requirement(r).name), r))),
            targets=tuple(targets),
            index_urls=tuple(dict.fromkeys(normalize_index_url(u) for u in index_urls)),
            constraint_files=tuple(sorted(set(constraint_files))),
            constraints=tuple(sorted(set(constraints))),
            mappings=tuple(f"{k}={v}" for k, v in sorted(table.items())),
            map_flags=tuple(f"{k}={v}" for k, v in sorted(flags.items())),
            include_optional=include_optional,
            tool_version=tool_version,
            fallbacks=tuple(sorted(set(fallbacks))),
        )

    def digest(self) -> str:
        """sha256 over the whole record: equal digests mean equal inputs (the fast path of ``check``)."""
        payload = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()

    def requirement_names(self) -> dict[str, str]:
        """canonical name -> requirement text."""
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        return {canonicalize_name(Requirement(r).name): r for r in self.requirements}


@dataclass(frozen=True)
class LockFlags:
    """Command-line choices that shaped a lock and are not in its inputs' digest: requirements added by
    ``--with``, ``--exclude`` globs, ``--include-tests`` and ``--only-binary``. The header records them (the
    requirements format's ``# with:`` lines, pylock's ``[tool.poncho]`` keys, the JSON lock's ``flags``), so
    ``check`` and a flag-less re-lock make them again; ``[tool.poncho]`` keys are read from pyproject."""

    with_requirements: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include_tests: bool = False
    only_binary: bool = False

    def header(self) -> dict[str, list[str] | bool]:
        """The flags that are set, by header key."""
        out: dict[str, list[str] | bool] = {}
        if self.with_requirements:
            out["with"] = list(self.with_requirements)
        if self.exclude:
            out["exclude"] = list(self.exclude)
        if self.include_tests:
            out["include-tests"] = True
        if self.only_binary:
            out["only-binary"] = True
        return out

    @classmethod
    def from_header(cls, header: Mapping[str, object]) -> LockFlags:
        """Read back from a header (lists of strings; a flag as ``True``, or ``["true"]`` from ``#`` lines); a
        value that does not read, or a ``with`` that is no PEP 508 requirement, is ignored, as a hand edit."""
        from packaging.requirements import InvalidRequirement, Requirement

        def strings(key: str) -> tuple[str, ...]:
            value = header.get(key)
            return tuple(dict.fromkeys(v for v in value if isinstance(v, str) and v)) \
                if isinstance(value, (list, tuple)) else ()

        def requirement(text: str) -> bool:
            try:
                Requirement(text)
            except InvalidRequirement:
                return False
            return True

        def flag(key: str) -> bool:
            value = header.get(key)
            return value is True or value == ["true"]

        return cls(tuple(r for r in strings("with") if requirement(r)), strings("exclude"),
                   flag("include-tests"), flag("only-binary"))

    def argv(self) -> list[str]:
        """The same choices as command-line flags."""
        argv = [arg for req in self.with_requirements for arg in ("--with", req)]
        argv += [arg for glob in self.exclude for arg in ("--exclude", glob)]
        return argv + ["--include-tests"] * self.include_tests + ["--only-binary"] * self.only_binary


# The list fields a header holds one item at a time (pylock.toml: under these names, dashes for underscores);
# targets, indexes and the tool version have the header's own keys.
LIST_FIELDS = ("requirements", "constraint_files", "constraints", "map_flags", "mappings", "fallbacks")


def _table(items: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key.strip()] = value.strip()
    return out


def normalize_index_url(url: str) -> str:
    """One spelling per index: no credentials, lowercase scheme and host, one trailing slash.

    ``PIP_INDEX_URL=https://PyPI.org/simple`` and ``https://pypi.org/simple/``
    are the same index, so they must not make a lock look stale.
    """
    url = redact_url(url.strip())
    parts = urlsplit(url)
    if not parts.scheme or not (parts.netloc or parts.scheme == "file"):
        return url
    path = parts.path.rstrip("/") + "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def pins_digest(pins: Iterable[tuple[str, str | None, str | None, Iterable[str]]]) -> str:
    """sha256 over (name, version, marker, extras) of every entry: "the pins are as poncho-resolve wrote them".

    Hashes are left out on purpose: whether the pins fit together depends on
    names, versions, markers and extras only, and pylock.toml keeps fewer
    files than the requirements format (one sdist).
    """
    from packaging.utils import canonicalize_name

    rows = sorted((canonicalize_name(n), v or "", m or "", ",".join(sorted(x))) for n, v, m, x in pins)
    return "sha256:" + hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def recorded_path(path: str | Path, lock_dir: Path) -> str:
    """A constraint file as the header records it: relative to the lock's directory when inside it (the same
    text on every machine and from any working directory), else absolute."""
    resolved = Path(path).resolve()
    base = lock_dir.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(resolved)


def resolve_recorded(path: str, lock_dir: Path) -> Path:
    return Path(path) if Path(path).is_absolute() else lock_dir / path


@dataclass(frozen=True)
class Change:
    """One input that differs between the lock's header and today: ``what`` names it, ``old``/``new`` its values."""

    what: str  # "requirement", "target", "index", "constraint", "constraint file", "mapping", ...
    subject: str  # the name it concerns ("flask", "cv2", an index URL, or the lock for whole-lock inputs)
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.what} {self.subject}: {self.old} -> {self.new}" if self.subject else \
            f"{self.what}: {self.old} -> {self.new}"


NONE = "(none)"


def changes(old: LockInputs, new: LockInputs) -> list[Change]:
    """Every component of ``new`` that differs from ``old``, one Change per changed input."""
    out: list[Change] = []
    out += _keyed("requirement", old.requirement_names(), new.requirement_names(), same=_same_requirement)
    if old.targets != new.targets:
        out.append(Change("target", "", ", ".join(old.targets) or NONE, ", ".join(new.targets) or NONE))
    if old.index_urls != new.index_urls:
        out += _indexes(old.index_urls, new.index_urls)
    out += _keyed("constraint file", {f: f for f in old.constraint_files}, {f: f for f in new.constraint_files})
    out += _keyed("constraint", _specifiers(old.constraints), _specifiers(new.constraints))
    out += _keyed("mapping", _table((*old.mappings, *old.map_flags)), _table((*new.mappings, *new.map_flags)))
    if old.include_optional != new.include_optional:
        out.append(Change("include-optional", "", str(old.include_optional).lower(),
                          str(new.include_optional).lower()))
    if old.tool_version != new.tool_version:
        out.append(Change("tool version", "", old.tool_version or NONE, new.tool_version or NONE))
    for fallback in old.fallbacks:
        if fallback not in new.fallbacks:
            out.append(Change("fallback", "", fallback, "the newest release (re-lock without --allow-fallback)"))
    return out


def _keyed(what: str, old: dict[str, str], new: dict[str, str],
           same: Callable[[str, str], bool] = str.__eq__) -> list[Change]:
    out = []
    for key in sorted(set(old) | set(new)):
        if key not in old or key not in new or not same(old[key], new[key]):
            out.append(Change(what, key, old.get(key, NONE), new.get(key, NONE)))
    return out


def _same_requirement(a: str, b: str) -> bool:
    """``Flask`` and ``flask`` are one requirement: compared by canonical name, extras, specifier and marker."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    ra, rb = Requirement(a), Requirement(b)
    return (canonicalize_name(ra.name), ra.extras, ra.specifier, str(ra.marker)) == \
        (canonicalize_name(rb.name), rb.extras, rb.specifier, str(rb.marker))


def _specifiers(constraints: Iterable[str]) -> dict[str, str]:
    """"flask<3" -> {"flask": "flask<3"} (one entry per name; the header writes one per name)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    return {canonicalize_name(Requirement(c).name): c for c in constraints}


def _indexes(old: Sequence[str], new: Sequence[str]) -> list[Change]:
    if set(old) == set(new):
        return [Change("index order", "", " ".join(old), " ".join(new))]
    out = [Change("index", u, "used", "not used") for u in old if u not in new]
    out += [Change("index", u, "not used", "used") for u in new if u not in old]
    return out


def relock_command(paths: Sequence[str], lock_path: str, inputs: LockInputs, fmt: str | None = None,
                   lock_dir: Path | None = None, without: Sequence[str] = (),
                   flags: LockFlags | None = None) -> str:
    """The command that re-locks ``paths`` onto ``lock_path`` with ``inputs``' flags (and ``without``: what the
    header says the platform provides; ``flags``: what the command line added, scoped or refused), for a
    shell (shlex.join)."""
    argv = ["poncho-resolve", *paths, "-o", lock_path]
    if fmt == "json":
        argv += ["--format", "json"]
    for target in inputs.targets:
        argv += target_flags(target)
    if inputs.index_urls:
        argv += ["--index-url", inputs.index_urls[0]]
        for url in inputs.index_urls[1:]:
            argv += ["--extra-index-url", url]
    base = lock_dir if lock_dir is not None else Path(lock_path).parent
    for f in inputs.constraint_files:
        argv += ["-c", _for_shell(resolve_recorded(f, base))]
    for m in inputs.map_flags:
        argv += ["--map", m]
    if inputs.include_optional:
        argv.append("--include-optional")
    for name in without:
        argv += ["--without", name]
    if flags is not None:
        argv += flags.argv()
    return shlex.join(argv)


def target_flags(described: str) -> list[str]:
    """``cpython 3.11 on macosx_11_0_arm64`` -> ``--target cp311-macosx_11_0_arm64`` (one flag per target, so
    several targets re-lock as they were given); a pinned patch, ``cpython 3.11.7 on ...``, ->
    ``--python-version 3.11.7 --platform ...``."""
    head, sep, platform = described.partition(" on ")
    _, _, python = head.partition(" ")
    if not sep or not python:
        return []
    parts = python.split(".")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return ["--target", f"cp{parts[0]}{parts[1]}-{platform}"]
    return ["--python-version", python, "--platform", platform]


def _for_shell(path: Path) -> str:
    """A path relative to the working directory when below it, so the command reads as the user would type it."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:  # another drive (Windows)
        return str(path)

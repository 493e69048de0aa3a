"""Read a requirements-format lock back: what `check` compares the code against.

Only what poncho-resolve writes is understood fully (the header and `# via`
lines); any pip requirements file with `==` pins is still read, with every
entry treated as possibly direct.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from poncho.errors import LockFileError

from .requirements_txt import DIGEST_PREFIX, LEFT_OUT_PREFIX, VARIANT_PREFIX


@dataclass
class LockedEntry:
    name: str
    version: str | None
    marker: str | None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)
    line: int = 0
    is_direct: bool | None = None  # known exactly in pylock/JSON locks

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    @property
    def direct(self) -> bool:
        """Direct entries are `# via path:line`; transitive ones name a parent distribution."""
        if self.is_direct is not None:
            return self.is_direct
        return any(":" in v for v in self.via) or not self.via


@dataclass
class LockedFile:
    path: str
    entries: dict[str, LockedEntry]
    input_digest: str | None = None
    target: str | None = None  # "cpython 3.11.7 on manylinux_2_28_x86_64", as the header says
    generated_by_poncho: bool = False
    index_urls: tuple[str, ...] = ()  # the indexes the header names (credential-free)
    # canonical name -> the marker where it installs (None: nowhere the lock is for), from the header
    left_out: dict[str, str | None] = field(default_factory=dict)
    variants: dict[str, str] = field(default_factory=dict)  # imported project -> binary variant locked for it

    def note_left_out(self, text: str) -> None:
        """One ``left-out`` header value (PEP 508); an unreadable one is ignored, as a hand edit."""
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return
        self.left_out[canonicalize_name(req.name)] = str(req.marker) if req.marker else None

    def note_variant(self, text: str) -> None:
        plain, sep, variant = text.partition("->")
        if sep and plain.strip() and variant.strip():
            self.variants[canonicalize_name(plain.strip())] = canonicalize_name(variant.strip())

    @property
    def python_and_platform(self) -> tuple[str, str] | None:
        """(python version, platform tag) from the header's target, when it has one."""
        if not self.target:
            return None
        head, sep, platform = self.target.partition(" on ")
        implementation, _, python = head.partition(" ")
        if not sep or implementation != "cpython" or not python or not platform:
            return None
        return python, platform


def read_lock(path: str | Path) -> LockedFile:
    """Read a lock in any format poncho-resolve writes that records pins (not conda/poncho specs)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockFileError(f"{p}: no such lock file (create it with `poncho-resolve PATH -o {p}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockFileError(f"{p}: cannot read: {exc}") from None
    if p.suffix == ".json" or text.lstrip().startswith("{"):
        return _read_json(p, text)
    if p.suffix == ".toml":
        return _read_pylock(p, text)
    return _read_requirements(p, text)


def _read_json(p: Path, text: str) -> LockedFile:
    from .json_lock import load

    try:
        lock = load(text)
    except LockFileError as exc:
        raise LockFileError(f"{p}: {exc}") from None
    entries = {}
    for e in lock.entries:
        entry = LockedEntry(e.name, e.version, e.marker, [a.sha256 for a in e.artifacts], list(e.via), 0, e.direct)
        entries[entry.key] = entry
    target = f"{lock.implementation} {lock.python} on {lock.platform}"
    out = LockedFile(str(p), entries, lock.input_digest, target, True, tuple(lock.index_urls))
    _header_lists(out, lock.left_out, lock.variants)
    return out


def _header_lists(out: LockedFile, left_out: object, variants: object) -> None:
    for text in left_out if isinstance(left_out, (list, tuple)) else ():
        if isinstance(text, str):
            out.note_left_out(text)
    for text in variants if isinstance(variants, (list, tuple)) else ():
        if isinstance(text, str):
            out.note_variant(text)


def _read_pylock(p: Path, text: str) -> LockedFile:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise LockFileError(f"{p}: not valid TOML: {exc!r}") from None
    if "lock-version" not in data:
        raise LockFileError(f"{p}: not a PEP 751 lock (no lock-version)")
    try:
        header = data.get("tool", {}).get("poncho", {})
        entries = {}
        for pkg in data.get("packages", []):
            tool = pkg.get("tool", {}).get("poncho", {})
            hashes = [str(w.get("hashes", {}).get("sha256", "")) for w in pkg.get("wheels", [])]
            name, version, marker = pkg["name"], pkg.get("version"), pkg.get("marker")
            if not all(isinstance(v, str) for v in (name, version or "", marker or "")):
                raise TypeError("name, version and marker must be strings")
            if version is not None and not _is_version(version):
                raise LockFileError(f"{p}: {name}: {version!r} is not a version")
            entry = LockedEntry(name, version, marker, hashes, [str(v) for v in tool.get("via", [])], 0,
                                bool(tool.get("direct")) if "direct" in tool else None)
            entries[entry.key] = entry
        digest = header.get("input-digest")
        made_by_poncho = "poncho" in str(data.get("created-by", ""))
    except (AttributeError, TypeError, KeyError, ValueError) as exc:
        raise LockFileError(f"{p}: not the shape of a PEP 751 lock ({exc!r})") from None
    target = header.get("target") if isinstance(header.get("target"), str) else None
    urls = header.get("index-urls")
    index_urls = tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else ()
    out = LockedFile(str(p), entries, digest if isinstance(digest, str) else None, target, made_by_poncho,
                     index_urls)
    _header_lists(out, header.get("left-out"), header.get("variants"))
    return out


def _read_requirements(p: Path, text: str) -> LockedFile:
    out = LockedFile(str(p), {})
    current: LockedEntry | None = None
    logical: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#"):
            if buf:  # a comment cannot continue a requirement line
                logical.append((start, buf))
                buf = ""
            logical.append((n, stripped))
            continue
        if not buf:
            start = n
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        if buf.strip():
            logical.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        logical.append((start, buf.strip()))
    for n, line in logical:
        if line.startswith("#"):
            body = line[1:].strip()
            if line.startswith(DIGEST_PREFIX):
                out.input_digest = line[len(DIGEST_PREFIX):].strip()
            elif line.startswith(LEFT_OUT_PREFIX):
                out.note_left_out(line[len(LEFT_OUT_PREFIX):].strip())
            elif line.startswith(VARIANT_PREFIX):
                out.note_variant(line[len(VARIANT_PREFIX):].strip())
            elif body.startswith("target:"):
                out.target = body.split(":", 1)[1].strip()
            elif body.startswith("index:"):
                out.index_urls = tuple(body.split(":", 1)[1].split())
            elif body.startswith("This file was generated by poncho-resolve"):
                out.generated_by_poncho = True
            elif body.startswith("via ") and current is not None:
                current.via.append(body[4:].strip())
            continue
        if line.startswith("-"):
            continue  # global options such as --index-url
        parts = line.split()
        hashes = [tok.partition(":")[2] for tok in parts if tok.startswith("--hash=")]
        if not all(hashes):
            raise LockFileError(f"{p}:{n}: a --hash option without ALGORITHM:DIGEST")
        spec = " ".join(tok for tok in parts if not tok.startswith("--hash="))
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            raise LockFileError(f"{p}:{n}: not a requirement line: {spec!r} ({exc})") from None
        pins = [s.version for s in req.specifier if s.operator in ("==", "===") and _is_version(s.version)]
        current = LockedEntry(req.name, pins[0] if pins else None, str(req.marker) if req.marker else None,
                              hashes, [], n)
        out.entries[current.key] = current
    return out


def _is_version(text: str) -> bool:
    """A pin is an exact version; ``==6.*`` or ``===abc`` in a hand-edited file pins nothing."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True

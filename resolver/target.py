"""The machines the lock is for: interpreter version, implementation, tags, markers.

The lock describes the environment that will *run* the code, which need not
be the one writing the lock. ``Target.current()`` describes this interpreter.

A target's Python is its minor version (``3.11``: any 3.11.x) unless a patch
is pinned (``3.11.7``). For an unpinned patch the lock must work on every
patch release of the minor, so ``Requires-Python`` must hold at ``X.Y.0`` and at
the newest patch, and a marker on ``python_full_version`` holds when it holds
for *some* patch (a dependency needed on 3.11.2 is locked; an extra one on
3.11.9 is harmless, a missing one is not).
"""

from __future__ import annotations

import platform
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from packaging import tags as tags_mod
from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from poncho.errors import ConfigError

MAX_MINOR = 40  # far beyond any CPython release; the bound keeps tag generation finite
NEWEST_PATCH = 99  # stands in for "the newest patch release" of an unpinned minor
_VERSION_LITERAL = re.compile(r"""["'](\d+)\.(\d+)\.(\d+)""")


def _patches_named(marker: str, minor: str) -> Sequence[int | None]:
    """Patch numbers where ``marker``'s value may change within ``minor``: each one a literal of that
    minor names, its neighbours, and both ends. None alone when the marker does not look at the patch."""
    if "python_full_version" not in marker and "implementation_version" not in marker:
        return [None]
    major, _, mnr = minor.partition(".")
    points: set[int] = {0, NEWEST_PATCH}
    for a, b, c in _VERSION_LITERAL.findall(marker):
        if (a, b) == (major, mnr):
            points.update(p for p in (int(c) - 1, int(c), int(c) + 1) if 0 <= p <= NEWEST_PATCH)
    return [*sorted(points)]


@dataclass(frozen=True)
class Target:
    """What the lock must work on; every compatibility decision asks it."""

    python_full_version: str
    implementation: str = "cpython"
    tags: tuple[Tag, ...] = field(default=(), repr=False)
    environment: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    platform_label: str = ""
    patch_pinned: bool = True  # False: any patch release of the minor (see the module docstring)

    @classmethod
    def current(cls) -> Target:
        env = default_environment()
        platforms = [t.platform for t in tags_mod.sys_tags() if t.platform != "any"]
        # Name the platform by its most specific portable tag (manylinux_2_36_x86_64, ...).
        plat = next((p for p in platforms if p.startswith(("manylinux", "musllinux", "macosx", "win"))),
                    platforms[0] if platforms else "any")
        return cls(
            python_full_version=platform.python_version(),
            implementation=sys.implementation.name,
            tags=tuple(tags_mod.sys_tags()),
            environment=tuple(sorted((k, str(v)) for k, v in env.items())),
            platform_label=plat,
            patch_pinned=False,  # a lock made here serves every machine with this minor
        )

    @classmethod
    def for_platform(cls, python: str, platform: str | None = None, implementation: str = "cpython") -> Target:
        """A target other than this interpreter: ``python="3.12"``, ``platform="manylinux_2_28_x86_64"``.

        The platform names the newest tag the machines accept; older
        compatible ones (manylinux_2_17, manylinux2014, earlier macOS) follow,
        as the installer on those machines would accept them.
        """
        if implementation != "cpython":
            raise ConfigError(f"only CPython targets are supported, not {implementation!r}")
        try:
            parts = tuple(int(x) for x in python.split("."))
        except ValueError:
            raise ConfigError(f"--python-version must look like 3.12 or 3.12.4, not {python!r}") from None
        if len(parts) < 2 or len(parts) > 3 or parts[0] != 3:
            raise ConfigError(f"--python-version must look like 3.12 or 3.12.4, not {python!r}")
        if not 0 <= parts[1] <= MAX_MINOR or (len(parts) == 3 and not 0 <= parts[2] <= 999):
            # Tag lists grow with the minor version (cp3X for every X below it): bound the work.
            raise ConfigError(f"--python-version {python!r} is not a CPython release this tool can target "
                              f"(3.0 to 3.{MAX_MINOR})")
        full = ".".join(str(x) for x in (parts + (0,))[:3]) if len(parts) == 2 else python
        if platform is None:  # this machine's platforms, every one its installer accepts
            platforms = list(dict.fromkeys(t.platform for t in tags_mod.sys_tags() if t.platform != "any"))
            platform = next((p for p in platforms if p.startswith(("manylinux", "musllinux", "macosx", "win"))),
                            platforms[0] if platforms else "any")
        else:
            platforms = expand_platform(platform)
        pyver = parts[:2]
        tags = list(tags_mod.cpython_tags(pyver, platforms=platforms))
        tags += list(tags_mod.compatible_tags(pyver, f"cp{pyver[0]}{pyver[1]}", platforms=platforms))
        env = marker_environment(full, platform)
        return cls(python_full_version=full, implementation="cpython", tags=tuple(dict.fromkeys(tags)),
                   environment=tuple(sorted(env.items())), platform_label=platform, patch_pinned=len(parts) == 3)

    @cached_property
    def python_version(self) -> Version:
        return Version(self.python_full_version)

    @property
    def python_minor(self) -> str:
        return f"{self.python_version.major}.{self.python_version.minor}"

    @property
    def python(self) -> str:
        """The Python the lock is for, as recorded: ``3.11`` (any patch) or ``3.11.7`` (pinned)."""
        return self.python_full_version if self.patch_pinned else self.python_minor

    @property
    def tag(self) -> str:
        """``cp311-manylinux_2_28_x86_64``: the ``--target`` spelling (a pinned patch is not shown)."""
        return f"cp{self.python_version.major}{self.python_version.minor}-{self.platform_label}"

    @cached_property
    def _tag_rank(self) -> dict[Tag, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    @cached_property
    def marker_environment(self) -> dict[str, str]:
        return dict(self.environment)

    def describe(self) -> str:
        """``cpython 3.11 on manylinux_2_28_x86_64``: how headers and messages name the target."""
        return f"{self.implementation} {self.python} on {self.platform_label}"

    @cached_property
    def _patch_range(self) -> tuple[Version, ...]:
        """The versions Requires-Python must allow: the one pinned, else X.Y.0 and the newest patch."""
        if self.patch_pinned:
            return (self.python_version,)
        return (Version(f"{self.python_minor}.0"), Version(f"{self.python_minor}.{NEWEST_PATCH}"))

    def allows_python(self, requires_python: str | SpecifierSet | None) -> bool:
        if not requires_python:
            return True
        if isinstance(requires_python, str):
            # A page repeats a few Requires-Python strings over thousands of files: each is parsed once.
            known = self._python_allowed.get(requires_python)
            if known is None:
                known = self._python_allowed[requires_python] = self._allows(requires_python)
            return known
        return self._allows(requires_python)

    def _allows(self, requires_python: str | SpecifierSet) -> bool:
        try:
            spec = requires_python if isinstance(requires_python, SpecifierSet) else SpecifierSet(requires_python)
        except Exception:
            return True  # an unparsable Requires-Python is ignored, as pip does
        return all(spec.contains(v, prereleases=True) for v in self._patch_range)

    @cached_property
    def _python_allowed(self) -> dict[str, bool]:
        return {}

    @cached_property
    def _evaluated(self) -> dict[tuple[str, str], bool]:
        return {}

    def evaluate(self, marker: Marker | None, extra: str = "") -> bool:
        """Whether ``marker`` holds on the target (for an unpinned patch: on some patch of the minor)."""
        if marker is None:
            return True
        key = (str(marker), extra)
        known = self._evaluated.get(key)
        if known is None:
            env = dict(self.marker_environment)
            env["extra"] = extra
            patches = [None] if self.patch_pinned else _patches_named(key[0], self.python_minor)
            known = False
            for patch in patches:
                if patch is not None:
                    env["python_full_version"] = env["implementation_version"] = f"{self.python_minor}.{patch}"
                if marker.evaluate(env):
                    known = True
                    break
            self._evaluated[key] = known
        return known

    def wheel_rank(self, filename: str) -> int | None:
        """Lower is better; None when the wheel cannot be installed on the target.

        What ``parse_wheel_filename`` decides, from two memos: a release's wheels share their
        ``name-version[-build]`` part and a page repeats a few tag sets (``cp311-cp311-manylinux_...``)
        over hundreds of files, so each is parsed once per target, not once per file.
        """
        if not filename.endswith(".whl"):
            return None
        head, sep, tags = filename[:-4].rpartition("-")
        head, sep2, abi = head.rpartition("-")
        head, sep3, interpreter = head.rpartition("-")
        if not (sep and sep2 and sep3):
            return None
        valid = self._wheel_heads.get(head)
        if valid is None:
            try:  # the same filename with a tag set that always parses: only the head part can fail
                parse_wheel_filename(f"{head}-py3-none-any.whl")
                valid = True
            except InvalidWheelFilename:
                valid = False
            self._wheel_heads[head] = valid
        if not valid:
            return None
        tag_set = f"{interpreter}-{abi}-{tags}"
        if tag_set not in self._tag_set_rank:
            try:
                wheel_tags = tags_mod.parse_tag(tag_set)
            except ValueError:  # InvalidTag (packaging >= 26.3)
                self._tag_set_rank[tag_set] = None
            else:
                ranks = [self._tag_rank[t] for t in wheel_tags if t in self._tag_rank]
                self._tag_set_rank[tag_set] = min(ranks) if ranks else None
        return self._tag_set_rank[tag_set]

    @cached_property
    def _wheel_heads(self) -> dict[str, bool]:
        return {}

    @cached_property
    def _tag_set_rank(self) -> dict[str, int | None]:
        return {}


_MANYLINUX_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


PLATFORM_PATTERN = re.compile(
    r"(?:many|musl)linux_\d+_\d+_\w+|manylinux(?:1|2010|2014)_\w+|linux_\w+"
    r"|macosx_\d+_\d+_\w+|win32|win_amd64|win_arm64|any"
)
PLATFORM_HINT = ("use a wheel platform tag such as manylinux_2_28_x86_64, manylinux2014_aarch64, "
                 "musllinux_1_2_x86_64, macosx_11_0_arm64 or win_amd64")


def expand_platform(platform: str) -> list[str]:
    """Every platform tag an installer on ``platform`` accepts, most preferred first."""
    platform = platform.replace("-", "_").replace(".", "_")
    if not PLATFORM_PATTERN.fullmatch(platform):
        raise ConfigError(f"unknown platform {platform!r}: {PLATFORM_HINT}")
    for legacy, (glibc_major, glibc_minor) in _MANYLINUX_LEGACY.items():
        if platform.startswith(legacy + "_"):
            platform = f"manylinux_{glibc_major}_{glibc_minor}_{platform[len(legacy) + 1:]}"
    if platform.startswith(("manylinux_", "musllinux_")):
        kind, major, minor, arch = platform.split("_", 3)
        out = []
        for m in range(int(minor), -1, -1):
            out.append(f"{kind}_{major}_{m}_{arch}")
            if kind == "manylinux":
                out += [legacy + "_" + arch for legacy, v in _MANYLINUX_LEGACY.items() if v == (int(major), m)]
        return out
    if platform.startswith("macosx_"):
        _, mac_major, mac_minor, arch = platform.split("_", 3)
        return list(tags_mod.mac_platforms((int(mac_major), int(mac_minor)), arch))
    return [platform]


def marker_environment(python_full: str, platform: str) -> dict[str, str]:
    """PEP 508 marker values for a CPython ``python_full`` on ``platform``."""
    if platform.startswith(("manylinux", "musllinux", "linux")):
        sys_platform, system, os_name = "linux", "Linux", "posix"
    elif platform.startswith("macosx"):
        sys_platform, system, os_name = "darwin", "Darwin", "posix"
    elif platform.startswith("win"):
        sys_platform, system, os_name = "win32", "Windows", "nt"
    else:
        raise ConfigError(f"unknown platform {platform!r}: {PLATFORM_HINT}")
    machine = platform.rsplit("_", 1)[-1] if not platform.startswith("win") else platform.split("_", 1)[-1]
    machine = {"amd64": "AMD64", "win32": "x86", "arm64": "ARM64" if sys_platform == "win32" else "arm64"}.get(
        machine, "x86_64" if platform.endswith("x86_64") else machine)
    major, minor = python_full.split(".")[:2]
    return {
        "implementation_name": "cpython",
        "implementation_version": python_full,
        "os_name": os_name,
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": python_full,
        "python_version": f"{major}.{minor}",
        "sys_platform": sys_platform,
    }

"""The machines the lock is for: interpreter version, implementation, tags, markers.

The lock describes the environment that will *run* the code, which need not
be the one writing the lock. ``Target.current()`` describes this interpreter.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from functools import cached_property

from packaging import tags as tags_mod
from packaging.markers import Marker, default_environment
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version


@dataclass(frozen=True)
class Target:
    """What the lock must work on; every compatibility decision asks it."""

    python_full_version: str
    implementation: str = "cpython"
    tags: tuple[Tag, ...] = field(default=(), repr=False)
    environment: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    platform_label: str = ""

    @classmethod
    def current(cls) -> "Target":
        env = default_environment()
        platforms = [t.platform for t in tags_mod.sys_tags() if t.platform != "any"]
        # Name the platform by its most specific portable tag (manylinux_2_36_x86_64, ...).
        plat = next((p for p in platforms if p.startswith(("manylinux", "musllinux", "macosx", "win"))),
                    platforms[0] if platforms else "any")
        return cls(
            python_full_version=platform.python_version(),
            implementation=sys.implementation.name,
            tags=tuple(tags_mod.sys_tags()),
            environment=tuple(sorted(env.items())),
            platform_label=plat,
        )

    @cached_property
    def python_version(self) -> Version:
        return Version(self.python_full_version)

    @property
    def python_minor(self) -> str:
        return f"{self.python_version.major}.{self.python_version.minor}"

    @cached_property
    def _tag_rank(self) -> dict[Tag, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    @cached_property
    def marker_environment(self) -> dict[str, str]:
        return dict(self.environment)

    def describe(self) -> str:
        return f"{self.implementation} {self.python_full_version} on {self.platform_label}"

    def allows_python(self, requires_python: str | SpecifierSet | None) -> bool:
        if not requires_python:
            return True
        try:
            spec = requires_python if isinstance(requires_python, SpecifierSet) else SpecifierSet(requires_python)
        except Exception:
            return True  # an unparsable Requires-Python is ignored, as pip does
        return spec.contains(self.python_version, prereleases=True)

    def evaluate(self, marker: Marker | None, extra: str = "") -> bool:
        if marker is None:
            return True
        env = dict(self.marker_environment)
        env["extra"] = extra
        return marker.evaluate(env)

    def wheel_rank(self, filename: str) -> int | None:
        """Lower is better; None when the wheel cannot be installed on the target."""
        try:
            _, _, _, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        ranks = [self._tag_rank[t] for t in wheel_tags if t in self._tag_rank]
        return min(ranks) if ranks else None

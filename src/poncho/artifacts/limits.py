"""What reading one archive may cost: the one set of limits every reader enforces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on one archive read from an index; a reader over any of them raises
    :class:`poncho.errors.OverLimit` naming the field.

    They bound a hostile or broken archive (a compression bomb, a huge header,
    millions of entries), not ordinary ones: the largest sdists on PyPI are a
    few hundred MiB and members worth reading (PKG-INFO, METADATA,
    ``top_level.txt``, ``requires.txt``) a few hundred KiB.
    """

    compressed: int = 1024 ** 3  # bytes read from the network for one archive
    uncompressed: int = 4 * 1024 ** 3  # bytes gzip may produce from one .tar.gz
    members: int = 100_000  # entries in one archive
    member: int = 16 * 1024 ** 2  # bytes of one member read into memory

    def describe(self, which: str) -> str:
        """``which`` limit in words: ``1.0 GiB compressed``, ``100,000 members``."""
        value = getattr(self, which)
        if which == "members":
            return f"{value:,} members"
        if which == "member":
            return f"{size_text(value)} per member"
        return f"{size_text(value)} {which}"


def size_text(n: float) -> str:
    """Bytes for people: ``512 bytes``, ``1.5 MiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


#: The defaults, shared (the dataclass is frozen): every reader's default argument.
DEFAULT_LIMITS = ArchiveLimits()

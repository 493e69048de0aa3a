"""A byte budget for streamed downloads (sdists read while they arrive)."""

from __future__ import annotations

import io
from collections.abc import Callable


class BoundedReader(io.RawIOBase):
    """A readable stream that raises ``on_limit()`` once ``limit`` bytes have gone through it.

    Wrapping both the network stream and the decompressed stream bounds what a
    hostile archive (or a compression bomb) can cost in time and memory.
    """

    def __init__(self, read: Callable[[int], bytes], limit: int, on_limit: Callable[[], Exception]) -> None:
        super().__init__()
        self._read, self.limit, self._on_limit, self.count = read, limit, on_limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self.count >= self.limit:
            raise self._on_limit()
        data = self._read(min(len(b), self.limit - self.count))
        n = len(data)
        b[:n] = data
        self.count += n
        return n

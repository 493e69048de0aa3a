"""What a person at a terminal sees beyond the plain text: colors and one line of progress.

Both appear only when the stream is a terminal, so logs, pipes, CI and
pre-commit get exactly the plain text they always did. ``NO_COLOR`` (any
non-empty value, https://no-color.org) turns colors off and ``TERM=dumb``
turns both off. The progress line is redrawn in place (carriage return,
erase line) at most ten times a second, and erased before anything else is
written, so diagnostics never land in the middle of it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, TextIO

_STYLES = {"error": "1;31", "warning": "1;33", "note": "36", "info": "2", "ok": "32", "code": "1"}
_ERASE = "\r\x1b[K"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def color_enabled(stream: TextIO) -> bool:
    """Colors only on a terminal, and never when ``NO_COLOR`` is set."""
    return _is_terminal(stream) and not os.environ.get("NO_COLOR")


def paint(text: str, style: str, stream: TextIO) -> str:
    """``text`` in ``style`` (error, warning, note, info, ok, code) when ``stream`` shows colors; else as is."""
    if not text or style not in _STYLES or not color_enabled(stream):
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"


class Progress:
    """One status line on ``stream`` (stderr): the stage, what was fetched (pages, metadata, files) and bytes.

    Silent unless ``stream`` is a terminal. Thread-safe: fetch threads count through :meth:`response`.
    """

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.enabled = _is_terminal(stream)
        self.interval = interval
        self._stage = ""
        self._counts: dict[str, int] = {}
        self._bytes = 0
        self._shown = False
        self._last = 0.0
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def stage(self, name: str) -> None:
        """A new stage begins (``analyzing``, ``mapping``, ``resolving``, ``writing``)."""
        with self._lock:
            self._stage = name
            self._draw(force=True)

    def count(self, what: str, n: int = 1, nbytes: int = 0) -> None:
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + n
            self._bytes += nbytes
            self._draw()

    def response(self, resp: Any, *args: Any, **kwargs: Any) -> Any:
        """A ``requests`` response hook: one more page, metadata file or file, and its bytes off the wire."""
        if not self.enabled:
            return resp
        path = str(getattr(resp, "url", "") or "").split("?", 1)[0]
        what = "metadata" if path.endswith(".metadata") else "pages" if path.endswith("/") else "files"
        cached = bool(getattr(resp, "from_cache", False))
        try:
            size = 0 if cached else int(resp.headers.get("Content-Length") or 0)
        except (TypeError, ValueError):
            size = 0
        self.count(what, 1, size)
        return resp

    def write(self, text: str) -> None:
        """Write ``text`` to the stream without tearing the status line (it is redrawn after)."""
        with self._lock:
            if self._shown:
                self.stream.write(_ERASE)
                self._shown = False
            self.stream.write(text)
            self._draw(force=True)

    def close(self) -> None:
        """Erase the status line; nothing more is drawn."""
        with self._lock:
            if self._shown:
                self.stream.write(_ERASE)
                self.stream.flush()
                self._shown = False
            self.enabled = False

    def _draw(self, force: bool = False) -> None:
        if not self.enabled or not self._stage:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        parts = [f"{self._stage}"]
        parts += [f"{n} {what}" for what, n in self._counts.items()]
        if self._bytes:
            parts.append(_size(self._bytes))
        parts.append(f"{now - self._started:.1f}s")
        self.stream.write(f"{_ERASE}poncho-resolve: {' · '.join(parts)}")
        self.stream.flush()
        self._shown = True

"""Writing files so that a reader never sees half of one: the lock, caches, index data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a synced temporary file in the same directory.

    ``sync=False`` skips the fsync, for entries that are checked when read
    (caches): a crash can leave one damaged, which reads as a miss.

    The file appears whole or not at all (``os.replace``), with ordinary
    permissions (mkstemp's 0600 is for secrets); on any failure the temporary
    file is removed and the error propagates, so callers decide whether a
    failed write matters (a lock: yes; a cache entry: no).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:  # a replaced file keeps its mode (a lock made group-writable stays so)
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_warned: set[str] = set()


def write_cache_entry(path: str | os.PathLike[str], data: bytes | str, cache: str) -> bool:
    """Write a cache entry atomically; a cache that cannot be written is a warning (once), never a failure.

    Caches only make runs faster: a read-only cache directory, a full disk
    or a file where a directory should be must not cost the user a lock.
    """
    try:
        write_atomic(path, data, sync=False)  # every reader checks an entry; a torn one is a miss
    except OSError as exc:
        if cache not in _warned:
            _warned.add(cache)
            import sys

            print(f"warning: the {cache} cache cannot be written ({exc.strerror or exc}: {exc.filename or path}); "
                  "continuing without it", file=sys.stderr)
        return False
    return True

"""Reading a ``file://`` index (pages and files) without ever blocking: regular files only.

A local index is honoured because the user named it; what sits in it is
still checked. ``open()`` on a FIFO blocks until a writer comes, and a
device (``/dev/zero``, a tty) never ends, so every local read opens with
``O_NONBLOCK`` (which makes opening a FIFO return at once), checks the open
descriptor is a regular file (no race with a rename), and only then reads.
"""

from __future__ import annotations

import errno
import os
import stat
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from poncho.errors import BadResponse, IndexUnreachable, Reason

_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_BINARY", 0))


def local_path(url: str) -> Path:
    """The path a ``file:`` URL names."""
    if os.name != "nt":  # urllib.request's url2pathname here, without loading http.client, email and ssl
        return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    from urllib.request import url2pathname

    return Path(url2pathname(urllib.parse.urlsplit(url).path))


def open_regular(url: str) -> BinaryIO:
    """The regular file ``url`` names, opened for reading.

    Raises :class:`BadResponse` ``NOT_FOUND`` when there is none,
    ``UNSUPPORTED`` for a FIFO, device, socket or directory, and
    :class:`IndexUnreachable` when the file cannot be read (permissions, I/O).
    """
    try:
        fd = os.open(local_path(url), _FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise BadResponse(url, "no such file", kind=Reason.NOT_FOUND) from exc
        if exc.errno == errno.EISDIR:
            raise BadResponse(url, "a directory, not a file", kind=Reason.UNSUPPORTED) from exc
        raise IndexUnreachable(url, f"cannot read: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "a directory" if stat.S_ISDIR(mode) else "special")
            raise BadResponse(url, f"{what}, not a regular file; refused rather than read", kind=Reason.UNSUPPORTED)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(url: str, limit: int) -> bytes:
    """The whole regular file ``url`` names, at most ``limit`` bytes (else ``TOO_LARGE``)."""
    with open_regular(url) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise IndexUnreachable(url, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise BadResponse(url, f"the file is over the {limit} byte limit", kind=Reason.TOO_LARGE)
    return data

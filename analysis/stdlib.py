"""Standard-library module names per target Python version, from shipped lists.

The lists in ``data/stdlib-3.X.txt`` are generated from the real interpreters
by ``data/make_stdlib_lists.py``; the running interpreter is never trusted
alone, because the lock is for the target, not for the machine that writes it.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources

SUPPORTED: tuple[tuple[int, int], ...] = ((3, 9), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14))

# What to tell users who import a module the target no longer ships.
REPLACEMENTS: dict[str, str] = {
    "distutils": "setuptools provides it",
    "imp": "use importlib",
    "asynchat": "use asyncio, or install pyasynchat",
    "asyncore": "use asyncio, or install pyasyncore",
    "smtpd": "use aiosmtpd",
    "binhex": "use base64 / binascii",
    "formatter": "no replacement",
    "parser": "use ast",
    "symbol": "use ast",
    "cgi": "install legacy-cgi",
    "cgitb": "install legacy-cgi",
    "telnetlib": "install telnetlib3 or standard-telnetlib",
    "audioop": "install audioop-lts",
    "imghdr": "install standard-imghdr, or filetype",
    "lib2to3": "use ast / libcst",
    "pipes": "use shlex / subprocess",
    "crypt": "install crypt_r, or use hashlib",
    "nntplib": "install standard-nntplib",
    "uu": "use base64",
    "xdrlib": "install standard-xdrlib",
    "aifc": "install standard-aifc",
    "chunk": "install standard-chunk",
    "mailcap": "use mimetypes",
    "msilib": "no replacement",
    "nis": "no replacement",
    "ossaudiodev": "no replacement",
    "sndhdr": "install standard-sndhdr",
    "spwd": "use python-pam",
    "sunau": "install standard-sunau",
    "tomllib": "install tomli for older Pythons",
}


def normalize_version(python_version: tuple[int, int] | str | None) -> tuple[int, int]:
    """``(3, 11)`` from ``None`` (the running interpreter), ``"3.11"`` or ``(3, 11, 2)``."""
    if python_version is None:
        return sys.version_info[:2]
    if isinstance(python_version, str):
        major, minor = python_version.split(".")[:2]
        return int(major), int(minor)
    return int(python_version[0]), int(python_version[1])


def _shipped(python_version: tuple[int, int]) -> tuple[int, int]:
    if python_version < SUPPORTED[0]:
        return SUPPORTED[0]
    if python_version > SUPPORTED[-1]:
        return SUPPORTED[-1]
    return python_version


@cache
def _load(python_version: tuple[int, int]) -> frozenset[str]:
    name = f"stdlib-{python_version[0]}.{python_version[1]}.txt"
    text = resources.files(__package__).joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@cache
def stdlib_names(python_version: tuple[int, int] | str | None = None) -> frozenset[str]:
    """Top-level standard-library names for ``python_version`` (default: the running one)."""
    return _load(_shipped(normalize_version(python_version)))


def removed_in(name: str, python_version: tuple[int, int] | str | None = None) -> tuple[int, int] | None:
    """The version that removed top-level ``name``, if it is gone by ``python_version``."""
    target = _shipped(normalize_version(python_version))
    if name.startswith("_") or name in _load(target):
        return None
    last_present = None
    for version in SUPPORTED:
        if version <= target and name in _load(version):
            last_present = version
    if last_present is None:
        return None
    return next(v for v in SUPPORTED if v > last_present)


def added_in(name: str) -> tuple[int, int] | None:
    """The first supported version whose standard library has top-level ``name`` (None if never/always)."""
    if name in _load(SUPPORTED[0]):
        return None
    for version in SUPPORTED[1:]:
        if name in _load(version):
            return version
    return None

"""Regenerate the shipped standard-library lists: ``stdlib-3.X.txt``, one top-level name a line.

Run from the repository root::

    python analysis/data/make_stdlib_lists.py [--pyenv /root/.pyenv/versions]

* 3.10 .. 3.13 come from ``sys.stdlib_module_names`` of the real interpreters
  (all platforms: it lists ``winreg`` on Linux too).
* 3.9 has no ``sys.stdlib_module_names``: it is the 3.10 list, minus names
  new in 3.10 (those the 3.9 interpreter cannot find and that are not
  platform-only), plus names 3.10 removed (found in the 3.9 ``Lib``).
* 3.14 is the 3.13 list plus the top-level modules added in 3.14
  ("What's New in Python 3.14"); nothing top-level was removed in 3.14.
  When a 3.14 interpreter exists it is used instead.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Names sys.stdlib_module_names has on every platform, which a Linux 3.9 cannot import.
PLATFORM_ONLY = {
    "_msi", "_overlapped", "_winapi", "_winreg", "msilib", "msvcrt", "nt", "winreg", "winsound",
    "_scproxy", "_osx_support", "_aix_support", "_wmi", "_android_support", "_apple_support",
    "_ios_support", "_dbm", "_gdbm", "_tkinter", "_curses_panel", "_curses", "ossaudiodev",
    "_posixshmem", "spwd", "nis", "_crypt", "crypt", "readline", "_uuid", "_lzma", "_bz2",
    "_sqlite3", "_ssl", "_hashlib", "_ctypes", "_ctypes_test", "_testmultiphase", "_xxtestfuzz",
}
# Top-level modules new in 3.14 (What's New: annotationlib, compression.zstd; private helpers).
NEW_IN_314 = {"annotationlib", "compression", "_zstd", "_remote_debugging", "_hmac", "_types"}

PROBE_39 = r"""
import json, pkgutil, sys, sysconfig
names = set(sys.builtin_module_names) | {m.partition(".")[0] for m in sys.modules if m != "__main__"}
paths = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"] + "/lib-dynload"]
names |= {m.name for m in pkgutil.iter_modules(paths)}
print(json.dumps(sorted(names)))
"""


def interpreter(pyenv: Path, minor: int) -> Path | None:
    found = sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}"))
    return found[-1] if found else None


def run(python: Path, code: str) -> list[str]:
    return json.loads(subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pyenv", type=Path, default=Path("/root/.pyenv/versions"))
    args = parser.parse_args(argv)
    lists: dict[int, set[str]] = {}
    for minor in (10, 11, 12, 13, 14):
        python = interpreter(args.pyenv, minor)
        if python is not None:
            lists[minor] = set(run(python, "import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))"))
    if 14 not in lists:
        lists[14] = lists[13] | NEW_IN_314
    py39 = interpreter(args.pyenv, 9)
    if py39 is None:
        sys.exit("a 3.9 interpreter is needed to derive the 3.9 list")
    found39 = set(run(py39, PROBE_39))
    new_in_310 = {n for n in lists[10] - found39 if n not in PLATFORM_ONLY}
    removed_in_310 = {n for n in found39 - lists[10] if not n.startswith(("test", "_test", "xx", "_xx", "_sysconfigdata", "_ctypes_test"))}
    lists[9] = (lists[10] - new_in_310) | removed_in_310
    print(f"3.9: -{sorted(new_in_310)} +{sorted(removed_in_310)}", file=sys.stderr)
    for minor, names in sorted(lists.items()):
        names = names | {"__future__"}
        (HERE / f"stdlib-3.{minor}.txt").write_text("".join(f"{n}\n" for n in sorted(names)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

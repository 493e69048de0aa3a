"""Version and platform differences, in one place."""

import os
import platform
import sys

try:
    import ujson as json  # faster when available
except ImportError:
    import json

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

if sys.platform == "win32":
    import win32api  # noqa: F401 - pywin32, for service control on Windows hosts

if os.name == "nt":
    import colorama

    colorama.just_fix_windows_console()

if platform.system() == "Darwin":
    import appnope

    appnope.nope()

"""Guards: optional (try/except), typing-only, and PEP 508 markers from version/platform tests."""

from __future__ import annotations

import textwrap

import pytest
from packaging.markers import Marker

from poncho.analysis import Guard, analyze_source


def by_module(src: str) -> dict:
    found, _ = analyze_source(textwrap.dedent(src), "m.py")
    return {s.module: s for s in found}


def test_try_except_importerror_is_optional_with_alternative():
    s = by_module("""
    try:
        import ujson as json
    except ImportError:
        import json
    """)
    assert s["ujson"].guard is Guard.OPTIONAL and s["ujson"].alternative == "json"
    assert s["json"].alternative == "ujson"


@pytest.mark.parametrize("handler", ["ImportError", "ModuleNotFoundError", "(ImportError, OSError)", "Exception", ""])
def test_handlers_that_catch_importerror(handler):
    s = by_module(f"try:\n    import fancy\nexcept {handler}:\n    fancy = None\n")
    assert s["fancy"].guard is Guard.OPTIONAL


def test_unrelated_handler_is_required():
    assert by_module("try:\n    import fancy\nexcept KeyError:\n    pass\n")["fancy"].guard is Guard.REQUIRED


def test_fallback_for_newer_stdlib_module_gets_a_marker():
    s = by_module("""
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    """)
    assert s["tomli"].guard is Guard.REQUIRED and s["tomli"].marker == 'python_version < "3.11"'


def test_fallback_of_third_party_is_required():
    s = by_module("try:\n    from yaml import CSafeLoader as L\nexcept ImportError:\n    from yaml import SafeLoader as L\n")
    assert any(x.guard is Guard.REQUIRED for x in analyze_source("try:\n    from yaml import CSafeLoader as L\nexcept ImportError:\n    from yaml import SafeLoader as L\n", "m.py")[0])
    assert s["yaml"].alternative == "yaml"


def test_try_does_not_guard_a_function_called_later():
    s = by_module("try:\n    def f():\n        import later\nexcept ImportError:\n    pass\n")
    assert s["later"].guard is Guard.REQUIRED


def test_suppress_importerror():
    s = by_module("import contextlib\nwith contextlib.suppress(ImportError):\n    import maybe\n")
    assert s["maybe"].guard is Guard.OPTIONAL


@pytest.mark.parametrize("test", ["TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING", "False"])
def test_type_checking_is_typing_only(test):
    s = by_module(f"import typing\nimport typing as t\nfrom typing import TYPE_CHECKING\nif {test}:\n    import stubs_only\nelse:\n    import runtime\n")
    assert s["stubs_only"].guard is Guard.TYPING
    assert s["runtime"].guard is Guard.REQUIRED


def test_type_checking_carries_into_nested_defs():
    s = by_module("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    def f():\n        import deep\n")
    assert s["deep"].guard is Guard.TYPING


@pytest.mark.parametrize("test, marker", [
    ("sys.version_info >= (3, 11)", 'python_version >= "3.11"'),
    ("sys.version_info < (3, 11)", 'python_version < "3.11"'),
    ("sys.version_info > (3, 10)", 'python_version >= "3.10"'),
    ("sys.version_info[:2] == (3, 12)", 'python_version == "3.12"'),
    ("sys.version_info[:2] > (3, 12)", 'python_version > "3.12"'),
    ("sys.version_info >= (3, 11, 2)", 'python_full_version >= "3.11.2"'),
    ("(3, 8) <= sys.version_info", 'python_version >= "3.8"'),
    ("sys.version_info[0] == 2", 'python_version >= "2" and python_version < "3"'),
    ("sys.version_info.major >= 3", 'python_version >= "3"'),
    ('sys.platform == "win32"', 'sys_platform == "win32"'),
    ('sys.platform != "darwin"', 'sys_platform != "darwin"'),
    ('sys.platform.startswith("linux")', 'sys_platform == "linux"'),
    ('sys.platform.startswith("win")', 'sys_platform == "win32"'),
    ('sys.platform.startswith("freebsd")', '"freebsd" in sys_platform'),
    ('sys.platform in ("win32", "cygwin")', 'sys_platform == "win32" or sys_platform == "cygwin"'),
    ('os.name == "nt"', 'os_name == "nt"'),
    ('platform.system() == "Windows"', 'platform_system == "Windows"'),
    ('platform.machine() == "arm64"', 'platform_machine == "arm64"'),
    ('platform.python_implementation() == "PyPy"', 'platform_python_implementation == "PyPy"'),
    ('sys.version_info >= (3, 10) and os.name == "posix"', 'python_version >= "3.10" and os_name == "posix"'),
    ('not sys.platform == "win32"', 'sys_platform != "win32"'),
])
def test_markers(test, marker):
    s = by_module(f"import os, sys, platform\nif {test}:\n    import guarded\n")
    assert s["guarded"].marker == marker
    Marker(marker)


def test_else_and_elif_branches_are_negated_and_nested_guards_combine():
    s = by_module("""
    import sys, os
    if sys.version_info >= (3, 11):
        import a
    elif os.name == "nt":
        import b
        if sys.platform == "win32":
            import c
    else:
        import d
    """)
    assert s["a"].marker == 'python_version >= "3.11"'
    assert s["b"].marker == 'python_version < "3.11" and os_name == "nt"'
    assert s["c"].marker == 'python_version < "3.11" and os_name == "nt" and sys_platform == "win32"'
    assert s["d"].marker == 'python_version < "3.11" and os_name != "nt"'
    for site in s.values():
        if site.marker:
            Marker(site.marker)


def test_or_inside_and_is_parenthesized():
    s = by_module('import sys, os\nif sys.platform in ("win32", "cygwin"):\n    if sys.version_info < (3, 10):\n        import x\n')
    assert s["x"].marker == '(sys_platform == "win32" or sys_platform == "cygwin") and python_version < "3.10"'
    Marker(s["x"].marker)


def test_aliases_and_module_level_flags():
    s = by_module("""
    from sys import version_info as vi, platform
    import sys
    IS_WINDOWS = sys.platform == "win32"
    if vi >= (3, 12):
        import a
    if IS_WINDOWS:
        import b
    """)
    assert s["a"].marker == 'python_version >= "3.12"'
    assert s["b"].marker == 'sys_platform == "win32"'


def test_unknown_condition_gives_no_marker_and_drops_from_and():
    s = by_module("import sys\nif FEATURE:\n    import a\nif FEATURE and sys.platform == 'linux':\n    import b\n")
    assert s["a"].marker is None and s["b"].marker == 'sys_platform == "linux"'


def test_guarded_and_typing_combined_with_markers():
    s = by_module("import sys\nif sys.version_info < (3, 11):\n    try:\n        import tomli\n    except ImportError:\n        tomli = None\n")
    assert s["tomli"].guard is Guard.OPTIONAL and s["tomli"].marker == 'python_version < "3.11"'


def test_fallback_sites_name_what_they_stand_in_for():
    s = by_module("""
    try:
        import tomllib
    except ImportError:
        import tomli as tomllib
    try:
        import ujson as json
    except ImportError:
        import json
    """)
    assert s["tomli"].fallback_for == "tomllib" and s["json"].fallback_for == "ujson"
    assert s["tomllib"].fallback_for is None and s["ujson"].fallback_for is None

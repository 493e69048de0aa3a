"""Standard library per target Python, from the shipped lists."""

from __future__ import annotations

import sys

import pytest

from poncho.analysis import Severity, analyze
from poncho.analysis.stdlib import SUPPORTED, added_in, removed_in, stdlib_names


def test_lists_ship_for_every_supported_version():
    for v in SUPPORTED:
        names = stdlib_names(v)
        assert {"os", "sys", "json", "__future__", "asyncio"} <= names, v


def test_running_interpreter_agrees_with_its_list():
    assert set(sys.stdlib_module_names) <= stdlib_names(sys.version_info[:2]) | {"__future__"}


@pytest.mark.parametrize("name, present, absent", [
    ("tomllib", [(3, 11), (3, 14)], [(3, 9), (3, 10)]),
    ("distutils", [(3, 9), (3, 11)], [(3, 12), (3, 14)]),
    ("imp", [(3, 11)], [(3, 12)]),
    ("telnetlib", [(3, 12)], [(3, 13)]),
    ("formatter", [(3, 9)], [(3, 10)]),
    ("annotationlib", [(3, 14)], [(3, 13)]),
    ("compression", [(3, 14)], [(3, 13)]),
    ("graphlib", [(3, 9)], []),
])
def test_version_specific_names(name, present, absent):
    for v in present:
        assert name in stdlib_names(v), v
    for v in absent:
        assert name not in stdlib_names(v), v


def test_removed_and_added():
    assert removed_in("asyncore", (3, 12)) == (3, 12) and removed_in("cgi", "3.14") == (3, 13)
    assert removed_in("os", (3, 12)) is None and added_in("tomllib") == (3, 11)


def test_tomllib_third_party_status_depends_on_target(tmp_path):
    (tmp_path / "app.py").write_text("import tomllib\n")
    new = analyze([tmp_path], "3.11", cache=False)
    old = analyze([tmp_path], "3.10", cache=False)
    assert new.classify(new.sites[0]) == "stdlib" and not new.diagnostics
    assert old.classify(old.sites[0]) == "missing-stdlib"
    assert "only from Python 3.11" in old.diagnostics[0].message


def test_distutils_on_312_maps_to_setuptools(tmp_path):
    (tmp_path / "setup.py").write_text("from distutils.core import setup\n")
    r = analyze([tmp_path], (3, 12), cache=False)
    (site,) = r.sites
    assert site.distribution == "setuptools" and r.classify(site) == "third-party"
    r11 = analyze([tmp_path], (3, 11), cache=False)
    assert r11.sites[0].distribution is None and r11.classify(r11.sites[0]) == "stdlib"


@pytest.mark.parametrize("name, version", [("imp", "3.12"), ("asynchat", "3.12"), ("asyncore", "3.12"),
                                           ("smtpd", "3.12"), ("cgi", "3.13"), ("telnetlib", "3.13")])
def test_removed_modules_are_errors_naming_the_version(tmp_path, name, version):
    (tmp_path / "old.py").write_text(f"import {name}\n")
    r = analyze([tmp_path], (3, 13), cache=False)
    (d,) = r.diagnostics
    assert d.severity is Severity.ERROR and f"removed from the standard library in Python {version}" in d.message
    assert str(d).startswith(f"{tmp_path / 'old.py'}:1: ") and r.strict_failed
    assert r.classify(r.sites[0]) == "missing-stdlib" and not r.third_party


def test_guarded_removed_module_is_not_an_error(tmp_path):
    (tmp_path / "compat.py").write_text(
        "import sys\ntry:\n    import imp\nexcept ImportError:\n    imp = None\nif sys.version_info < (3, 12):\n    import asyncore\n")
    assert not analyze([tmp_path], (3, 12), cache=False).diagnostics

"""The mapping stage's output: sites -> direct requirements, offline (shipped index)."""

from __future__ import annotations

from poncho.analysis import analyze
from poncho.index_cache import default_mapper
from poncho.index_cache.requirements import requirements_from_sites


def _direct(tmp_path, code: str, **kw) -> dict[str, str | None]:
    (tmp_path / "job.py").write_text(code)
    analysis = analyze([tmp_path / "job.py"], cache=False, jobs=1)
    reqs = requirements_from_sites(analysis.third_party, default_mapper(), **kw)
    return {r.name: r.marker for r in reqs.direct}


def test_from_imports_of_namespace_packages_map_by_the_imported_subpackage(tmp_path):
    direct = _direct(tmp_path, "from google.cloud import storage, bigquery\nfrom google import protobuf\n"
                               "from azure.storage import blob\nfrom yaml import safe_load\n")
    assert set(direct) == {"google-cloud-storage", "google-cloud-bigquery", "protobuf", "azure-storage-blob",
                           "PyYAML"}


def test_guards_decide_what_is_locked(tmp_path):
    code = ("import sys\nfrom typing import TYPE_CHECKING\n"
            "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
            "if TYPE_CHECKING:\n    import pandas\n"
            "if sys.version_info < (3, 11):\n    import tomli\n"
            "import requests\n")
    assert _direct(tmp_path, code) == {"requests": None, "tomli": 'python_version < "3.11"'}
    assert _direct(tmp_path, code, include_optional=True) == {
        "requests": None, "tomli": 'python_version < "3.11"', "ujson": None}


def test_a_module_needed_unguarded_anywhere_is_required(tmp_path):
    code = "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n\n\ndef load():\n    import yaml\n"
    assert _direct(tmp_path, code) == {"PyYAML": None}

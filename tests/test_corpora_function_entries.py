"""Every corpus's ``[functions]`` table: each entry needs exactly the distributions listed.

Module -> distribution mapping belongs to index_cache: the offline mapper
(shipped index, no live probe) decides; a module it does not know stands for
itself. Names are compared after PEP 503 normalization (``prometheus_client``
is ``prometheus-client``).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from poncho.analysis import Guard, Kind, analyze_function, analyze_source
from poncho.index_cache import default_mapper

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CORPORA = Path(__file__).resolve().parent.parent / "corpora"

# Entries whose libraries are reached only through importlib.import_module(...):
# they need the analyzer's dynamic-import patterns.
NEEDS_DYNAMIC = {
    "hpo_app": {"hpo/registry.py:estimator_class", "hpo/hyperopt_search.py:run_fmin"},
}


def _entries() -> list[tuple[str, str, list[str]]]:
    found = []
    for expected in sorted(CORPORA.glob("*/expected.toml")):
        table = tomllib.loads(expected.read_text()).get("functions", {})
        found.extend((expected.parent.name, entry, dists) for entry, dists in table.items())
    return found


@functools.lru_cache(maxsize=1)
def _mapper():
    return default_mapper()  # the shipped index, no probe: offline


def _distribution(module: str) -> str:
    return _mapper().map(module).distribution or module.split(".")[0]


def _dynamic_supported() -> bool:
    sites, _ = analyze_source('import importlib\nm = importlib.import_module("probe_mod")\n', "probe.py")
    return any(s.kind is Kind.DYNAMIC and s.module == "probe_mod" for s in sites)


def test_corpora_have_function_tables() -> None:
    corpora = {name for name, _, _ in _entries()}
    assert {"hep_analysis", "chem_workflow", "hpo_app", "serverless_handlers", "src_layout_ns"} <= corpora


@pytest.mark.parametrize(("corpus", "entry", "dists"), _entries(), ids=lambda v: v if isinstance(v, str) else None)
def test_function_entry_needs_exactly_its_distributions(corpus: str, entry: str, dists: list[str]) -> None:
    if entry in NEEDS_DYNAMIC.get(corpus, ()) and not _dynamic_supported():
        pytest.xfail("the analyzer does not report importlib.import_module sites yet")
    assert dists == sorted(dists), "keep [functions] lists sorted"
    result = analyze_function(str(CORPORA / corpus / entry))
    assert not result.diagnostics, [str(d) for d in result.diagnostics]
    found = {canonicalize_name(_distribution(s.module)) for s in result.third_party if s.guard is Guard.REQUIRED}
    assert found == {canonicalize_name(d) for d in dists}

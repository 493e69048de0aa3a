"""Every corpus application's expected.toml, checked for exact equality.

Mapping is offline here (overrides and the shipped index, no live probe), so
these tests also prove the shipped index knows what realistic code imports.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from poncho.index_cache import default_mapper
from poncho.pipeline import Options, Pipeline

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
APPS = sorted(p.parent.name for p in CORPORA.glob("*/expected.toml"))


def _modules(reqs) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in reqs:
        out[canonicalize_name(r.name)] |= {s.module for s in r.sites}
    return dict(out)


def _expected(table: dict) -> dict[str, set[str]]:
    return {canonicalize_name(k): set(v) for k, v in table.items()}


@pytest.fixture(scope="module")
def mapper():
    return default_mapper()


@pytest.mark.parametrize("app", APPS)
def test_corpus_requirements_match_expected(app, mapper):
    root = CORPORA / app
    expected = tomllib.loads((root / "expected.toml").read_text())
    pyproject = root / "pyproject.toml"
    options = Options(mapper=default_mapper(pyproject=pyproject) if pyproject.exists() else mapper, cache_dir=None)
    result = Pipeline(options).requirements([root])
    reqs = result.requirements
    assert not reqs.unresolved, f"unmapped imports: {sorted(reqs.unresolved)}"
    direct = {r for r in reqs.direct}
    assert _modules(direct) == _expected(expected.get("direct", {}))
    assert _modules(reqs.optional) == _expected(expected.get("optional", {}))
    markers = {canonicalize_name(r.name): r.marker for r in reqs.direct + reqs.optional if r.marker}
    assert markers == {canonicalize_name(k): v for k, v in expected.get("markers", {}).items()}


def test_there_are_enough_corpora():
    assert len(APPS) >= 6, APPS

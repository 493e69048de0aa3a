"""The project's declarations win over the guesses: guarded imports of a runtime dependency, and runtime
dependencies imported only by files out of the runtime scope (setup.py), are locked."""

from __future__ import annotations

from pathlib import Path

from poncho.diagnostics import Code
from poncho.pipeline import Options, Pipeline
from support.tree import write

# httpx 0.27's shape: anyio is a runtime dependency, yet every import of it is guarded.
HTTPX_LIKE = {
    "pyproject.toml": '[project]\nname = "httpx"\ndependencies = ["anyio", "certifi", "idna"]\n'
                      '[project.optional-dependencies]\nbrotli = ["brotli"]\n',
    "httpx/__init__.py": "from ._transports import *\nimport certifi\nimport idna\n",
    "httpx/_transports.py": "try:\n    import anyio\nexcept ImportError:  # pragma: no cover\n    anyio = None\n\n"
                            "try:\n    import brotli\nexcept ImportError:\n    brotli = None\n",
    # typer's shape: shellingham, declared at run time in requirements.txt, is loaded by an optional helper
    "httpx/_completion.py": "def shell():\n    try:\n        import shellingham\n    except ImportError:\n"
                            "        return None\n    return shellingham.detect_shell()\n",
    "requirements.txt": "shellingham>=1.3\n",
}


def requirements(root: Path, **options):
    pipeline = Pipeline(Options(cache_dir=None, probe=False, **options))
    return pipeline.requirements([root]).requirements, pipeline


def test_a_runtime_declaration_wins_over_the_optional_guess(tmp_path):
    reqs, pipeline = requirements(write(tmp_path, HTTPX_LIKE))
    direct = {r.name: r for r in reqs.direct}
    assert set(direct) == {"anyio", "certifi", "idna", "shellingham"}
    assert str(direct["shellingham"].requirement) == "shellingham>=1.3"  # the declared range is carried
    assert "pyproject.toml declares it as a runtime dependency" in (direct["anyio"].declared or "")
    assert "requirements.txt declares it" in (direct["shellingham"].declared or "")
    # brotli is declared only in an extra: the guard keeps it optional, as before.
    assert [r.name for r in reqs.optional] == ["brotli"]
    said = {d.message.split(" locked")[0] for d in pipeline.diagnostics if d.code is Code.DECLARED_WINS}
    assert said == {"anyio", "shellingham"}


def test_without_the_declaration_the_guard_keeps_it_optional(tmp_path):
    files = dict(HTTPX_LIKE)
    files["pyproject.toml"] = '[project]\nname = "httpx"\ndependencies = ["certifi", "idna"]\n'
    files["requirements.txt"] = ""
    reqs, _ = requirements(write(tmp_path, files))
    assert {r.name for r in reqs.direct} == {"certifi", "idna"}
    assert {r.name for r in reqs.optional} == {"anyio", "brotli", "shellingham"}


def test_explain_shows_why_a_guarded_import_is_locked(tmp_path):
    from poncho.explain import explain

    write(tmp_path, HTTPX_LIKE)
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    text = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "anyio", pipeline.declarations([tmp_path]))
    assert "optional (guarded by try/except ImportError" in text  # the site's own guard is still shown
    assert "declared: anyio in pyproject.toml" in text
    assert "classified: required: every import is guarded" in text and "the project's declaration wins" in text


# httpie's and scrapy's shape: setuptools is imported only by setup.py, which the runtime scope leaves out.
HTTPIE_LIKE = {
    "setup.py": "from setuptools import setup, find_packages\nimport docutils\nsetup()\n",
    "httpie/__init__.py": "import requests\n",
    "tests/test_cli.py": "import pytest\nimport responses\n",
    "setup.cfg": "[options]\ninstall_requires =\n    requests>=2.22\n    setuptools\n    pytest\n",
}


def test_a_runtime_declaration_imported_only_out_of_scope_stays(tmp_path):
    reqs, pipeline = requirements(write(tmp_path, HTTPIE_LIKE))
    direct = {r.name: r for r in reqs.direct}
    # setuptools (setup.py) and pytest (tests/) are declared at run time: locked, with their sites as reasons.
    assert set(direct) == {"requests", "setuptools", "pytest"}
    assert {s.location for s in direct["setuptools"].sites} == {f"{tmp_path / 'setup.py'}:1"}
    assert "imported only by files left out of the runtime lock" in (direct["setuptools"].declared or "")
    # What those files import without a runtime declaration stays out (docutils, responses).
    assert not {"docutils", "responses"} & set(direct)
    assert not [d for d in pipeline.diagnostics if d.code is Code.DECLARED_UNUSED]


def test_an_out_of_scope_import_without_a_runtime_declaration_stays_out(tmp_path):
    files = dict(HTTPIE_LIKE)
    files["setup.cfg"] = "[options]\ninstall_requires =\n    requests>=2.22\n" \
                         "[options.extras_require]\ntest = pytest\n"
    reqs, _ = requirements(write(tmp_path, files))
    assert {r.name for r in reqs.direct} == {"requests"}


def test_the_left_out_files_are_read_only_when_a_declaration_is_unmatched(tmp_path, monkeypatch):
    import poncho.analysis as analysis

    files = dict(HTTPIE_LIKE)
    files["setup.cfg"] = "[options]\ninstall_requires =\n    requests>=2.22\n"
    write(tmp_path, files)
    calls = []
    real = analysis.analyze
    monkeypatch.setattr(analysis, "analyze", lambda *a, **k: calls.append(k.get("left_out_only")) or real(*a, **k))
    requirements(tmp_path)
    assert calls == [None]  # the runtime analysis only: nothing declared is unmatched


def test_a_declaration_wins_only_where_its_marker_holds(tmp_path):
    """attrs 24.2: ``importlib_metadata; python_version<'3.8'``, imported as a fallback of importlib.metadata."""
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = \"attrs\"\ndependencies = [\"importlib_metadata;python_version<'3.8'\"]\n",
        "attr/__init__.py": "def f():\n    try:\n        from importlib.metadata import metadata\n"
                            "    except ImportError:\n        from importlib_metadata import metadata\n",
    })
    reqs, _ = requirements(tmp_path)
    (req,) = reqs.direct
    assert str(req.requirement) == 'importlib_metadata; python_version < "3.8"'
    assert not req.requirement.marker.evaluate({"python_version": "3.11", "python_full_version": "3.11.7"})


def test_poetry_optional_dependencies_are_extras_not_the_runtime_set(tmp_path):
    """rich 13.9: ``ipywidgets = { version = ..., optional = true }`` belongs to the ``jupyter`` extra."""
    write(tmp_path, {
        "pyproject.toml": '[tool.poetry]\nname = "rich"\n[tool.poetry.dependencies]\npython = "^3.8"\n'
                          'pygments = "^2.13"\nipywidgets = { version = ">=7.5.1,<9", optional = true }\n'
                          'attrs = { version = "*", optional = true }\n'
                          '[tool.poetry.extras]\njupyter = ["ipywidgets"]\n',
        "rich/__init__.py": "import pygments\ntry:\n    import ipywidgets\nexcept ImportError:\n    pass\n",
    })
    from poncho.analysis.declared import read_declarations

    where = {d.key: d.group for d in read_declarations([tmp_path]).items}
    assert where == {"pygments": None, "ipywidgets": "[jupyter]", "attrs": "[optional]"}
    reqs, _ = requirements(tmp_path)
    assert [r.key for r in reqs.direct] == ["pygments"] and [r.name for r in reqs.optional] == ["ipywidgets"]


def test_include_tests_keeps_runtime_declarations_out_of_the_test_group(tmp_path):
    """With ``--include-tests``, setuptools (setup.py) and pytest (tests/) are imported only by dev files, yet
    setup.cfg declares both at run time: they stay in the default set; responses (tests only, declared
    nowhere) and docutils (setup.py only) go to the ``test`` group."""
    files = {**HTTPIE_LIKE, "requirements-tests.txt": "responses\n"}  # a development declaration: still a test
    reqs, _ = requirements(write(tmp_path, files), include_tests=True)
    group = {r.name: r.group for r in reqs.direct}
    assert group["requests"] is None and group["setuptools"] is None and group["pytest"] is None
    assert group["responses"] == "test" and group["docutils"] == "test"

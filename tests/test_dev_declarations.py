"""Development declarations (test/docs requirements files, dependency groups) are evidence, never the lock's.

The shape of sqlmodel 0.0.22: its runtime dependencies are in pyproject; its
``requirements-tests.txt`` pins ``typing-extensions==4.6.1`` and
``jinja2==3.1.4`` for the test suite, ``requirements-docs.txt`` pins
``typer``, and ``requirements.txt`` is a developer's environment (``-e .``,
``-r requirements-tests.txt``, pre-commit). Those pins once reached the
runtime resolution and made it unsolvable in practice.
"""

from __future__ import annotations

from pathlib import Path

from poncho.analysis.declared import read_declarations
from poncho.diagnostics import Code
from poncho.pipeline import Options, Pipeline
from support.tree import write

SQLMODEL = {
    "pyproject.toml": '[project]\nname = "sqlmodel"\nversion = "0.0.22"\n'
                      'dependencies = ["SQLAlchemy >=2.0.14,<2.1.0", "pydantic >=1.10.13,<3.0.0"]\n',
    "requirements.txt": "-e .\n\n-r requirements-tests.txt\n-r requirements-docs.txt\n\npre-commit >=2.17.0,<4.0.0\n",
    "requirements-tests.txt": "-e .\npytest >=7.0.1,<8.0.0\njinja2 ==3.1.4\ntyping-extensions ==4.6.1\n",
    "requirements-docs.txt": "-e .\ntyper == 0.12.3\nmkdocs-material==9.5.18\n",
    "requirements-github-actions.txt": "PyGithub>=2.3.0,<3.0.0\npydantic>=2.5.3,<3.0.0\n",
    "sqlmodel/__init__.py": "import sqlalchemy\nimport pydantic\nfrom typing_extensions import Literal\n",
    "sqlmodel/templates.py": "import jinja2\n",
}


def _direct(root: Path, **options) -> tuple[dict[str, str], Pipeline, list]:
    pipeline = Pipeline(Options(cache_dir=None, probe=False, **options))
    result = pipeline.requirements([root])
    return {r.key: r.specifier for r in result.requirements.direct}, pipeline, result


def test_test_and_docs_pins_never_reach_the_runtime_requirements(tmp_path):
    write(tmp_path, SQLMODEL)
    direct, pipeline, _ = _direct(tmp_path)
    assert direct == {"sqlalchemy": "<2.1.0,>=2.0.14", "pydantic": "<3.0.0,>=1.10.13",
                      "typing-extensions": "", "jinja2": ""}
    codes = {(d.code, d.message.split(":")[0]) for d in pipeline.diagnostics if d.code is not None}
    # pre-commit (requirements.txt installs the project and includes the tests' file) is not a runtime
    # declaration: no "declared but not imported"
    assert not [d for d in pipeline.diagnostics if d.code is Code.DECLARED_UNUSED], codes
    undeclared = {d.message.split(":")[0]: d.message for d in pipeline.diagnostics
                  if d.code is Code.UNDECLARED_IMPORT}
    assert "(only for development, in requirements-tests.txt);" in undeclared["typing_extensions"]


def test_runtime_requirements_files_keep_their_pins(tmp_path):
    """A plain requirements.txt (no -e . with a development include) is still the runtime set."""
    write(tmp_path, {"requirements.txt": "jinja2==3.1.4\n", "app.py": "import jinja2\n"})
    direct, _, _ = _direct(tmp_path)
    assert direct == {"jinja2": "==3.1.4"}
    declared = read_declarations([tmp_path])
    assert not declared.get("jinja2").dev and declared.shipped("jinja2") is not None


def test_dependency_groups_and_poetry_pdm_dev_tables_are_development(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "svc"\nversion = "1"\ndependencies = ["click"]\n'
                          '[project.optional-dependencies]\nfast = ["orjson>=3.9"]\n'
                          '[dependency-groups]\ndev = ["rich==13.0.0"]\n'
                          '[tool.poetry.group.test.dependencies]\nattrs = "==22.1.0"\n'
                          '[tool.pdm.dev-dependencies]\nlint = ["packaging==21.0"]\n',
        "svc/__init__.py": "import click, rich, attr, packaging\ntry:\n    import orjson\nexcept ImportError:\n"
                           "    orjson = None\n",
    })
    direct, _, result = _direct(tmp_path)
    assert direct == {"click": "", "rich": "", "attrs": "", "packaging": ""}
    # an extra is the project's own optional set: its range is carried into the optional requirement
    assert {r.key: r.specifier for r in result.requirements.optional} == {"orjson": ">=3.9"}
    declared = read_declarations([tmp_path])
    assert [d.dev for d in (declared.get(n) for n in ("click", "orjson", "rich", "attrs", "packaging"))] == \
        [False, False, True, True, True]


def test_a_development_declaration_still_chooses_the_provider(tmp_path):
    """Evidence, not a pin: psycopg2-binary in requirements-dev.txt says which distribution ``import
    psycopg2`` means, and its ==2.9.1 stays out."""
    write(tmp_path, {"requirements-dev.txt": "psycopg2-binary==2.9.1\n", "app.py": "import psycopg2\n"})
    direct, _, _ = _direct(tmp_path)
    assert direct == {"psycopg2-binary": ""}


def test_which_requirements_files_are_development_by_name(tmp_path):
    names = {
        "requirements.txt": False, "requirements-prod.txt": False, "requirements-gpu.txt": False,
        "requirements-tests.txt": True, "requirements_dev.txt": True, "requirements-docs-tests.txt": True,
        "requirements-github-actions.txt": True, "requirements-lint.in": True, "requirements-typing.txt": True,
        "dev-requirements.in": True, "test_requirements.txt": True, "requirements/base.txt": False,
        "requirements/test.txt": True, "requirements/dev.in": True, "requirements/extra.txt": False,
    }
    files = {rel: f"pkg{i}\n" for i, rel in enumerate(names)}
    write(tmp_path, files)
    declared = read_declarations([tmp_path])
    got = {Path(d.file).relative_to(tmp_path).as_posix(): d.dev for d in declared.items}
    assert got == names
    assert {Path(d.file).name for d in declared.runtime} == {"requirements.txt", "requirements-prod.txt",
                                                             "base.txt"}

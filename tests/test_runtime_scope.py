"""Runtime scope (tests, docs, --exclude) and user control (--with, --without, extras in --map)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poncho.config import load_options
from poncho.diagnostics import Code
from poncho.errors import ConfigError
from poncho.pipeline import Options, Pipeline
from support.cli import run
from support.tree import write
from support.wheels import build_wheel

TREE = {
    "app/__init__.py": "",
    "app/main.py": "import requests\nimport tests.helpers\n",
    "app/legacy/old.py": "import simplejson\n",
    "app/core_test.py": "import hypothesis\n",
    "tests/__init__.py": "",
    "tests/helpers.py": "",
    "tests/test_main.py": "import pytest\n",
    "conftest.py": "import pytest_asyncio\n",
    "docs/conf.py": "import sphinx_rtd_theme\n",
    "examples/demo.py": "import matplotlib\n",
    "benchmarks/bench.py": "import pyperf\n",
    "noxfile.py": "import nox\n",
    "setup.py": "import setuptools\n",
}


def direct(root: Path | list, **options) -> tuple[set[str], Pipeline]:
    pipeline = Pipeline(Options(cache_dir=None, probe=False, **options))
    result = pipeline.requirements(root if isinstance(root, list) else [root])
    assert not result.requirements.unresolved, result.requirements.unresolved
    return {r.name for r in result.requirements.direct}, pipeline


def test_tests_docs_examples_and_tool_scripts_are_left_out_by_default(tmp_path):
    write(tmp_path, TREE)
    names, pipeline = direct(tmp_path)
    assert names == {"requests", "simplejson"}  # tests.helpers stays first-party though tests/ is not analyzed
    (note,) = [d for d in pipeline.diagnostics if d.code is Code.OUT_OF_SCOPE]
    assert "10 file(s)" in note.message and "tests (3)" in note.message and "setup.py (1)" in note.message
    assert "--include-tests" in note.message


def test_include_tests_adds_them_back(tmp_path):
    write(tmp_path, TREE)
    names, pipeline = direct(tmp_path, include_tests=True)
    assert names >= {"requests", "pytest", "pytest-asyncio", "hypothesis", "sphinx_rtd_theme", "nox", "setuptools"}
    assert not [d for d in pipeline.diagnostics if d.code is Code.OUT_OF_SCOPE]


def test_exclude_globs_from_flags_and_pyproject(tmp_path):
    write(tmp_path, TREE)
    names, _ = direct(tmp_path, exclude=("legacy",))
    assert names == {"requests"}
    names, _ = direct(tmp_path, exclude=("app/legacy/*",))
    assert names == {"requests"}
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n[tool.poncho]\nexclude = ["legacy"]\n'
                                             'include-tests = true\n')
    options = load_options([tmp_path], use_pip_config=False)
    assert options.exclude == ("legacy",) and options.include_tests
    options.cache_dir, options.probe = None, False
    result = Pipeline(options).requirements([tmp_path])
    assert "simplejson" not in {r.name for r in result.requirements.direct}
    assert "pytest" in {r.name for r in result.requirements.direct}


def test_a_file_given_by_name_is_always_analyzed(tmp_path):
    write(tmp_path, TREE)
    names, _ = direct([tmp_path / "setup.py"])
    assert names == {"setuptools"}


def test_a_tests_directory_given_by_name_is_analyzed(tmp_path):
    write(tmp_path, {**TREE, "tests/unit/test_more.py": "import responses\n"})
    names, _ = direct([tmp_path / "tests"])
    # The defaults would leave every file here out; given by name, the tests are what the user asked for.
    assert names == {"pytest", "responses"}


# --- user control -----------------------------------------------------------------------------------

def test_with_and_without_shape_the_direct_set(tmp_path):
    write(tmp_path, {"app.py": "import requests\nimport boto3\n"})
    opts = load_options([tmp_path], use_pip_config=False, with_requirements=["gunicorn>=21", "uvicorn[standard]",
                                                                            "requests[socks]"],
                        without=["boto3"])
    opts.cache_dir, opts.probe = None, False
    pipeline = Pipeline(opts)
    reqs = pipeline.requirements([tmp_path]).requirements
    assert sorted(str(r.requirement) for r in reqs.direct) == ["gunicorn>=21", "requests[socks]", "uvicorn[standard]"]
    gunicorn = next(r for r in reqs.direct if r.name == "gunicorn")
    assert gunicorn.locations == ["with: --with"] and not gunicorn.sites
    assert [r.name for r in reqs.without] == ["boto3"]
    assert any(d.code is Code.USER_CHOICE and "boto3" in d.message for d in pipeline.diagnostics)


def test_with_and_without_in_pyproject_and_bad_values(tmp_path):
    write(tmp_path, {"app.py": "import boto3\n",
                     "pyproject.toml": '[tool.poncho]\nwith = ["gunicorn"]\nwithout = ["boto3"]\n'})
    opts = load_options([tmp_path], use_pip_config=False)
    assert opts.with_requirements == (("gunicorn", "[tool.poncho] with"),) and opts.without == ("boto3",)
    with pytest.raises(ConfigError, match="not a PEP 508 requirement"):
        load_options([tmp_path], use_pip_config=False, with_requirements=["gunicorn>>1"])
    with pytest.raises(ConfigError, match="direct URL"):
        load_options([tmp_path], use_pip_config=False, with_requirements=["x @ https://example.com/x.whl"])
    with pytest.raises(ConfigError, match="not a distribution name"):
        load_options([tmp_path], use_pip_config=False, without=["no such!"])
    (tmp_path / "pyproject.toml").write_text('[tool.poncho]\nwith = "gunicorn"\n')
    with pytest.raises(ConfigError, match="with must be a list of strings"):
        load_options([tmp_path], use_pip_config=False)


@pytest.fixture
def served(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "dask", "2024.1.0", extras=["distributed"],
                                 requires_dist=['distributed==2024.1.0; extra == "distributed"'],
                                 files={"dask/__init__.py": "", "dask/distributed.py": "from distributed import *\n"}))
    index_server.add(build_wheel(w, "distributed", "2024.1.0"))
    index_server.add(build_wheel(w, "gunicorn", "22.0"))
    index_server.add(build_wheel(w, "boto3", "1.0"))
    root = write(tmp_path / "proj", {"app/__init__.py": "", "app/main.py": "from dask.distributed import Client\n"
                                                                          "import boto3\n"})
    return root


def test_map_with_extras_locks_the_extra_and_the_header_records_with_and_without(served, index_server):
    proc = run("app", "--index-url", index_server.url, "--map", "dask.distributed=dask[distributed]",
               "--with", "gunicorn", "--without", "boto3", "-o", "env.lock", cwd=served)
    assert proc.returncode == 0, proc.stderr
    text = (served / "env.lock").read_text()
    assert "dask[distributed]==2024.1.0" in text and "distributed==2024.1.0" in text and "gunicorn==22.0" in text
    pins = {line.split("==")[0].split("[")[0] for line in text.splitlines() if "==" in line and not line.startswith("#")}
    assert pins == {"dask", "distributed", "gunicorn"}
    assert "# NOTE: with: gunicorn" in text and "# NOTE: without: boto3" in text
    assert "# via with: --with" in text
    # check agrees when given the same choices, and names what the lock lacks otherwise.
    same = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, "--map",
               "dask.distributed=dask[distributed]", "--with", "gunicorn", "--without", "boto3", cwd=served)
    assert same.returncode == 0, same.stdout + same.stderr
    other = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=served)
    # The header's `# provided: boto3`, `# with: gunicorn` and `# map:` lines are the lock's contract, so check
    # takes them from the lock when no flag says otherwise (tests/test_with_recorded.py).
    assert other.returncode == 0, other.stdout + other.stderr
    assert "# provided: boto3" in text and "# with: gunicorn" in text
    dropped = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, "--with", "dask", cwd=served)
    assert dropped.returncode == 1 and "PR003 gunicorn" in dropped.stdout  # a --with given again wins


def test_map_without_extras_locks_only_the_base(served, index_server):
    proc = run("app", "--index-url", index_server.url, "--without", "boto3", "--map", "dask.distributed=dask",
               cwd=served)
    assert proc.returncode == 0, proc.stderr
    assert "dask==2024.1.0" in proc.stdout and "distributed==" not in proc.stdout


def test_the_shipped_extras_index_locks_dask_distributed_without_a_map(served, index_server):
    """``index_cache/data/extras-index.tsv`` (built from dask's own code) says dask.distributed needs the extra."""
    proc = run("app", "--index-url", index_server.url, "--without", "boto3", cwd=served)
    assert proc.returncode == 0, proc.stderr
    assert "dask[distributed]==2024.1.0" in proc.stdout and "distributed==2024.1.0" in proc.stdout


def test_check_reports_declarations_as_advice_and_fails_under_strict(served, index_server):
    (served / "pyproject.toml").write_text('[project]\nname = "app"\ndependencies = ["dask", "gunicorn"]\n')
    lock = run("app", "--index-url", index_server.url, "-o", "env.lock", cwd=served)
    assert lock.returncode == 0, lock.stderr
    assert "PR007" in lock.stderr and "PR008" in lock.stderr  # notes while locking
    base = ("check", "app", "--lock", "env.lock", "--index-url", index_server.url)
    proc = run(*base, "--output-format", "json", cwd=served)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # advice: the lock itself is right
    found = {(f["code"], f["message"].split(":")[0], f["severity"]) for f in map(json.loads, proc.stdout.splitlines())}
    assert found == {("PR007", "boto3", "warning"), ("PR008", "gunicorn", "warning")}
    assert run(*base, "--strict", cwd=served).returncode == 1
    quiet = run(*base, "--strict", "--ignore", "PR007", "--ignore", "PR008:gunicorn", cwd=served)
    assert quiet.returncode == 0, quiet.stdout


@pytest.mark.slow
def test_a_lock_with_a_mapped_extra_and_a_with_installs_and_imports(served, index_server, tmp_path):
    from venvs import make_venv
    from venvs import run as venv_run

    (served / "app" / "main.py").write_text("from dask.distributed import Client\n")
    # The code path the extra serves really needs `distributed` at import time.
    proc = run("app", "--index-url", index_server.url, "--map", "dask.distributed=dask[distributed]",
               "--with", "gunicorn", "-o", "env.lock", cwd=served)
    assert proc.returncode == 0, proc.stderr
    python = make_venv(tmp_path / "venv")
    inst = venv_run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                     index_server.url, "-r", str(served / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert venv_run([str(python), "-m", "pip", "check"]).returncode == 0
    imp = venv_run([str(python), "-c", "import dask.distributed, distributed, gunicorn"])
    assert imp.returncode == 0, imp.stderr


def test_declared_but_unused_is_said_only_when_the_whole_project_is_analyzed(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "app"\ndependencies = ["requests", "gunicorn"]\n',
                     "app/__init__.py": "", "app/main.py": "import requests\n\n\ndef handler():\n    import yaml\n"})

    def codes(paths):
        pipeline = Pipeline(Options(cache_dir=None, probe=False))
        pipeline.requirements(paths)
        return {(d.code.value, d.message.split(":")[0]) for d in pipeline.diagnostics if d.code.value in ("PR007", "PR008")}

    assert codes([tmp_path]) == {("PR007", "PyYAML"), ("PR008", "gunicorn")}
    assert codes([tmp_path / "app" / "main.py"]) == {("PR007", "PyYAML")}
    assert codes([f"{tmp_path / 'app' / 'main.py'}:handler"]) == {("PR007", "PyYAML")}


PACKAGED = {
    "pyproject.toml": '[project]\nname = "app"\nversion = "1"\n',
    "app/__init__.py": "import requests\n",
    "app/scripts/__init__.py": "import click\n",  # a package's scripts subpackage ships: it stays
    "docs_src/tutorial/main.py": "import fastapi\n",
    "scripts/docs.py": "import mkdocs\n",
    "pdm_build.py": "import pdm.backend\n",
    "hatch_build.py": "import hatchling\n",
    "build.py": "import setuptools\n",
}


def test_docs_src_root_scripts_and_build_hooks_are_left_out_of_a_packaged_project(tmp_path):
    write(tmp_path, PACKAGED)
    names, pipeline = direct(tmp_path)
    assert names == {"requests", "click"}
    (note,) = [d for d in pipeline.diagnostics if d.code is Code.OUT_OF_SCOPE]
    for why in ("docs_src (1)", "./scripts (1)", "./pdm_build.py (1)", "./hatch_build.py (1)", "./build.py (1)"):
        assert why in note.message
    names, _ = direct(tmp_path, include_tests=True)
    assert {"fastapi", "mkdocs", "hatchling", "setuptools"} <= names


def test_scripts_and_build_py_stay_in_a_tree_that_is_not_a_packaged_project(tmp_path):
    """No pyproject/setup.py/setup.cfg: an application's scripts/ may be what it runs."""
    files = {k: v for k, v in PACKAGED.items() if k != "pyproject.toml"}
    write(tmp_path, files)
    names, _ = direct(tmp_path)
    assert names == {"requests", "click", "mkdocs", "setuptools", "hatchling", "pdm-backend"}


def test_a_scripts_directory_given_by_name_is_analyzed(tmp_path):
    write(tmp_path, PACKAGED)
    names, _ = direct(tmp_path / "scripts")
    assert names == {"mkdocs"}

"""Mapping by evidence: who owns a path, names that never map or are usually local, what the project declares."""

from __future__ import annotations

import pytest

from poncho.analysis.declared import poetry_specifier, read_declarations
from poncho.analysis.sites import ImportSite
from poncho.diagnostics import Code
from poncho.index_cache import NameGate, ShippedIndex, Source, default_mapper, name_rules
from poncho.index_cache.build.results import INDEXED, ProjectResult
from poncho.index_cache.build.store import index_rows, render_index
from poncho.index_cache.names import parse_names
from poncho.index_cache.requirements import requirements_from_sites
from poncho.index_cache.wheel_files import loose_directories, package_children, provided_modules
from poncho.pipeline import Options, Pipeline
from support.tree import write


def site(module: str, name: str | None = None, file: str = "app.py", line: int = 1) -> ImportSite:
    return ImportSite(file, line, module, imported_name=name)


def indexed(project: str, rank: int, names: list[str]) -> ProjectResult:
    """A builder result computed from a wheel's file list, as the crawler does."""
    provided, _ = provided_modules(names)
    return ProjectResult(project, rank, INDEXED, provides=sorted(provided),
                         children=sorted(package_children(names, provided)),
                         loose=sorted(loose_directories(names, provided)))


# --- ownership -------------------------------------------------------------------------------------

@pytest.fixture
def grafted_index(tmp_path) -> ShippedIndex:
    """Django, a distribution shipping only django/utils/six.py, and an Airflow provider (a real package)."""
    results = [
        indexed("Django", 528, ["django/__init__.py", "django/utils/__init__.py", "django/utils/timezone.py",
                                "django/db/__init__.py"]),
        indexed("django-utils-six", 8937, ["django/utils/six.py"]),
        indexed("apache-airflow-core", 1511, ["airflow/__init__.py", "airflow/operators/__init__.py"]),
        indexed("apache-airflow-providers-amazon", 300, ["airflow/providers/amazon/__init__.py",
                                                         "airflow/providers/amazon/aws/__init__.py"]),
    ]
    path = tmp_path / "import-index.tsv"
    path.write_text(render_index(results))
    return ShippedIndex(path)


def test_a_loose_directory_inside_another_package_is_indexed_by_its_modules():
    six = indexed("django-utils-six", 8937, ["django/utils/six.py"])
    assert six.provides == ["django.utils"] and six.loose == ["django.utils"]
    django = indexed("Django", 528, ["django/__init__.py", "django/utils/__init__.py"])
    rows = {(p, d) for p, d, _ in index_rows([django, six])}
    assert rows == {("django", "Django"), ("django.utils.six", "django-utils-six")}
    # Alone (nobody else ships django/), the directory is its own and keeps its row.
    assert {(p, d) for p, d, _ in index_rows([six])} == {("django.utils", "django-utils-six")}


def test_a_row_of_another_distribution_wins_only_at_or_below_itself(grafted_index):
    mapper = default_mapper(index=grafted_index)
    reqs = requirements_from_sites([site("django.utils", "timezone"), site("django.db.models")], mapper)
    assert [r.name for r in reqs.direct] == ["Django"]
    six = requirements_from_sites([site("django.utils", "six", line=2)], mapper)
    assert [r.name for r in six.direct] == ["django-utils-six"]
    # A regular package inside another's keeps its whole subtree.
    assert mapper.map("airflow.providers.amazon.aws.hooks.s3").distribution == "apache-airflow-providers-amazon"
    assert mapper.map("airflow.operators.bash").distribution == "apache-airflow-core"


def test_the_shipped_index_gives_django_utils_to_django():
    reqs = requirements_from_sites([site("django.utils", "timezone"), site("django.utils.six", line=2)],
                                   default_mapper())
    assert {r.name: [s.module for s in r.sites] for r in reqs.direct} == {
        "Django": ["django.utils"], "django-utils-six": ["django.utils.six"]}


def test_an_unknown_module_in_a_shared_namespace_is_not_the_roots_owner():
    index = ShippedIndex()  # the shipped data: azure-storage and azure-storage-nspkg both ship azure/storage/
    mapper = default_mapper(index=index)
    assert index.shared_namespace("azure.storage") and index.shared_namespace("google.cloud")
    assert not index.shared_namespace("psycopg2")  # psycopg2 and psycopg2-binary ship all of it: variants
    assert mapper.map("azure.storage.blob").distribution == "azure-storage-blob"
    assert not mapper.map("azure.storage.brand_new_service").resolved
    assert not mapper.map("sphinxcontrib.not_a_real_extension").resolved
    assert mapper.map("psycopg2.not_yet_indexed").distribution == "psycopg2"
    reqs = requirements_from_sites([site("azure.storage", "brand_new_service"), site("azure.storage", "blob", line=2)],
                                   mapper)
    assert [r.name for r in reqs.direct] == ["azure-storage-blob"]
    assert list(reqs.unresolved) == ["azure.storage.brand_new_service"]
    assert "namespace several distributions share" in reqs.why_unresolved["azure.storage.brand_new_service"]


@pytest.mark.parametrize("module, name, dist", [("jwt", "encode", "PyJWT"), ("urllib3", "PoolManager", "urllib3"),
                                              ("setuptools", "setup", "setuptools"), ("docker", "APIClient", "docker"),
                                              ("polars", "DataFrame", "polars")])
def test_variants_and_forks_of_one_package_are_not_namespaces(module, name, dist):
    # Several distributions ship these top-level names, each its own way; an attribute imported from
    # them is still the chosen provider's, never "unknown portion of a namespace".
    assert not ShippedIndex().shared_namespace(module)
    reqs = requirements_from_sites([site(module, name)], default_mapper())
    assert [r.name for r in reqs.direct] == [dist] and not reqs.unresolved


def test_an_unknown_namespace_portion_goes_to_the_probe_not_the_root_owner():
    asked: list[str] = []

    class Probe:
        source = Source.PROBE

        def lookup(self, module):
            asked.append(module)
            return None

    mapper = default_mapper()
    mapper.sources.append(Probe())
    assert not mapper.map("google.cloud.not_indexed_yet").resolved
    assert asked == ["google.cloud.not_indexed_yet"]


@pytest.mark.parametrize("module", ["__main__", "__mp_main__", "__builtin__", "java.util", "java", "javax.swing",
                                    "com.sun.net.httpserver"])
def test_runtime_names_never_map_and_are_not_unmapped_imports(module):
    reqs = requirements_from_sites([site(module)], default_mapper())
    assert not reqs.direct and not reqs.unresolved
    assert [s.module for s in reqs.runtime] == [module]
    (note,) = reqs.diagnostics()
    assert note.code is Code.RUNTIME_PROVIDED and "run time" in note.message


def test_only_com_sun_is_jython_not_every_com_package():
    assert default_mapper().map("com.vmware.vapi").distribution == "vmware-vapi-common-client"
    assert name_rules().is_runtime("com.sun.x") and not name_rules().is_runtime("com.vmware")


def test_a_user_mapping_still_beats_the_rules():
    mapper = default_mapper(overrides=["java=my-java-shim", "config=my-config-dist"])
    assert mapper.map("java.util").distribution == "my-java-shim"
    assert mapper.map("config").distribution == "my-config-dist"


def test_the_name_lists_are_data_and_a_typo_is_caught():
    rules = parse_names("[runtime]\n__main__  # comment\n[usually-local]\nconfig\n")
    assert rules.runtime == {"__main__"} and rules.usually_local == {"config"}
    with pytest.raises(ValueError, match="unknown section"):
        parse_names("[runtimes]\nx\n")
    with pytest.raises(ValueError, match="dotted name"):
        parse_names("not-in-a-section\n")
    assert {"config", "settings", "utils", "common", "helpers", "constants"} <= name_rules().usually_local


# --- usually-local names -------------------------------------------------------------------------------

def test_usually_local_names_need_evidence_from_the_project():
    # The shipped index knows a `config` project and a `utils` project; without evidence neither is used.
    assert ShippedIndex().candidates("config") and ShippedIndex().candidates("utils")
    reqs = requirements_from_sites([site("config"), site("utils.paths", line=2), site("yaml", line=3)],
                                   default_mapper())
    assert [r.name for r in reqs.direct] == ["PyYAML"]
    assert set(reqs.unresolved) == {"config", "utils.paths"}
    messages = {d.message for d in reqs.diagnostics() if d.code is Code.UNMAPPED}
    assert any("'config' is usually the project's own module" in m and "--map config=DIST" in m for m in messages)


def test_a_declared_distribution_is_the_evidence():
    mapper = default_mapper(declared={"config": "pyproject.toml"})
    m = mapper.map("config")
    assert m.distribution == "config" and "declares" in m.reason


def test_the_probe_is_never_asked_about_a_usually_local_name():
    asked: list[str] = []

    def factory():
        asked.append("made")
        raise AssertionError("the probe must not be built for a usually-local name")

    mapper = default_mapper(probe_index=factory, index=ShippedIndex())
    assert not mapper.map("settings.local").resolved
    assert not mapper.map("helpers").resolved
    assert asked == []
    gate = NameGate()
    assert gate.lookup("numpy") is None  # anything else passes on


# --- declared dependencies ---------------------------------------------------------------------------------

PYPROJECT = """\
[project]
name = "svc"
dependencies = [
    "psycopg2-binary>=2.9",
    "dask[distributed]>=2024.1",
    "not a requirement !!",
]
[project.optional-dependencies]
s3 = ["boto3<2"]
[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
[tool.poetry.dependencies]
python = "^3.10"
httpx = {version = "^0.27", extras = ["http2"]}
[tool.poetry.group.docs.dependencies]
sphinx = "~7.2"
[tool.pdm.dev-dependencies]
bench = ["asv"]
"""


def test_declarations_are_read_from_every_usual_place_without_running_anything(tmp_path):
    marker = tmp_path / "EXECUTED"
    write(tmp_path, {
        "pyproject.toml": PYPROJECT,
        "setup.cfg": "[options]\ninstall_requires =\n    attrs>=23\n    cattrs ; python_version >= '3.11'\n"
                     "[options.extras_require]\nyaml = PyYAML\n",
        "requirements.txt": "# runtime\nrequests==2.32.3 \\\n    --hash=sha256:abc\n-r other.txt\n-e .\nrich  # pretty\n",
        "requirements-dev.txt": "mypy\n",
        "setup.py": f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n",
        "svc/__init__.py": "",
    })
    declared = read_declarations([tmp_path])
    assert not marker.exists()
    got = {(d.requirement.name, str(d.requirement.specifier), d.group) for d in declared.items}
    assert got == {
        ("psycopg2-binary", ">=2.9", None), ("dask", ">=2024.1", None), ("boto3", "<2", "[s3]"),
        ("pytest", ">=8", "group test"), ("ruff", "", "group lint"), ("httpx", "<0.28,>=0.27", None),
        ("sphinx", "<7.3,>=7.2", "group docs"), ("asv", "", "group bench"), ("attrs", ">=23", None),
        ("cattrs", "", None), ("PyYAML", "", "[yaml]"), ("requests", "==2.32.3", None), ("rich", "", None),
        ("mypy", "", "requirements-dev.txt"),
    }
    assert declared.get("dask").requirement.extras == {"distributed"}
    assert declared.get("httpx").requirement.extras == {"http2"}
    assert declared.get("requests").line == 2 and declared.get("requests").file.endswith("requirements.txt")
    (bad,) = declared.diagnostics
    assert "not a requirement !!" in bad.message and bad.file.endswith("pyproject.toml")
    assert {d.requirement.name for d in declared.runtime} >= {"psycopg2-binary", "requests", "attrs"}


@pytest.mark.parametrize("spec, pep440", [("^1.2", ">=1.2,<2"), ("^0.3.1", ">=0.3.1,<0.4"), ("~1.2.3", ">=1.2.3,<1.3"),
                                          ("1.4", "==1.4"), ("*", ""), (">=1, <2", ">=1,<2"), ("~=1.4", "~=1.4")])
def test_poetry_constraints_become_pep440(spec, pep440):
    assert poetry_specifier(spec) == pep440


def test_declared_variant_wins_and_its_range_and_extras_reach_resolution(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "svc"\ndependencies = ["psycopg2-binary>=2.9", '
                          '"dask[distributed]>=2024.1"]\n',
        "svc/__init__.py": "import psycopg2\nimport dask\n",
    })
    undeclared = requirements_from_sites([site("psycopg2")], default_mapper())
    assert [r.name for r in undeclared.direct] == ["psycopg2"]  # by name, without evidence
    result = Pipeline(Options(cache_dir=None, probe=False)).requirements([tmp_path])
    direct = {r.name: r for r in result.requirements.direct}
    assert str(direct["psycopg2-binary"].requirement) == "psycopg2-binary>=2.9"
    assert "declares it (pyproject.toml)" in direct["psycopg2-binary"].mappings[0].reason
    assert str(direct["dask"].requirement) == "dask[distributed]>=2024.1"


def test_imports_and_declarations_disagreeing_are_notes_when_locking(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "svc"\ndependencies = ["requests", "gunicorn"]\n'
                          '[project.optional-dependencies]\nyaml = ["PyYAML"]\n',
        "svc/__init__.py": "import requests\nimport yaml\nimport attr\n",
    })
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    pipeline.requirements([tmp_path])
    found = {(d.code, d.message.split(":")[0]) for d in pipeline.diagnostics
             if d.code in (Code.UNDECLARED_IMPORT, Code.DECLARED_UNUSED)}
    assert found == {(Code.UNDECLARED_IMPORT, "attrs"), (Code.DECLARED_UNUSED, "gunicorn")}


def test_a_project_that_declares_nothing_gets_no_declaration_notes(tmp_path):
    write(tmp_path, {"svc/__init__.py": "import requests\n"})
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    pipeline.requirements([tmp_path])
    assert not [d for d in pipeline.diagnostics if d.code in (Code.UNDECLARED_IMPORT, Code.DECLARED_UNUSED)]


# --- context ---------------------------------------------------------------------------------------

def test_a_declaration_settles_an_ambiguous_name(tmp_path):
    # ninja: the build tool (most downloaded) or django-ninja; the project's declaration decides.
    assert [r.name for r in requirements_from_sites([site("ninja")], default_mapper()).direct] == ["ninja"]
    write(tmp_path, {"pyproject.toml": '[project]\nname = "svc"\ndependencies = ["django-ninja", "Django"]\n',
                     "svc/__init__.py": "import ninja\nimport django\n"})
    declared = read_declarations([tmp_path])
    reqs = requirements_from_sites([site("ninja"), site("django", line=2)],
                                   default_mapper(declared=declared.where()), declared=declared)
    assert [r.name for r in reqs.direct] == ["Django", "django-ninja"]


# --- lazy optional integrations ------------------------------------------------------------------------

LAZY_LIB = {
    "pyproject.toml": '[project]\nname = "lib"\ndependencies = ["numpy", "requests"]\n'
                      '[project.optional-dependencies]\nsql = ["SQLAlchemy>=2"]\n',
    "lib/__init__.py": "import numpy\nfrom ._optional import import_optional_dependency\n\n\n"
                       "def read_sql(q):\n    import sqlalchemy\n    return sqlalchemy.text(q)\n\n\n"
                       "def to_parquet(df):\n    return import_optional_dependency('pyarrow')\n\n\n"
                       "def fetch(url):\n    import requests\n    return requests.get(url)\n\n\n"
                       "def plot():\n    import matplotlib\n",
    "lib/_optional.py": "def import_optional_dependency(name):\n    ...\n",
    "tests/test_lib.py": "import pytest\nnp = pytest.importorskip('scipy')\n",
}


def test_lazy_optional_integrations_are_told_apart_by_evidence(tmp_path):
    write(tmp_path, LAZY_LIB)
    pipeline = Pipeline(Options(cache_dir=None, probe=False, include_tests=True))
    reqs = pipeline.requirements([tmp_path]).requirements
    # numpy: module level. requests: a lazy import of a runtime dependency (faster start-up) stays required.
    # matplotlib: inside a function but declared nowhere: no evidence it is optional, so required.
    assert {r.name for r in reqs.direct} == {"numpy", "requests", "matplotlib", "pytest"}
    optional = {r.name: r.lazy for r in reqs.optional}
    # SQLAlchemy: only in a function and declared only in the [sql] extra; pyarrow: loaded by an
    # optional-import helper; scipy: pytest.importorskip.
    assert optional == {"SQLAlchemy": "imported only inside functions and declared only in the extra [sql]",
                        "pyarrow": None, "scipy": None}
    notes = [d.message for d in pipeline.diagnostics if d.code is Code.OPTIONAL_LEFT_OUT]
    assert any("SQLAlchemy (imported only inside functions and declared only in the extra [sql])" in m for m in notes)
    locked = Pipeline(Options(cache_dir=None, probe=False, include_optional=True)).requirements([tmp_path])
    assert {"SQLAlchemy", "pyarrow"} <= {r.name for r in locked.requirements.direct}


def test_explain_shows_the_declaration_and_the_classification(tmp_path):
    from poncho.explain import explain

    write(tmp_path, LAZY_LIB)
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    text = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "sqlalchemy",
                   pipeline.declarations([tmp_path]))
    assert "declared: SQLAlchemy>=2 in pyproject.toml [sql]" in text
    assert "classified: optional integration" in text and "extra [sql]" in text
    helper = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "pyarrow")
    assert "import_optional_dependency('pyarrow')" in helper and "optional-import helper" in helper


def test_the_probe_itself_needs_evidence_for_a_usually_local_name(index_server, tmp_path):
    from poncho.index_cache.probe import LiveProbe
    from poncho.net import SimpleIndex, make_session
    from support.wheels import build_wheel

    index_server.add(build_wheel(tmp_path / "w", "config", "1.0", files={"config/__init__.py": ""}))
    index_server.add(build_wheel(tmp_path / "w", "javaish", "1.0", files={"java/__init__.py": ""}))
    index = SimpleIndex(make_session(None), index_server.url)
    assert LiveProbe(index, cache_dir=None).lookup("config") is None
    assert LiveProbe(index, cache_dir=None).lookup("java.util") is None
    assert not index_server.requests_for("/simple/")  # nothing was even asked
    found = LiveProbe(index, cache_dir=None, declared=frozenset({"config"})).lookup("config.loader")
    assert found is not None and found.distribution == "config"


PLACED_LIB = {
    "pyproject.toml": '[project]\nname = "lib"\ndependencies = ["numpy", "jax"]\n',
    "lib/__init__.py": "import numpy\n\n\ndef register_cupy():\n    import cupy\n    return cupy\n\n\n"
                       "class Accelerators:\n    def _register_jax(self):\n        import jax\n\n\n"
                       "def plot():\n    import matplotlib\n",
    "lib/contrib/__init__.py": "",
    "lib/contrib/cache.py": "import redis\n",
    "lib/integrations/__init__.py": "",
    "lib/integrations/track.py": "def hook():\n    import wandb\n",
    "lib/views.py": "def page():\n    import jinja2\n",
}


def test_placement_and_registration_hooks_are_evidence_of_an_optional_integration(tmp_path):
    from poncho.explain import explain

    write(tmp_path, PLACED_LIB)
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    reqs = pipeline.requirements([tmp_path]).requirements
    # jax sits in a registration hook but is a declared runtime dependency: the declaration wins.
    # matplotlib and jinja2: inside ordinary functions, declared nowhere: no evidence, so required.
    assert {r.name for r in reqs.direct} == {"numpy", "jax", "matplotlib", "Jinja2"}
    optional = {r.name: r.lazy for r in reqs.optional}
    assert optional["redis"] == ("imported only under contrib/, integrations/ or backends/ and declared "
                                 "nowhere among the project's dependencies")
    assert optional["wandb"] == "imported only inside functions under contrib/, integrations/ or backends/ and declared nowhere"
    assert [v for k, v in optional.items() if k.startswith("cupy")] == [
        "imported only inside registration hooks (register_*) and declared nowhere"]
    text = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "wandb", pipeline.declarations([tmp_path]))
    assert "classified: optional integration" in text and "integrations/" in text


def test_a_module_level_import_under_contrib_stays_required_in_a_project_that_declares_nothing(tmp_path):
    # An application with no dependency list: its contrib/ module is part of the program, and
    # nothing says redis is optional.
    write(tmp_path, {"app/__init__.py": "", "app/contrib/__init__.py": "", "app/contrib/cache.py": "import redis\n",
                     "app/backends/__init__.py": "", "app/backends/mail.py": "def send():\n    import boto3\n"})
    reqs = Pipeline(Options(cache_dir=None, probe=False)).requirements([tmp_path]).requirements
    assert {r.name for r in reqs.direct} == {"redis"}
    assert {r.name for r in reqs.optional} == {"boto3"}


def test_a_checkout_in_a_folder_named_backends_is_not_an_integration(tmp_path):
    # The folder is where the project lives, not a package of it: a lazy import there stays required.
    root = tmp_path / "backends"
    write(root, {"app/__init__.py": "", "app/mail.py": "def send():\n    import boto3\n",
                 "tool.py": "def run():\n    import requests\n"})
    reqs = Pipeline(Options(cache_dir=None, probe=False)).requirements([root]).requirements
    assert {r.name for r in reqs.direct} == {"boto3", "requests"} and not reqs.optional

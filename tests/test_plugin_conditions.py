"""Plugin needs that hold under another distribution's version, extras from rules, dropped modules.

A bare ``postgresql://`` loads psycopg2 under SQLAlchemy < 2.1 and psycopg (3)
from 2.1 on; the kept alternative travels with its condition, so the resolver
can only lock a SQLAlchemy that loads the locked driver.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from venvs import make_venv, run

from poncho.analysis.sites import ImportSite, Kind
from poncho.errors import ExitCode, ResolutionError
from poncho.index_cache import default_mapper
from poncho.index_cache.conditions import implies, meets
from poncho.index_cache.dropped import DroppedListError, parse_dropped
from poncho.index_cache.requirements import requirements_from_sites
from poncho.pipeline import Options, Pipeline
from support.tree import write
from support.wheels import build_wheel

ENGINE = 'import os\nimport sqlalchemy\nengine = sqlalchemy.create_engine(os.getenv("DATABASE_URL", "postgresql://u@h/db"))\n'


def direct(root: Path) -> dict[str, Requirement]:
    result = Pipeline(Options(cache_dir=None, probe=False)).requirements([root])
    return {r.name: r.requirement for r in result.requirements.direct}


def reqs(*texts: str) -> set[Requirement]:
    return {Requirement(t) for t in texts}


def test_a_bare_dialect_without_evidence_takes_the_newest_driver_and_its_sqlalchemy(tmp_path):
    got = direct(write(tmp_path, {"app.py": ENGINE}))
    assert set(got.values()) == reqs("psycopg", "SQLAlchemy>=2.1")


@pytest.mark.parametrize("declared, driver, sqlalchemy", [
    ('"SQLAlchemy>=1.4,<2.1"', "psycopg2", "SQLAlchemy<2.1,>=1.4"),
    ('"SQLAlchemy~=2.0.30"', "psycopg2", "SQLAlchemy~=2.0.30"),  # the declared range implies <2.1
    ('"SQLAlchemy==2.1.3"', "psycopg", "SQLAlchemy==2.1.3"),
    ('"SQLAlchemy>=2.1"', "psycopg", "SQLAlchemy>=2.1"),
    ('"psycopg2-binary>=2.9"', "psycopg2-binary>=2.9", "SQLAlchemy<2.1"),  # a declared driver decides
    ('"SQLAlchemy>=2.0", "psycopg[binary]"', "psycopg[binary]", "SQLAlchemy>=2.0,>=2.1"),  # range spans both
])
def test_the_declared_range_or_driver_chooses_the_alternative(tmp_path, declared, driver, sqlalchemy):
    got = direct(write(tmp_path, {"pyproject.toml": f'[project]\nname = "svc"\ndependencies = [{declared}]\n',
                                  "svc/__init__.py": ENGINE}))
    assert set(got.values()) == reqs(driver, sqlalchemy)


def test_django_postgresql_backend_follows_the_django_version(tmp_path):
    settings = 'import django\nDATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}\n'
    assert set(direct(write(tmp_path / "new", {"settings.py": settings})).values()) == reqs("Django>=4.2", "psycopg")
    old = write(tmp_path / "old", {"pyproject.toml": '[project]\nname = "site"\ndependencies = ["Django>=3.2,<4.0"]\n',
                                   "settings.py": settings})
    assert set(direct(old).values()) == reqs("Django>=3.2,<4.0", "psycopg2")


def test_the_choice_is_explained_on_the_kept_site(tmp_path):
    result = Pipeline(Options(cache_dir=None, probe=False)).requirements([write(tmp_path, {"app.py": ENGINE})])
    psycopg = next(r for r in result.requirements.direct if r.name == "psycopg")
    (site,) = psycopg.sites
    assert site.condition == "sqlalchemy>=2.1" and "needs sqlalchemy>=2.1" in site.note


def test_every_conditioned_site_agrees_on_one_sqlalchemy(tmp_path):
    app = ('import sqlalchemy as sa\nENGINES = [sa.create_engine("postgresql://h/a"), sa.create_engine("oracle://h/b")]\n'
           'import pandas as pd\nframe = pd.read_sql("select 1", "postgres://h/c")\n')
    got = direct(write(tmp_path, {"app.py": app}))
    assert {"psycopg", "oracledb", "SQLAlchemy"} <= set(got) and not {"psycopg2", "cx-Oracle", "cx_Oracle"} & set(got)
    assert got["SQLAlchemy"] == Requirement("SQLAlchemy>=2.1")
    declared = write(tmp_path / "old", {"requirements.txt": "SQLAlchemy<2.1\npandas\n", "app.py": app})
    got = direct(declared)
    assert {"psycopg2", "cx-Oracle"} <= {n.replace("_", "-") for n in got} and "psycopg" not in got


def test_explain_names_each_alternative_and_its_condition(tmp_path):
    from poncho.explain import explain

    write(tmp_path, {"app.py": ENGINE})
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    text = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "psycopg2")
    assert "an alternative, needed only with sqlalchemy<2.1" in text


def test_an_optional_driver_imposes_nothing():
    s = ImportSite("app.py", 3, "psycopg", kind=Kind.PLUGIN, rule="r", condition="sqlalchemy>=2.1")
    alt = ImportSite("app.py", 3, "psycopg2", kind=Kind.PLUGIN, rule="r", condition="sqlalchemy<2.1")
    from dataclasses import replace

    from poncho.analysis.sites import Guard
    got = requirements_from_sites([replace(s, guard=Guard.OPTIONAL), replace(alt, guard=Guard.OPTIONAL)],
                                  default_mapper())
    assert got.direct == [] and [r.name for r in got.optional] == ["psycopg"]


@pytest.mark.parametrize("a, b, expected", [
    ("<2.1", ">=2.1", False), (">=1.4,<2.1", "<2.1", True), ("~=2.0.30", ">=2.1", False),
    ("==2.1.3", ">=2.1", True), (">=2.0", "<2.1", True), ("", ">=2.1", True),
])
def test_ranges_meet(a, b, expected):
    assert meets(SpecifierSet(a), SpecifierSet(b)) is expected


@pytest.mark.parametrize("a, b, expected", [
    ("==6.1", ">=4.2", True), (">=3.2,<4.0", "<4.2", True), (">=2.0", ">=2.1", False), ("", ">=2.1", False),
])
def test_ranges_imply(a, b, expected):
    assert implies(SpecifierSet(a), SpecifierSet(b)) is expected


# --- extras named by a rule -------------------------------------------------------------------------

def test_a_storage_backend_needs_the_extra_that_brings_its_sdk(tmp_path):
    settings = ('STORAGES = {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}\n'
                'STORAGES["default"] = {}\n'
                'STORAGES["default"]["BACKEND"] = "storages.backends.s3boto3.S3Storage"\n'
                'MIDDLEWARE = []\nMIDDLEWARE.append("whitenoise.middleware.WhiteNoiseMiddleware")\n')
    got = direct(write(tmp_path, {"settings.py": settings}))
    assert set(got.values()) == reqs("django-storages[s3]", "whitenoise")


# --- modules newer releases dropped -----------------------------------------------------------------

def test_pkg_resources_maps_to_the_last_setuptools_that_ships_it(tmp_path):
    assert set(direct(write(tmp_path, {"app.py": "import pkg_resources\n"})).values()) == reqs("setuptools<82.0.0")
    declared = write(tmp_path / "d", {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["setuptools>=70"]\n',
                                      "x/__init__.py": "from pkg_resources import iter_entry_points\n"})
    assert set(direct(declared).values()) == reqs("setuptools>=70,<82.0.0")


def test_the_dropped_table_is_data_and_a_bad_row_is_caught():
    assert parse_dropped("# c\nfoo.bar\tfoo\t2.0\twheel 1.9 has it\n")["foo.bar"].removed_in.major == 2
    with pytest.raises(DroppedListError):
        parse_dropped("foo\tfoo\tnot-a-version\tx\n")


def test_a_user_mapping_beats_the_bound():
    got = requirements_from_sites([ImportSite("a.py", 1, "pkg_resources")],
                                  default_mapper(overrides={"pkg_resources": "setuptools"}))
    assert [str(r.requirement) for r in got.direct] == ["setuptools"]


# --- the lock: the driver and the SQLAlchemy that loads it ------------------------------------------

@pytest.mark.parametrize("declared, expected", [
    (None, {"sqlalchemy": "2.1.2", "psycopg": "3.2.0"}),
    ('"SQLAlchemy<2.1"', {"sqlalchemy": "2.0.40", "psycopg2": "2.9.10"}),
])
def test_the_lock_pairs_the_driver_with_a_sqlalchemy_that_loads_it(tmp_path, index_server, declared, expected):
    w = tmp_path / "w"
    for name, version in [("SQLAlchemy", "2.0.40"), ("SQLAlchemy", "2.1.2"), ("psycopg", "3.2.0"),
                          ("psycopg2", "2.9.10")]:
        index_server.add(build_wheel(w, name, version))
    files = {"app/__init__.py": ENGINE}
    if declared:
        files["pyproject.toml"] = f'[project]\nname = "app"\ndependencies = [{declared}]\n'
    root = write(tmp_path / "src", files)
    options = Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache", probe=False)
    lock = Pipeline(options).lock([root]).lock
    assert {e.name.lower(): e.version for e in lock.entries} == expected


def test_the_corpus_settings_carry_the_extra_and_the_django_range(repo):
    result = Pipeline(Options(cache_dir=None, probe=False)).requirements([repo / "corpora" / "tricky_patterns"])
    got = {r.name: r for r in result.requirements.direct}
    assert got["django-storages"].extras == ("s3",)
    assert str(got["Django"].requirement) == "Django>=4.2"
    assert got["whitenoise"].sites[0].line > 10  # the MIDDLEWARE.insert line


def _sqlalchemy_wheels(w: Path) -> list[Path]:
    """SQLAlchemy releases whose create_engine imports each one's default postgresql driver, as the real ones do."""
    engine = ("def create_engine(url):\n    import importlib\n    assert url.startswith('postgresql://')\n"
              "    return importlib.import_module({driver!r})\n")
    return [build_wheel(w, "SQLAlchemy", "2.0.40", files={"sqlalchemy/__init__.py": engine.format(driver="psycopg2")}),
            build_wheel(w, "SQLAlchemy", "2.1.2", files={"sqlalchemy/__init__.py": engine.format(driver="psycopg")}),
            build_wheel(w, "psycopg", "3.2.0"), build_wheel(w, "psycopg2", "2.9.10")]


@pytest.mark.slow
@pytest.mark.parametrize("declared", [None, '"SQLAlchemy>=1.4,<2.1"'])
def test_the_locked_app_connects_with_the_driver_its_sqlalchemy_loads(tmp_path, index_server, declared):
    for wheel in _sqlalchemy_wheels(tmp_path / "w"):
        index_server.add(wheel)
    files = {"app/__init__.py": "", "app/main.py": ENGINE + "print(engine.__name__)\n"}
    if declared:
        files["pyproject.toml"] = f'[project]\nname = "app"\ndependencies = [{declared}]\n'
    root = write(tmp_path / "src", files)
    options = Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache", probe=False)
    Pipeline(options).lock([root]).lock.write(tmp_path / "env.lock")
    python = make_venv(tmp_path / "venv")
    inst = run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                index_server.url, "-r", str(tmp_path / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    out = run([str(python), "-m", "app.main"], cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("psycopg2" if declared else "psycopg")


def test_a_dependency_that_holds_sqlalchemy_back_is_a_conflict_not_a_broken_lock(tmp_path, index_server):
    """Without the condition the lock would pair psycopg with SQLAlchemy 2.0, which imports psycopg2."""
    for wheel in [*_sqlalchemy_wheels(tmp_path / "w"),
                  build_wheel(tmp_path / "w", "oldorm", "1.0", requires_dist=["SQLAlchemy<2.1"])]:
        index_server.add(wheel)
    root = write(tmp_path / "src", {"app/__init__.py": ENGINE + "import oldorm\n"})
    options = Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache", probe=False,
                      mappings=("oldorm=oldorm",))
    with pytest.raises(ResolutionError) as caught:
        Pipeline(options).lock([root])
    assert caught.value.exit_code == ExitCode.RESOLUTION and "app/__init__.py" in str(caught.value)
    # the fix the evidence rule offers: declare the range (or the driver) and psycopg2 is chosen
    write(root, {"requirements.txt": "SQLAlchemy<2.1\noldorm\n"})
    lock = Pipeline(options).lock([root]).lock
    assert {e.name.lower(): e.version for e in lock.entries} == {"sqlalchemy": "2.0.40", "psycopg2": "2.9.10",
                                                                 "oldorm": "1.0"}

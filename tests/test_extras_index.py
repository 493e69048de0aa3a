"""Extras per submodule and reverse-dependency evidence, built by the index builder from a loopback index.

The builder reads the wheels' own ``.py`` files with range requests (never
executing them) and their ``Requires-Dist``; the lookup then maps
``cloudy.remote`` to ``cloudy[remote]`` and ``crontab`` to the provider
projects depend on. The lock and ``explain`` tests use the tables the
builder wrote, through the same pipeline users run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from poncho.index_cache import default_mapper
from poncho.index_cache.build import BuildOptions, build
from poncho.index_cache.build.extras import (
    ExtrasLimits,
    compact_rows,
    extra_requirements,
    unconditional_import_lines,
)
from poncho.index_cache.build.store import MANIFEST_FILE
from poncho.index_cache.shipped import DEPENDENTS_FILE, EXTRAS_FILE, INDEX_FILE, Candidate, ShippedIndex, choose
from support.wheels import build_wheel, metadata_text

CLOUDY = {
    "cloudy/__init__.py": "import json\n",
    # the hint pattern: cannot be imported without the extra
    "cloudy/remote.py": "try:\n    import wirelib\nexcept ImportError as e:\n"
                        "    raise ImportError('pip install cloudy[remote]') from e\n",
    "cloudy/frames/__init__.py": "from .core import Frame\n",  # needs the extra through its own submodule
    "cloudy/frames/core.py": "import tablelib\nclass Frame: pass\n",
    "cloudy/frames/io.py": "import os\n",  # under cloudy.frames: needs what the package needs, no row of its own
    "cloudy/lazy.py": "def f():\n    import tablelib\n",  # inside a function: optional
    "cloudy/maybe.py": "try:\n    import wirelib\nexcept ImportError:\n    wirelib = None\n",  # optional
    "cloudy/guarded.py": "import sys\nif sys.version_info > (9,):\n    import tablelib\n",  # may not run
    "cloudy/base.py": "import corelib\n",  # a base requirement: no extra
    # deeplib is listed by the remote extra, but corelib (a base requirement) requires it anyway
    "cloudy/deep.py": "import deeplib\n",
    # a bundled copy on sys.path (setuptools' _vendor): the extra that lists fastlib is not needed
    "cloudy/_vendor/fastlib/__init__.py": "",
    "cloudy/bundled.py": "import fastlib\n",
    "cloudy/tests/test_remote.py": "import wirelib\nimport pytest\n",  # the library's tests: never a row
}


def populate(server, tmp: Path) -> list[str]:
    """Serve cloudy (extras ``remote``, ``frames``, ``all``), its dependencies, and a crontab tie."""
    w = tmp / "wheels"
    server.add(build_wheel(w, "cloudy", "1.0", files=CLOUDY, extras=["remote", "frames", "speed", "all", "test"],
                           requires_dist=["corelib>=1", 'wirelib>=2; extra == "remote"', 'deeplib; extra == "remote"', 'fastlib; extra == "speed"',
                                          'tablelib; extra == "frames"', 'cloudy[remote,frames]; extra == "all"',
                                          'wirelib; extra == "test"', 'pytest; extra == "test"']))
    server.add(build_wheel(w, "wirelib", "2.0", files={"wirelib/__init__.py": "VERSION = 2\n"}))
    server.add(build_wheel(w, "tablelib", "1.0", files={"tablelib/__init__.py": ""}))
    server.add(build_wheel(w, "corelib", "1.0", files={"corelib/__init__.py": ""}, requires_dist=["deeplib"]))
    server.add(build_wheel(w, "deeplib", "1.0", files={"deeplib/__init__.py": ""}))
    server.add(build_wheel(w, "fastlib", "1.0", files={"fastlib/__init__.py": ""}))
    # two providers of `crontab`: the same-named one ranks better, the other is what projects require
    server.add(build_wheel(w, "crontab", "1.0", files={"crontab/__init__.py": ""}))
    server.add(build_wheel(w, "python-crontab", "3.0", files={"crontab.py": "", "cronlog.py": ""}))
    for i in range(3):
        server.add(build_wheel(w, f"app{i}", "1.0", files={f"app{i}/__init__.py": ""},
                               requires_dist=["python-crontab>=2", 'crontab; extra == "never"' if i == 0 else "corelib"],
                               extras=["never"] if i == 0 else ()))
    return ["crontab", "python-crontab", "cloudy", "wirelib", "tablelib", "corelib", "deeplib", "fastlib", "app0",
            "app1", "app2"]


@pytest.fixture
def built(tmp_path_factory, index_server) -> Path:
    tmp = tmp_path_factory.mktemp("extras")
    names = populate(index_server, tmp)
    listing = tmp / "top.tsv"
    listing.write_text("rank\tname\n" + "".join(f"{i}\t{n}\n" for i, n in enumerate(names, 1)))
    out = tmp / "out"
    manifest = build(BuildOptions(out_dir=out, index_url=index_server.url, input=listing, workers=2,
                                  progress=None, extras_top=5))
    assert manifest["errors"] == 0
    return out


def rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]


def test_the_builder_records_which_submodules_need_which_extras(built):
    assert rows(built / EXTRAS_FILE) == [["cloudy.frames", "cloudy", "frames"], ["cloudy.remote", "cloudy", "remote"]]
    import json

    step = json.loads((built / MANIFEST_FILE).read_text())["extras"]
    (cloudy,) = [p for p in step["projects"] if p["project"] == "cloudy"]
    assert cloudy["modules"] == 12 and cloudy["extras"] == ["all", "frames", "remote", "speed", "test"]
    assert step["rows"] == 2 and step["limits"]["files"] == ExtrasLimits().files
    # app0 declares an extra with a requirement but imports nothing the extra brings
    assert [p["rows"] for p in step["projects"] if p["project"] == "app0"] == [0]


def test_the_builder_counts_dependents_of_distributions_that_share_an_import(built):
    # app0 requires crontab only through an extra; it still names it in Requires-Dist
    assert rows(built / DEPENDENTS_FILE) == [["crontab", "1"], ["python-crontab", "3"]]


def test_the_lookup_maps_a_submodule_to_its_extra_and_the_package_to_the_base(built):
    index = ShippedIndex(built / INDEX_FILE)
    assert index.lookup("cloudy").extras == ()
    assert index.lookup("cloudy.remote").extras == ("remote",)
    deep = index.lookup("cloudy.frames.io")  # importing it runs cloudy.frames first
    assert deep.distribution == "cloudy" and deep.extras == ("frames",)
    assert "cloudy[frames]" in deep.reason and "cloudy.frames imports" in deep.reason
    for plain in ("cloudy.lazy", "cloudy.maybe", "cloudy.guarded", "cloudy.base", "cloudy.deep", "cloudy.bundled"):
        assert index.lookup(plain).extras == (), plain


def test_dependents_decide_a_tie_before_the_name_and_the_download_rank(built):
    index = ShippedIndex(built / INDEX_FILE)
    found = index.lookup("crontab")
    assert found.distribution == "python-crontab", found.reason
    assert "3 crawled projects require it, 1 require crontab" in found.reason
    assert dict(found.dependents) == {"crontab": 1, "python-crontab": 3}
    # without the table the same-named, better-ranked project wins as before
    (built / DEPENDENTS_FILE).unlink()
    assert ShippedIndex(built / INDEX_FILE).lookup("crontab").distribution == "crontab"


def test_choose_needs_clear_evidence_and_the_project_declaration_still_wins():
    weak = [Candidate("crontab", 10, 2), Candidate("python-crontab", 50, 4)]
    assert choose("crontab", weak)[0].distribution == "crontab"  # not more than 2 x 2: the name decides
    few = [Candidate("crontab", 10, 0), Candidate("python-crontab", 50, 2)]
    assert choose("crontab", few)[0].distribution == "crontab"  # too few to count as evidence
    clear = [Candidate("crontab", 10, 2), Candidate("python-crontab", 50, 5)]
    assert choose("crontab", clear)[0].distribution == "python-crontab"
    assert choose("crontab", clear, {"crontab": "pyproject.toml"})[0].distribution == "crontab"
    # a variant of the same-named project (name + suffix) is the resolver's choice, not the evidence's
    variant = [Candidate("psycopg2", 555, 8), Candidate("psycopg2-binary", 147, 29)]
    assert choose("psycopg2.extras", variant)[0].distribution == "psycopg2"


def test_the_shipped_dependents_settle_known_ambiguities():
    index = ShippedIndex()
    assert index.lookup("Xlib.display").distribution == "python-xlib"  # not the unrelated, same-named xlib
    assert index.lookup("psycopg2").distribution == "psycopg2"
    assert index.dependents("PyJWT") > 10 and index.dependents("no-such-project") == 0


def test_a_lock_from_the_built_tables_contains_the_extras_dependency(built, index_server, tmp_path):
    from poncho.pipeline import Options, lock

    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("from cloudy.remote import x\nimport cloudy.frames\nfrom crontab import CronTab\n")
    mapper = default_mapper(index=ShippedIndex(built / INDEX_FILE))
    result = lock([root], Options(index_urls=(index_server.url,), cache_dir=None, probe=False, mapper=mapper))
    assert {e.name for e in result.entries} == {"cloudy", "wirelib", "tablelib", "corelib", "deeplib",
                                                "python-crontab"}
    text = result.render("requirements")
    assert "cloudy[frames,remote]==1.0" in text or "cloudy[remote,frames]==1.0" in text, text


def test_explain_shows_the_extra_and_the_dependents(built, tmp_path):
    from poncho.analysis import analyze
    from poncho.explain import explain

    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("from cloudy.remote import x\nfrom crontab import CronTab\n")
    mapper = default_mapper(index=ShippedIndex(built / INDEX_FILE))
    text = explain(analyze([root]), mapper, "cloudy.remote")
    assert "needs: cloudy[remote]" in text and "cloudy.remote imports what only that extra requires" in text
    text = explain(analyze([root]), mapper, "crontab")
    assert "provided by python-crontab" in text and "required by crawled projects: python-crontab 3, crontab 1" in text


def test_shipped_extras_map_dask_distributed_and_dataframe():
    index = ShippedIndex()
    assert index.lookup("dask.distributed").extras == ("distributed",)
    assert index.lookup("dask.dataframe").extras == ("dataframe",)
    assert index.lookup("dask").extras == () and index.lookup("dask.array").extras == ("array",)


def test_extra_requirements_expand_self_references_and_leave_development_extras_out():
    meta = metadata_text("dask", "1.0", ["numpy; extra == 'array'", "dask[array]; extra == 'dataframe'",
                                         "pandas; extra == 'dataframe'", "pytest; extra == 'test'", "click"],
                         extras=["array", "dataframe", "test"]).encode()
    name, extras, base, by_extra = extra_requirements(meta)
    assert (name, extras, base) == ("dask", ["array", "dataframe", "test"], {"click"})
    assert by_extra == {"array": {"numpy"}, "dataframe": {"numpy", "pandas"}}


def test_only_statements_that_always_run_count():
    src = (b"import a\nif x:\n    import b\ntry:\n    import c\nexcept ImportError:\n    c = None\n"
           b"try:\n    import d\nexcept ImportError as e:\n    raise SystemExit(e)\n"
           b"try:\n    import f\nexcept ImportError:\n    def g():\n        raise\nwith x:\n    import h\n"
           b"with suppress(ImportError):\n    import i\n")
    assert unconditional_import_lines(src) == {1, 9, 18}


def test_rows_under_a_package_with_the_same_extras_are_left_out():
    found = {"p.a": ("x",), "p.a.b": ("x",), "p.a.c": ("x", "y"), "p.d": ("y",)}
    assert compact_rows("p", found) == [("p.a", "p", "x"), ("p.a.c", "p", "x,y"), ("p.d", "p", "y")]


@pytest.mark.slow
def test_a_lock_from_the_built_tables_installs_and_the_submodule_imports(built, index_server, tmp_path):
    """The extra's dependency is in the lock, and `cloudy.remote` (which re-raises without it) imports."""
    from venvs import make_venv
    from venvs import run as venv_run

    from poncho.pipeline import Options, lock

    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("from cloudy.remote import wirelib\n")
    mapper = default_mapper(index=ShippedIndex(built / INDEX_FILE))
    result = lock([root], Options(index_urls=(index_server.url,), cache_dir=None, probe=False, mapper=mapper))
    path = result.write(root / "env.lock")
    python = make_venv(tmp_path / "venv")
    inst = venv_run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                     index_server.url, "-r", str(path)])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    imp = venv_run([str(python), "-c", "import cloudy.remote; print(cloudy.remote.wirelib.VERSION)"])
    assert imp.returncode == 0 and imp.stdout.strip() == "2", imp.stderr

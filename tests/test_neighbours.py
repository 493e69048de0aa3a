"""The neighbour rule: a project's other distributions choose among several providers of an import.

The shipped-data tests run the real tables (``neighbours.tsv`` from a crawl of
the top 15,000 projects) through the same mapping a lock uses; the rule tests
use a small synthetic index the builder's own writer produces.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from poncho.analysis.declared import read_declarations
from poncho.analysis.sites import ImportSite
from poncho.index_cache import ShippedIndex, default_mapper
from poncho.index_cache.build.contexts import CONTEXTS, changes
from poncho.index_cache.build.results import INDEXED, ProjectResult
from poncho.index_cache.build.store import (
    NEIGHBOURS_BUNDLE,
    co_requirements,
    render_dependents,
    render_index,
    render_neighbours,
)
from poncho.index_cache.neighbours import NEIGHBOURS_FILE, Neighbourhood, parse_row, supports
from poncho.index_cache.requirements import project_context, requirements_from_sites
from poncho.index_cache.shipped import DEPENDENTS_FILE, INDEX_FILE, Candidate, choose
from poncho.pipeline import Options, Pipeline
from support.tree import write


def site(module: str, file: str = "app.py", line: int = 1, name: str | None = None) -> ImportSite:
    return ImportSite(file, line, module, imported_name=name)


def direct(modules: list[str], **kw) -> list[str]:
    sites = [site(m, line=i) for i, m in enumerate(modules, 1)]
    return [r.name for r in requirements_from_sites(sites, default_mapper(**kw)).direct]


# --- the shipped tables --------------------------------------------------------------------------------

def test_ninja_in_a_django_project_is_django_ninja_and_alone_the_build_tool(tmp_path):
    write(tmp_path / "svc", {"api/__init__.py": "", "api/views.py": "from ninja import NinjaAPI\n",
                             "api/models.py": "from django.db import models\n"})
    write(tmp_path / "tool", {"build.py": "import ninja\n"})
    found = Pipeline(Options(cache_dir=None, probe=False)).requirements([tmp_path / "svc"]).requirements
    assert [r.name for r in found.direct] == ["Django", "django-ninja"]
    alone = Pipeline(Options(cache_dir=None, probe=False)).requirements([tmp_path / "tool"]).requirements
    assert [r.name for r in alone.direct] == ["ninja"]


def test_a_django_project_importing_dotenv_gets_python_dotenv():
    # the regression a name-based rule (`django-*` in a Django project) caused: django-dotenv
    assert direct(["dotenv", "django", "rest_framework"]) == ["Django", "djangorestframework", "python-dotenv"]


def test_evidence_both_ways_decides_nothing():
    # Django says django-ninja, numpy says the build tool: the next rule (dependents) keeps ninja
    assert direct(["ninja", "django", "numpy"]) == ["Django", "ninja", "numpy"]


def test_declarations_still_come_first(tmp_path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "b"\ndependencies = ["ninja", "Django"]\n',
                     "b/__init__.py": "import ninja\nimport django\n"})
    declared = read_declarations([tmp_path])
    reqs = requirements_from_sites([site("ninja"), site("django", line=2)],
                                   default_mapper(declared=declared.where()), declared=declared)
    assert [r.name for r in reqs.direct] == ["Django", "ninja"]


def test_a_declared_distribution_is_context_too(tmp_path):
    # nothing imports django here; the project declares it (requirements.txt)
    write(tmp_path, {"requirements.txt": "Django>=5\n", "api.py": "import ninja\n"})
    found = Pipeline(Options(cache_dir=None, probe=False)).requirements([tmp_path]).requirements
    assert [r.name for r in found.direct] == ["django-ninja"]


def test_the_choice_does_not_depend_on_the_order_of_the_files():
    modules = ["ninja", "django", "requests", "dotenv", "rest_framework", "celery"]
    picks = set()
    for seed in range(5):
        random.Random(seed).shuffle(modules)
        mapper = default_mapper()
        sites = [site(m, file=f"m{i}.py") for i, m in enumerate(modules)]
        picks.add((project_context(sites, mapper), tuple(direct(modules))))
    assert len(picks) == 1
    (context, names), = picks
    assert "django-ninja" in names and "python-dotenv" in names
    assert "django" in context and "django-ninja" not in context  # ambiguous imports are not evidence


def test_explain_shows_the_matched_neighbours_and_counts(tmp_path):
    from poncho.explain import explain

    write(tmp_path, {"api.py": "from ninja import NinjaAPI\nimport django\n"})
    pipeline = Pipeline(Options(cache_dir=None, probe=False))
    text = explain(pipeline.analyze([tmp_path]), pipeline.mapper([tmp_path]), "ninja")
    assert "provided by django-ninja" in text
    hood = ShippedIndex().neighbourhood("django-ninja")
    assert f"django-ninja: django {hood.count('django')} of {hood.projects} (supported by django)" in text
    assert "projects that use what this project uses require it" in text


def test_what_typical_contexts_change_in_the_shipped_index():
    # The list the data README records, every change checked by hand; a new table must be checked again.
    total, found = changes(ShippedIndex())
    assert total > 5000
    assert {(c.context, c.path, c.before, c.after) for c in found} == {("django", "ninja", "ninja", "django-ninja")}
    assert set(CONTEXTS) == {"django", "data-science", "async-web"}


def test_the_table_ships_in_the_package_data():
    text = (Path(__import__("poncho.index_cache", fromlist=["x"]).__file__).parent / "data" / NEIGHBOURS_FILE)
    rows = [parse_row(line.split("\t")) for line in text.read_text().splitlines() if not line.startswith("#")]
    assert rows and all(r is not None for r in rows)


# --- the rule, on a synthetic index --------------------------------------------------------------------

def project(name: str, rank: int, requires: list[str] = (), provides: list[str] = (),
            extra_only: list[str] = ()) -> ProjectResult:
    return ProjectResult(name, rank, INDEXED, provides=list(provides), requires=sorted([*requires, *extra_only]),
                         base_requires=sorted(requires))


def synthetic(tmp: Path, results: list[ProjectResult]) -> ShippedIndex:
    (tmp / INDEX_FILE).write_text(render_index(results))
    (tmp / DEPENDENTS_FILE).write_text(render_dependents(results))
    (tmp / NEIGHBOURS_FILE).write_text(render_neighbours(results))
    return ShippedIndex(tmp / INDEX_FILE)


def kite_world(web_users: int = 3, *, tool_users: int = 8) -> list[ProjectResult]:
    """`kite`: provided by the popular build tool `kite` and by `webkite`, which web projects use."""
    out = [project("kite", 10, provides=["kite"]), project("webkite", 500, ["webfw"], provides=["kite"]),
           project("webfw", 20, provides=["webfw"]), project("numlib", 5, provides=["numlib"])]
    out += [project(f"web{i}", 100 + i, ["webfw", "webkite", "requests"]) for i in range(web_users)]
    out += [project(f"sci{i}", 200 + i, ["kite", "numlib", "requests"]) for i in range(tool_users)]
    return out


def test_the_neighbours_pick_the_provider_web_projects_use(tmp_path):
    index = synthetic(tmp_path, kite_world())
    assert index.lookup("kite").distribution == "kite"
    found = index.lookup_declared("kite", None, frozenset({"webfw"}))
    assert found.distribution == "webkite", found.reason
    assert [(e.distribution, e.matched, e.supported_by) for e in found.neighbours] == \
        [("webkite", (("webfw", 4),), ("webfw",))]  # 3 dependents and webkite's own Requires-Dist
    # a neighbour every candidate's users share (requests) is popularity, not evidence
    assert index.lookup_declared("kite", None, frozenset({"requests"})).distribution == "kite"
    # evidence both ways: nothing decided here
    assert index.lookup_declared("kite", None, frozenset({"webfw", "numlib"})).distribution == "kite"


def test_too_few_projects_are_not_evidence(tmp_path):
    # one web project plus webkite's own word: 2 < 3
    index = synthetic(tmp_path, kite_world(web_users=1))
    assert index.lookup_declared("kite", None, frozenset({"webfw"})).distribution == "kite"


def test_no_move_away_from_a_pick_nothing_is_known_about():
    # two crawled projects require the build tool (and it was not crawled itself): what webkite's users
    # require says nothing about kite's users, so popularity (the later rules) decides, not `webfw`
    web = Neighbourhood(5, (("webfw", 5),), 0, frozenset())
    for known, pick in ((2, "kite"), (3, "webkite")):
        tool = Neighbourhood(known, (("numlib", known),), 0, None)
        cands = [Candidate("kite", 10, 3, tool), Candidate("webkite", 500, 5, web)]  # dependents: no decision
        assert choose("kite", cands, None, frozenset({"webfw"}))[0].distribution == pick


def test_a_variant_is_not_chosen_by_neighbours():
    hood = Neighbourhood(9, (("webfw", 9),), 0, frozenset())
    cands = [Candidate("kite", 10, 5, Neighbourhood(9, (("numlib", 9),), 0, frozenset())),
             Candidate("kite-binary", 5, 5, hood)]
    assert choose("kite", cands, None, frozenset({"webfw"}))[0].distribution == "kite"


def test_a_cut_short_list_counts_its_floor_for_the_other_candidates():
    mine = Neighbourhood(4, (("webfw", 4),), 0, frozenset())  # 4 of its 5 projects (itself included)
    # the other's list stops below 4: it may have 3 projects with webfw of 21, a share far below 4/5
    assert supports("webfw", mine, [Neighbourhood(20, (("numlib", 15),), 3, frozenset())]) is True
    # ... but below 6, it may have 5: more projects than `mine`
    assert supports("webfw", mine, [Neighbourhood(20, (("numlib", 15),), 5, frozenset())]) is False
    assert supports("webfw", mine, [Neighbourhood(3, (), 2, frozenset())]) is False  # 4/5 vs 2/4: not twice


def test_the_builder_counts_runtime_requirements_and_leaves_bundles_out():
    results = kite_world()
    results.append(project("docs-only", 900, ["webfw"], extra_only=["webkite"]))  # a dev extra says nothing
    results.append(project("bundle", 901, ["webkite", *[f"stub{i}" for i in range(NEIGHBOURS_BUNDLE)]]))
    counted = co_requirements(results, {"webkite", "kite"})
    assert counted["webkite"][0] == 3 and counted["webkite"][1]["webfw"] == 3
    assert counted["kite"][1]["numlib"] == 8 and "stub0" not in counted["webkite"][1]
    rows = dict(r for r in (parse_row(line.split("\t")) for line in render_neighbours(results).splitlines()[1:])
                if r is not None)
    assert rows["webkite"] == Neighbourhood(3, (("requests", 3), ("webfw", 3)), 0, frozenset({"webfw"}))
    assert rows["kite"].requires == frozenset() and rows["kite"].dependents == 8


@pytest.mark.parametrize("seed", [1, 2])
def test_the_table_is_the_same_bytes_whatever_the_order_of_the_results(seed):
    results = kite_world()
    shuffled = list(results)
    random.Random(seed).shuffle(shuffled)
    assert render_neighbours(shuffled) == render_neighbours(results)


# --- end to end: the builder's table, a lock, a real install ---------------------------------------------

@pytest.mark.slow
def test_a_django_app_importing_ninja_installs_the_web_framework(index_server, tmp_path):
    """The builder crawls a loopback index where `ninja` is both a build tool and a Django web framework;
    a tree importing it with Django locks django-ninja, which installs with --require-hashes and runs."""
    from venvs import make_venv, run

    from poncho.index_cache.build import BuildOptions, build
    from poncho.pipeline import Options, lock
    from support.wheels import build_wheel

    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "ninja", "1.11", files={"ninja/__init__.py": "KIND = 'build tool'\n"}))
    index_server.add(build_wheel(w, "django-ninja", "1.4", files={"ninja/__init__.py": "KIND = 'web'\n"},
                                 requires_dist=["Django>=4"]))
    index_server.add(build_wheel(w, "Django", "5.2", files={"django/__init__.py": "VERSION = (5, 2)\n"}))
    index_server.add(build_wheel(w, "numlib", "2.0", files={"numlib/__init__.py": ""}))
    names = ["ninja", "numlib", "Django", "django-ninja"]
    for i in range(4):  # projects that require the build tool
        index_server.add(build_wheel(w, f"sci{i}", "1.0", files={f"sci{i}/__init__.py": ""},
                                     requires_dist=["ninja", "numlib"]))
        names.append(f"sci{i}")
    for i in range(3):  # Django apps that require django-ninja
        index_server.add(build_wheel(w, f"webapp{i}", "1.0", files={f"webapp{i}/__init__.py": ""},
                                     requires_dist=["django-ninja", "Django"]))
        names.append(f"webapp{i}")
    listing = tmp_path / "top.tsv"
    listing.write_text("rank\tname\n" + "".join(f"{i}\t{n}\n" for i, n in enumerate(names, 1)))
    out = tmp_path / "out"
    assert build(BuildOptions(out_dir=out, index_url=index_server.url, input=listing, workers=2,
                              progress=None))["errors"] == 0
    assert "webapp" not in (out / NEIGHBOURS_FILE).read_text()  # only distributions sharing an import

    def locked(files: dict[str, str]) -> tuple[Path, str]:
        root = write(tmp_path / str(len(files)), files)
        result = lock([root], Options(index_urls=(index_server.url,), cache_dir=None, probe=False,
                                      mapper=default_mapper(index=ShippedIndex(out / INDEX_FILE))))
        return root, result.render("requirements")

    _, tool = locked({"build.py": "import ninja\n"})
    assert "ninja==1.11" in tool and "django-ninja" not in tool
    root, text = locked({"app.py": "import django\nimport ninja\n\nprint(ninja.KIND, django.VERSION[0])\n",
                         "settings.py": ""})
    assert "django-ninja==1.4" in text and "\nninja==" not in text, text
    (root / "env.lock").write_text(text)
    python = make_venv(tmp_path / "venv")
    inst = run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                index_server.url, "-r", str(root / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    ran = run([str(python), str(root / "app.py")])
    assert ran.returncode == 0 and ran.stdout.strip() == "web 5", ran.stderr


def test_a_row_written_with_a_non_canonical_name_is_found_by_its_canonical_one(tmp_path):
    """``parse_row`` canonicalizes a row's distribution; the lookup keys rows the same way, so a hand-edited
    or older table (``WebKite``) answers for ``webkite`` as the builder's row does."""
    index = synthetic(tmp_path, kite_world())
    table = tmp_path / NEIGHBOURS_FILE
    expected = index.neighbourhood("webkite")
    assert expected.projects > 0
    table.write_text("".join(line.replace("webkite\t", "WebKite\t", 1) if line.startswith("webkite\t") else line
                             for line in table.read_text().splitlines(keepends=True)))
    assert "WebKite\t" in table.read_text()
    again = ShippedIndex(tmp_path / INDEX_FILE)
    assert again.neighbourhood("webkite") == expected and again.neighbourhood("WEBKITE") == expected

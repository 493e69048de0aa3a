"""First-party detection by Python's import semantics."""

from __future__ import annotations

from pathlib import Path

from poncho.analysis import analyze
from support.tree import write


def classes(result) -> dict[str, str]:
    return {s.module: result.classify(s) for s in result.sites}


def test_packages_own_yaml_does_not_hide_pyyaml(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/yaml.py": "", "pkg/main.py": "import yaml\nfrom . import yaml as local\n"})
    c = classes(analyze([tmp_path], cache=False))
    assert c["yaml"] == "third-party" and c["pkg.yaml"] == "first-party"


def test_top_level_module_of_the_app_shadows(tmp_path):
    app = tmp_path / "app"
    write(app, {"main.py": "import requests\n", "requests.py": "import json\n"})
    assert classes(analyze([app], cache=False))["requests"] == "first-party"


def test_package_dir_given_directly_is_rooted_at_its_parent(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/util.py": "", "pkg/main.py": "import pkg.util\nimport util\n"})
    c = classes(analyze([tmp_path / "pkg"], cache=False))
    assert c["pkg.util"] == "first-party" and c["util"] == "third-party"


def test_src_layout(tmp_path):
    write(tmp_path, {"src/mylib/__init__.py": "import mylib.core\nimport attrs\n", "src/mylib/core.py": "",
                     "tests/test_x.py": "import mylib\n"})
    c = classes(analyze([tmp_path], cache=False))
    assert c["mylib.core"] == "first-party" and c["mylib"] == "first-party" and c["attrs"] == "third-party"


def test_namespace_package_maps_by_portion(tmp_path):
    write(tmp_path, {"src/google/myproject/__init__.py": "import google.protobuf\nimport google.myproject.x\n",
                     "src/google/myproject/x.py": ""})
    c = classes(analyze([tmp_path], cache=False))
    assert c["google.myproject.x"] == "first-party" and c["google.protobuf"] == "third-party"


def test_entry_script_directory_and_file_given_directly(tmp_path):
    write(tmp_path, {"scripts/run.py": "import helper\nimport yaml\n", "scripts/helper.py": "", "lib/other.py": "import helper\n"})
    c = {(s.file.rsplit("/", 2)[-2], s.module): r for s, r in
         ((s, analyze([tmp_path], cache=False).classify(s)) for s in analyze([tmp_path], cache=False).sites)}
    assert c[("scripts", "helper")] == "first-party"
    assert c[("lib", "helper")] == "third-party"  # helper is visible only to scripts/ files
    single = analyze([tmp_path / "scripts" / "run.py"], cache=False)
    assert {s.module: single.classify(s) for s in single.sites} == {"helper": "first-party", "yaml": "third-party"}


def test_pyproject_first_party_override(tmp_path):
    write(tmp_path, {"pyproject.toml": '[tool.poncho]\nfirst-party = ["internal_sdk"]\n', "app.py": "import internal_sdk\n"})
    assert classes(analyze([tmp_path], cache=False))["internal_sdk"] == "first-party"


def test_package_root_and_pyproject_follow_one_rule(tmp_path, monkeypatch):
    from poncho.analysis.roots import file_roots, find_pyproject, package_root, source_roots

    (tmp_path / "proj/pkg/sub").mkdir(parents=True)
    for init in ("proj/pkg/__init__.py", "proj/pkg/sub/__init__.py", "proj/pkg/sub/mod.py"):
        (tmp_path / init).write_text("")
    (tmp_path / "proj/pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'monorepo'\n")
    proj, mod = tmp_path / "proj", tmp_path / "proj/pkg/sub/mod.py"
    for given in (proj, proj / "pkg", proj / "pkg/sub", mod):
        assert package_root(given) == proj
        assert source_roots(given) == [proj]
        assert find_pyproject([given]) == proj / "pyproject.toml"
    assert file_roots(mod) == [proj.resolve(), mod.parent.resolve()]
    assert find_pyproject([f"{mod}:f"]) == proj / "pyproject.toml"
    monkeypatch.chdir(proj / "pkg")  # a module entry is looked up from the working directory
    assert find_pyproject(["pkg.sub.mod:f"]) is None
    monkeypatch.chdir(proj)
    assert find_pyproject(["pkg.sub.mod:f"]) == Path("pyproject.toml")

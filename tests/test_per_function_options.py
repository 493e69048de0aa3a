"""Per-function options: a module's top-level imports (--with-module-imports), a target string and one lock for
several functions (requirements_for / lock_for)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

import poncho
from poncho.errors import ConfigError
from poncho.pipeline import Options
from support.cli import run as cli
from support.wheels import build_wheel

HANDLERS = '''
import json

import yaml


def render(event):
    return yaml.safe_dump(event)


def thumbnail(event):
    import imgkit
    return imgkit.open(event["path"])


def send(event):
    import mailkit
    return mailkit.send(json.dumps(event))
'''


@pytest.fixture
def handlers(tmp_path):
    path = tmp_path / "handlers.py"
    path.write_text(HANDLERS)
    sys.modules.pop("handlers", None)
    spec = importlib.util.spec_from_file_location("handlers", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["handlers"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("handlers", None)


def _modules(analysis):
    return sorted({s.top_level for s in analysis.third_party})


def test_module_imports_are_added_only_when_asked(handlers):
    assert _modules(poncho.requirements_for(handlers.thumbnail)) == ["imgkit"]
    # Importing `handlers` by reference (Dask, Lambda) also runs `import yaml`; function-local imports
    # of the module's other functions (mailkit) do not run.
    assert _modules(poncho.requirements_for(handlers.thumbnail, with_module_imports=True)) == ["imgkit", "yaml"]


def test_several_functions_and_a_target_string(handlers):
    both = poncho.requirements_for([handlers.thumbnail, handlers.send], target="cp312-manylinux_2_28_x86_64")
    assert _modules(both) == ["imgkit", "mailkit"]
    assert both.python_version == (3, 12)
    with pytest.raises(ConfigError):
        poncho.requirements_for(handlers.send, target="cp312-manylinux_2_28_x86_64", python_version="3.11")
    with pytest.raises(ConfigError):
        poncho.requirements_for([])


def test_lock_for_several_functions_makes_one_lock_for_the_target(handlers, index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "imgkit", "1.0"))
    index_server.add(build_wheel(w, "mailkit", "2.0", requires_dist=["smtpfast"]))
    index_server.add(build_wheel(w, "smtpfast", "1.1"))
    lock = poncho.lock_for([handlers.thumbnail, handlers.send], index_url=index_server.url,
                           target="cp312-manylinux_2_28_x86_64", use_pip_config=False)
    assert [(e.name, e.version) for e in lock.entries] == [("imgkit", "1.0"), ("mailkit", "2.0"),
                                                           ("smtpfast", "1.1")]
    assert (lock.python, lock.platform) == ("3.12", "manylinux_2_28_x86_64")  # the minor: no patch was pinned
    options = Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache", with_module_imports=True)
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    lock = poncho.lock_for(handlers.thumbnail, options)
    assert [e.name for e in lock.entries] == ["imgkit", "PyYAML"]


def test_cli_with_module_imports(handlers, tmp_path):
    entry = f"{tmp_path / 'handlers.py'}:thumbnail"
    plain = cli(entry, "--no-resolve", "--no-probe", "--map", "imgkit=imgkit", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert [line for line in plain.stdout.splitlines() if not line.startswith(" ")] == ["imgkit"]
    more = cli(entry, "--no-resolve", "--no-probe", "--map", "imgkit=imgkit", "--with-module-imports", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert [line for line in more.stdout.splitlines() if not line.startswith(" ")] == ["imgkit", "PyYAML"]

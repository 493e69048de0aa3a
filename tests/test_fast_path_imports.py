"""The fast paths load only what the caches leave to do: no HTTP client when the caches answer, no resolvelib
when the resolution cache does, no libcst when nothing is parsed.

Each run is a real CLI lock (or ``poncho.lock_for``) in a fresh interpreter against the loopback index; the
child prints ``sys.modules`` when it is done. A test fails as soon as someone adds an eager import on the path
(requests at the top of a module a cache hit reads, resolvelib under the lock builder ...). Timings live in
``benchmarks/lock_for.py`` and ``benchmarks/resolve.py``; the import discipline that makes them is tested here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.wheels import build_wheel, serve_yaml_fastjson

HTTP = {"requests", "urllib3", "cachecontrol", "ssl", "http.client", "poncho.net.session"}
RESOLVER = {"resolvelib", "poncho.resolver.solve", "poncho.resolver.provider"}
PARSER = {"libcst"}

CLI = ("import json, sys\nfrom poncho.cli import main\nrc = main(sys.argv[1:])\n"
       "print(json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n")


def _child(code: str, args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), stdin=subprocess.DEVNULL, timeout=120)
    assert proc.stdout.strip(), proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["rc"], set(result["modules"]), proc.stderr


def _lock(app: Path, url: str, *extra: str) -> tuple[set[str], str]:
    rc, modules, err = _child(CLI, ["main.py", "-o", "env.lock", "--index-url", url, "-q", *extra], app)
    assert rc == 0, err
    return modules, (app / "env.lock").read_text()


@pytest.fixture
def served(index_server, tmp_path):
    serve_yaml_fastjson(index_server, tmp_path / "wheels")
    return index_server


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "main.py").write_text("import yaml\nimport fastjson\n")
    return root


def test_a_repeated_lock_loads_no_http_client_no_resolver_and_no_parser(app, served):
    cold, first = _lock(app, served.url)
    assert HTTP & cold and RESOLVER & cold  # the probe sees them when the run needs them: the test can fail
    served.log.clear()
    warm, again = _lock(app, served.url)
    assert again == first and served.log == []
    assert "poncho.resolver.cache" in warm  # the resolution cache answered
    assert not (HTTP | RESOLVER | PARSER) & warm, sorted((HTTP | RESOLVER | PARSER) & warm)


def test_a_repeated_lock_with_a_local_find_links_directory_lists_it_without_the_http_client(app, served, tmp_path):
    """pip's find-links (this machine sets PIP_FIND_LINKS) is re-read every time: a directory needs no HTTP."""
    house = tmp_path / "house"
    build_wheel(house, "speedups", "2.5")  # the wheelhouse serves speedups; the index the rest
    _, first = _lock(app, served.url, "--find-links", str(house))
    assert "file://" in first or "speedups==2.5" in first
    served.log.clear()
    warm, again = _lock(app, served.url, "--find-links", str(house))
    assert again == first and served.log == []
    assert not (HTTP | RESOLVER) & warm, sorted((HTTP | RESOLVER) & warm)


def test_an_offline_re_resolution_reads_the_caches_without_the_http_client(app, served):
    """No resolution-cache entry (a changed requirement set, --refresh-style): resolvelib runs over the page and
    metadata caches, and nothing loads requests."""
    _, first = _lock(app, served.url)
    shutil.rmtree(Path(os.environ["PONCHO_CACHE_DIR"]) / "resolutions")
    served.log.clear()
    rc, modules, err = _child(CLI, ["main.py", "--index-url", served.url, "--offline", "-q"], app)
    assert rc == 0, err
    assert served.log == []
    assert "resolvelib" in modules  # it did resolve
    assert not HTTP & modules, sorted(HTTP & modules)
    assert "html.parser" not in modules  # the PEP 503 reader: the loopback index answers JSON
    assert (Path(os.environ["PONCHO_CACHE_DIR"]) / "resolutions").is_dir()  # and stored the answer
    _, again = _lock(app, served.url, "--offline")
    assert again == first


LOCK_FOR = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import poncho
    from task_module import task
    lock = poncho.lock_for(task, index_url=sys.argv[2])
    print(json.dumps({"rc": 0, "pins": sorted(f"{e.name}=={e.version}" for e in lock.entries),
                      "modules": sorted(sys.modules)}))
""")


def test_lock_for_in_a_new_process_on_a_warm_cache_loads_no_http_client_resolver_or_parser(served, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "task_module.py").write_text("def task(x):\n    import yaml\n    import fastjson\n    return x\n")

    def once() -> tuple[list[str], set[str]]:
        proc = subprocess.run([sys.executable, "-c", LOCK_FOR, str(src), served.url], cwd=tmp_path,
                              capture_output=True, text=True, env=dict(os.environ), timeout=120)
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return result["pins"], set(result["modules"])

    pins, cold = once()
    assert pins == ["PyYAML==6.0", "fastjson==1.2", "speedups==2.5"]
    assert HTTP & cold and RESOLVER & cold
    served.log.clear()
    again, warm = once()
    assert again == pins and served.log == []
    assert not (HTTP | RESOLVER | PARSER) & warm, sorted((HTTP | RESOLVER | PARSER) & warm)
    assert PARSER & cold  # the first walk parsed with libcst: the probe can see it
    # An edit the walk depends on is parsed again (and found): the cache never answers for other code.
    (src / "task_module.py").write_text("def task(x):\n    import yaml\n    return x\n")
    edited, again_cold = once()
    assert edited == ["PyYAML==6.0"] and PARSER & again_cold


def test_the_lazy_package_names_are_the_functions_whatever_was_imported_first():
    """A package's lazy name must never be shadowed by a submodule of the same name: the import system binds a
    loaded submodule on its package, so ``import poncho.resolver.<module>`` first would have made
    ``from poncho.resolver import resolve`` a module (it was, when resolve() lived in resolver/resolve.py)."""
    code = ("import importlib, json, pkgutil, types\n"
            "packages = ('poncho.resolver', 'poncho.net', 'poncho.lock', 'poncho.index_cache', 'poncho')\n"
            "for package in packages:  # every submodule first, as any caller might\n"
            "    mod = importlib.import_module(package)\n"
            "    for info in pkgutil.iter_modules(mod.__path__):\n"
            "        if info.name not in ('__main__', 'cli', 'dask', 'dask_runtime'):\n"
            "            importlib.import_module(f'{package}.{info.name}')\n"
            "bad = [f'{p}.{n}' for p in packages for n in getattr(importlib.import_module(p), '_LAZY', {})\n"
            "       if isinstance(getattr(importlib.import_module(p), n), types.ModuleType)]\n"
            "from poncho.resolver import resolve\n"
            "print(json.dumps({'bad': bad, 'resolve': callable(resolve) and not isinstance(resolve, types.ModuleType)}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out == {"bad": [], "resolve": True}

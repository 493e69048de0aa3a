"""A lock loads the lookup and the resolver, never the index builder or the sdist streamer.

A real lock runs in a fresh interpreter against the loopback index; the
interpreter then reports which modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.wheels import build_sdist, build_wheel

# Runs poncho-resolve's own main() on argv, then prints the lock and the loaded modules as JSON.
PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from poncho.cli import main
out = io.StringIO()
with redirect_stdout(out):
    rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "lock": out.getvalue(), "modules": sorted(sys.modules)}))
"""

BUILDER_ONLY = ("tarfile", "poncho.artifacts.sdist", "poncho.resolver.sdist_metadata")


def _lock(app: Path, index_url: str) -> dict:
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    proc = subprocess.run([sys.executable, "-c", PROBE, str(app), "--index-url", index_url], cwd=app, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _app(tmp_path: Path, imports: str) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(imports)
    return app


def test_a_lock_never_loads_the_builder_tarfile_or_the_sdist_streamer(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}))  # shipped index
    index_server.add(build_wheel(w, "fastjson", "1.2", requires_dist=["speedups>=2"],  # live probe
                                 files={"fastjson/__init__.py": ""}))
    index_server.add(build_wheel(w, "speedups", "2.5"))
    got = _lock(_app(tmp_path, "import yaml\nimport fastjson\n"), index_server.url)
    assert got["rc"] == 0
    assert "PyYAML==6.0" in got["lock"] and "fastjson==1.2" in got["lock"] and "speedups==2.5" in got["lock"]
    modules = set(got["modules"])
    assert {"poncho.index_cache.shipped", "poncho.index_cache.probe", "poncho.artifacts.wheel"} <= modules
    assert not [m for m in modules if m.startswith("poncho.index_cache.build")]
    assert not modules & set(BUILDER_ONLY)


def test_the_sdist_streamer_is_loaded_when_a_lock_needs_an_sdist(index_server, tmp_path):
    """The check above can fail: reading an sdist's metadata does load the streamer (and not the builder)."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""},
                                 requires_dist=["only-sdist"]))
    index_server.add(build_sdist(w, "only-sdist", "1.0"))
    got = _lock(_app(tmp_path, "import yaml\n"), index_server.url)
    assert got["rc"] == 0 and "only-sdist==1.0" in got["lock"]
    modules = set(got["modules"])
    assert {"tarfile", "poncho.artifacts.sdist", "poncho.resolver.sdist_metadata"} <= modules
    assert not [m for m in modules if m.startswith("poncho.index_cache.build")]

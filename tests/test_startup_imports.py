"""Start-up pays only for what a command uses: `--version` and a warm `check` load no HTTP client or resolver.

A pre-commit hook runs `check` on every commit; the timings live in
benchmarks/startup.py, the import discipline that makes them is tested here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.wheels import build_wheel

HEAVY = {"requests", "urllib3", "cachecontrol", "resolvelib", "libcst", "tarfile", "poncho.index_cache.build",
         "poncho.resolver.provider", "poncho.net.session"}

PROBE = ("import json, sys\nfrom poncho.cli import main\nrc = main(sys.argv[1:])\n"
         "print(json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n")


def modules_after(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["rc"], set(result["modules"])


def test_version_loads_no_stage(tmp_path):
    rc, modules = modules_after(["--version"], tmp_path)
    assert rc == 0
    assert not {m for m in modules if m.startswith(("poncho.analysis", "poncho.resolver", "poncho.index_cache",
                                                    "poncho.net", "packaging"))}
    assert not HEAVY & modules


def test_a_warm_check_loads_no_http_client_or_resolver(tmp_path, index_server):
    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import os\nimport yaml\n")
    lock = subprocess.run([sys.executable, "-m", "poncho", "job.py", "-o", "env.lock", "--index-url", index_server.url],
                          cwd=root, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert lock.returncode == 0, lock.stderr
    rc, modules = modules_after(["check", "job.py", "--lock", "env.lock", "--index-url", index_server.url], root)
    assert rc == 0
    assert "poncho.analysis" in modules and "poncho.index_cache.shipped" in modules  # it did the work
    assert not HEAVY & modules, sorted(HEAVY & modules)
    # An import the shipped index does not know reaches the probe, which needs HTTP: the test can fail.
    (root / "job.py").write_text("import os\nimport yaml\nimport nosuch_module_xyz\n")
    rc, modules = modules_after(["check", "job.py", "--lock", "env.lock", "--index-url", index_server.url], root)
    assert rc == 1 and "requests" in modules

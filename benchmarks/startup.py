#!/usr/bin/env python
"""Start-up cost: ``--version``, a warm ``check`` on a 1,000-file app, and a warm lock.

    python benchmarks/startup.py [--repeat 5] [--files 1000] [--poncho PATH/TO/poncho-resolve ...]

A pre-commit hook pays start-up on every commit, so it is measured on its own:

* the median wall time of ``--repeat`` runs of ``poncho-resolve --version``;
* a warm ``check`` (analysis cache and HTTP cache filled by a first lock) on a
  generated application of ``--files`` modules importing a mix of the
  standard library, first-party modules and a few PyPI projects;
* the same warm ``check`` of the lock with another pinned digest, which makes
  it verify every pin's requirements from the metadata cache (PR006);
* a warm lock of the same tree (pages re-validated, metadata from the cache);
* ``python -X importtime`` totals (the sum of every module's own import time)
  for each, and whether requests, CacheControl or resolvelib were loaded.

Give ``--poncho`` several times to compare installs (say, a venv of an older
commit against this one) in the same run on the same tree. Targets from the
architecture issue: ``--version`` <= 0.15 s and warm ``check`` <= 0.3 s on
this machine (2 cores). The first lock talks to the package index (PyPI, or
pip's configured index). Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THIRD_PARTY = ["requests", "yaml", "click", "attr"]
STDLIB = ["os", "json", "re", "pathlib", "collections", "itertools", "functools", "typing", "logging", "csv"]
HEAVY = ("requests", "cachecontrol", "resolvelib", "libcst", "tarfile")


def generate_app(root: Path, files: int) -> Path:
    """``files`` modules in 20 packages; each imports stdlib, a sibling and (one in ten) a PyPI project."""
    app = root / "bigapp"
    per_pkg = max(1, files // 20)
    n = 0
    for p in range(20):
        pkg = app / f"pkg{p:02d}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        n += 1
        for m in range(per_pkg - 1):
            if n >= files:
                break
            lines = [f"import {STDLIB[(p + m) % len(STDLIB)]}",
                     f"from . import mod{max(m - 1, 0):03d}" if m else "from . import __name__ as _pkg"]
            if m % 10 == 0:
                lines.append(f"import {THIRD_PARTY[(p + m) % len(THIRD_PARTY)]}")
            lines += ["", "", f"def work_{m}(x):", "    try:", "        import ujson as json_impl",
                      "    except ImportError:", "        json_impl = None", "    return x, json_impl", ""]
            (pkg / f"mod{m:03d}.py").write_text("\n".join(lines))
            n += 1
    return app


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start, proc


def importtime(python: str, args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, set[str]]:
    """Total self import time in ms, and which of the heavy modules were loaded."""
    code = "import sys; from poncho.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([python, "-X", "importtime", "-c", code, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    total_us = 0
    loaded: set[str] = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line[len("import time:"):].split("|")
        # Imports in fetch threads interleave with the main thread's, and -X importtime then
        # reports a negative self time for the outer one: count those as zero.
        total_us += max(0, int(self_us))
        top = name.strip().split(".")[0]
        if top in HEAVY:
            loaded.add(top)
    return total_us / 1000, loaded


def python_of(script: str) -> str:
    """The interpreter a console script runs with (its shebang)."""
    first = Path(script).read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return first[2:].strip() if first.startswith("#!") else sys.executable


def measure(poncho: str, app: Path, repeat: int, cache: Path) -> dict[str, object]:
    env = dict(os.environ, PONCHO_CACHE_DIR=str(cache))
    python = python_of(poncho)
    out: dict[str, object] = {}
    lock = app.parent / f"env-{abs(hash(poncho)) % 10**6}.lock"
    elapsed, proc = timed([poncho, str(app), "-o", str(lock), "-q"], env, app.parent)
    if proc.returncode != 0:
        raise SystemExit(f"{poncho}: the first lock failed ({proc.returncode}):\n{proc.stderr}")
    out["cold lock s"] = elapsed
    # The same lock with another pinned digest: check then verifies every pin's Requires-Dist (PR006) from the
    # metadata cache, as it does for a hand-edited lock or one written by uv or pip-compile.
    verified = lock.with_suffix(".unpinned.lock")
    verified.write_text("".join("# pinned-digest: sha256:0\n" if line.startswith("# pinned-digest:") else line
                                for line in lock.read_text().splitlines(keepends=True)))
    runs = {
        "--version": [poncho, "--version"],
        "warm check": [poncho, "check", str(app), "--lock", str(lock), "-q"],
        "warm check, pins verified": [poncho, "check", str(app), "--lock", str(verified), "-q"],
        "warm lock": [poncho, str(app), "-q"],
    }
    for label, cmd in runs.items():
        times = []
        for _ in range(repeat):
            elapsed, proc = timed(cmd, env, app.parent)
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
            times.append(elapsed)
        out[f"{label} s"] = statistics.median(times)
        total, heavy = importtime(python, cmd[1:], env, app.parent)
        out[f"{label} importtime ms"] = total
        out[f"{label} loads"] = ", ".join(sorted(heavy)) or "-"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--poncho", action="append", default=[],
                    help="a poncho-resolve executable (default: the one next to this Python)")
    args = ap.parse_args()
    ponchos = args.poncho or [str(Path(sys.executable).with_name("poncho-resolve"))]
    tmp = Path(tempfile.mkdtemp(prefix="poncho-startup-"))
    try:
        app = generate_app(tmp, args.files)
        results = {p: measure(p, app, args.repeat, tmp / f"cache{i}") for i, p in enumerate(ponchos)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    keys = list(next(iter(results.values())))
    width = max(len(k) for k in keys)
    print(f"{args.files}-file app, median of {args.repeat} runs, {os.cpu_count()} CPUs")
    for p, r in results.items():
        print(f"\n{p}")
        for k in keys:
            v = r[k]
            print(f"  {k:<{width}}  {v:.3f}" if isinstance(v, float) else f"  {k:<{width}}  {v}")
        print(f"  target --version <= 0.15 s: {'met' if r['--version s'] <= 0.15 else 'MISSED'}"  # type: ignore[operator]
              f"; warm check <= 0.3 s: {'met' if r['warm check s'] <= 0.3 else 'MISSED'}")  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""A warm ``poncho-resolve check`` against ``deptry`` on the same generated 1,000-file app, in one run.

    python benchmarks/check.py [--repeat 5] [--files 1000] [--target cp311-manylinux_2_28_x86_64 ...]

Both tools answer the same question for CI and pre-commit: do the declared
dependencies (poncho-resolve: the lock; deptry: pyproject's ``dependencies``)
still match the code's imports? The app comes from ``benchmarks/startup.py``
(stdlib, first-party and a few PyPI imports across 20 packages).

* The lock is made once (it talks to PyPI, or pip's configured index) for the
  ``--target`` flags given, by default three other machines (CPython 3.11 on
  manylinux_2_28 x86_64 and aarch64, and macOS 11 arm64: one multi-target
  lock), so ``check`` reads its targets from the lock's header.
* ``check`` is warmed by one run (analysis cache, mapping), then timed, its
  runs interleaved with deptry's so both see the same load.
* deptry is installed into a venv this script makes (``PONCHO_BENCH_DEPTRY``,
  default ``~/.cache/poncho-resolve-bench/deptry-venv``, with
  ``PIP_CONFIG_FILE=/dev/null``), warmed by one run, then timed. Its project
  file declares the same distributions the lock pins directly.

Target: check / deptry <= 1.0. Prints the medians and the ratio. Not run by the test suite.
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
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import generate_app  # noqa: E402  (the same app the start-up benchmark uses)

DECLARED = ["requests", "PyYAML", "click", "attrs"]  # what generate_app's PyPI imports map to


def deptry_bin() -> Path:
    """deptry in a venv of its own, made (once) by this script."""
    location = Path(os.environ.get("PONCHO_BENCH_DEPTRY",
                                   Path.home() / ".cache" / "poncho-resolve-bench" / "deptry-venv"))
    exe = location / ("Scripts" if os.name == "nt" else "bin") / "deptry"
    if not exe.exists():
        print(f"installing deptry into {location} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(location)
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.pop("PIP_FIND_LINKS", None)
        subprocess.run([str(exe.parent / "python"), "-m", "pip", "install", "-q", "deptry"], check=True, env=env)
    return exe


def timed(cmd: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--target", action="append", default=[],
                    help="lock target(s) (default: three, see above)")
    ap.add_argument("--poncho", default=str(Path(sys.executable).with_name("poncho-resolve")),
                    help="the poncho-resolve executable (default: the one next to this Python)")
    args = ap.parse_args()
    targets = args.target or ["cp311-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64",
                              "cp311-macosx_11_0_arm64"]
    deptry = deptry_bin()
    tmp = Path(tempfile.mkdtemp(prefix="poncho-check-bench-"))
    try:
        app = generate_app(tmp, args.files)
        deps = ", ".join(f'"{d}"' for d in DECLARED)
        (tmp / "pyproject.toml").write_text(f'[project]\nname = "bigapp"\nversion = "0"\ndependencies = [{deps}]\n')
        env = {**os.environ, "PONCHO_CACHE_DIR": str(tmp / "cache")}
        # As on a user's machine, both tools keep their bytecode caches (this shell may say otherwise).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        lock = tmp / "env.lock"
        made = timed([args.poncho, app.name, "-o", str(lock), "-q", *(f"--target={t}" for t in targets)], env, tmp)
        check = [args.poncho, "check", app.name, "--lock", str(lock), "-q"]
        dep = [str(deptry), app.name, "--no-ansi"]
        timed(check, env, tmp)  # warm-up: fills the analysis cache
        timed(dep, env, tmp, ok=(0, 1))  # warm-up; exit 1 when it reports something
        poncho_s, deptry_s = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same load on a shared machine
            poncho_s.append(timed(check, env, tmp))
            deptry_s.append(timed(dep, env, tmp, ok=(0, 1)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    p, d = statistics.median(poncho_s), statistics.median(deptry_s)
    print(f"{args.files}-file app, median of {args.repeat} warm runs, {os.cpu_count()} CPUs; "
          f"lock for {', '.join(targets)} made in {made:.1f}s")
    print(f"  poncho-resolve check  {p:.3f} s  (runs: {', '.join(f'{s:.3f}' for s in poncho_s)})")
    print(f"  deptry                {d:.3f} s  (runs: {', '.join(f'{s:.3f}' for s in deptry_s)})")
    print(f"  check / deptry = {p / d:.2f} (target <= 1.0: {'met' if p <= d else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark poncho-resolve's import analysis against pipreqs, deptry and fawltydeps.

    python benchmarks/analysis.py [--repeat 3] [--target stdlib|corpora|PATH ...] [--jobs N]

Every tool runs as a subprocess on the same tree in the same run, so wall time
and peak memory are measured the same way for all of them:

* poncho cold: ``poncho-resolve TREE --no-resolve --no-probe -q --include-tests``
  (analysis and mapping of every file, as a user runs it) with an empty cache (``PONCHO_CACHE_DIR`` set to a
  fresh directory for each repetition);
* poncho warm: the same command again on the unchanged tree, cache kept;
* pipreqs ``--print --mode no-pin --use-local`` (imports only: ``--use-local``
  keeps it off the network, which it would otherwise query for every name);
* deptry (the whole check, which is its import scan plus a little);
* fawltydeps ``--list-imports``.

CPU time is user+sys of the tool and every process it started and waited for
(``os.wait4``'s rusage of the child, which includes its reaped workers): on a
busy CI runner CPU, not wall time, is what a run costs.

Peak memory is the largest resident set of the tool's whole process tree,
sampled from /proc every 50 ms (Linux), or else the largest single process
from ``getrusage(RUSAGE_CHILDREN)`` in a one-shot wrapper. The anchor tools
are installed in their own virtual environment (``PONCHO_BENCH_VENV``, default
``~/.cache/poncho-resolve-bench/venv``) when they are not importable here;
``PIP_CONFIG_FILE=/dev/null`` keeps the user's pip configuration out of it.

Targets from the issues: cold no slower than pipreqs (ratio <= 1.0 on 2 cores)
and cold CPU <= 0.7x pipreqs' CPU, warm no slower than deptry, peak memory <= 500 MB. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANCHORS = {"pipreqs": "pipreqs", "deptry": "deptry", "fawltydeps": "fawltydeps"}
POLL = 0.05

# --include-tests: every file, as the anchors read them (by default tests/, docs/ ... are out of a runtime lock)
PONCHO_ARGS = ["--no-resolve", "--no-probe", "-q", "--include-tests"]


# ------------------------------------------------------------------ measuring one run
@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    tail: str = ""
    cpu: float = float("nan")  # user + sys of the process tree, seconds


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                kids.extend(int(k) for k in fh.read().split())
    except (OSError, ValueError):
        pass
    return kids


def _tree_rss_kb(root_pid: int) -> int:
    """Resident set of a process and all its descendants, from /proc (Linux).

    Walks ``/proc/PID/task/TID/children`` from the root only, so sampling
    costs little next to the tool being measured.
    """
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        stack.extend(_children(pid))
    return total


def measure(cmd: list[str], env: dict[str, str | None] | None = None, cwd: Path | None = None) -> Run:
    """Wall time, CPU time and peak memory (whole process tree) of one command."""
    full_env = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}  # None: unset
    use_proc = sys.platform.startswith("linux") and Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()
    if not use_proc:
        # One-shot wrapper: its RUSAGE_CHILDREN covers exactly this command.
        wrapper = ("import resource, subprocess, sys, json, time\n"
                   "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
                   "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                   "print(json.dumps([time.perf_counter() - t, r.ru_maxrss,"
                   " p.returncode, (p.stdout + p.stderr)[-300:], r.ru_utime + r.ru_stime]))")
        out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=full_env,
                             cwd=cwd)
        seconds, maxrss, code, tail, cpu = json.loads(out.stdout.strip().splitlines()[-1])
        scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        return Run(seconds, maxrss / scale, code, tail, cpu)
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=full_env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)
    reader.start()
    while True:
        # wait4, not poll(): its rusage is the child's own CPU plus that of the workers it reaped.
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(POLL)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    return Run(seconds, peak / 1024, proc.returncode, "".join(output)[-300:], usage.ru_utime + usage.ru_stime)


# ------------------------------------------------------------------ the anchor tools
def anchor_bin() -> Path:
    """A bin directory with pipreqs, deptry and fawltydeps, creating a venv if needed."""
    here = Path(sys.executable).parent
    if all((here / exe).exists() for exe in ANCHORS.values()):
        return here
    location = Path(os.environ.get("PONCHO_BENCH_VENV", Path.home() / ".cache" / "poncho-resolve-bench" / "venv"))
    bindir = location / ("Scripts" if os.name == "nt" else "bin")
    if not all((bindir / exe).exists() for exe in ANCHORS.values()):
        print(f"installing {', '.join(ANCHORS)} into {location} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(location)
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", *ANCHORS], check=True, env=env)
    return bindir


def anchor_commands(bindir: Path, tree: Path, scratch: Path) -> dict[str, list[str]]:
    # deptry wants a project file; an empty one makes it scan the tree and report what it found.
    project = scratch / "deptry-project"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\ndependencies = []\n')
    return {
        "pipreqs": [str(bindir / "pipreqs"), "--print", "--mode", "no-pin", "--use-local", "--ignore-errors",
                    str(tree)],
        "deptry": [str(bindir / "deptry"), str(tree), "--config", str(project / "pyproject.toml"), "--no-ansi"],
        "fawltydeps": [str(bindir / "fawltydeps"), "--list-imports", "--code", str(tree)],
    }


def supported_flags(cmd: list[str]) -> list[str]:
    """Drop flags an older release of the tool does not know (pipreqs --ignore-errors)."""
    if "--ignore-errors" in cmd:
        help_text = subprocess.run([cmd[0], "--help"], capture_output=True, text=True).stdout
        if "--ignore-errors" not in help_text:
            cmd = [c for c in cmd if c != "--ignore-errors"]
    return cmd


# ------------------------------------------------------------------ one target
@dataclass
class Row:
    tool: str
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.runs)

    @property
    def ok(self) -> bool:
        return all(r.returncode in (0, 1) for r in self.runs)  # deptry exits 1 when it finds violations


def bench_target(name: str, tree: Path, repeat: int, bindir: Path | None) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="poncho-bench-") as tmp:
        scratch = Path(tmp)
        poncho = [str(Path(sys.executable).with_name("poncho-resolve")), str(tree), *PONCHO_ARGS]
        # Bytecode as an installed tool has it (pip compiles .pyc files at install, as it did for the
        # anchors): an editable checkout under PYTHONDONTWRITEBYTECODE would compile every module on
        # every run. One untimed run on the corpora writes the .pyc files into the scratch directory.
        code: dict[str, str | None] = {"PYTHONDONTWRITEBYTECODE": None,
                                       "PYTHONPYCACHEPREFIX": str(scratch / "pycache")}
        measure([poncho[0], str(REPO / "corpora"), *PONCHO_ARGS], env={**code, "PONCHO_CACHE_DIR": str(scratch)})
        cold, warm = Row("poncho cold"), Row("poncho warm")
        for i in range(repeat):
            cache = scratch / f"cache-{i}"
            cache.mkdir()
            cold.runs.append(measure(poncho, env={**code, "PONCHO_CACHE_DIR": str(cache)}))
            warm.runs.append(measure(poncho, env={**code, "PONCHO_CACHE_DIR": str(cache)}))
        rows += [cold, warm]
        if bindir is not None:
            for tool, cmd in anchor_commands(bindir, tree, scratch).items():
                cmd = supported_flags(cmd)
                row = Row(tool)
                for _ in range(repeat):
                    row.runs.append(measure(cmd, cwd=scratch))
                rows.append(row)
    return rows


def drop_unreadable(tree: Path) -> list[str]:
    """Remove the files pipreqs cannot read (not UTF-8, or a SyntaxError for this Python): pipreqs 0.5
    raises on the first one and stops, so on the whole standard library (11 such files among 1,790) it
    times 70% of the tree. The other tools are given the same smaller tree."""
    import ast
    import warnings

    dropped = []
    for path in sorted(tree.rglob("*.py")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, SyntaxError, ValueError):
            path.unlink()
            dropped.append(str(path.relative_to(tree)))
    return dropped


def count_tree(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for path in tree.rglob("*.py"):
        files += 1
        try:
            with open(path, "rb") as fh:
                lines += sum(1 for _ in fh)
        except OSError:
            pass
    return files, lines


def table(name: str, tree: Path, rows: list[Row]) -> str:
    by = {r.tool: r for r in rows}
    files, lines = count_tree(tree)
    out = [f"## {name}: {tree} ({files} .py files, {lines:,} lines; {os.cpu_count()} cores)", "",
           "| tool | median s | CPU s | peak MB | vs pipreqs | vs deptry | vs fawltydeps | CPU vs pipreqs | ok |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in rows:
        ratios = []
        for anchor in ("pipreqs", "deptry", "fawltydeps"):
            other = by.get(anchor)
            ratios.append(f"{row.seconds / other.seconds:.2f}" if other and other.seconds else "-")
        pipreqs = by.get("pipreqs")
        ratios.append(f"{row.cpu / pipreqs.cpu:.2f}" if pipreqs and pipreqs.cpu else "-")
        out.append(f"| {row.tool} | {row.seconds:.2f} | {row.cpu:.2f} | {row.peak_mb:.0f} | {' | '.join(ratios)} | "
                   f"{'yes' if row.ok else 'exit ' + str(row.runs[-1].returncode)} |")
    cold, warm = by["poncho cold"], by["poncho warm"]
    checks = []
    if "pipreqs" in by:
        checks.append(f"cold/pipreqs = {cold.seconds / by['pipreqs'].seconds:.2f} (target <= 1.0)")
        checks.append(f"cold CPU/pipreqs CPU = {cold.cpu / by['pipreqs'].cpu:.2f} (target <= 0.7)")
    if "deptry" in by:
        checks.append(f"warm/deptry = {warm.seconds / by['deptry'].seconds:.2f} (target <= 1.0)")
    checks.append(f"poncho peak = {max(cold.peak_mb, warm.peak_mb):.0f} MB (target <= 500)")
    out += ["", "targets: " + "; ".join(checks)]
    failed = [r for r in rows if not r.ok]
    for r in failed:
        out.append(f"  {r.tool} failed: {r.runs[-1].tail.strip()[-200:]!r}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", action="append", default=None,
                        help="stdlib (less the files pipreqs cannot read), stdlib-all (all 1,790 files: pipreqs "
                             "stops at the first non-UTF-8 one, 70%% of the way), corpora or a directory "
                             "(repeatable; default: stdlib and corpora)")
    parser.add_argument("--no-anchors", action="store_true", help="time poncho alone")
    parser.add_argument("--jobs", type=int, default=None,
                        help="poncho's analysis worker processes (-j; default: one per CPU). On 2 shared vCPUs two "
                             "workers cost more CPU than one (each runs slower beside the other)")
    args = parser.parse_args(argv)
    if args.jobs is not None:
        PONCHO_ARGS.extend(["-j", str(args.jobs)])
    targets = {}
    for t in args.target or ["stdlib", "corpora"]:
        if t in ("stdlib", "stdlib-all"):
            targets[t] = Path(sysconfig.get_paths()["stdlib"])
        elif t == "corpora":
            targets["corpora"] = REPO / "corpora"
        else:
            targets[Path(t).name] = Path(t).resolve()
    bindir = None if args.no_anchors else anchor_bin()
    print(f"python {sys.version.split()[0]}, poncho from {REPO}, anchors from {bindir or '-'}\n")
    with tempfile.TemporaryDirectory(prefix="poncho-bench-stdlib-") as tmp:
        for name, tree in targets.items():
            if name in ("stdlib", "stdlib-all"):
                # The stdlib directory often holds site-packages (pyenv, venv-less installs):
                # every tool gets the same clean copy, the standard library alone.
                tree = Path(shutil.copytree(tree, Path(tmp) / name, symlinks=True,
                                            ignore=shutil.ignore_patterns("site-packages", "dist-packages",
                                                                          "__pycache__")))
                if name == "stdlib":
                    dropped = drop_unreadable(tree)
                    print(f"stdlib: {len(dropped)} files pipreqs cannot read removed from the copy "
                          f"(it stops at the first one): {', '.join(dropped)}\n")
            print(table(name, tree, bench_target(name, tree, args.repeat, bindir)), "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

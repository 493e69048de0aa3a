#!/usr/bin/env python
"""Benchmark poncho-resolve's resolver against ``uv pip compile --generate-hashes``, in one run.

    python benchmarks/resolve.py [--set scientific|flask|flask-dateutil|airflow|airflow-google|changedetection]
                                 [--rounds 3] [--uv PATH]

Both tools get the same direct requirements and the same target (CPython
3.11 on manylinux_2_28_x86_64), each with its own empty cache directory per
round, and run as subprocesses measured the same way (wall time, CPU time and
peak RSS from ``os.wait4``):

* cold: empty caches;
* warm: the same caches again (poncho answers pages fetched within its page
  lifetime from its page cache; uv revalidates what the index sent without
  caching headers);
* offline: ``--offline`` for both, from those caches; both re-resolve (poncho's resolution cache is not
  asked), so this is the row the issue's offline target compares;
* offline-hit: ``--offline`` again, poncho answered by its resolution cache (what a repeated
  ``poncho-resolve --offline`` does: no resolvelib, no page read); uv has no such cache and re-resolves,
  so the ratio says what a repeated lock costs against uv's only way, not the same work.

Every poncho mode stores its answer in the resolution cache, as the CLI does.

poncho runs ``resolve()`` plus ``build_lock()`` and renders the hashed
requirements file (what ``poncho-resolve -o`` writes), through the public
Python API, with the session, page logs and resolution cache the CLI uses,
so the timing is resolution and locking, not import analysis.
Its bytecode is compiled once before timing (``PYTHONPYCACHEPREFIX`` in the
scratch directory), as an installed package would be; ``uv`` is a binary.

Sets (``--set``):

* ``scientific``: the issue's 12-library app; pins must be identical (the
  script exits 1 when they are not).
* ``flask``: 54 direct requirements of a Flask application (flask and its
  extensions, litellm, playwright, pyppeteer, selenium, openapi-core,
  opencv-python, pydantic, websockets, urllib3, ...: ``FLASK`` below). Before
  conflict-driven preferences poncho gave up after 20,000 rounds. Pins are
  compared; where they differ, uv is asked to resolve the same set with
  poncho's pins as constraints, which proves poncho's answer is a valid
  resolution (two valid answers of a backtracking search may differ).
  The 21 differences have two roots. 16: uv decides python-dateutil 4.0.0
  (a direct requirement) and keeps that decision, so it walks boto3 back
  to 0.0.3 (every later boto3's botocore caps python-dateutil below 3, or,
  for 1.2.0, its metadata does not parse), then litellm 1.97.0 (newer ones
  need boto3>=1.43), openai 2.54.0 and celery 5.6.3. resolvelib has no kept
  decisions: a pin a later requirement rules out is re-pinned, so botocore's
  cap moves python-dateutil to 2.9.0.post0 and the newest boto3 stays.
  Emulating PubGrub's kept decisions would mean hiding candidates that clash
  with the current pins from find_matches, which resolvelib's backjumping
  cannot see the cause of (it could call a solvable set impossible); not
  done. 5: uv's conflict tracking demotes pyppeteer here (pyppeteer 0.0.25,
  selenium 4.51.0, urllib3 2.8.0, websockets 17.4, pyee) but keeps
  pyppeteer 2.0.0 in changedetection.io's tree, as poncho does in both;
  demoting a direct requirement here moved that tree off uv's pins.
  Measured (``--rounds 1 --modes cold``): poncho 2.7 s, uv 29.5 s (uv walks
  boto3's 2,000 releases).
* ``flask-dateutil``: the same with ``python-dateutil>=3``: the walk both
  tools take. Before uv's batch prefetch (``Provider._note_tried``), range
  bisection of each botocore window (``_window``) and remembering releases
  passed over for good, poncho read 4,837 metadata files on a critical path
  of 2,390 sequential round trips, in 217 s (one cold run, same API), and locked boto3 1.2.0 without
  botocore (its ``Requires-Dist: botocore>=1.3.0,<1.4.0',`` was dropped; pip
  and uv pass such a release over, and so does the provider now). Now, in
  three cold runs: 41-45 s (41-50 s CPU, nearly all in the fetch threads;
  the resolver thread spends ~5 s) against uv's 26-36 s, 5,025 metadata
  files, 101 round trips, boto3 0.0.3 as uv; only the 5 pyppeteer pins
  differ (root 2 above).
* ``airflow``: apache-airflow with 26 provider extras, 318 pins: time and
  peak memory (target: within 500 MB).
* ``airflow-google``: the same with the ``google`` extra, 421 pins. Before
  uv's conflict tracking (``Provider.record_dead_end``) poncho gave up:
  azure-ai-projects (pinned early) needs openai>=3, while every
  google-cloud-aiplatform the newest Google provider allows caps litellm to
  releases that need openai<3, and resolvelib walked aiplatform's releases.
  Now azure-ai-projects is found to be the culprit and decided last.
* ``changedetection``: the requirements.txt of changedetection.io at
  fce24780 (64 lines): 164 pins, identical to uv's. (What gave up after
  20,000 rounds in ``real_projects.py`` was the set its tree's imports map
  to, unpinned, before the conflict-driven preferences; it resolves now, to
  uv's 152 pins.)

The ratio column is poncho / uv. Targets from the issue: cold <= 1.5x,
warm <= 1.0x, offline <= 2x and under 0.5 s. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"
PLATFORM = "manylinux_2_28_x86_64"
UV_PLATFORM = "x86_64-manylinux_2_28"
INDEX = "https://pypi.org/simple/"

SCIENTIFIC = ["numpy", "scipy", "pandas", "matplotlib", "scikit-learn", "requests", "pyyaml", "boto3",
              "sqlalchemy", "flask", "coffea", "dask[distributed]"]
FLASK = [
    "flask", "flask-sqlalchemy", "flask-migrate", "flask-login", "flask-wtf", "flask-cors", "flask-limiter",
    "flask-caching", "flask-mail", "flask-socketio", "flask-restful", "flask-jwt-extended", "flask-babel",
    "flask-session", "flask-bcrypt", "flask-marshmallow", "flask-admin", "litellm", "playwright", "pyppeteer",
    "selenium", "openapi-core", "opencv-python", "pydantic", "websockets", "urllib3", "requests",
    "beautifulsoup4", "lxml", "celery", "redis", "gunicorn", "python-dotenv", "openai", "anthropic", "numpy",
    "pandas", "pillow", "boto3", "sqlalchemy", "psycopg2-binary", "marshmallow", "jinja2", "werkzeug", "pyjwt",
    "cryptography", "httpx", "aiohttp", "tiktoken", "pyyaml", "jsonschema", "python-dateutil", "tenacity",
    "sentry-sdk",
]
#: The same with python-dateutil>=3: every boto3 newer than 0.0.3 (its botocore caps python-dateutil below 3,
#: or its metadata does not parse) is walked back through, by uv and poncho alike.
FLASK_DATEUTIL = [r if r != "python-dateutil" else "python-dateutil>=3" for r in FLASK]
AIRFLOW = ["apache-airflow[amazon,postgres,celery,cncf.kubernetes,http,ssh,slack,microsoft.azure,databricks,"
           "snowflake,apache.spark,elasticsearch,mysql,redis,sftp,docker,odbc,jdbc,openlineage,common.sql,trino,"
           "oracle,microsoft.mssql,hashicorp,grpc,sendgrid]"]
AIRFLOW_GOOGLE = [AIRFLOW[0].replace(",sendgrid]", ",sendgrid,google]")]
CHANGEDETECTION = [  # dgtlmoon/changedetection.io requirements.txt at fce24780e741, comments dropped
    "feedgen~=1.0", "feedparser~=6.0", "flask-compress", "flask-login>=0.6.3", "flask-paginate",
    "flask-socketio>=5.6.1,<6", "flask>=3.1,<4", "flask_cors", "flask_restful", "flask_wtf~=1.2", "inscriptis~=2.2",
    "python-engineio>=4.13.1,<5", "python-socketio>=5.11.0,<6", "pytz", "timeago~=1.0", "validators~=0.35",
    "werkzeug==3.1.6", "brotli~=1.2", "requests[socks]", "requests-file", "chardet>2.3.0", "wtforms~=3.2",
    "jsonpath-ng~=1.8.0", "orjson~=3.11", "apprise==1.9.9", "diff_match_patch", "linkify-it-py",
    "cryptography==44.0.0", "paho-mqtt!=2.0.*", "beautifulsoup4>=4.0.0,<=4.14.3", "lxml >=4.8.0,!=5.2.0,!=5.2.1,<7",
    "elementpath==5.1.1", "selenium~=4.31.0", "jinja2~=3.1", "arrow", "openpyxl",
    'jq~=1.3; python_version >= "3.8" and sys_platform == "darwin"',
    'jq~=1.3; python_version >= "3.8" and sys_platform == "linux"', "pyppeteer-ng==2.0.0rc13",
    "pyppeteerstealth>=0.0.4", "pytest ~=9.0", "pytest-flask ~=1.3", "pytest-mock ~=3.15",
    "openapi-core[flask] ~= 0.23",
    "jsonschema>=4.24.0,<5.0.0", "loguru", "extruct", "babel==2.18.0", "Flask-Babel>=4.0.0", "levenshtein",
    "greenlet >= 3.0.3", "gevent", "referencing==0.37.0", "panzi-json-logic", "price-parser", "puremagic<2.0", "tzdata",
    "pluggy ~= 1.6", "litellm>=1.40.0,<1.83.1", "pydantic>=2.0,<3.0", "rank-bm25>=0.2.2", "psutil==7.2.2", "blinker",
    "pytest-xdist",
]
SETS = {"scientific": SCIENTIFIC, "flask": FLASK, "flask-dateutil": FLASK_DATEUTIL,
        "airflow": AIRFLOW, "airflow-google": AIRFLOW_GOOGLE,
        "changedetection": CHANGEDETECTION}

# What the CLI loads and does for a resolution (poncho.pipeline): a session made on the first request, the
# project pages read through page logs, the answer stored in the resolution cache; resolvelib is imported
# only when the resolution cache does not answer.
IMPORTS = """
import sys, time
from pathlib import Path
from poncho.net import DeferredSession, SimpleIndex
from poncho.lock import build_lock
from poncho.resolver.cache import ResolutionCache, resolution_key
from poncho.resolver.metadata import MetadataFetcher
from poncho.resolver.page_log import PageLog
from poncho.resolver.repository import SimpleRepository
from poncho.resolver.target import Target
"""
PONCHO_SNIPPET = IMPORTS + f"""
PYTHON_VERSION, PLATFORM = {PYTHON_VERSION!r}, {PLATFORM!r}
cache, mode, index, reqs = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
offline = mode in ("offline", "offline-hit")
target = Target.for_platform(PYTHON_VERSION, PLATFORM)
session = DeferredSession(cache, offline=offline)
results = ResolutionCache(cache / "resolutions")
key = resolution_key(reqs, target, [index], {{}}, False)
# offline-hit: the resolution cache answers (a repeated lock); every other mode resolves (as uv does).
resolution = None
if mode == "offline-hit":
    resolution = results.get(key, {{}}, [index], target, indexes=lambda: [SimpleIndex(session, index)], offline=True)
hit = resolution is not None
if resolution is None:
    from poncho.resolver.solve import resolve

    started, logs = time.time(), [PageLog(SimpleIndex(session, index))]
    repository = SimpleRepository(logs, MetadataFetcher(session, cache, offline=offline), target)
    try:
        resolution = resolve(reqs, repository, target)
    finally:
        repository.close()
    results.put(key, resolution, {{}}, logs, started)
sys.stdout.write(build_lock(resolution, [], [index]).render("requirements"))
print(resolution.summary() + (" (answered by the resolution cache)" if hit else ""), file=sys.stderr)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    pins: dict[str, str]
    note: str = ""


def measure(cmd: list[str], env: dict[str, str], timeout: float = 3600) -> tuple[Run, str]:
    """Run ``cmd``; its wall and CPU time and peak RSS come from ``os.wait4`` on that one child."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{stderr[-3000:]}")
    pins = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", stdout, re.M))
    pins = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, pins), stderr


def poncho_cmd(cache: Path, mode: str, reqs: list[str]) -> list[str]:
    return [sys.executable, "-c", PONCHO_SNIPPET, str(cache), mode, INDEX, *reqs]


def uv_cmd(uv: str, cache: Path, mode: str, infile: Path) -> list[str]:
    cmd = [uv, "pip", "compile", str(infile), "--generate-hashes", "--python-version", PYTHON_VERSION,
           "--python-platform", UV_PLATFORM, "--index-url", INDEX, "--cache-dir", str(cache), "--no-header",
           "--quiet", "--no-config"]
    return cmd + (["--offline"] if mode.startswith("offline") else [])  # uv has no resolution cache: it re-resolves


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="scientific")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--uv", default=shutil.which("uv") or str(Path(sys.executable).with_name("uv")))
    parser.add_argument("--modes", default="cold,warm,offline,offline-hit",
                        help="any of cold, warm, offline, offline-hit, in order (offline-hit needs an earlier mode)")
    args = parser.parse_args()
    reqs = SETS[args.set]
    modes = args.modes.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="poncho-bench-resolve-"))
    env = dict(os.environ, PIP_CONFIG_FILE="/dev/null", PYTHONPYCACHEPREFIX=str(scratch / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode; compile it once, below
    env.pop("UV_CACHE_DIR", None)
    infile = scratch / "requirements.in"
    infile.write_text("\n".join(reqs) + "\n")
    precompile = IMPORTS + "import poncho.resolver.solve, poncho.net.session, poncho.artifacts.wheel\n"
    subprocess.run([sys.executable, "-c", precompile], env=env, check=True)  # bytecode, as pip install leaves it

    results: dict[tuple[str, str], list[Run]] = {}
    try:
        for n in range(args.rounds):
            pcache, ucache = scratch / f"poncho-{n}", scratch / f"uv-{n}"
            for mode in modes:
                p, perr = measure(poncho_cmd(pcache, mode, reqs), env)
                u, _ = measure(uv_cmd(args.uv, ucache, mode, infile), env)
                results.setdefault(("poncho", mode), []).append(p)
                results.setdefault(("uv", mode), []).append(u)
                summary = perr.strip().splitlines()[-1] if perr.strip() else ""
                print(f"round {n + 1} {mode:11s} poncho {p.wall:6.2f} s ({p.cpu:5.2f} CPU, {p.rss_mb:4.0f} MB, "
                      f"{len(p.pins)} pins)  uv {u.wall:6.2f} s ({u.cpu:5.2f} CPU, {u.rss_mb:4.0f} MB, "
                      f"{len(u.pins)} pins)\n    poncho: {summary}", flush=True)
            shutil.rmtree(pcache, ignore_errors=True)
            shutil.rmtree(ucache, ignore_errors=True)

        print(f"\nset {args.set}: {len(reqs)} direct requirements, CPython {PYTHON_VERSION} {PLATFORM}, "
              f"{args.rounds} rounds, medians")
        print(f"{'run':11s} | {'poncho wall':>11s} | {'CPU':>6s} | {'RSS MB':>6s} | {'uv wall':>8s} | {'CPU':>6s} "
              f"| {'ratio':>6s}")
        for mode in modes:
            p_runs, u_runs = results[("poncho", mode)], results[("uv", mode)]
            pw = statistics.median(r.wall for r in p_runs)
            uw = statistics.median(r.wall for r in u_runs)
            p_cpu = statistics.median(r.cpu for r in p_runs)
            u_cpu = statistics.median(r.cpu for r in u_runs)
            print(f"{mode:11s} | {pw:9.2f} s | {p_cpu:6.2f} | {max(r.rss_mb for r in p_runs):6.0f} | "
                  f"{uw:6.2f} s | {u_cpu:6.2f} | {pw / uw:5.2f}x")

        poncho_pins, uv_pins = results[("poncho", modes[0])][0].pins, results[("uv", modes[0])][0].pins
        for tool, pins in (("poncho", poncho_pins), ("uv", uv_pins)):
            if any(r.pins != pins for mode in modes for r in results[(tool, mode)]):
                print(f"{tool}'s pins differ between runs")
                return 1
        diff = sorted(set(poncho_pins.items()) ^ set(uv_pins.items()))
        if not diff:
            print(f"\npins identical: {len(poncho_pins)}")
            return 0
        print(f"\npins differ ({len(poncho_pins)} poncho, {len(uv_pins)} uv):")
        for name in sorted({k for k, _ in diff}):
            print(f"  {name}: poncho {poncho_pins.get(name, '-')}, uv {uv_pins.get(name, '-')}")
        if args.set == "scientific":
            return 1
        constraints = scratch / "poncho-pins.txt"
        constraints.write_text("".join(f"{k}=={v}\n" for k, v in sorted(poncho_pins.items())))
        check, _ = measure(uv_cmd(args.uv, scratch / "uv-check", "online", infile) + ["-c", str(constraints)], env)
        valid = check.pins == poncho_pins
        print(f"uv with poncho's pins as constraints {'accepts them: a valid resolution' if valid else 'disagrees'}")
        return 0 if valid else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

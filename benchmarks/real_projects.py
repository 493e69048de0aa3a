#!/usr/bin/env python
"""Does the lock install and run? Real published projects and real applications, end to end.

    python benchmarks/real_projects.py [--work DIR] [--only NAME ...] [--redo] [--no-pipreqs]

For each project below (PyPI sdists pinned by version, applications from
public GitHub repositories pinned by commit):

1. lock the source tree for CPython 3.11 on manylinux
   (``poncho-resolve TREE --target cp311-manylinux_2_28_x86_64``, PyPI only,
   pip's configuration ignored) and list its direct set (``--no-resolve``);
2. install the lock with ``pip install --no-deps --require-hashes`` into a
   fresh CPython 3.11 venv (``PIP_CONFIG_FILE=/dev/null``);
3. import every module of the project's packages in that venv, in a
   subprocess with a timeout, and count successes (each failure is
   classified: a missing third-party module is the lock's fault, anything
   else is the program's configuration or environment);
4. compare the direct set with the project's declared runtime dependencies
   (``Requires-Dist`` without extras for a published project; the
   requirements file or ``[project]``/Poetry table for an application):
   recall and precision, next to ``pipreqs`` on the same tree.

Everything lands under ``--work`` (default ``~/.cache/poncho-resolve-bench/real``):
downloads, extracted trees, locks, venvs and one JSON result per project,
so a re-run resumes where it stopped (``--redo`` recomputes). Applications
come from git snapshots in ``--mirrors`` (default ``/work/.mirror``,
``owner+name/repo``), read with ``git archive COMMIT``; one that is absent is
reported as skipped. pipreqs runs from its own venv made here.
Not run by the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomllib
from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
TARGET = "cp311-manylinux_2_28_x86_64"
PYTHON311 = os.environ.get("PONCHO_BENCH_PY311", "/root/.pyenv/versions/3.11.7/bin/python3")
INDEX = "https://pypi.org/simple/"
PONCHO_PYTHON = sys.executable  # --poncho-python: a venv with another build of poncho-resolve
IMPORT_TIMEOUT = 60  # seconds per module
LOCK_TIMEOUT = 900
INSTALL_TIMEOUT = 1200
NOT_PACKAGES = {"tests", "test", "testing_", "docs", "doc", "docs_src", "examples", "example", "benchmarks",
                "benchmark", "scripts", "tools", "bin", "build", "dist", "node_modules", "frontend", "migrations_"}
SKIP_MODULE_PARTS = {"tests", "test", "conftest", "__main__"}


@dataclass(frozen=True)
class Project:
    """One measured project: where its tree comes from and what it declares."""

    name: str
    version: str = ""  # a PyPI release
    repo: str = ""  # owner/name of an application
    commit: str = ""
    root: str = ""  # the application's source root inside the repository ('' = the top)
    declared: tuple[str, ...] = ()  # files (relative to the repository) that declare runtime dependencies
    django: str = ""  # DJANGO_SETTINGS_MODULE to set up before importing
    env: tuple[tuple[str, str], ...] = ()
    freeze: bool = False  # the declared file pins the whole set: what another declared name requires is dropped

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}" if self.version else self.repo.replace("/", "+")


PUBLISHED = [Project(n, v) for n, v in [
    ("requests", "2.32.3"), ("flask", "3.0.3"), ("click", "8.1.7"), ("rich", "13.9.4"), ("httpx", "0.27.2"),
    ("attrs", "24.2.0"), ("jinja2", "3.1.4"), ("fastapi", "0.115.5"), ("typer", "0.13.1"), ("tqdm", "4.67.1"),
    ("boto3", "1.35.0"), ("celery", "5.4.0"), ("scrapy", "2.11.2"), ("httpie", "3.2.4"),
    ("marshmallow", "3.23.1"), ("arrow", "1.3.0"), ("structlog", "24.4.0"), ("loguru", "0.7.2"),
    ("djangorestframework", "3.15.2"), ("mkdocs", "1.6.1"), ("twine", "5.1.1"), ("cookiecutter", "2.6.0"),
    ("gunicorn", "23.0.0"), ("uvicorn", "0.32.0"), ("starlette", "0.41.3"), ("tenacity", "9.0.0"),
    ("jsonschema", "4.23.0"), ("fabric", "3.2.2"), ("paramiko", "3.5.0"), ("werkzeug", "3.1.3"),
    ("dask", "2024.11.2"), ("xarray", "2024.11.0"), ("seaborn", "0.13.2"), ("networkx", "3.4.2"),
    ("altair", "5.5.0"), ("beautifulsoup4", "4.12.3"), ("markdown", "3.7"), ("nltk", "3.9.1"),
    ("tweepy", "4.14.0"), ("sqlmodel", "0.0.22"), ("pydantic-settings", "2.6.1"), ("black", "24.10.0"),
]]

APPLICATIONS = [
    Project("microblog", repo="miguelgrinberg/microblog", commit="a975ef64864354867c88e0ed3a17ba7d17dca752",
            declared=("requirements.txt",), freeze=True),
    Project("healthchecks", repo="healthchecks/healthchecks", commit="29b5ec251059034b79e0120e2ff0c3e35d7bd9f8",
            declared=("requirements.txt",), django="hc.settings"),
    Project("CTFd", repo="CTFd/CTFd", commit="91ced62d44d3ec3142a0948ee96ed19947cfc979",
            declared=("pyproject.toml",)),
    Project("searxng", repo="searxng/searxng", commit="9fea41204fdfa7a5cfa15b0ebd12904c520478ce",
            declared=("requirements.txt",)),
    Project("bakerydemo", repo="wagtail/bakerydemo", commit="8e2b625755d8942412d5b7627b146a795933b8b2",
            declared=("requirements/base.txt",), django="bakerydemo.settings.dev"),
    Project("flaskbb", repo="flaskbb/flaskbb", commit="4b78af85e96b375fdbc4d53723cedea459c99ac4",
            declared=("pyproject.toml",)),
    Project("pythondotorg", repo="python/pythondotorg", commit="0a7e8d1fef1796dd6f0dcebb08ed5b0f8d0deed9",
            declared=("pyproject.toml",), django="pydotorg.settings.base"),
    Project("changedetection.io", repo="dgtlmoon/changedetection.io",
            commit="fce24780e74199bf34c62a0d90188cc2fc12f061", declared=("requirements.txt",)),
    Project("full-stack-fastapi-template", repo="fastapi/full-stack-fastapi-template",
            commit="68adb40d37425f6f8668ec7e5a054500d045e43e", root="backend", declared=("backend/pyproject.toml",)),
    Project("flask-realworld", repo="gothinkster/flask-realworld-example-app",
            commit="4b95fb2227dfeb5dd1a45d89b2bf48630b93fd28", declared=("requirements/prod.txt",)),
    Project("cheat.sh", repo="chubin/cheat.sh", commit="b714a5f0d56427924a7871f083fd05e7ede6b0e4",
            declared=("requirements.txt",)),
    Project("djangoproject.com", repo="django/djangoproject.com", commit="68a439a59f5692e9d847f23318d7a8603fc33c72",
            declared=("pyproject.toml",), django="djangoproject.settings.dev"),
    Project("demo-uber-nyc-pickups", repo="streamlit/demo-uber-nyc-pickups",
            commit="62fa70f59da265450b97429e9bfae99b85bcacdd", declared=("requirements.txt",)),
    Project("netbox", repo="netbox-community/netbox", commit="43fe81f9e833228c9869f7ddadb67e6c5f145060",
            root="netbox", declared=("base_requirements.txt",), django="netbox.settings"),
    Project("kitsune", repo="mozilla/kitsune", commit="dcfa333911ed376a14c59eee83bde0345d03ea20",
            declared=("pyproject.toml",), django="kitsune.settings"),
    Project("mealie", repo="mealie-recipes/mealie", commit="b5643a9399465d8b4ea339e7a6639df2d697741b",
            declared=("pyproject.toml",)),
    Project("redash", repo="getredash/redash", commit="", declared=("pyproject.toml",)),
]


# ------------------------------------------------------------------ small helpers
def run(cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> tuple[int, str, str, float]:
    """Run a command; a timeout is exit code -9 with what it printed so far."""
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
                              errors="replace")
        return done.returncode, done.stdout, done.stderr, time.monotonic() - start
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return -9, out, err + f"\ntimed out after {timeout:.0f}s", time.monotonic() - start


def pip_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PIP_CONFIG_FILE="/dev/null", PIP_CACHE_DIR=str(work / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1", PIP_NO_COMPILE="1")  # byte-compiling every venv doubled the install time
    env.pop("PIP_INDEX_URL", None)
    env.pop("PIP_EXTRA_INDEX_URL", None)
    env.pop("PIP_CONSTRAINT", None)
    return env


def session():  # type: ignore[no-untyped-def]
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "poncho-resolve-benchmark"
    return s


def download_sdist(project: Project, work: Path) -> Path:
    """The project's sdist from PyPI's simple API, checked against its sha256, cached under ``work``."""
    dest_dir = work / "downloads"
    dest_dir.mkdir(parents=True, exist_ok=True)
    s = session()
    page = s.get(f"{INDEX}{canonicalize_name(project.name)}/",
                 headers={"Accept": "application/vnd.pypi.simple.v1+json"}, timeout=120)
    page.raise_for_status()
    prefix = re.compile(rf"^{'[-_.]'.join(map(re.escape, canonicalize_name(project.name).split('-')))}-"
                        rf"{re.escape(project.version)}\.(tar\.gz|zip)$", re.IGNORECASE)
    files = [f for f in page.json()["files"] if prefix.match(f["filename"])]
    if not files:
        raise RuntimeError(f"no sdist of {project.name} {project.version} on the index")
    f = files[0]
    path = dest_dir / f["filename"]
    want = f["hashes"]["sha256"]
    if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != want:
        body = s.get(f["url"], timeout=600).content
        if hashlib.sha256(body).hexdigest() != want:
            raise RuntimeError(f"{f['filename']}: sha256 mismatch")
        tmp = path.with_suffix(".part")
        tmp.write_bytes(body)
        tmp.replace(path)
    return path


def extract_sdist(archive: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(dest, filter="data")
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top


def extract_commit(project: Project, mirrors: Path, dest: Path) -> Path:
    gitdir = mirrors / project.repo.replace("/", "+") / "repo"
    if not gitdir.exists():
        raise FileNotFoundError(f"no snapshot of {project.repo} under {mirrors}")
    commit = project.commit or subprocess.run(["git", "-C", str(gitdir), "rev-parse", "HEAD"], capture_output=True,
                                              text=True, check=True).stdout.strip()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    # File by file rather than `git archive`: a snapshot may lack its largest blobs (data files), which
    # the lock never reads; those are skipped.
    listing = subprocess.run(["git", "-C", str(gitdir), "ls-tree", "-r", "-z", commit], capture_output=True,
                             check=True).stdout.decode(errors="surrogateescape")
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, kind, sha = meta.split()
        if kind != "blob" or mode == "120000" or ".." in Path(path).parts:
            continue
        body = subprocess.run(["git", "-C", str(gitdir), "cat-file", "blob", sha], capture_output=True)
        if body.returncode != 0:
            continue
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body.stdout)
    (dest / ".commit").write_text(commit)
    return dest


# ------------------------------------------------------------------ declared dependencies
ENV311 = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.7",
          "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
          "implementation_name": "cpython", "platform_python_implementation": "CPython", "os_name": "posix"}


def runtime_names(lines: list[str]) -> set[str]:
    """Canonical names of the requirements that apply to CPython 3.11 on Linux with no extra."""
    out: set[str] = set()
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({**ENV311, "extra": ""}):
            continue
        out.add(canonicalize_name(req.name))
    return out


def read_requirements_file(path: Path, seen: set[Path] | None = None) -> list[str]:
    seen = seen if seen is not None else set()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    lines: list[str] = []
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines += read_requirements_file(path.parent / line.split(None, 1)[1].strip(), seen)
            continue
        if line.startswith("-"):
            continue
        lines.append(line.split(";")[0].strip() if " @ " in line else line.rstrip("\\").strip())
    return lines


def declared_published(tree: Path) -> set[str]:
    pkg_info = tree / "PKG-INFO"
    text = pkg_info.read_text(errors="replace") if pkg_info.exists() else ""
    lines = [v for k, _, v in (ln.partition(": ") for ln in text.splitlines()) if k == "Requires-Dist"]
    return runtime_names(lines)


def declared_application(project: Project, tree: Path) -> set[str]:
    names: set[str] = set()
    for rel in project.declared:
        path = tree / rel
        if rel.endswith("pyproject.toml"):
            data = tomllib.loads(path.read_text()) if path.exists() else {}
            deps = list(data.get("project", {}).get("dependencies", []))
            poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
            deps += [n for n in poetry if n.lower() != "python"]
            names |= runtime_names(deps)
        else:
            names |= runtime_names(read_requirements_file(path))
    return names


# ------------------------------------------------------------------ modules of a tree
def source_root(tree: Path, project: Project) -> Path:
    root = tree / project.root if project.root else tree
    return root / "src" if (root / "src").is_dir() and not (root / "src" / "__init__.py").exists() else root


def project_modules(root: Path) -> list[str]:
    """Every module of the root's packages (tests, __main__ and conftest left out); top-level modules only
    when there is no package."""
    modules: list[str] = []
    packages = sorted(p for p in root.iterdir()
                      if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_PACKAGES
                      and p.name.isidentifier())
    for pkg in packages:
        for path in sorted(pkg.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if any(p in SKIP_MODULE_PARTS or not p.isidentifier() for p in parts):
                continue
            if not all((root.joinpath(*path.relative_to(root).parts[:i]) / "__init__.py").exists()
                       for i in range(1, len(parts) if path.name != "__init__.py" else len(parts) + 1)):
                continue
            modules.append(".".join(parts))
    if not modules:
        modules = sorted(p.stem for p in root.glob("*.py")
                         if p.stem.isidentifier() and p.stem not in {"setup", "noxfile", "conftest", "fabfile"})
    return modules


IMPORTER = r"""
import importlib, json, os, sys, traceback
sys.path.insert(0, os.getcwd())
if os.environ.get("DJANGO_SETTINGS_MODULE"):
    try:
        import django; django.setup()
    except BaseException as exc:
        print(json.dumps({"setup": f"{type(exc).__name__}: {exc}"[:300]}), flush=True)
for name in sys.argv[1:]:
    print(json.dumps({"start": name}), flush=True)
    try:
        importlib.import_module(name)
        print(json.dumps({"module": name, "ok": True}), flush=True)
    except BaseException as exc:
        missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
        print(json.dumps({"module": name, "ok": False, "error": type(exc).__name__, "missing": missing,
                          "message": str(exc)[:300]}), flush=True)
"""


def import_all(python: Path, root: Path, modules: list[str], env: dict[str, str]) -> list[dict]:
    """Import each module in a child; a hang or a crash fails that module and the rest go on in a new child."""
    results: list[dict] = []
    todo = list(modules)
    while todo:
        proc = subprocess.Popen([str(python), "-c", IMPORTER, *todo], cwd=root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, errors="replace")
        current = None
        deadline = time.monotonic() + IMPORT_TIMEOUT
        assert proc.stdout is not None
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = ""
        finished = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                break
            if not sel.select(timeout=left):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
            if not chunk:
                finished = True
                break
            buf += chunk
            while "\n" in buf:
                line, buf = buf.split("\n", 1)
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if "start" in rec:
                    current = rec["start"]
                    deadline = time.monotonic() + IMPORT_TIMEOUT
                elif "module" in rec:
                    results.append(rec)
                    todo.remove(rec["module"])
                    current = None
        proc.wait()
        sel.close()
        if current is not None and current in todo:
            why = "timeout" if not finished else f"crash (exit {proc.returncode})"
            results.append({"module": current, "ok": False, "error": why, "missing": None, "message": why})
            todo.remove(current)
        elif finished and todo and current is None:
            for name in todo:
                results.append({"module": name, "ok": False, "error": "crash", "missing": None, "message": ""})
            todo = []
    return results


# ------------------------------------------------------------------ tools
def pipreqs_bin(work: Path) -> Path:
    venv = work / "pipreqs-venv"
    exe = venv / "bin" / "pipreqs"
    if not exe.exists():
        subprocess.run([PYTHON311, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pipreqs"], check=True, env=pip_env(work))
    return exe


def pipreqs_names(exe: Path, tree: Path, work: Path) -> tuple[set[str] | None, str]:
    code, out, err, _ = run([str(exe), "--print", "--mode", "no-pin", "--pypi-server", "https://pypi.org/pypi/",
                             str(tree)], timeout=900, env=pip_env(work))
    if code != 0:
        return None, (err.strip().splitlines() or ["?"])[-1][:200]
    names = set()
    for line in out.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "INFO", "WARNING")):
            names.add(canonicalize_name(re.split(r"[=<>~! ]", line)[0]))
    return names, ""


def pipreqs_cached(exe: Path, tree: Path, work: Path, key: str) -> tuple[set[str] | None, str]:
    """pipreqs' answer for a tree is the same in every run of this script: kept under ``work/pipreqs``."""
    path = work / "pipreqs" / f"{key}.json"
    if path.exists():
        data = json.loads(path.read_text())
        return (set(data["names"]) if data["names"] is not None else None), data["why"]
    names, why = pipreqs_names(exe, tree, work)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"names": sorted(names) if names is not None else None, "why": why}))
    return names, why


def direct_names(text: str) -> set[str]:
    return {canonicalize_name(Requirement(line.split("#")[0].strip()).name) for line in text.splitlines()
            if line.strip() and not line.startswith((" ", "#"))}


def locked_parents(text: str) -> dict[str, set[str]]:
    """Each locked name's ``# via`` parents that are distributions (not import sites)."""
    parents: dict[str, set[str]] = {}
    name = ""
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            name = canonicalize_name(re.split(r"[=\\ ;]", line)[0])
            parents.setdefault(name, set())
        elif line.strip().startswith("# via ") and name:
            for via in line.strip()[6:].split(","):
                via = via.strip()
                if via and "/" not in via and ":" not in via:
                    parents[name].add(canonicalize_name(via))
    return parents


def diag_codes(stderr: str) -> list[str]:
    return re.findall(r"\b(PR\d{3})\b", stderr)


def lock_failure(code: int, stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return f"exit {code}: {(errors or lines or ['?'])[-1].strip()[:240]}"


def install_failure(stderr: str) -> str:
    text = stderr
    if "subprocess-exited-with-error" in text or "Failed to build" in text or "building wheel" in text.lower():
        m = re.search(r"Failed to build ([^\n]+)", text) or re.search(r"Building wheel for (\S+)", text)
        return f"sdist build failed: {m.group(1).strip() if m else '?'}"
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in text:
        return "hash mismatch"
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines or ["?"])[-1][:240]


# ------------------------------------------------------------------ one project
def measure(project: Project, work: Path, mirrors: Path, pipreqs: Path | None, locks: Path) -> dict:
    out: dict = {"name": project.name, "kind": "published" if project.version else "application",
                 "pin": project.version or project.commit}
    trees = work / "trees"
    try:
        if project.version:
            tree = extract_sdist(download_sdist(project, work), trees / project.key)
            declared = declared_published(tree)
        else:
            tree = extract_commit(project, mirrors, trees / project.key)
            out["pin"] = (tree / ".commit").read_text()
            declared = declared_application(project, tree)
    except Exception as exc:  # noqa: BLE001 - a benchmark row, not a product path
        out["skipped"] = f"{type(exc).__name__}: {exc}"[:300]
        return out
    declared.discard(canonicalize_name(project.name))
    out["declared"] = sorted(declared)
    lock_root = tree / project.root if project.root else tree
    env = dict(os.environ)
    env["PONCHO_CACHE_DIR"] = str(work / "poncho-cache")
    poncho = [PONCHO_PYTHON, "-m", "poncho", str(lock_root), "--target", TARGET, "--no-pip-config",
              "--index-url", INDEX]
    code, stdout, stderr, _ = run([*poncho, "--no-resolve"], timeout=LOCK_TIMEOUT, env=env)
    out["direct"] = sorted(direct_names(stdout) - {canonicalize_name(project.name)}) if code == 0 else None
    lock_path = locks / f"{project.key}.txt"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path.unlink(missing_ok=True)  # a re-lock would keep an earlier run's pins: measure a fresh lock
    code, stdout, stderr, seconds = run([*poncho, "-o", str(lock_path)], timeout=LOCK_TIMEOUT, env=env)
    out["lock_exit"] = code
    out["lock_seconds"] = round(seconds, 1)
    out["lock_codes"] = dict(Counter(diag_codes(stderr)))
    (locks / f"{project.key}.stderr").write_text(stderr)
    if code != 0:
        out["lock_failure"] = lock_failure(code, stderr)
    elif project.freeze:
        parents = locked_parents(lock_path.read_text())
        out["declared_roots"] = sorted(d for d in declared if not parents.get(d, set()) & declared)
    if pipreqs is not None:
        names, why = pipreqs_cached(pipreqs, lock_root, work, project.key)
        out["pipreqs"] = sorted(names - {canonicalize_name(project.name)}) if names is not None else None
        if why:
            out["pipreqs_failure"] = why
    root = source_root(tree, project)
    modules = project_modules(root)
    out["modules"] = len(modules)
    if code != 0:
        return out
    venv = work / "venvs" / project.key
    subprocess.run([PYTHON311, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--require-hashes", "-q"]
    code, _, stderr, seconds = run([*pip, "-r", str(lock_path)], timeout=INSTALL_TIMEOUT, env=pip_env(work))
    out["install_exit"] = code
    out["install_seconds"] = round(seconds, 1)
    if code != 0:
        out["install_failure"] = install_failure(stderr)
        (locks / f"{project.key}.install-stderr").write_text(stderr)
        shutil.rmtree(venv, ignore_errors=True)
        return out
    ienv = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO"))}
    ienv.update(dict(project.env))
    ienv.setdefault("SECRET_KEY", "benchmark-secret-key-benchmark-secret-key-0123456789")
    if project.django:
        ienv["DJANGO_SETTINGS_MODULE"] = project.django
    results = import_all(venv / "bin" / "python", root, modules, ienv)
    first_party = {m.split(".")[0] for m in modules}
    out["imported"] = sum(r["ok"] for r in results)
    causes: Counter[str] = Counter()
    for r in results:
        if r["ok"]:
            continue
        missing = (r.get("missing") or "").split(".")[0]
        if missing and missing not in first_party:
            causes[f"missing third-party module {missing}"] += 1
        elif missing:
            causes["missing first-party module (layout)"] += 1
        else:
            causes[f"{r['error']}: {r.get('message', '')[:80]}"] += 1
    out["import_failures"] = dict(causes.most_common())
    shutil.rmtree(venv, ignore_errors=True)  # the pip cache keeps the wheels; venvs take gigabytes
    return out


# ------------------------------------------------------------------ report
def prf(found: set[str] | None, declared: set[str], roots: set[str] | None = None) -> tuple[int, int, int] | None:
    """(hits, recall denominator, precision denominator). For a frozen requirements file, a pinned name that
    another pinned name requires counts for recall only when it was found (it need not be imported)."""
    if found is None:
        return None
    hits = found & declared
    wanted = declared if roots is None else roots | hits
    return len(hits), len(wanted), len(found)


def fmt_ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(rows: list[dict]) -> str:
    lines = ["| project | kind | modules imported | lock | install | poncho recall | poncho precision | "
             "pipreqs recall | pipreqs precision |", "|---|---|---|---|---|---|---|---|---|"]
    totals = {"poncho": [0, 0, 0], "pipreqs": [0, 0, 0]}
    mods = [0, 0]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['name']} | {r['kind']} | skipped: {r['skipped'][:60]} | | | | | | |")
            continue
        declared = set(r.get("declared", []))
        cells = []
        for tool, key in (("poncho", "direct"), ("pipreqs", "pipreqs")):
            roots = set(r["declared_roots"]) if "declared_roots" in r else None
            got = prf(set(r[key]) if r.get(key) is not None else None, declared, roots)
            if got is None:
                cells += ["fail", "fail"]
                continue
            hit, nd, nf = got
            if declared:  # a project that declares nothing says nothing about recall or precision
                for i, v in enumerate(got):
                    totals[tool][i] += v
            cells += [f"{fmt_ratio(hit, nd)} ({hit}/{nd})", f"{fmt_ratio(hit, nf)} ({hit}/{nf})"]
        imported = r.get("imported")
        mods[1] += r.get("modules", 0)
        mods[0] += imported or 0
        lock = "ok" if r.get("lock_exit") == 0 else r.get("lock_failure", "?")
        install = ("ok" if r.get("install_exit") == 0 else r.get("install_failure", "-")) \
            if r.get("lock_exit") == 0 else "-"
        imp = f"{imported}/{r.get('modules', 0)}" if imported is not None else f"-/{r.get('modules', 0)}"
        lines.append(f"| {r['name']} {r['pin'][:12]} | {r['kind'][:3]} | {imp} | {lock[:70]} | {install[:50]} | "
                     + " | ".join(cells) + " |")
    p, q = totals["poncho"], totals["pipreqs"]
    lines.append(f"| **total** | | {mods[0]}/{mods[1]} | "
                 f"{sum(r.get('lock_exit') == 0 for r in rows)}/{sum('skipped' not in r for r in rows)} ok | "
                 f"{sum(r.get('install_exit') == 0 for r in rows)} ok | {fmt_ratio(p[0], p[1])} | "
                 f"{fmt_ratio(p[0], p[2])} | {fmt_ratio(q[0], q[1])} | {fmt_ratio(q[0], q[2])} |")
    causes: Counter[str] = Counter()
    for r in rows:
        if r.get("lock_failure"):
            causes[f"lock {r['lock_failure'][:90]}"] += 1
        if r.get("install_failure"):
            causes[f"install: {r['install_failure'][:90]}"] += 1
        for cause, n in r.get("import_failures", {}).items():
            key = cause if cause.startswith("missing") else cause.split(":")[0]
            causes[f"import: {key}"] += n
    missed: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    for r in rows:
        if r.get("direct") is not None and r.get("declared"):
            missed.update(set(r.get("declared_roots", r["declared"])) - set(r["direct"]))
            extra.update(set(r["direct"]) - set(r["declared"]))
    lines += ["", "Failure causes (count):"] + [f"- {n} x {c}" for c, n in causes.most_common(25)]
    lines += ["", "Declared but not found (most common): " + ", ".join(f"{k} {v}" for k, v in missed.most_common(25))]
    lines += ["Found but not declared (most common): " + ", ".join(f"{k} {v}" for k, v in extra.most_common(25))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "poncho-resolve-bench" / "real")
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--only", nargs="*", default=None, help="project names to (re)measure")
    ap.add_argument("--redo", action="store_true", help="recompute projects that already have a result")
    ap.add_argument("--no-pipreqs", action="store_true")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--jobs", type=int, default=3, help="projects measured at once")
    ap.add_argument("--label", default="results", help="results go to WORK/LABEL (one label per measured build)")
    ap.add_argument("--poncho-python", default=sys.executable, help="the Python whose poncho-resolve is measured")
    args = ap.parse_args(argv)
    global PONCHO_PYTHON
    PONCHO_PYTHON = args.poncho_python
    work: Path = args.work
    (work / args.label).mkdir(parents=True, exist_ok=True)
    projects = PUBLISHED + APPLICATIONS
    if args.only:
        projects = [p for p in projects if p.name in args.only]
    pipreqs = None if args.no_pipreqs or args.report_only else pipreqs_bin(work)
    done: dict[str, dict] = {}
    todo: list[Project] = []
    for project in projects:
        result_path = work / args.label / f"{project.key}.json"
        if result_path.exists() and (args.report_only or not args.redo):
            done[project.key] = json.loads(result_path.read_text())
        elif not args.report_only:
            todo.append(project)

    def one(project: Project) -> None:
        print(f"... {project.name}", file=sys.stderr, flush=True)
        row = measure(project, work, args.mirrors, pipreqs, work / args.label / "locks")
        result_path = work / args.label / f"{project.key}.json"
        tmp = result_path.with_suffix(".part")
        tmp.write_text(json.dumps(row, indent=1))
        tmp.replace(result_path)
        done[project.key] = row
        print(f"    {json.dumps({k: v for k, v in row.items() if k not in ('declared', 'direct', 'pipreqs')})}",
              file=sys.stderr, flush=True)

    # Projects are independent (own tree, lock and venv; pip's cache is shared): most of the time is spent
    # waiting on the network, so a few at once finish sooner even on two cores.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, todo))
    rows = [done[p.key] for p in projects if p.key in done]
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

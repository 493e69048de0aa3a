"""What an installed environment has: its distributions, versions and requirements.

Asked of the environment's own interpreter in a subprocess, with nothing but
:mod:`importlib.metadata` (no user package is imported, nothing of
poncho-resolve needs to be installed there): ``check --env`` compares a lock
with it, ``--from-env`` and ``--prefer-installed`` lock from it. The answer is
plain data; markers are judged here with :mod:`packaging` against the marker
environment that interpreter reports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from poncho.errors import EnvironmentProblem, UsageError

# Runs under the environment's interpreter (Python >= 3.8, stdlib only) with -S and -E: site.py never runs,
# so no .pth file is executed (an `import` line in one is code: editable finders, coverage hooks), and
# PYTHONPATH stays out. The environment's site-packages are found as site.py would find them (pyvenv.cfg,
# the user site outside venvs) and the *path* lines of its .pth files are followed; nothing is imported but
# importlib.metadata, which reads .dist-info/.egg-info files only. The working directory is never searched,
# so a checkout's *.egg-info is not taken for an installed distribution.
_QUERY = r"""
import importlib.metadata as md, json, os, platform, site, sys
here = os.path.dirname(os.path.abspath(sys.executable))
prefix, system = sys.prefix, True
for cfg in (os.path.join(here, "pyvenv.cfg"), os.path.join(os.path.dirname(here), "pyvenv.cfg")):
    if os.path.isfile(cfg):
        prefix = os.path.dirname(cfg)
        with open(cfg, encoding="utf-8", errors="replace") as fh:
            keys = dict(line.split("=", 1) for line in fh if "=" in line)
        keys = {k.strip().lower(): v.strip().lower() for k, v in keys.items()}
        system = keys.get("include-system-site-packages") == "true"
        break
dirs = list(site.getsitepackages([prefix]))
if prefix != sys.base_prefix and system:
    dirs += site.getsitepackages([sys.base_prefix])
if prefix == sys.base_prefix and site.check_enableusersite():
    dirs.insert(0, site.getusersitepackages())
stdlib = [p for p in sys.path if p and p != os.getcwd() and "-packages" not in p]
path = []
for d in dirs:
    if not os.path.isdir(d) or d in path:
        continue
    path.append(d)
    for name in sorted(os.listdir(d)):
        if not name.endswith(".pth"):
            continue
        try:
            with open(os.path.join(d, name), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            extra = os.path.join(d, line)
            if os.path.isdir(extra) and extra not in path:
                path.append(extra)
seen = {}
broken = []
for dist in md.distributions(path=path):
    try:
        name = dist.metadata["Name"]
        if not name or name.lower() in seen:
            continue
        seen[name.lower()] = {"name": name, "version": dist.version, "requires": list(dist.requires or ())}
    except Exception as exc:  # a broken .dist-info: reported, not fatal
        broken.append(repr(exc))
impl = sys.implementation
iver = "{0.major}.{0.minor}.{0.micro}".format(impl.version)
if impl.version.releaselevel != "final":
    iver += impl.version.releaselevel[0] + str(impl.version.serial)
env = {"implementation_name": impl.name, "implementation_version": iver, "os_name": os.name,
       "platform_machine": platform.machine(), "platform_release": platform.release(),
       "platform_system": platform.system(), "platform_version": platform.version(),
       "python_full_version": platform.python_version(), "platform_python_implementation":
       platform.python_implementation(), "python_version": ".".join(platform.python_version_tuple()[:2]),
       "sys_platform": sys.platform}
print(json.dumps({"executable": sys.executable, "prefix": prefix, "markers": env,
                  "distributions": list(seen.values()), "broken": broken, "path": stdlib + path}))
"""


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution: its name as its metadata spells it, version and Requires-Dist."""

    name: str
    version: str
    requires: tuple[str, ...] = ()

    @property
    def key(self) -> NormalizedName:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class Environment:
    """An interpreter's installed distributions and the marker environment they were installed for."""

    python: str  # the interpreter asked
    markers: Mapping[str, str]
    distributions: Mapping[NormalizedName, InstalledDist]
    path: tuple[str, ...] = field(default=())  # its sys.path (where a mapping source may read file lists)

    @property
    def python_full_version(self) -> str:
        return self.markers.get("python_full_version", "")

    def applies(self, marker: str | None, extra: str = "") -> bool:
        """Whether a PEP 508 marker holds in this environment (a marker that cannot be judged holds)."""
        if not marker:
            return True
        from packaging.markers import Marker

        try:
            return Marker(marker).evaluate({**self.markers, "extra": extra})
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True

    def same_version(self, key: str, version: str) -> bool:
        """Whether ``key`` is installed at ``version`` (compared as versions: 1.0 is 1.0.0)."""
        dist = self.distributions.get(canonicalize_name(key))
        return dist is not None and _same(dist.version, version)

    def problems(self, keys: set[NormalizedName]) -> list[str]:
        """Why the installed set closed over ``keys`` is not consistent: each requirement of an installed
        distribution (and the extras another one asks for) not met by what is installed. Empty when it is."""
        out: list[str] = []
        todo = [(k, frozenset[str]()) for k in sorted(keys)]
        done: set[tuple[str, frozenset[str]]] = set()
        while todo:
            key, extras = todo.pop()
            if (key, extras) in done:
                continue
            done.add((key, extras))
            dist = self.distributions.get(key)
            if dist is None:
                continue  # the caller says what is missing at the top; a missing dependency is reported below
            for text in dist.requires:
                try:
                    req = Requirement(text)
                except InvalidRequirement:
                    continue  # pip installed it; a requirement no tool can parse asks for nothing we can check
                if not any(self.applies(str(req.marker) if req.marker else None, e) for e in ("", *extras)):
                    continue
                dep = self.distributions.get(canonicalize_name(req.name))
                if dep is None:
                    out.append(f"{dist.name} {dist.version} requires {req}, which is not installed")
                    continue
                if not req.specifier.contains(dep.version, prereleases=True):
                    out.append(f"{dist.name} {dist.version} requires {req}, but {dep.name} {dep.version} "
                               "is installed")
                todo.append((dep.key, frozenset(req.extras)))
        return out


def interpreter(given: str | None) -> str:
    """The interpreter ``given`` names (a Python executable, a command on PATH or a virtual environment's
    directory); the running one when None or empty."""
    if not given:
        return sys.executable
    path = Path(given)
    if path.is_dir():
        for candidate in (path / "bin" / "python", path / "Scripts" / "python.exe"):
            if candidate.is_file():
                return str(candidate)
        raise UsageError(f"{given}: a directory, but not a virtual environment (no bin/python); name a Python "
                         "interpreter or a venv, and put --env/--from-env after the paths or write --env=PYTHON")
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    found = shutil.which(given) if os.sep not in given else None  # a command on PATH: python3.12
    if found:
        return found
    raise UsageError(f"{given}: not a Python interpreter or a virtual environment; put --env/--from-env after "
                     "the paths, or write --env=PYTHON")


def query(given: str | None = None, timeout: float = 120) -> Environment:
    """The distributions installed for interpreter ``given`` (see :func:`interpreter`)."""
    python = interpreter(given)
    try:
        proc = subprocess.run([python, "-E", "-S", "-c", _QUERY], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(python, f"cannot run it: {exc}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise EnvironmentProblem(python, f"could not list its distributions ({last}); is it Python >= 3.8?")
    try:
        data = json.loads(proc.stdout)
        dists: dict[NormalizedName, InstalledDist] = {}
        for d in data["distributions"]:
            dist = InstalledDist(str(d["name"]), str(d["version"]), tuple(str(r) for r in d["requires"]))
            dists.setdefault(dist.key, dist)
        return Environment(python, {str(k): str(v) for k, v in data["markers"].items()}, dists,
                           tuple(str(p) for p in data.get("path", ())))
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvironmentProblem(python, f"answered something that is not its distribution list ({exc})") from None


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b

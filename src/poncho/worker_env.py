"""What runs on a Dask worker for :mod:`poncho.dask`: the worker's target, its environments, a call inside one.

This module imports only the standard library, ``packaging`` and
``distributed`` (both already on every Dask worker), never the rest of
poncho: :mod:`poncho.dask` registers it with cloudpickle *by value*, so
workers need no poncho-resolve installed.

An environment is a virtual environment made from the worker's own
interpreter (``uv venv``, else ``python -m venv``) with the lock installed by
``--no-deps --require-hashes``; it lives in ``<root>/<digest>.<random>/`` and is
published by creating the symlink ``<root>/<digest>`` (atomic), under a
thread lock in the worker and a file lock on the node, so it is built once
per lock digest and every later call, and every worker on the node sharing
``root``, reuses it. Calls run in a subprocess of the environment's Python:
the function and its arguments go in by cloudpickle, the result (or the
exception) comes back pickled, to be unpickled by the client.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

PLUGIN_NAME = "poncho-environments"
BIN = "Scripts" if os.name == "nt" else "bin"

#: Run inside the environment: load (fn, args, kwargs), call, write ("ok", result) or ("raised", exc, traceback).
RUNNER = """\
import sys, traceback
import cloudpickle
with open(sys.argv[1], "rb") as fh:
    fn, args, kwargs = cloudpickle.load(fh)
try:
    out = ("ok", cloudpickle.dumps(fn(*args, **kwargs)), "")
except BaseException as exc:
    text = traceback.format_exc()
    try:
        blob = cloudpickle.dumps(exc)
    except Exception:
        blob = None
    out = ("raised", blob, text)
with open(sys.argv[2], "wb") as fh:
    cloudpickle.dump(out, fh)
"""


def describe() -> dict[str, Any]:
    """This worker's target: what :mod:`poncho.dask` locks for (``client.run(describe)``)."""
    import platform

    from packaging import tags

    platforms = list(dict.fromkeys(t.platform for t in tags.sys_tags() if t.platform != "any"))
    label = next((p for p in platforms if p.startswith(("manylinux", "musllinux", "macosx", "win"))),
                 platforms[0] if platforms else "any")
    return {"python": platform.python_version(), "implementation": sys.implementation.name,
            "platform": label, "platforms": platforms, "executable": sys.executable}


def default_root() -> Path:
    """``$PONCHO_CACHE_DIR/dask-envs`` (else the user cache directory's): shared by the workers of a node."""
    base = os.environ.get("PONCHO_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "poncho-resolve")
    return Path(base) / "dask-envs"


class Environments(WorkerPlugin):
    """A worker's locked environments, by lock digest; ``builds`` counts the ones this worker built."""

    name = PLUGIN_NAME
    idempotent = True  # registering again (a second client) keeps the workers' state

    def __init__(self, root: str | None = None) -> None:
        self.root = root
        self.builds: dict[str, int] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def setup(self, worker: Any) -> None:
        self.path = Path(self.root) if self.root else default_root()
        self.path.mkdir(parents=True, exist_ok=True)

    def __getstate__(self) -> dict[str, Any]:
        return {"root": self.root, "builds": {}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["root"])  # type: ignore[misc]

    def environment(self, digest: str, lock_text: str, index_args: Sequence[str]) -> Path:
        """The environment for ``digest``, built the first time it is asked for on this node."""
        link = self.path / digest
        if _ready(link):
            return link
        with self._guard:
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock, _node_lock(self.path / f"{digest}.lock"):
            if _ready(link):
                return link
            work = Path(tempfile.mkdtemp(prefix=f"{digest}.", dir=self.path))
            try:
                _build(work / "venv", lock_text, index_args)
                try:
                    os.symlink(os.path.relpath(work / "venv", self.path), link)
                except FileExistsError:  # another node sharing the directory was first
                    shutil.rmtree(work, ignore_errors=True)
                    return link
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            self.builds[digest] = self.builds.get(digest, 0) + 1
            return link


class BuildFailed(Exception):
    """The installer failed on the worker; the client turns it into a poncho ShipError."""


def _ready(link: Path) -> bool:
    return link.is_symlink() and (link / BIN).is_dir()


@contextlib.contextmanager
def _node_lock(path: Path) -> Iterator[None]:
    # The same lock as poncho.ship.run's, kept here: this module travels by value to workers without poncho.
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the atomic symlink alone keeps it consistent
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _uv() -> list[str] | None:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return [find_uv_bin()]


def _check(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise BuildFailed(f"{' '.join(cmd[:4])} ... failed (exit {proc.returncode}):\n"
                          f"{(proc.stderr or proc.stdout)[-2000:]}")


def _build(venv: Path, lock_text: str, index_args: Sequence[str]) -> None:
    """A venv from this worker's interpreter with exactly the lock, hashes checked."""
    lock_file = venv.parent / "env.lock"
    lock_file.write_text(lock_text, encoding="utf-8")
    python = str(venv / BIN / "python")
    uv = _uv()
    if uv is not None:
        _check([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        install = [*uv, "pip", "install", "--quiet", "--python", python]
    else:
        _check([sys.executable, "-m", "venv", str(venv)])
        install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _check([*install, "--no-deps", "--require-hashes", *index_args, "-r", str(lock_file)])


def call_in_environment(digest: str, lock_text: str, index_args: Sequence[str], payload: bytes) -> tuple:
    """The task :func:`poncho.dask.submit` sends: run the pickled call in the lock's environment.

    Returns ``("ok", result_bytes, "")``, ``("raised", exception_bytes_or_None, traceback)`` or
    ``("build-failed", None, message)``; the client unpickles, so the worker needs none of the function's
    dependencies.
    """
    from distributed import get_worker

    plugin = get_worker().plugins.get(PLUGIN_NAME)
    # Duck-typed: each task brings its own by-value copy of this module, so the plugin's class is not ours.
    environment = getattr(plugin, "environment", None)
    if not callable(environment):
        return ("build-failed", None, f"the {PLUGIN_NAME} plugin is not registered on this worker")
    try:
        env = environment(digest, lock_text, index_args)
    except BuildFailed as exc:
        return ("build-failed", None, str(exc))
    with tempfile.TemporaryDirectory(prefix="poncho-call-") as tmp:
        args_file, out_file = Path(tmp) / "call.pkl", Path(tmp) / "out.pkl"
        args_file.write_bytes(payload)
        proc = subprocess.run([str(env / BIN / "python"), "-c", RUNNER, str(args_file), str(out_file)],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0 or not out_file.is_file():
            return ("raised", None, f"the environment's Python exited {proc.returncode}:\n{proc.stderr[-3000:]}")
        import pickle  # the outer tuple holds only bytes and str: plain pickle reads it

        status, blob, text = pickle.loads(out_file.read_bytes())
        return (status, blob, text)


class InstallLock(WorkerPlugin):
    """The simple mode: install a lock into the worker's own environment, ``--no-deps --require-hashes``.

    Like ``distributed.diagnostics.plugin.PipInstall``, but every file is pinned by
    its sha256 and nothing else is resolved on the worker; uv when the worker has
    it, else pip. Registered under a name with the lock's digest, so registering
    the same lock again does nothing and another lock installs next to it.
    """

    idempotent = True

    def __init__(self, digest: str, lock_text: str, index_args: Sequence[str]) -> None:
        self.name = f"poncho-install-{digest}"
        self.digest = digest
        self.lock_text = lock_text
        self.index_args = list(index_args)

        self.failure: str | None = None  # set on the worker when the install failed; the client asks for it

    def setup(self, worker: Any) -> None:
        import importlib

        with tempfile.TemporaryDirectory(prefix="poncho-install-") as tmp:
            lock_file = Path(tmp) / "env.lock"
            lock_file.write_text(self.lock_text, encoding="utf-8")
            uv = _uv()
            install = ([*uv, "pip", "install", "--quiet", "--python", sys.executable] if uv is not None
                       else [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            try:
                _check([*install, "--no-deps", "--require-hashes", *self.index_args, "-r", str(lock_file)])
            except BuildFailed as exc:
                self.failure = str(exc)
        importlib.invalidate_caches()


def install_failure(dask_worker: Any, name: str) -> str | None:
    """What went wrong installing the lock registered as ``name`` on this worker (None: it is installed)."""
    plugin = dask_worker.plugins.get(name)
    return getattr(plugin, "failure", "the install plugin is not registered") if plugin is not None else (
        "the install plugin is not registered")

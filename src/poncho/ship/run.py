"""``run ARTIFACT -- COMMAND...``: unpack once per lock digest into a shared cache, then run the command inside.

The unpacked environment lives in ``<cache>/envs/<kind>-<digest>.<random>/``
and is published by creating the symlink ``<cache>/envs/<kind>-<digest>``,
which is atomic: a reader sees a complete environment or none. Runs on one
node take a file lock while unpacking, so the second waits and reuses the
first one's environment; where locks do not reach (a cache on NFS shared by
nodes), two may unpack at once, the first symlink wins and the loser removes
its copy. An interrupted unpack leaves an unpublished directory, never a
broken environment. Nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from poncho.errors import ArtifactError, ShipError
from poncho.paths import cache_root

from .record import ArtifactRecord, read_record
from .tools import environ, run_tool

BIN = "Scripts" if os.name == "nt" else "bin"


def run(artifact: str | Path, command: Sequence[str], cache_dir: str | Path | None = None) -> int:
    """Run ``command`` inside ``artifact``'s environment (its ``bin`` first on PATH); returns its exit code."""
    if not command:
        raise ShipError("give the command to run after --: poncho-resolve run ARTIFACT -- python job.py")
    env_dir = unpacked(artifact, cache_dir)
    env = environ(VIRTUAL_ENV=str(env_dir), PATH=os.pathsep.join([str(env_dir / BIN), os.environ.get("PATH", "")]))
    env.pop("PYTHONHOME", None)
    try:
        return subprocess.run(list(command), env=env).returncode
    except FileNotFoundError:
        raise ShipError(f"{command[0]}: no such command in {artifact}'s environment or on PATH") from None
    except PermissionError as exc:
        raise ShipError(f"{command[0]}: cannot be run: {exc.strerror}") from None


def unpacked(artifact: str | Path, cache_dir: str | Path | None = None) -> Path:
    """The environment of ``artifact``, unpacked into the cache the first time; the path of its venv."""
    record = read_record(artifact)
    if record.kind not in ("pex", "venv"):
        raise ArtifactError(f"{artifact}: a {record.kind} tarball; run it with its own tool "
                            "(poncho_package_run, or conda-unpack after extracting)")
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    envs = root / "envs"
    envs.mkdir(parents=True, exist_ok=True)
    link = envs / record.cache_key
    ready = _published(link)
    if ready is not None:
        return ready
    with _node_lock(envs / f"{record.cache_key}.lock"):
        ready = _published(link)
        if ready is not None:  # another run on this node unpacked it while we waited
            return ready
        work = Path(tempfile.mkdtemp(prefix=f"{record.cache_key}.", dir=envs))
        try:
            env_dir = _unpack(Path(artifact), record, work)
            try:
                os.symlink(os.path.relpath(env_dir, envs), link)
            except FileExistsError:  # another node won the race on a shared cache: use its copy
                shutil.rmtree(work, ignore_errors=True)
                ready = _published(link)
                if ready is None:
                    raise ArtifactError(f"{link}: published but unusable; remove it and run again") from None
                return ready
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return link


def _published(link: Path) -> Path | None:
    """``link`` if it names a complete environment; a dangling link (its target removed) is dropped."""
    if not link.is_symlink():
        return None
    if (link / BIN).is_dir():
        return link
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    return None


@contextlib.contextmanager
def _node_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the atomic symlink alone keeps the cache consistent
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _unpack(artifact: Path, record: ArtifactRecord, work: Path) -> Path:
    if record.kind == "pex":
        # The PEX's own tool makes a venv from it; copies, so nothing links back into a PEX_ROOT.
        env_dir = work / "venv"
        run_tool([sys.executable, str(artifact), "venv", "--site-packages-copies", str(env_dir)],
                 f"unpacking {artifact}", environ(PEX_TOOLS="1", PEX_ROOT=str(work / "pex-root")), ArtifactError)
        shutil.rmtree(work / "pex-root", ignore_errors=True)
        return env_dir
    try:
        with tarfile.open(artifact, "r:*") as tf:
            # "tar" keeps the venv's link to its interpreter (absolute) and refuses members outside `work`.
            tf.extractall(work, filter="tar")
    except (OSError, tarfile.TarError) as exc:
        raise ArtifactError(f"{artifact}: cannot be unpacked: {exc}") from None
    if not (work / "venv" / BIN).is_dir():
        raise ArtifactError(f"{artifact}: no venv/ inside; not a venv archive made by `poncho-resolve pack`")
    return work / "venv"

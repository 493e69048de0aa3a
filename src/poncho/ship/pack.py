"""``pack LOCK -o OUT``: a runnable artifact from a lock, made by a real packer, recording the lock's digest.

Kinds:

- ``pex``: ``pex --pylock pylock.toml`` (or ``pex -r env.lock --no-transitive``
  against the lock's index for a requirements lock), built with
  ``--include-tools`` so ``run`` can turn it into a venv. A lock for another
  target than this machine is packed with ``--platform`` (wheels only).
- ``venv``: ``uv venv --relocatable`` plus ``uv pip install --require-hashes
  --no-deps`` of the lock, archived as tar.gz. For this machine's platform: the
  venv's ``python`` links to the interpreter it was made with, so the
  archive runs where that interpreter lives at the same path (a cluster's
  shared software tree, a container image).
- ``poncho``: ``poncho_package_create poncho-spec.json OUT.tar.gz`` (cctools).
- ``conda-pack``: ``conda env create -f environment.yml`` then ``conda-pack``.

Each artifact is written atomically: a failed packer leaves nothing at ``OUT``.
"""

from __future__ import annotations

import io
import json
import os
import platform as platform_mod
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from poncho import __version__
from poncho.errors import LockFileError, PackError

from .record import RECORD_NAME, SIDECAR_SUFFIX, ArtifactRecord, lock_digest
from .tools import environ, find, run_tool

if TYPE_CHECKING:  # pragma: no cover
    from poncho.lock.parse import LockedFile

KINDS = ("pex", "venv", "poncho", "conda-pack")


def infer_kind(lock: Path, output: Path) -> str:
    """The kind an output name asks for: ``*.pex`` a PEX; a tarball is a venv archive, unless the lock is a
    ``poncho_package_create`` spec or a conda ``environment.yml``, whose own packers make tarballs."""
    if output.suffix == ".pex":
        return "pex"
    if output.name.endswith((".tar.gz", ".tgz")):
        if lock.suffix == ".json" and _is_poncho_spec(lock):
            return "poncho"
        if lock.suffix in (".yml", ".yaml"):
            return "conda-pack"
        return "venv"
    raise PackError(f"{output}: say which artifact with --kind {{{','.join(KINDS)}}} "
                    "(or name it *.pex or *.tar.gz)")


def pack(lock: str | Path, output: str | Path, kind: str | None = None, *, python: str | None = None,
         index_urls: tuple[str, ...] = ()) -> ArtifactRecord:
    """Pack ``lock`` into ``output`` with the real packer for ``kind``; returns the record written into it.

    ``python`` is the interpreter for the venv (default: this one) or the PEX;
    ``index_urls`` replace the lock header's indexes for a requirements lock
    (the header's URLs never carry credentials).
    """
    lock, output = Path(lock), Path(output)
    if not lock.is_file():
        raise PackError(f"{lock}: no such lock file (make one with `poncho-resolve PATH -o {lock}`)")
    if output.is_dir() or not output.parent.is_dir():
        raise PackError(f"{output}: give a file name in an existing directory")
    kind = kind or infer_kind(lock, output)
    if kind not in KINDS:
        raise PackError(f"unknown artifact kind {kind!r}; choose one of {', '.join(KINDS)}")
    header = _header(lock) if kind in ("pex", "venv") else None
    record = ArtifactRecord(kind=kind, lock_digest=lock_digest(lock), lock_name=lock.name,
                            input_digest=header.input_digest if header else None,
                            target=header.target if header else None, tool_version=__version__)
    with tempfile.TemporaryDirectory(prefix=".poncho-pack-", dir=output.parent) as tmp:
        work = Path(tmp)
        built = work / output.name
        if header is not None and kind == "pex":
            _pex(lock, header, built, work, record, python, index_urls)
        elif header is not None and kind == "venv":
            _venv(lock, header, built, work, record, python, index_urls)
        elif kind == "poncho":
            run_tool([*find("poncho_package_create"), str(lock), str(built)], "poncho_package_create")
        else:
            _conda_pack(lock, built, work)
        if kind in ("poncho", "conda-pack"):  # tarballs of other tools: the record sits beside them
            sidecar = output.with_name(output.name + SIDECAR_SUFFIX)
            (work / sidecar.name).write_text(record.to_json(), encoding="utf-8")
            os.replace(work / sidecar.name, sidecar)
        os.replace(built, output)
    return record


def _header(lock: Path) -> LockedFile:
    from poncho.lock.parse import read_lock

    try:
        return read_lock(lock)
    except LockFileError as exc:
        raise PackError(f"{exc}; pex and venv artifacts are packed from a requirements lock or pylock.toml") from None


def _is_pylock(lock: Path) -> bool:
    return lock.suffix == ".toml"


def _is_poncho_spec(lock: Path) -> bool:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("conda"), dict)


def _native(header: LockedFile) -> bool:
    """Is the lock for this machine (one of its targets has this Python minor and a platform this machine's
    installer accepts)?"""
    from poncho.resolver.target import Target

    if not header.targets_parts:
        return True  # a hand-written lock says nothing: pack for this machine
    here = Target.current()
    platforms = {t.platform for t in here.tags}
    return any(python.split(".")[:2] == here.python_full_version.split(".")[:2] and plat in platforms
               for python, plat in header.targets_parts)


def _index_args(header: LockedFile, index_urls: tuple[str, ...], first: str = "--index-url") -> list[str]:
    urls = index_urls or tuple(header.index_urls)
    if not urls:
        raise PackError(f"{header.path}: the lock names no index; give --index-url")
    if any("***@" in u for u in urls):
        raise PackError(f"{header.path}: the lock's index needs credentials; give --index-url with them")
    args = [first, urls[0]]
    for url in urls[1:]:
        args += ["--extra-index-url", url]
    return args


def _pex(lock: Path, header: LockedFile, built: Path, work: Path, record: ArtifactRecord,
         python: str | None, index_urls: tuple[str, ...]) -> None:
    sources = work / "sources"
    sources.mkdir()
    (sources / RECORD_NAME).write_text(record.to_json(), encoding="utf-8")
    cmd = [*find("pex"), "--include-tools", "-D", str(sources), "-o", str(built), "--pex-root", str(work / "pex-root")]
    if _is_pylock(lock):
        cmd += ["--pylock", str(lock)]
    else:
        cmd += ["--no-pypi", *_index_args(header, index_urls, "--index"), "--no-transitive", "-r", str(lock)]
    if python:
        cmd += ["--python", python]
    elif not _native(header):
        for python_version, plat in header.targets_parts:  # a multi-platform PEX for a lock of several targets
            xy = "".join(python_version.split(".")[:2])
            cmd += ["--platform", f"{plat}-cp-{xy}-cp{xy}"]  # pex's abbreviated platform: wheels only
    run_tool(cmd, "pex", environ())


def _venv(lock: Path, header: LockedFile, built: Path, work: Path, record: ArtifactRecord,
          python: str | None, index_urls: tuple[str, ...]) -> None:
    if python is None and not _native(header):
        raise PackError(f"{lock}: made for {header.target}, not this machine "
                        f"(cpython {platform_mod.python_version()}); a venv archive is for this machine's "
                        "platform: pack a PEX for another target, or give --python for another local interpreter")
    import sys

    uv = find("uv")
    venv = work / "venv"
    env = environ(UV_PYTHON_DOWNLOADS="never")
    run_tool([*uv, "venv", "--relocatable", "--quiet", "--python", python or sys.executable, str(venv)],
             "uv venv", env)
    interpreter = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = [*uv, "pip", "install", "--quiet", "--python", str(interpreter), "--link-mode", "copy",
               "--no-deps"]
    if _is_pylock(lock):
        install += ["-r", str(lock)]  # every file in a pylock.toml carries its sha256; uv checks them
    else:
        install += ["--require-hashes", *_index_args(header, index_urls), "-r", str(lock)]
    run_tool(install, "uv pip install", env)
    data = record.to_json().encode()
    with tarfile.open(built, "w:gz") as tf:
        info = tarfile.TarInfo(RECORD_NAME)  # first, so `run` reads it without reading the whole archive
        info.size, info.mode = len(data), 0o644
        tf.addfile(info, io.BytesIO(data))
        tf.add(venv, arcname="venv")


def _conda_pack(lock: Path, built: Path, work: Path) -> None:
    prefix = work / "env"
    run_tool([*find("conda"), "env", "create", "--quiet", "-p", str(prefix), "-f", str(lock)], "conda env create")
    run_tool([*find("conda-pack"), "-p", str(prefix), "-o", str(built)], "conda-pack")

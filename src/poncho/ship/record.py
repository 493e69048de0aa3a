"""The artifact record: which lock an artifact was packed from, stored inside the artifact itself.

A PEX carries it as a source file (``poncho_artifact.json`` at the zip's
root); a venv archive as the first tar member; tarballs made by other tools
(``poncho_package_create``, ``conda-pack``) in a sidecar
``OUT.poncho-artifact.json``. ``run`` keys its cache by ``lock_digest``, the
sha256 of the lock file's bytes: two artifacts of one lock share an unpacked
environment, and any change to a pin or hash makes a new one.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from poncho.errors import ArtifactError

RECORD_NAME = "poncho_artifact.json"
SIDECAR_SUFFIX = ".poncho-artifact.json"
SCHEMA = 1


@dataclass(frozen=True)
class ArtifactRecord:
    """What ``run`` needs to know about an artifact before opening it."""

    kind: str  # "pex", "venv", "poncho", "conda-pack"
    lock_digest: str  # "sha256:<hex>" of the lock file's bytes
    lock_name: str  # the lock's file name, for messages
    input_digest: str | None  # the lock header's input digest (what `check` compares), when it has one
    target: str | None  # the lock header's target, "cpython 3.11.7 on manylinux_2_35_x86_64"
    tool_version: str

    def to_json(self) -> str:
        return json.dumps({"poncho-artifact": SCHEMA, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: bytes | str, where: str) -> ArtifactRecord:
        try:
            data = json.loads(text)
        except ValueError as exc:  # json.JSONDecodeError, or bytes that are not UTF-8
            raise ArtifactError(f"{where}: unreadable artifact record ({exc})") from None
        if not isinstance(data, dict) or data.get("poncho-artifact") != SCHEMA:
            raise ArtifactError(f"{where}: not a poncho-resolve artifact record (schema {SCHEMA})")
        kind, digest = data.get("kind"), data.get("lock_digest")
        if not (isinstance(kind, str) and isinstance(digest, str) and digest.startswith("sha256:")):
            raise ArtifactError(f"{where}: the artifact record has no kind or lock digest")
        optional = {k: v if isinstance(v := data.get(k), str) else None for k in ("input_digest", "target")}
        return cls(kind=kind, lock_digest=digest, lock_name=str(data.get("lock_name", "")),
                   tool_version=str(data.get("tool_version", "")), **optional)

    @property
    def cache_key(self) -> str:
        """The unpacked environment's directory name: one per kind and lock digest."""
        return f"{self.kind}-{self.lock_digest.partition(':')[2][:40]}"


def lock_digest(path: str | Path) -> str:
    """``sha256:<hex>`` of the lock file's bytes."""
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_record(artifact: str | Path) -> ArtifactRecord:
    """The record an artifact made by ``pack`` carries; anything else is an ArtifactError naming the file."""
    path = Path(artifact)
    if not path.is_file():
        raise ArtifactError(f"{path}: no such artifact (make one with `poncho-resolve pack LOCK -o {path}`)")
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                try:
                    return ArtifactRecord.from_json(zf.read(RECORD_NAME), str(path))
                except KeyError:
                    pass
        elif sidecar.is_file():
            return ArtifactRecord.from_json(sidecar.read_bytes(), str(sidecar))
        elif tarfile.is_tarfile(path):
            with tarfile.open(path, "r:*") as tf:
                first = tf.next()  # pack writes the record first: no need to read the whole archive
                if first is not None and first.name == RECORD_NAME and first.isfile():
                    fh = tf.extractfile(first)
                    if fh is not None:
                        return ArtifactRecord.from_json(fh.read(1 << 20), str(path))
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ArtifactError(f"{path}: cannot read the artifact: {exc}") from None
    raise ArtifactError(f"{path}: not an artifact made by `poncho-resolve pack` (it records no lock digest)")

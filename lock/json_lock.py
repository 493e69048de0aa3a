"""The whole Lock record as JSON, for tools; ``load`` reads it back to an equal Lock.

Why it is shaped as it is: the record's own field names and nesting (no
renaming layer to drift), header fields before the long ``entries`` list, in
the records' declaration order, with a ``format`` tag so a reader can refuse
a file it does not understand. Unknown keys are ignored and missing optional
fields take their defaults, so a lock written by a newer poncho-resolve still
loads. No timestamps: the same lock gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from poncho.errors import LockFileError, PonchoError

from . import validate
from .inputs import LockFlags, LockInputs
from .records import Artifact, Lock, LockEntry, LockTarget

FORMAT = "poncho-resolve-lock/1"


def to_dict(lock: Lock) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT}
    for f in dataclasses.fields(Lock):
        if f.name != "entries":
            out[f.name] = _plain(getattr(lock, f.name))
    out["pinned_digest"] = lock.pins_digest  # derived; `check` compares it with the entries it reads
    out["entries"] = [_plain(e) for e in lock.entries]
    return out


def render(lock: Lock) -> str:
    """The lock as indented JSON text."""
    return json.dumps(to_dict(lock), indent=2, ensure_ascii=False) + "\n"


def load(text: str) -> Lock:
    """A Lock from ``render``'s output."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise LockFileError(f"not JSON: {exc!r}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LockFileError(f"not a poncho-resolve JSON lock (expected format {FORMAT!r})")
    try:
        entries = tuple(_build(LockEntry, e, artifacts=lambda v: tuple(_build(Artifact, a) for a in v))
                        for e in data["entries"])
        lock = _build(Lock, data, entries=lambda _: entries, inputs=lambda v: _build(LockInputs, v),
                      flags=lambda v: LockFlags.from_header(_build(LockFlags, v).header()),  # checked as a header
                      targets=lambda v: tuple(_build(LockTarget, t) for t in v))
        for e in lock.entries:  # the record feeds installers: the same checks as a freshly built lock
            validate.name(e.name, "lock")
            validate.version(e.version, "lock")
            validate.marker(e.marker, e.name)
            for a in e.artifacts:
                validate.sha256(a.sha256, a.url)
    except (KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise LockFileError(f"malformed lock: {exc!r}") from None
    except PonchoError as exc:
        raise LockFileError(f"malformed lock: {exc}") from None
    return lock


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _build(cls: Any, data: dict[str, Any], **convert: Any) -> Any:
    """``cls`` from ``data``: lists become tuples, ``convert`` builds nested records."""
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue  # optional fields keep their defaults; a missing required one is a TypeError
        value = data[f.name]
        if f.name in convert:
            value = convert[f.name](value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)

"""Per-file cache of analysis results, keyed by content, tool and rules.

An entry is the JSON of one file's sites and diagnostics (without the path,
so a moved file still hits). The key covers the file's bytes, its module
name, poncho's version, a digest of the analyzer's own source and rules, and
the running Python (the parser differs). Entries are written atomically
(temp file + ``os.replace``); an unreadable or corrupted entry is a miss and
gets rewritten. ``PONCHO_CACHE_DIR`` overrides the base directory.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, fields
from functools import lru_cache
from pathlib import Path

from poncho.fileio import write_atomic
from poncho.paths import cache_root

from .sites import Code, Diagnostic, Guard, ImportSite, Kind, Severity

SCHEMA = 2  # 2: diagnostics keep their code, sites their fallback_for
_SITE_FIELDS = [f.name for f in fields(ImportSite) if f.name != "file"]
_DIAG_FIELDS = [f.name for f in fields(Diagnostic) if f.name != "file"]


def default_cache_dir() -> Path:
    return cache_root() / "analysis"


@lru_cache(maxsize=1)
def analyzer_digest() -> str:
    """Tool version + a digest of the analyzer's code and data: any change invalidates the cache."""
    from poncho import __version__

    from .rules import load_rules

    h = hashlib.sha256(f"{SCHEMA}\0{__version__}\0{sys.version_info[:2]}\0{load_rules().version}".encode())
    here = Path(__file__).resolve().parent
    for p in sorted(here.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def entry_key(data: bytes, kind: str, module: str, package: str) -> str:
    h = hashlib.sha256(data)
    h.update(f"\0{analyzer_digest()}\0{kind}\0{module}\0{package}".encode())
    return h.hexdigest()


def dump(sites: list[ImportSite], diags: list[Diagnostic]) -> bytes:
    def row(obj, names):
        d = asdict(obj)
        return [d[n].value if hasattr(d[n], "value") else d[n] for n in names]

    return json.dumps({"schema": SCHEMA, "sites": [row(s, _SITE_FIELDS) for s in sites],
                       "diagnostics": [row(d, _DIAG_FIELDS) for d in diags]}, separators=(",", ":")).encode()


def load(raw: bytes, file: str) -> tuple[list[ImportSite], list[Diagnostic]]:
    data = json.loads(raw)
    if data.get("schema") != SCHEMA:
        raise ValueError("schema")
    sites = []
    for row in data["sites"]:
        kw = dict(zip(_SITE_FIELDS, row, strict=True))
        kw["kind"], kw["guard"] = Kind(kw["kind"]), Guard(kw["guard"])
        sites.append(ImportSite(file=file, **kw))
    diags = []
    for row in data["diagnostics"]:
        kw = dict(zip(_DIAG_FIELDS, row, strict=True))
        kw["severity"], kw["code"] = Severity(kw["severity"]), Code(kw["code"])
        diags.append(Diagnostic(file=file, **kw))
    return sites, diags


class SiteCache:
    """Files' sites by key, under ``directory`` (default: the user cache dir)."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def get(self, key: str, file: str) -> tuple[list[ImportSite], list[Diagnostic]] | None:
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        try:
            return load(raw, file)
        except (ValueError, KeyError, TypeError):
            return None  # corrupted: recomputed and rewritten by the caller

    def put(self, key: str, sites: list[ImportSite], diags: list[Diagnostic]) -> None:
        try:
            write_atomic(self._path(key), dump(sites, diags))
        except OSError:
            pass  # a read-only or full cache never fails the analysis

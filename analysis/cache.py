"""Per-file cache of analysis results, keyed by content, tool and rules.

An entry is the JSON of one file's sites and diagnostics (without the path,
so a moved file still hits). The key covers the file's bytes, its module
name, poncho's version, a digest of the analyzer's own source and rules, and
the running Python (the parser differs). Entries are written atomically
(temp file + ``os.replace``); an unreadable or corrupted entry (not JSON, not
an object, another schema, a field of the wrong type) is a miss and gets
rewritten. A cache that cannot be written warns once and is not written again
in this run. ``PONCHO_CACHE_DIR`` overrides the base directory.

The cache is bounded (:meth:`SiteCache.prune_trees`, :meth:`SiteCache.sweep`): each analyzed root keeps
its newest whole-tree entries (a hit counts as a use), all roots together a fixed number, and per-file
entries (and function-entry walks, ``functions/``) no run has used for a month go in a sweep made at most
once a day. Pruning only unlinks whole
files, so a concurrent reader sees an entry or a miss, never part of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from dataclasses import fields
from functools import lru_cache
from operator import attrgetter
from pathlib import Path

from poncho.fileio import code_digest, write_cache_entry
from poncho.paths import cache_root

from .sites import Code, Diagnostic, Guard, ImportSite, Kind, Severity

SCHEMA = 2  # 2: diagnostics keep their code, sites their fallback_for
MAX_ENTRY = 64 * 1024 * 1024  # an entry is far smaller than the file it describes (at most 10 MB)
_SITE_FIELDS = [f.name for f in fields(ImportSite) if f.name != "file"]
_DIAG_FIELDS = [f.name for f in fields(Diagnostic) if f.name != "file"]
# What each stored field must be (the dataclasses do not check): a wrong type would fail later, in a sort.
_ENUMS = {"kind": Kind, "guard": Guard, "severity": Severity, "code": Code}
_ANY = lambda v: True  # noqa: E731 - an Enum field is checked by its conversion
_TYPES = {"int": lambda v: type(v) is int, "str": lambda v: type(v) is str,
          "int | None": lambda v: v is None or type(v) is int, "str | None": lambda v: v is None or type(v) is str}


FUNCTIONS = "functions"  # function-entry walks (function_entry/memo.py), swept with the per-file entries


def default_cache_dir() -> Path:
    return cache_root() / "analysis"


@lru_cache(maxsize=1)
def analyzer_digest() -> str:
    """Tool version + a digest of the analyzer's code and data: any change invalidates the cache."""
    from poncho import __version__

    here = Path(__file__).resolve().parent
    code = code_digest(here)
    data = code_digest(here / "data", ("*.toml", "*.txt"))  # the plugin rules and stdlib lists, as bytes: a
    # warm run the cache answers need not parse the rule table to know it
    h = hashlib.sha256(f"{SCHEMA}\0{__version__}\0{sys.version_info[:2]}\0{data}\0{code}".encode())
    return h.hexdigest()[:16]


def tree_owner(roots: list[str], scope: str = "") -> str:
    """What a whole-tree entry's name starts with: the analyzed roots and the file set's scope, so each
    root's entries are bounded per scope (the runtime files, the left-out ones, ``--include-tests`` or
    ``--exclude`` variants do not take each other's slots)."""
    return hashlib.sha256(("\0".join(sorted(roots)) + (f"\0\0{scope}" if scope else "")).encode()).hexdigest()[:16]


def tree_key(stats: list[tuple[str, str, str, int, int, int, int]], owner: str = "") -> str:
    """A whole tree's entry: every file's path, module, package and stat identity (size, mtime, ctime, inode).

    A warm ``check`` of a tree nobody touched then reads one entry instead of
    every file and one entry each. Editing, checking out, copying or chmod-ing
    a file changes its ctime, so the tree key moves and the per-file entries
    (keyed by content) answer as before.
    """
    h = hashlib.sha256(analyzer_digest().encode())
    h.update(json.dumps(stats, separators=(",", ":")).encode())
    return f"{owner}-{h.hexdigest()}" if owner else h.hexdigest()


def entry_key(data: bytes, kind: str, module: str, package: str) -> str:
    h = hashlib.sha256(data)
    h.update(f"\0{analyzer_digest()}\0{kind}\0{module}\0{package}".encode())
    return h.hexdigest()


def _row_maker(names: list[str]):
    """A record's row: its fields read in one C call (``attrgetter``), Enum fields as their values.

    dataclasses.asdict deep-copies every field (it was a third of a cold run's cache cost); a
    getattr per field and an isinstance per value were most of the rest.
    """
    get = attrgetter(*names)
    enums = [i for i, n in enumerate(names) if n in _ENUMS]

    def row(obj: object) -> list:
        values = list(get(obj))
        for i in enums:
            values[i] = getattr(values[i], "value", values[i])
        return values

    return row


def _rows(sites: list[ImportSite], diags: list[Diagnostic]) -> tuple[list[list], list[list]]:
    return [_site_row(s) for s in sites], [_diag_row(d) for d in diags]


def dump(sites: list[ImportSite], diags: list[Diagnostic]) -> bytes:
    site_rows, diag_rows = _rows(sites, diags)
    return json.dumps({"schema": SCHEMA, "sites": site_rows, "diagnostics": diag_rows},
                      separators=(",", ":")).encode()


def load(raw: bytes, file: str) -> tuple[list[ImportSite], list[Diagnostic]]:
    """An entry's records; ValueError for anything but an entry this version wrote."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError("not an entry of this schema")
    sites, diags = data.get("sites"), data.get("diagnostics")
    if not isinstance(sites, list) or not isinstance(diags, list):
        raise ValueError("not an entry of this schema")
    return ([_record(ImportSite, _SITE_FIELDS, row, file) for row in sites],
            [_record(Diagnostic, _DIAG_FIELDS, row, file) for row in diags])


def _record(cls, names: list[str], row: object, file: str):
    if not isinstance(row, list) or len(row) != len(names):
        raise ValueError("a record of another shape")
    kw = {}
    for (name, enum, check), value in zip(_PLANS[cls], row):
        if enum is not None:
            try:
                value = enum(value)
            except TypeError:  # unhashable
                raise ValueError(name) from None
        elif not check(value):
            raise ValueError(name)
        kw[name] = value
    return cls(file=file, **kw)


_site_row, _diag_row = _row_maker(_SITE_FIELDS), _row_maker(_DIAG_FIELDS)
_FIELDS = {cls: {f.name: f for f in fields(cls)} for cls in (ImportSite, Diagnostic)}
# Per stored field, in row order: (name, its Enum or None, its type check), worked out once, not per value.
_PLANS = {cls: [(n, _ENUMS[n], _ANY) if n in _ENUMS else (n, None, _TYPES[str(_FIELDS[cls][n].type)]) for n in names]
          for cls, names in ((ImportSite, _SITE_FIELDS), (Diagnostic, _DIAG_FIELDS))}


DAY = 24 * 3600


class SiteCache:
    """Files' sites by key, under ``directory`` (default: the user cache dir).

    ``keep_trees``: whole-tree entries kept per analyzed root (the current state of the tree and a few
    recent ones, say two branches checked out in turn); ``max_trees``: kept for all roots together;
    ``unused_days``: a per-file entry no run has read or written for this long is swept.
    """

    def __init__(self, directory: Path | str | None = None, *, keep_trees: int = 3, max_trees: int = 64,
                 unused_days: float = 30) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.writable = True  # False after a write failed: the rest of the run does without
        self.keep_trees = keep_trees
        self.max_trees = max_trees
        self.unused_days = unused_days

    def _path(self, key: str) -> str:
        # a string, not a Path: a cold run makes two per file, and pathlib's joins were a tenth of the cache's cost
        return f"{self.directory}{os.sep}{key[:2]}{os.sep}{key[2:]}.json"

    def get(self, key: str, file: str) -> tuple[list[ImportSite], list[Diagnostic]] | None:
        try:
            with open(self._path(key), "rb") as fh:
                raw = fh.read(MAX_ENTRY + 1)
                mark_used(fh.fileno(), DAY)
        except OSError:
            return None
        if len(raw) > MAX_ENTRY:
            return None
        try:
            return load(raw, file)
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            return None  # corrupted: recomputed and rewritten by the caller

    def get_tree(self, key: str) -> list[tuple[str, list[ImportSite], list[Diagnostic]]] | None:
        """A whole tree's per-file records (see :func:`tree_key`), or None (missing or damaged: a miss)."""
        try:
            with open(self.directory / "trees" / f"{key}.json", "rb") as fh:
                raw = fh.read(MAX_ENTRY + 1)
                mark_used(fh.fileno(), 0)  # the newest-used entries of a root are the ones kept
            if len(raw) > MAX_ENTRY:
                return None
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("files"), list):
                return None
            out = []
            for item in data["files"]:
                if not isinstance(item, list) or len(item) != 3 or type(item[0]) is not str \
                        or not isinstance(item[1], list) or not isinstance(item[2], list):
                    return None
                file = item[0]
                out.append((file, [_record(ImportSite, _SITE_FIELDS, r, file) for r in item[1]],
                            [_record(Diagnostic, _DIAG_FIELDS, r, file) for r in item[2]]))
            return out
        except (OSError, ValueError, RecursionError):
            return None

    def put_tree(self, key: str, per_file: list[tuple[str, list[ImportSite], list[Diagnostic]]]) -> None:
        if not self.writable:
            return
        files = [[file, *_rows(sites, diags)] for file, sites, diags in per_file]
        raw = json.dumps({"schema": SCHEMA, "files": files}, separators=(",", ":")).encode()
        self.writable = write_cache_entry(self.directory / "trees" / f"{key}.json", raw, "analysis")
        if self.writable:
            self.prune_trees(key)

    def prune_trees(self, kept: str) -> None:
        """Keep the newest-used ``keep_trees`` entries of ``kept``'s root and ``max_trees`` in all.

        Runs after a tree entry is written (a run that read its files anyway): one directory listing.
        """
        owner = kept.partition("-")[0] if "-" in kept else ""
        entries = []
        for e in _scan_dir(self.directory / "trees"):
            if e.name.endswith(".json") and e.name != f"{kept}.json":
                mtime = _mtime(e)
                if mtime is not None:
                    entries.append((mtime, e))
        entries.sort(key=lambda t: t[0], reverse=True)
        same_root = [e for _, e in entries if "-" in e.name and e.name.partition("-")[0] == owner] if owner else []
        doomed = same_root[self.keep_trees - 1:] if self.keep_trees > 0 else same_root
        survivors = [e for _, e in entries if e not in doomed]
        doomed += survivors[max(self.max_trees - 1, 0):]
        for e in doomed:
            _unlink(e.path)

    def sweep(self, now: float | None = None) -> bool:
        """Remove per-file and function-entry entries unused for ``unused_days`` (and temporary files a
        killed run left), at most once a day; True when it ran.

        The first run of the day stamps ``last-sweep`` before it starts, so concurrent runs do not
        sweep together (if they do, each unlink that finds nothing is fine).
        """
        now = time.time() if now is None else now
        stamp = self.directory / "last-sweep"
        try:
            if now - stamp.stat().st_mtime < DAY:
                return False
        except OSError:
            pass
        if not self.writable or not write_cache_entry(stamp, str(int(now)), "analysis"):
            self.writable = False
            return False
        try:
            os.utime(stamp, (now, now))
        except OSError:
            pass
        cutoff = now - self.unused_days * DAY
        for sub in _scan_dir(self.directory):
            if sub.name == FUNCTIONS and sub.is_dir(follow_symlinks=False):
                dirs = [d for d in _scan_dir(Path(sub.path)) if len(d.name) == 2 and d.is_dir(follow_symlinks=False)]
            elif sub.name == "trees" or (len(sub.name) == 2 and sub.is_dir(follow_symlinks=False)):
                dirs = [sub]
            else:
                continue
            for d in dirs:
                for e in _scan_dir(Path(d.path)):
                    mtime = _mtime(e)
                    if mtime is None:
                        continue
                    if (e.name.endswith(".json") and mtime < cutoff) or (e.name.endswith(".tmp") and mtime < now - DAY):
                        _unlink(e.path)
        return True

    def put(self, key: str, sites: list[ImportSite], diags: list[Diagnostic]) -> None:
        """Store an entry; a cache that cannot be written warns once (poncho.fileio) and is left alone."""
        if self.writable:
            self.writable = write_cache_entry(self._path(key), dump(sites, diags), "analysis")


def mark_used(fd: int, older_than: float) -> None:
    """Mark an entry as used now (its mtime) when its mark is older than ``older_than`` seconds."""
    try:
        if time.time() - os.fstat(fd).st_mtime > older_than and os.utime in os.supports_fd:
            os.utime(fd)
    except OSError:  # a read-only cache, another user's entry: it is only pruned sooner
        pass


def _scan_dir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _mtime(entry: os.DirEntry[str]) -> float | None:
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:  # gone since the listing: another run pruned it
        return None
    return st.st_mtime if stat.S_ISREG(st.st_mode) else None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:  # already gone (a concurrent run), or not ours to remove: left alone
        pass

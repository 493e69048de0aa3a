"""The build's journal: one JSON line per crawled project, so an interrupted build resumes.

The first line names the format and the index; then one line per project
result (:class:`.results.ProjectResult`) and one per crawling run. A line
torn by a crash is ignored (that project is crawled again). Format 2 lines
carry the project's ``outcome``; format 1 lines get it from their prose
(:func:`.results.legacy_outcome`), so older journals resume and recrawl.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from poncho import __version__
from poncho.errors import BuildError

from .results import ProjectResult

JOURNAL = "journal.jsonl"
JOURNAL_FORMAT = 2


def read_journal(path: Path, index_url: str) -> tuple[dict[str, ProjectResult], list[dict[str, Any]]]:
    """(results already journaled by canonical project name, earlier runs)."""
    done: dict[str, ProjectResult] = {}
    runs: list[dict[str, Any]] = []
    if not path.exists():
        return done, runs
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                data = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash; that project is crawled again
            if "journal" in data:
                if data.get("index_url") != index_url:
                    raise BuildError(
                        f"{path}:{lineno}: this journal was built against {data.get('index_url')!r}, "
                        f"not {index_url!r}; use another output directory or the same --index-url")
                continue
            if "run" in data:
                runs.append(data["run"])
                continue
            res = ProjectResult.from_json(data)
            done[canonicalize_name(res.project)] = res
    return done, runs


class Journal:
    """Appends results as they arrive, each line flushed."""

    def __init__(self, path: Path, index_url: str) -> None:
        new = not path.exists() or path.stat().st_size == 0
        self.fh = path.open("a", encoding="utf-8")
        if not new:
            # a crash may have left a torn line: start ours on a fresh one
            with path.open("rb") as raw:
                raw.seek(-1, 2)
                if raw.read(1) != b"\n":
                    self.fh.write("\n")
        if new:
            self.write({"journal": JOURNAL_FORMAT, "index_url": index_url, "tool_version": __version__})

    def write(self, data: dict[str, Any]) -> None:
        self.fh.write(json.dumps(data, sort_keys=True) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()

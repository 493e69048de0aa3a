"""The fileset: dataset name -> list of ROOT files, checked with uproot before a long run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import uproot

log = logging.getLogger(__name__)


def load_fileset(path: Path) -> dict[str, list[str]]:
    with open(path) as fh:
        fileset = json.load(fh)
    return {name: list(files) for name, files in fileset.items()}


def validate_fileset(fileset: dict[str, list[str]], treename: str = "Events") -> dict[str, list[str]]:
    """Drop files that do not open or lack the tree; a bad file kills a whole Parsl task otherwise."""
    good: dict[str, list[str]] = {}
    for dataset, files in fileset.items():
        for url in files:
            try:
                with uproot.open(url, timeout=30) as f:
                    if treename not in f:
                        log.warning("%s has no %s tree", url, treename)
                        continue
                    log.info("%s: %d entries", url, f[treename].num_entries)
            except OSError as exc:
                log.warning("cannot open %s: %s", url, exc)
                continue
            good.setdefault(dataset, []).append(url)
    return good

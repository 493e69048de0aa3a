"""What the neighbour rule changes: every contested import mapped with and without a project context.

Run before shipping a new ``neighbours.tsv`` (``python -m
poncho.index_cache.build.contexts [INDEX_DIR]``): it maps every import path
that several distributions provide with an empty context and with each of
:data:`CONTEXTS`, and prints each path whose pick changes, one line each
(context, path, pick without, pick with, the evidence), then the counts.
Each change is a claim to check by hand against the projects' pages: a
wrong one (``dotenv`` -> django-dotenv in a Django project) means the
threshold or the table is wrong, not that the list needs an exception.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping as _Table
from dataclasses import dataclass
from pathlib import Path

from ..shipped import INDEX_FILE, ShippedIndex

# Typical projects, by the distributions their other imports map to without a choice.
CONTEXTS: dict[str, frozenset[str]] = {
    "django": frozenset({"django", "djangorestframework"}),
    "data-science": frozenset({"numpy", "pandas", "scipy", "matplotlib", "scikit-learn"}),
    "async-web": frozenset({"fastapi", "pydantic", "uvicorn", "starlette", "httpx"}),
}


@dataclass(frozen=True)
class Change:
    context: str
    path: str
    before: str
    after: str
    why: str


def contested_paths(index: ShippedIndex) -> list[str]:
    """Every import path the index gives to more than one distribution, sorted."""
    seen: dict[str, int] = {}
    for line in index._load():
        path = line.split("\t", 1)[0]
        seen[path] = seen.get(path, 0) + 1
    return sorted(p for p, n in seen.items() if n > 1)


def changes(index: ShippedIndex, contexts: _Table[str, frozenset[str]] = CONTEXTS) -> tuple[int, list[Change]]:
    """How many contested paths there are, and each (context, path) whose pick the context changes."""
    paths = contested_paths(index)
    out = []
    for path in paths:
        plain = index.lookup_declared(path, None)
        for name, context in contexts.items():
            found = index.lookup_declared(path, None, context)
            if plain is not None and found is not None and found.distribution != plain.distribution:
                why = "; ".join(e.describe() for e in found.neighbours)
                out.append(Change(name, path, str(plain.distribution), str(found.distribution), why))
    return len(paths), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m poncho.index_cache.build.contexts",
                                     description="List the contested imports whose pick a project context changes.")
    parser.add_argument("index_dir", nargs="?", type=Path, default=None,
                        help="directory with import-index.tsv and neighbours.tsv (default: the shipped tables)")
    args = parser.parse_args(argv)
    index = ShippedIndex(args.index_dir / INDEX_FILE) if args.index_dir else ShippedIndex()
    total, found = changes(index)
    for c in found:
        print(f"{c.context}\t{c.path}\t{c.before}\t{c.after}\t{c.why}")
    counts = {name: sum(1 for c in found if c.context == name) for name in CONTEXTS}
    print(f"{total} contested import paths; changed: "
          + ", ".join(f"{name} {n}" for name, n in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

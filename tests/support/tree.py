"""Source trees for tests, written from a {relative path: text} mapping."""

from __future__ import annotations

from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    """Write each file under ``root`` (making folders as needed); ``root`` back, for chaining."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.index_server import IndexServer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def index_server():
    """A running loopback index; add wheels with ``index_server.add(path)``."""
    with IndexServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own poncho cache, so tests never see each other's state."""
    monkeypatch.setenv("PONCHO_CACHE_DIR", str(tmp_path_factory.mktemp("poncho-cache")))
    # Behave as on a user's machine: this machine's pip configuration (extra
    # file:// indexes, find-links, constraints) must not leak into tests. Tests
    # of pip-config support write their own file.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def repo() -> Path:
    return REPO

"""Settings from a TOML file in the user's config directory."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@dataclass
class Settings:
    interval: float = 15.0
    port: int = 9108
    database: str = field(default_factory=lambda: f"sqlite:///{Path(user_data_dir('acme-telemetry')) / 'samples.db'}")
    collectors: list[str] = field(default_factory=lambda: ["cpu", "memory", "disk"])


def load_settings(path: Path | None = None) -> Settings:
    path = path or Path(user_config_dir("acme-telemetry")) / "config.toml"
    if not path.exists():
        return Settings()
    with path.open("rb") as fh:
        data = tomllib.load(fh).get("telemetry", {})
    return Settings(**data)

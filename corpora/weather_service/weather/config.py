import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Settings:
    base_url: str
    stations: list = field(default_factory=list)
    database: Path = Path("readings.sqlite3")
    radar_image: str | None = None
    thumbnail_dir: Path = Path("thumbs")
    token_secret: str = ""
    timeout: float = 10.0


def load_settings(path):
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    raw.setdefault("token_secret", os.environ.get("WEATHER_TOKEN_SECRET", ""))
    raw["database"] = Path(raw.get("database", "readings.sqlite3"))
    raw["thumbnail_dir"] = Path(raw.get("thumbnail_dir", "thumbs"))
    return Settings(**raw)

"""The parts of pip's configuration that say how to reach an index.

Users behind a mirror or a TLS-intercepting proxy have already told pip
where the index is and which CA bundle to trust; poncho-resolve reads the
same settings (``index-url``, ``extra-index-url``, ``cert``) from the same
files and ``PIP_*`` variables, in pip's order of precedence, so it works
wherever their pip works. ``PIP_CONFIG_FILE=/dev/null`` disables the files,
as it does for pip.
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

SECTIONS = ("global", "install", "download")  # later sections override earlier ones, as in pip


@dataclass(frozen=True)
class PipSettings:
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    cert: str | None = None
    files: tuple[str, ...] = ()  # the configuration files that were read


def config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's configuration files, lowest precedence first."""
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []
    files: list[Path] = []
    xdg_dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in reversed(xdg_dirs) if d]
    files.append(Path("/etc/pip.conf"))
    home = Path(env.get("HOME", str(Path.home())))
    files.append(home / ".pip" / "pip.conf")
    files.append(Path(env.get("XDG_CONFIG_HOME", str(home / ".config"))) / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    return files


def load_pip_settings(env: Mapping[str, str] | None = None) -> PipSettings:
    env = os.environ if env is None else env
    values: dict[str, str] = {}
    read: list[str] = []
    for path in config_files(env):
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read pip configuration: {exc}") from exc
        read.append(str(path))
        for section in SECTIONS:
            if parser.has_section(section):
                for key in ("index-url", "extra-index-url", "cert"):
                    if parser.has_option(section, key):
                        values[key] = parser.get(section, key)
    for key in ("index-url", "extra-index-url", "cert"):
        env_key = "PIP_" + key.upper().replace("-", "_")
        if env.get(env_key):
            values[key] = env[env_key]
    return PipSettings(
        index_url=values.get("index-url") or None,
        extra_index_urls=tuple(values.get("extra-index-url", "").split()),
        cert=values.get("cert") or None,
        files=tuple(read),
    )

"""The parts of pip's configuration that say how to reach an index.

Users behind a mirror or a TLS-intercepting proxy have already told pip
where the index is and which CA bundle to trust; poncho-resolve reads the
same settings (``index-url``, ``extra-index-url``, ``cert``, ``constraint``)
from the same files and ``PIP_*`` variables, in pip's order of precedence, so
it works wherever their pip works (and a lock never breaks the constraints
their pip will apply at install time). ``PIP_CONFIG_FILE=/dev/null`` disables the files,
as it does for pip.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from poncho.errors import ConfigError

KEYS = ("index-url", "extra-index-url", "cert", "constraint", "find-links")
SECTIONS = ("global", "install")  # pip install's order: [install] beats [global], whatever the file


@dataclass(frozen=True)
class PipSettings:
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    cert: str | None = None
    constraints: tuple[str, ...] = ()  # constraint files pip would apply at install time
    find_links: tuple[str, ...] = ()  # not used for resolution; reported so nobody is surprised
    files: tuple[str, ...] = ()  # the configuration files that were read


def config_files(env: Mapping[str, str]) -> list[Path]:
    """pip's configuration files, lowest precedence first (pip's ``iter_config_files``).

    Site-wide files, then the user's (skipped when ``PIP_CONFIG_FILE`` names an
    existing file, as pip does), then the environment's ``pip.conf``, then
    ``PIP_CONFIG_FILE`` itself.
    """
    explicit = env.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []
    files: list[Path] = []
    xdg_dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files.append(Path("/etc/pip.conf"))
    if not (explicit and Path(explicit).exists()):
        home = Path(env.get("HOME", str(Path.home())))
        files.append(home / ".pip" / "pip.conf")
        files.append(Path(env.get("XDG_CONFIG_HOME", str(home / ".config"))) / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    return files


def load_pip_settings(env: Mapping[str, str] | None = None, files: Sequence[Path] | None = None) -> PipSettings:
    """Settings as ``pip install`` would see them; ``files`` replaces the file search (tests)."""
    env = os.environ if env is None else env
    merged: dict[tuple[str, str], str] = {}  # (section, key) -> value; later files win
    read: list[str] = []
    for path in config_files(env) if files is None else files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read pip configuration: {exc} "
                              "(fix it, or pass --no-pip-config)") from exc
        read.append(str(path))
        for section in SECTIONS:
            if parser.has_section(section):
                for key in KEYS:
                    if parser.has_option(section, key):
                        merged[(section, key)] = parser.get(section, key)
    values: dict[str, str] = {}
    for section in SECTIONS:  # section first, then file order (already merged above)
        for key in KEYS:
            if (section, key) in merged:
                values[key] = merged[(section, key)]
    for key in KEYS:
        env_key = "PIP_" + key.upper().replace("-", "_")
        if env.get(env_key):
            values[key] = env[env_key]
    return PipSettings(
        index_url=values.get("index-url") or None,
        extra_index_urls=tuple(values.get("extra-index-url", "").split()),
        cert=values.get("cert") or None,
        constraints=tuple(values.get("constraint", "").split()),
        find_links=tuple(values.get("find-links", "").split()),
        files=tuple(read),
    )

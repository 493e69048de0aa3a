"""User overrides: ``[tool.poncho.mapping]`` in pyproject.toml and ``--map IMPORT=DIST``.

They come first in the lookup order: whatever the index says, the user knows
their deployment. Keys are dotted import paths (the longest prefix of an
import wins, as everywhere else); values are distribution names.

.. code-block:: toml

    [tool.poncho.mapping]
    cv2 = "opencv-python-headless"
    "google.cloud" = "google-cloud-core"
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name

from poncho.errors import OverrideError

from .mapping import Mapping, Source, prefixes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def split_extras(value: str) -> tuple[str, tuple[str, ...]]:
    """``"dask[distributed]"`` -> ``("dask", ("distributed",))``; a plain name has no extras."""
    if "[" not in value:
        return value, ()
    req = Requirement(value)
    return req.name, tuple(sorted(req.extras))


def _check(import_path: object, dist: object, where: str) -> tuple[str, str]:
    if not isinstance(import_path, str) or not import_path or \
            not all(part.isidentifier() for part in import_path.split(".")):
        raise OverrideError(f"{where}: {import_path!r} is not a dotted import path (like 'cv2' or 'google.cloud')")
    if not isinstance(dist, str) or not dist.strip():
        raise OverrideError(f"{where}: the distribution for {import_path!r} must be a non-empty string, "
                            f"got {dist!r}")
    value = dist.strip()
    try:
        name = value
        if "[" in value:
            req = Requirement(value)
            if req.specifier or req.marker or req.url or req.extras is None:
                raise InvalidRequirement("only NAME or NAME[EXTRA,...]")
            name = req.name
        canonicalize_name(name, validate=True)
    except (InvalidName, InvalidRequirement):
        raise OverrideError(f"{where}: {dist!r} (for {import_path!r}) is not a valid distribution name "
                            f"(optionally with extras, like 'dask[distributed]')") from None
    return import_path, value


class Overrides:
    """Mapping source of user-given ``import path -> distribution`` pairs."""

    source = Source.OVERRIDE

    def __init__(self, table: dict[str, str] | None = None, origin: str = "override") -> None:
        self.origin = origin
        self.table: dict[str, str] = {}
        for key, value in (table or {}).items():
            k, v = _check(key, value, origin)
            self.table[k] = v

    @classmethod
    def from_pyproject(cls, path: str | Path) -> Overrides:
        """``[tool.poncho.mapping]`` of ``path`` (an empty table when the section is absent)."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise OverrideError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise OverrideError(f"{path}: not UTF-8: {exc}") from exc
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise OverrideError(f"{path}: invalid TOML: {exc!r}") from exc
        where = f"{path}: [tool.poncho.mapping]"
        tool = data.get("tool", {})
        poncho = tool.get("poncho", {}) if isinstance(tool, dict) else None
        section = poncho.get("mapping", {}) if isinstance(poncho, dict) else None
        if not isinstance(section, dict):
            raise OverrideError(f"{where} must be a table of import = \"distribution\" pairs")
        return cls(section, origin=where)

    @classmethod
    def from_cli(cls, items: Iterable[str]) -> Overrides:
        """Parse ``--map IMPORT=DIST`` values (a later one for the same import wins)."""
        table: dict[str, str] = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise OverrideError(f"--map {item!r}: expected IMPORT=DISTRIBUTION, "
                                    "like --map cv2=opencv-python-headless")
            k, v = _check(key.strip(), value, f"--map {item!r}")
            table[k] = v
        return cls(table, origin="--map")

    def lookup(self, module: str) -> Mapping | None:
        for prefix in prefixes(module):
            value = self.table.get(prefix)
            if value:
                dist, extras = split_extras(value)
                return Mapping(module, dist, self.source, matched=prefix, extras=extras,
                               reason=f"user override for {prefix!r} ({self.origin})")
        return None

"""Import name -> distribution: overrides, the shipped index, a confirmed live probe."""

from .known import KNOWN, KnownNames
from .mapping import Mapper, Mapping, MappingSource, Source, prefixes
from .probe import LiveProbe
from .wheel_files import provided_modules

__all__ = ["KNOWN", "KnownNames", "LiveProbe", "Mapper", "Mapping", "MappingSource", "Source",
           "prefixes", "provided_modules"]

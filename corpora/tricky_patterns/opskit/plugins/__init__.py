"""Plugins are modules named in configuration, loaded by name."""

import importlib
import importlib.metadata
import importlib.util

SERIALIZER = "msgpack"
BUILTIN = ("disk", "memory")


def load(name):
    # First-party: known prefix, unknown rest.
    return importlib.import_module(f"opskit.plugins.{name}")


def load_relative(name):
    return importlib.import_module("." + name, package=__name__)


def serializer():
    return importlib.import_module(SERIALIZER)


def has_zstd():
    return importlib.util.find_spec("zstandard") is not None


def discovered():
    return [ep.load() for ep in importlib.metadata.entry_points(group="opskit.plugins")]

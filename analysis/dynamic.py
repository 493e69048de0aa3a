"""Dynamic-import functions, as data: which call loads which module by name.

Each entry says where the module name and the ``package`` (for relative
names) are among the call's arguments. *Probes* (``find_spec``) only ask
whether a module exists, so their sites are optional. *Discovery* calls
(``pkgutil.iter_modules``, entry points) load modules nobody names in the
source; they are reported as dynamic sites with a note, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DynamicImport:
    name_position: int = 0
    name_keyword: str = "name"
    package_position: int | None = None
    package_keyword: str | None = None
    level_position: int | None = None  # __import__(name, globals, locals, fromlist, level)
    level_keyword: str | None = None
    probe: bool = False  # find_spec & co: the module is optional by construction
    attribute_path: bool = False  # "pkg.mod.Attr" or "pkg.mod:attr": the module is the part before the attribute


IMPORTLIB = DynamicImport(package_position=1, package_keyword="package")
DUNDER = DynamicImport(level_position=4, level_keyword="level")
PROBE = DynamicImport(package_position=1, package_keyword="package", probe=True)
DOTTED_ATTR = DynamicImport(name_keyword="dotted_path", attribute_path=True)

DYNAMIC_IMPORTS: dict[str, DynamicImport] = {
    "importlib.import_module": IMPORTLIB,
    "__import__": DUNDER,
    "importlib.__import__": DUNDER,
    "builtins.__import__": DUNDER,
    "importlib.util.find_spec": PROBE,
    "importlib.find_loader": PROBE,
    "pkgutil.find_loader": PROBE,
    "pkgutil.get_loader": PROBE,
    "runpy.run_module": DynamicImport(name_keyword="mod_name"),
    "pkgutil.resolve_name": DynamicImport(attribute_path=True),
    "pydoc.locate": DynamicImport(name_keyword="path", attribute_path=True),
    "django.utils.module_loading.import_string": DOTTED_ATTR,
    "werkzeug.utils.import_string": DynamicImport(name_keyword="import_name", attribute_path=True),
    # a test that skips when the module is missing: optional by construction
    "pytest.importorskip": DynamicImport(name_keyword="modname", probe=True),
}

# Helpers libraries define for their lazy optional integrations, matched by the function's own name
# wherever it is defined (pandas' ``import_optional_dependency("sqlalchemy")``, copied by xarray,
# dask, ...): the module they load is an optional back end, not a requirement of every caller.
OPTIONAL_HELPERS: dict[str, DynamicImport] = {
    "import_optional_dependency": DynamicImport(probe=True),
    "optional_import": DynamicImport(probe=True),
}

# Calls that discover modules at run time: (module reported, what the note says).
DISCOVERY: dict[str, str] = {
    "pkgutil.iter_modules": "pkgutil.iter_modules() discovers modules at run time",
    "pkgutil.walk_packages": "pkgutil.walk_packages() discovers modules at run time",
    "importlib.metadata.entry_points": "entry points load plugins named in installed metadata",
    "importlib_metadata.entry_points": "entry points load plugins named in installed metadata",
    "pkg_resources.iter_entry_points": "entry points load plugins named in installed metadata",
    "stevedore.ExtensionManager": "stevedore loads plugins from entry points",
    "stevedore.extension.ExtensionManager": "stevedore loads plugins from entry points",
}

TRIGGER_WORDS = frozenset({"import_module", "__import__", "find_spec", "find_loader", "get_loader", "run_module",
                           "importorskip", *OPTIONAL_HELPERS,
                           "resolve_name", "locate", "import_string", "iter_modules", "walk_packages",
                           "entry_points", "iter_entry_points", "ExtensionManager"})

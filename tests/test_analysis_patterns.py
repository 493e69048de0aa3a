"""Import patterns: static forms, scopes, and dynamic imports with constant folding."""

from __future__ import annotations

import textwrap

from poncho.analysis import Guard, Kind, analyze_source


def sites(src: str, package: str = "", file: str = "m.py"):
    found, diags = analyze_source(textwrap.dedent(src), file, package)
    return found


def modules(src: str, package: str = "", kind: Kind | None = None) -> list[str]:
    return [s.module for s in sites(src, package) if kind is None or s.kind is kind]


def test_plain_aliases_and_binds():
    found = sites("import a.b.c\nimport numpy as np\nfrom x.y import z as w\n")
    assert [(s.module, s.binds) for s in found] == [("a.b.c", "a"), ("numpy", "np"), ("x.y", "w")]
    assert found[2].imported_name == "z"


def test_star_import():
    (s,) = sites("from pkg.sub import *\n")
    assert s.module == "pkg.sub" and s.imported_name == "*"


def test_relative_imports_any_level():
    src = "from . import sib\nfrom .mod import f\nfrom .. import up\nfrom ...top import t\n"
    assert modules(src, package="a.b.c") == ["a.b.c.sib", "a.b.c.mod", "a.b.up", "a.top"]


def test_relative_import_above_top_is_a_diagnostic():
    found, diags = analyze_source("from ... import x\n", "m.py", "a")
    assert not found and "goes above the top-level package" in diags[0].message


def test_scopes_functions_methods_classes_comprehensions_lambdas():
    src = """
    import importlib
    def outer():
        import a
        def inner():
            import b
    class C:
        import c
        def method(self):
            import d
        async def amethod(self):
            import e
    xs = [importlib.import_module(n) for n in ("f", "g")]
    h = lambda: importlib.import_module("h")
    """
    got = {(s.module, s.scope) for s in sites(src)}
    assert {("a", "outer"), ("b", "outer.inner"), ("c", "C"), ("d", "C.method"), ("e", "C.amethod"),
            ("h", "<module>")} <= got


def test_comprehension_over_constant_list_folds_each_name():
    src = """
    import importlib
    for name in ["json_plugin", "yaml_plugin"]:
        importlib.import_module(name)
    """
    assert modules(src, kind=Kind.DYNAMIC) == ["json_plugin", "yaml_plugin"]


def test_import_module_constant_and_alias_forms():
    src = """
    import importlib as il
    from importlib import import_module as im
    il.import_module("alpha")
    im("beta.gamma")
    """
    assert modules(src, kind=Kind.DYNAMIC) == ["alpha", "beta.gamma"]


def test_import_module_relative_with_package():
    src = 'import importlib\nimportlib.import_module(".backends.fast", package="mylib")\nimportlib.import_module("..x", "a.b")\n'
    assert modules(src, kind=Kind.DYNAMIC) == ["mylib.backends.fast", "a.x"]


def test_import_module_relative_to_dunder_package():
    src = 'import importlib\nimportlib.import_module(".impl", __package__)\n'
    assert modules(src, package="lib.core", kind=Kind.DYNAMIC) == ["lib.core.impl"]


def test_folding_constants_concat_percent_format():
    src = """
    import importlib
    BASE = "drivers"
    NAME = BASE + ".postgres"
    importlib.import_module(NAME)
    importlib.import_module("%s.%s" % (BASE, "mysql"))
    importlib.import_module("{}.sqlite".format(BASE))
    importlib.import_module("{b}.oracle".format(b=BASE))
    importlib.import_module(f"{BASE}.mssql")
    """
    assert modules(src, kind=Kind.DYNAMIC) == ["drivers.postgres", "drivers.mysql", "drivers.sqlite",
                                                "drivers.oracle", "drivers.mssql"]


def test_fstring_with_unknown_part_gives_known_prefix():
    src = """
    import importlib
    def load(name):
        return importlib.import_module(f"plugins.{name}")
    def load2(name):
        mod = "contrib.ext." + name
        return importlib.import_module(mod)
    def load3(name):
        return importlib.import_module("handlers.%s" % name)
    """
    found = [s for s in sites(src) if s.kind is Kind.DYNAMIC]
    assert [s.module for s in found] == ["plugins", "contrib.ext", "handlers"]
    assert "known prefix" in found[0].note


def test_unknown_name_is_an_info_diagnostic_not_a_site():
    found, diags = analyze_source("import importlib\ndef f(n):\n    importlib.import_module(n)\n", "m.py", include_info=True)
    assert not [s for s in found if s.kind is Kind.DYNAMIC]
    assert diags and "computed at run time" in diags[0].message


def test_dunder_import_and_level():
    src = '__import__("os.path")\n__import__("sib", globals(), locals(), [], 1)\n'
    assert modules(src, package="pkg", kind=Kind.DYNAMIC) == ["os.path", "pkg.sib"]


def test_find_spec_is_an_optional_probe():
    (s,) = [s for s in sites("import importlib.util\nif importlib.util.find_spec('ujson'):\n    pass\n") if s.kind is Kind.DYNAMIC]
    assert s.module == "ujson" and s.guard is Guard.OPTIONAL and "probe" in s.note


def test_pkgutil_and_entry_points_are_reported_dynamic():
    src = """
    import pkgutil
    from importlib.metadata import entry_points
    import myplugins
    for m in pkgutil.iter_modules(myplugins.__path__):
        pass
    eps = entry_points(group="myapp.plugins")
    """
    found = [s for s in sites(src) if s.kind is Kind.DYNAMIC]
    assert [s.module for s in found] == ["myplugins", "importlib.metadata"]
    assert "discovers modules" in found[0].note and "myapp.plugins" in found[1].note


def test_import_string_style_dotted_attribute():
    src = 'from django.utils.module_loading import import_string\nimport_string("myapp.backends.Custom")\n'
    assert modules(src, kind=Kind.DYNAMIC) == ["myapp.backends"]


def test_modern_syntax_parses():
    src = """
    import re
    match re.compile("x"):
        case _:
            import alpha
    if (n := 3) > 2:
        import beta
    """
    assert modules(src) == ["re", "alpha", "beta"]


def test_syntax_newer_than_running_python_uses_libcst_fallback():
    found, diags = analyze_source("type Alias = int\nimport gamma\ndef f[T](x: T) -> T:\n    import delta\n", "m.py")
    assert [(s.module, s.scope) for s in found] == [("gamma", "<module>"), ("delta", "f")]
    assert not diags

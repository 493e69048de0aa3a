"""analysis.function_entry: the minimal import set of one callable."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from poncho.analysis import Analysis, analyze, analyze_function
from poncho.analysis.function_entry import default_roots, parse_entry
from poncho.errors import EntryError


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def modules(analysis: Analysis) -> set[str]:
    return {s.top_level for s in analysis.sites}


def third_party(analysis: Analysis) -> set[str]:
    return {s.top_level for s in analysis.third_party}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "app/__init__.py": "",
        "app/helpers.py": """
            import yaml
            import msgpack

            def util(data):
                return yaml.safe_dump(data)

            def pack(data):
                return msgpack.packb(data)
        """,
        "app/tasks.py": """
            import json
            import numpy as np
            import boto3
            from PIL import Image
            from .helpers import util
            from . import helpers as h

            S3 = boto3.client("s3")

            def thumbnail(path):
                with Image.open(path) as im:
                    im.thumbnail((128, 128))
                    return im

            def upload(key, body):
                return S3.put_object(Key=key, Body=body)

            def export(data):
                return util(data)

            def pack(data):
                return h.pack(data)

            def shadowed(values):
                np = [v * 2 for v in values]
                json = None
                return np, json

            async def fetch(url):
                import aiohttp
                async with aiohttp.ClientSession() as s:
                    return await s.get(url)
        """,
    })


def test_disjoint_functions_get_only_their_own_library(app: Path) -> None:
    thumb = analyze_function(f"{app}/app/tasks.py:thumbnail")
    upload = analyze_function(f"{app}/app/tasks.py:upload")
    assert third_party(thumb) == {"PIL"}
    assert third_party(upload) == {"boto3"}
    assert not thumb.diagnostics and not upload.diagnostics


def test_sites_are_the_records_analyze_yields(app: Path) -> None:
    whole = analyze([app])
    entry = analyze_function(str(app / "app/tasks.py") + ":thumbnail")
    by_key = {(Path(s.file).resolve(), s.line, s.module): s for s in whole.sites}
    for site in entry.sites:
        twin = by_key[(Path(site.file).resolve(), site.line, site.module)]
        assert (twin.binds, twin.scope, twin.kind, twin.guard) == (site.binds, site.scope, site.kind, site.guard)


def test_follows_first_party_helpers_across_modules(app: Path) -> None:
    export = analyze_function(f"{app}/app/tasks.py:export")
    assert third_party(export) == {"yaml"}  # util's import, not msgpack from the same module
    assert "app" in modules(export)  # the `from .helpers import util` site itself
    assert export.files == 2
    # through a module alias: `h.pack(...)` reaches helpers.pack only
    assert third_party(analyze_function(f"{app}/app/tasks.py:pack")) == {"msgpack"}


def test_locally_shadowed_names_do_not_count(app: Path) -> None:
    result = analyze_function(f"{app}/app/tasks.py:shadowed")
    assert modules(result) == set()


def test_async_def_and_imports_inside_the_function(app: Path) -> None:
    result = analyze_function(f"{app}/app/tasks.py:fetch")
    assert third_party(result) == {"aiohttp"}
    assert [s.scope for s in result.sites] == ["fetch"]


def test_dotted_module_entry_resolves_under_roots(app: Path) -> None:
    result = analyze_function("app.tasks:thumbnail", roots=[app])
    assert third_party(result) == {"PIL"}
    missing = analyze_function("app.nothere:f", roots=[app])
    assert missing.sites == [] and "not found" in missing.diagnostics[0].message


def test_missing_entry_lists_what_the_file_defines(app: Path) -> None:
    result = analyze_function(f"{app}/app/tasks.py:thumbnail_v2")
    assert result.sites == []
    [diag] = result.diagnostics
    assert "thumbnail_v2" in diag.message
    for name in ("thumbnail", "upload", "export", "fetch"):
        assert name in diag.message
    assert analyze_function(f"{app}/app/nofile.py:f").diagnostics[0].message == "entry file not found"


def test_decorators_and_default_arguments(tmp_path: Path) -> None:
    write(tmp_path, {"svc.py": """
        import functools
        import click
        import numpy as np
        import pandas
        import scipy

        def traced(fn):
            import opentelemetry
            @functools.wraps(fn)
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper

        @click.command()
        @traced
        def main(n=np.int64(3)):
            return n

        def plain(n=3):
            return scipy.special.gamma(n)

        def unused():
            return pandas
    """})
    result = analyze_function(f"{tmp_path}/svc.py:main")
    assert third_party(result) == {"click", "numpy", "opentelemetry"}
    assert third_party(analyze_function(f"{tmp_path}/svc.py:plain")) == {"scipy"}


def test_annotations_count_only_where_python_evaluates_them(tmp_path: Path) -> None:
    body = """
        import pandas as pd
        import pyarrow

        def f(df: pd.DataFrame) -> "pyarrow.Table":
            x: pyarrow.Table = None
            return df
    """
    write(tmp_path, {"eager.py": body, "lazy.py": "from __future__ import annotations\n" + textwrap.dedent(body)})
    assert third_party(analyze_function(f"{tmp_path}/eager.py:f", python_version=(3, 12))) == {"pandas"}
    assert third_party(analyze_function(f"{tmp_path}/eager.py:f", python_version=(3, 14))) == set()
    assert third_party(analyze_function(f"{tmp_path}/lazy.py:f")) == set()


def test_method_entry_includes_class_header_and_self_calls(tmp_path: Path) -> None:
    write(tmp_path, {"model.py": """
        import torch
        import sklearn
        import requests
        import sqlalchemy
        import attrs

        @attrs.define
        class Trainer(torch.nn.Module):
            session = requests.Session

            def __init__(self):
                import lightgbm

            def fit(self, data):
                return self._step(data)

            def _step(self, data):
                import xgboost
                return xgboost.train({}, data)

            def report(self):
                return sqlalchemy.text("select 1")
    """})
    result = analyze_function(f"{tmp_path}/model.py:Trainer.fit")
    assert third_party(result) == {"attrs", "torch", "requests", "lightgbm", "xgboost"}
    # the whole class, when the entry is the class
    assert "sqlalchemy" in third_party(analyze_function(f"{tmp_path}/model.py:Trainer"))


def test_module_level_lambda_nested_function_and_optional_flags(tmp_path: Path) -> None:
    write(tmp_path, {"mod.py": """
        import ujson
        import orjson
        try:
            import cupy
            HAS_CUPY = True
        except ImportError:
            HAS_CUPY = False

        handler = lambda event: ujson.dumps(event)

        def outer(cfg):
            import toml
            settings = toml.loads(cfg)
            def inner():
                return settings, HAS_CUPY
            return inner

        def unrelated():
            return orjson
    """})
    assert third_party(analyze_function(f"{tmp_path}/mod.py:handler")) == {"ujson"}
    inner = analyze_function(f"{tmp_path}/mod.py:outer.<locals>.inner")
    assert third_party(inner) == {"toml", "cupy"}


def test_module_side_effects_and_star_imports_follow(tmp_path: Path) -> None:
    write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/common.py": """
            import lxml
            def parse(x):
                return lxml.etree.fromstring(x)
        """,
        "pkg/jobs.py": """
            import sentry_sdk
            import redis
            from .common import *

            sentry_sdk.init(dsn="https://example")

            def job(x):
                return parse(x)

            def other():
                return redis.Redis()
        """,
    })
    assert third_party(analyze_function(f"{tmp_path}/pkg/jobs.py:job")) == {"sentry_sdk", "lxml"}


def test_package_reexport_and_src_layout_namespace(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "src/acme/tools/__init__.py": "from .impl import convert\n",
        "src/acme/tools/impl.py": """
            import markdown
            import docutils
            def convert(text):
                return markdown.markdown(text)
            def rst(text):
                return docutils
        """,
        "src/acme/app/main.py": """
            from acme.tools import convert
            def run(text):
                return convert(text)
        """,
    })
    main = tmp_path / "src/acme/app/main.py"
    assert default_roots(main)[0] == (tmp_path / "src").resolve()
    result = analyze_function(f"{main}:run")
    assert third_party(result) == {"markdown"}
    # acme is a namespace: its portions are first-party (as in a whole-tree run), not the bare name
    assert result.scope.contains("acme.tools") and not result.scope.contains("acme_other")


def test_parse_entry_forms() -> None:
    assert parse_entry("app/tasks.py:handler").path == Path("app/tasks.py")
    assert parse_entry("pkg.mod:Class.method").module == "pkg.mod"
    assert parse_entry("pkg.mod:Class.method").qualname == "Class.method"
    with pytest.raises(EntryError):
        parse_entry("handler")


def test_parse_entry_and_is_entry_share_one_syntax(tmp_path: Path) -> None:
    from poncho.analysis.entry import is_entry

    for text in ("app/tasks.py:handler", "pkg.mod:Class.method", "f.py:outer.<locals>.inner", "f.py:<lambda>"):
        assert is_entry(text) and parse_entry(text).qualname == text.rpartition(":")[2]
    for text in ("handler", "pkg-x.mod:f", "app/tasks.py:", "app/tasks.py:not-a-name", ":f"):
        assert not is_entry(text)
        with pytest.raises(EntryError):
            parse_entry(text)
    colon = tmp_path / "a:b"
    colon.write_text("")
    assert not is_entry(colon)  # an existing path is a path


def test_function_entry_gets_the_target_rules(tmp_path: Path) -> None:
    from poncho.diagnostics import Code, Severity

    write(tmp_path, {"job.py": """
        import tomllib
        from distutils.version import LooseVersion

        def parse(text):
            return tomllib.loads(text)

        def version(text):
            return LooseVersion(text)
    """})
    on_310 = analyze_function(f"{tmp_path}/job.py:parse", python_version=(3, 10))
    [error] = on_310.diagnostics
    assert error.code is Code.TARGET_LACKS_STDLIB and error.severity is Severity.ERROR and "tomllib" in error.message
    assert [on_310.classify(s) for s in on_310.sites] == ["missing-stdlib"]
    assert analyze_function(f"{tmp_path}/job.py:parse", python_version=(3, 11)).diagnostics == []
    on_312 = analyze_function(f"{tmp_path}/job.py:version", python_version=(3, 12))
    assert [s.distribution for s in on_312.third_party] == ["setuptools"]
    assert [s.distribution for s in analyze_function(f"{tmp_path}/job.py:version", python_version=(3, 11)).sites] == [None]


def test_missing_entry_has_its_code(app: Path) -> None:
    from poncho.analysis.function_entry import EntryNotFound
    from poncho.diagnostics import Code

    for entry, roots in ((f"{app}/app/tasks.py:nothing", None), (f"{app}/app/nofile.py:f", None), ("app.nothere:f", [app])):
        [diag] = analyze_function(entry, roots=roots).diagnostics
        assert isinstance(diag, EntryNotFound) and diag.code is Code.ENTRY_NOT_FOUND


@pytest.mark.parametrize("given", ["proj", "proj/pkg", "proj/pkg/sub", "proj/pkg/sub/mod.py"])
def test_whole_tree_and_function_entry_agree_on_first_party(tmp_path: Path, given: str) -> None:
    write(tmp_path, {
        "proj/pyproject.toml": "[project]\nname = 'x'\n",
        "proj/helper.py": "",
        "proj/tools/extra.py": "",  # a PEP 420 portion: tools.extra, not tools
        "proj/pkg/__init__.py": "",
        "proj/pkg/util.py": "",
        "proj/pkg/sub/__init__.py": "",
        "proj/pkg/sub/sibling.py": "",
        "proj/pkg/sub/mod.py": """
            from pkg import util
            from . import sibling
            import helper
            from tools import extra
            import tools_other
            import yaml

            def f():
                return util, sibling, helper, extra, tools_other, yaml
        """,
    })
    tree = analyze([tmp_path / given], cache=False)
    entry = analyze_function(f"{tmp_path}/proj/pkg/sub/mod.py:f")
    assert entry.first_party == tree.first_party == {"helper", "pkg"}
    classes = {s.module: entry.classify(s) for s in entry.sites}
    assert classes == {s.module: tree.classify(s) for s in tree.sites}
    assert classes == {"pkg": "first-party", "pkg.sub.sibling": "first-party", "helper": "first-party",
                       "tools": "first-party", "tools_other": "third-party", "yaml": "third-party"}


def test_dotted_imports_read_through_their_submodules(tmp_path: Path) -> None:
    write(tmp_path, {"job.py": """
        import google.cloud.storage
        import xml.etree.ElementTree
        import azure.storage.blob, azure.identity

        def upload():
            return google.cloud.storage.Client(), xml.etree.ElementTree

        def blob():
            return azure.storage.blob.BlobClient

        def nothing():
            return 1
    """})
    assert modules(analyze_function(f"{tmp_path}/job.py:upload")) == {"google", "xml"}
    assert [s.module for s in analyze_function(f"{tmp_path}/job.py:upload").sites] == [
        "google.cloud.storage", "xml.etree.ElementTree"]
    assert [s.module for s in analyze_function(f"{tmp_path}/job.py:blob").sites] == ["azure.storage.blob"]
    assert analyze_function(f"{tmp_path}/job.py:nothing").sites == []

"""Mapping gaps seen on real code, fixed by data built from the real wheels (index_cache/build/data/supplement.tsv,
``index build --input supplement.tsv --patch-index``), and the builder rules that made them."""

from __future__ import annotations

from pathlib import Path

import pytest

from poncho.index_cache import default_mapper
from poncho.index_cache.build import BuildOptions, build
from poncho.index_cache.build.store import load_top_list, patch_rows, read_index_rows
from poncho.index_cache.shipped import INDEX_FILE, ShippedIndex
from poncho.index_cache.wheel_files import loose_directories, provided_modules
from support.wheels import build_wheel

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("module", "dist"), [
    ("opentelemetry.sdk", "opentelemetry-sdk"),  # was xds-protos, through its `opentelemetry/__init__.py`
    ("opentelemetry.sdk.trace.export", "opentelemetry-sdk"),
    ("opentelemetry.sdk.extension.aws.trace", "opentelemetry-sdk-extension-aws"),
    ("opentelemetry.trace", "opentelemetry-api"),
    ("registration.backends.default", "django-registration-redux"),
    ("markupfield.fields", "django-markupfield"),
    ("sitetree.sitetreeapp", "django-sitetree"),
    ("product_details", "django-mozilla-product-details"),
])
def test_the_shipped_index_maps_what_real_apps_import(module, dist):
    assert default_mapper().map(module).distribution == dist


def test_the_supplement_list_is_what_the_shipped_index_was_patched_with():
    listed = {name for _, name in load_top_list(REPO / "index_cache" / "build" / "data" / "supplement.tsv")}
    shipped = {d for _, d, _ in read_index_rows(REPO / "index_cache" / "data" / INDEX_FILE)}
    assert listed <= shipped


def test_a_directory_with_only_an_init_stub_is_the_distributions_package():
    names = ["opentelemetry/sdk/__init__.pyi", "opentelemetry/sdk/py.typed",
             "opentelemetry/sdk/trace/__init__.py", "opentelemetry/sdk/metrics/__init__.py"]
    provided, _ = provided_modules(names)
    assert provided == {"opentelemetry.sdk"}
    assert loose_directories(names, provided) == set()  # owned, not a loose folder inside another's package
    # Without the stub the same folder is a namespace portion, known by its subpackages.
    bare = [n for n in names if not n.endswith(".pyi")]
    assert provided_modules(bare)[0] == {"opentelemetry.sdk.trace", "opentelemetry.sdk.metrics"}


def test_patch_rows_replace_only_the_built_projects_rows():
    base = [("a", "A", 1), ("a.x", "A", 1), ("b", "B", 2)]
    assert patch_rows(base, [("a", "A", 1), ("c", "C", 3)], ["A", "C"]) == [("a", "A", 1), ("b", "B", 2),
                                                                            ("c", "C", 3)]


def test_index_build_patches_an_index_from_a_few_projects(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "xdsish", "1.0", files={"otel/__init__.py": "", "otel/proto/__init__.py": ""}))
    index_server.add(build_wheel(w, "otel-sdk", "1.0", files={"otel/sdk/__init__.pyi": "",
                                                              "otel/sdk/trace/__init__.py": "",
                                                              "test_app/__init__.py": ""}))
    index_server.add(build_wheel(w, "djapp", "2.0", files={"djapp/__init__.py": ""}))
    base = tmp_path / "base.tsv"
    base.write_text("# header\notel\txdsish\t6370\notel.sdk.trace\totel-sdk\t85\nzzz\tzzz\t9\n")
    supplement = tmp_path / "supplement.tsv"
    supplement.write_text("rank\tname\n85\totel-sdk\n15001\tdjapp\n")
    out = tmp_path / "out"
    manifest = build(BuildOptions(out_dir=out, index_url=index_server.url, input=supplement, workers=2,
                                  progress=None, patch_index=base))
    assert manifest["patched"]["rows"] == 4
    assert read_index_rows(out / INDEX_FILE) == [("djapp", "djapp", 15001), ("otel", "xdsish", 6370),
                                                 ("otel.sdk", "otel-sdk", 85), ("zzz", "zzz", 9)]
    # test_app (a wheel's leftover test package) is noise, never a row
    mapper = default_mapper(index=ShippedIndex(out / INDEX_FILE))
    assert mapper.map("otel.sdk").distribution == "otel-sdk"
    assert mapper.map("test_app").distribution is None

"""The lookup chain: overrides > installed environment > shipped index > confirmed live probe."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from poncho.index_cache import (
    EnvironmentSource,
    LiveProbe,
    OverrideError,
    Overrides,
    ShippedIndex,
    Source,
    default_mapper,
    provided_modules,
)
from poncho.index_cache.shipped import Candidate, choose
from poncho.net import SimpleIndex, make_session
from support.wheels import build_wheel

TABLE = """\
# import_path\tdistribution\trank
cv2\topencv-python\t533
cv2\topencv-contrib-python\t1200
cv2\topencv-python-headless\t700
google.cloud.storage\tgoogle-cloud-storage\t90
google.protobuf\tprotobuf\t28
jwt\tPyJWT\t44
jwt\tjwt\t2359
yaml\tPyYAML\t15
"""


@pytest.fixture
def small_index(tmp_path) -> ShippedIndex:
    path = tmp_path / "import-index.tsv"
    path.write_text(TABLE)
    return ShippedIndex(path)


def install(wheel: Path, site: Path) -> None:
    """Unpack a pure wheel into a site directory, dist-info and RECORD included."""
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)


@pytest.fixture
def site(tmp_path) -> Path:
    site = tmp_path / "site-packages"
    install(build_wheel(tmp_path / "w", "opencv-python-headless", "4.10.0",
                        files={"cv2/__init__.py": "", "cv2/data/__init__.py": ""}), site)
    install(build_wheel(tmp_path / "w", "google-cloud-storage", "2.0",
                        files={"google/cloud/storage/__init__.py": ""}), site)
    return site


# the shipped-index source -------------------------------------------------------
def test_longest_dotted_prefix(small_index):
    m = small_index.lookup("google.cloud.storage.blob")
    assert (m.distribution, m.matched, m.source) == ("google-cloud-storage", "google.cloud.storage", Source.INDEX)
    assert small_index.lookup("google.protobuf").distribution == "protobuf"
    assert small_index.lookup("google.cloud.bigquery") is None
    assert small_index.lookup("yaml_extra") is None  # a prefix is a dotted prefix, not a string prefix


def test_ambiguous_path_lists_alternatives_and_how_to_override(small_index):
    m = small_index.lookup("cv2.data")
    assert m.distribution == "opencv-python"
    assert m.alternatives == ("opencv-python-headless", "opencv-contrib-python")
    assert "--map cv2=DIST" in m.reason and "[tool.poncho.mapping]" in m.reason


def test_exact_name_beats_rank_unless_far_less_used():
    # exact name first ...
    assert choose("attr", [Candidate("attrs", 27), Candidate("attr", 100)])[0].distribution == "attr"
    # ... unless the same-named project is far less used than the best provider
    chosen, why = choose("jwt", [Candidate("PyJWT", 44), Candidate("jwt", 2359)])
    assert chosen.distribution == "PyJWT" and "far less used" in why
    assert choose("cv2", [Candidate("opencv-python", 533), Candidate("opencv-python-headless", 700)])[0] \
        .distribution == "opencv-python"
    # a subpackage row matches by the name of its package
    both = [Candidate("psycopg2-binary", 147), Candidate("psycopg2", 555)]
    assert choose("psycopg2.extras", both)[0].distribution == "psycopg2"
    assert choose("databricks.sdk", [Candidate("databricks-sql-connector", 220), Candidate("databricks-sdk", 294)]
                  )[0].distribution == "databricks-sdk"


def test_the_shipped_data_is_loaded_by_default():
    index = ShippedIndex()
    assert len(index) > 10_000
    assert index.lookup("yaml").distribution == "PyYAML"


# overrides --------------------------------------------------------------------------
def test_overrides_from_pyproject_and_cli(tmp_path, small_index):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n\n[tool.poncho.mapping]\ncv2 = "opencv-python-headless"\n'
                         '"google.cloud" = "google-cloud-core"\n')
    mapper = default_mapper(pyproject=pyproject, index=small_index)
    m = mapper.map("cv2")
    assert (m.distribution, m.source) == ("opencv-python-headless", Source.OVERRIDE)
    assert str(pyproject) in m.reason
    # the more specific index entry does not beat a user override of a prefix
    assert mapper.map("google.cloud.storage").distribution == "google-cloud-core"
    # --map wins over pyproject
    m = default_mapper(overrides=["cv2=opencv-contrib-python"], pyproject=pyproject, index=small_index).map("cv2")
    assert (m.distribution, m.reason) == ("opencv-contrib-python", "user override for 'cv2' (--map)")


@pytest.mark.parametrize("items, message", [
    (["cv2"], r"--map 'cv2': expected IMPORT=DISTRIBUTION"),
    (["cv2="], r"--map 'cv2=': the distribution for 'cv2' must be a non-empty string"),
    (["cv-2=foo"], r"'cv-2' is not a dotted import path"),
    (["cv2=not a name!"], r"'not a name!' \(for 'cv2'\) is not a valid distribution name"),
])
def test_bad_cli_overrides(items, message):
    with pytest.raises(OverrideError, match=message):
        Overrides.from_cli(items)


def test_bad_pyproject_overrides_name_the_file(tmp_path):
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.poncho.mapping\n")
    with pytest.raises(OverrideError, match=r"pyproject\.toml: invalid TOML"):
        Overrides.from_pyproject(bad)
    bad.write_text("[tool.poncho.mapping]\ncv2 = 3\n")
    with pytest.raises(OverrideError, match=r"pyproject\.toml: \[tool\.poncho\.mapping\]: the distribution for 'cv2'"):
        Overrides.from_pyproject(bad)
    bad.write_text("[tool.poncho]\nmapping = 'cv2'\n")
    with pytest.raises(OverrideError, match=r"must be a table"):
        Overrides.from_pyproject(bad)
    with pytest.raises(OverrideError, match=r"nope\.toml: cannot read"):
        Overrides.from_pyproject(tmp_path / "nope.toml")
    bad.write_text('[project]\nname = "x"\n')
    assert Overrides.from_pyproject(bad).table == {}
    # Shapes that used to escape as TypeError/AttributeError (exit 70 through a direct call).
    for text in ("tool = 5\n", "[tool]\nponcho = 5\n"):
        bad.write_text(text)
        with pytest.raises(OverrideError, match=r"must be a table"):
            Overrides.from_pyproject(bad)
    bad.write_bytes(b"[tool.poncho.mapping]\ncv2 = '\xff'\n")
    with pytest.raises(OverrideError, match=r"not UTF-8"):
        Overrides.from_pyproject(bad)


# installed environment ------------------------------------------------------------------
def test_installed_distribution_wins_over_the_index_when_asked(site, small_index):
    without = default_mapper(index=small_index).map("cv2")
    assert without.distribution == "opencv-python"
    m = default_mapper(use_env=True, env_path=[str(site)], index=small_index).map("cv2.data")
    assert (m.distribution, m.source, m.matched) == ("opencv-python-headless", Source.ENVIRONMENT, "cv2")
    # namespace packages: the installed file list maps by the owned subpackage
    env = EnvironmentSource([str(site)])
    assert env.lookup("google.cloud.storage.blob").distribution == "google-cloud-storage"
    assert env.lookup("google.protobuf") is None
    # the rest falls through to the index
    assert default_mapper(use_env=True, env_path=[str(site)], index=small_index).map("yaml").source == Source.INDEX


def test_override_beats_environment(site, small_index):
    m = default_mapper(overrides={"cv2": "opencv-contrib-python"}, use_env=True, env_path=[str(site)],
                       index=small_index).map("cv2")
    assert (m.distribution, m.source) == ("opencv-contrib-python", Source.OVERRIDE)


def test_unresolved_says_how_to_fix(small_index):
    m = default_mapper(index=small_index).map("no_such_module_anywhere")
    assert m.source == Source.UNRESOLVED and not m.resolved and "--map" in m.reason


# the live probe ---------------------------------------------------------------------------
@pytest.fixture
def probe(index_server, tmp_path):
    d = tmp_path / "dists"
    # named like the import, but its wheel provides something else: a squatter
    index_server.add(build_wheel(d, "fancyimport", "1.0", files={"other_thing/__init__.py": ""}))
    # the real provider, found through the python- variant and confirmed by its files
    index_server.add(build_wheel(d, "python-widget", "2.0", files={"widget/__init__.py": ""}))
    index_server.add(build_wheel(d, "widget", "0.1", files={"not_widget.py": ""}))
    return LiveProbe(SimpleIndex(make_session(None), index_server.url))


def test_live_probe_refuses_a_name_whose_wheel_does_not_provide_it(probe, index_server):
    assert probe.lookup("fancyimport") is None
    assert index_server.requests_for("/files/fancyimport-1.0-py3-none-any.whl")  # it did look inside


def test_live_probe_accepts_a_confirmed_variant(probe):
    m = probe.lookup("widget.sub")
    assert (m.distribution, m.source, m.matched) == ("python-widget", Source.PROBE, "widget")


def test_probe_comes_after_the_index(probe, small_index):
    mapper = default_mapper(index=small_index, probe_index=probe.index)
    assert mapper.map("yaml").source == Source.INDEX
    assert mapper.map("widget").source == Source.PROBE
    assert mapper.map("fancyimport").source == Source.UNRESOLVED


def _new_probe(server) -> LiveProbe:
    return LiveProbe(SimpleIndex(make_session(None), server.url))  # no HTTP cache: every request shows


def _probe_entries() -> list[Path]:
    from poncho.net.session import default_cache_dir

    return sorted((default_cache_dir() / "probe").rglob("*"))


def test_probe_reads_each_wheel_once_across_runs(probe, index_server):
    assert probe.lookup("widget.sub").distribution == "python-widget"
    assert probe.lookup("fancyimport") is None
    assert index_server.requests_for("/files/")  # the first run reads the wheels with ranges
    entries = [p for p in _probe_entries() if p.is_file()]
    shas = {f.sha256 for f in index_server.files.values()}
    assert {p.stem for p in entries} == shas  # one entry per wheel read, named by its sha256
    assert not [p for p in entries if p.name.endswith(".tmp")]
    index_server.log.clear()
    warm = _new_probe(index_server)  # a new run, same PONCHO_CACHE_DIR
    m = warm.lookup("widget.sub")
    assert (m.distribution, m.matched) == ("python-widget", "widget")
    assert warm.lookup("fancyimport") is None  # still refused: the cached file list says so
    assert index_server.log and not index_server.requests_for("/files/")  # pages only, no wheel bytes


def test_probe_rewrites_a_corrupt_cache_entry(probe, index_server):
    assert probe.lookup("widget").distribution == "python-widget"
    widget_sha = next(f.sha256 for f in index_server.files.values() if f.filename.startswith("python_widget"))
    entry = next(p for p in _probe_entries() if p.stem == widget_sha)
    good = entry.read_text()
    for bad in ('{"format": 1, "sha256": "' + widget_sha + '", "provided": "widget"}', "{not json", ""):
        entry.write_text(bad)
        index_server.log.clear()
        m = _new_probe(index_server).lookup("widget")
        assert m.distribution == "python-widget"  # the bad entry was not believed...
        assert index_server.requests_for("/files/python_widget")  # ...the wheel was read again...
        assert entry.read_text() == good  # ...and the entry rewritten
    # an entry saying the wheel provides nothing is believed: the probe then refuses
    entry.write_text(good.replace('"widget"', '"something_else"'))
    index_server.log.clear()
    assert _new_probe(index_server).lookup("widget") is None
    assert not index_server.requests_for("/files/python_widget")


def test_probe_keeps_negative_answers_for_the_run_only(index_server):
    probe = _new_probe(index_server)
    assert probe.lookup("nosuchthing.sub") is None
    asked = [path for _, path, _ in index_server.log]
    assert "/simple/nosuchthing/" in asked and "/simple/python-nosuchthing-sub/" in asked
    index_server.log.clear()
    assert probe.lookup("nosuchthing.sub") is None
    assert not index_server.log  # the same run does not ask again
    assert _new_probe(index_server).lookup("nosuchthing.sub") is None
    assert "/simple/nosuchthing/" in [path for _, path, _ in index_server.log]  # a new run does
    assert not [p for p in _probe_entries() if p.is_file()]  # nothing negative on disk


def test_probe_without_a_cache_dir_writes_nothing(probe, index_server):
    bare = LiveProbe(probe.index, cache_dir=None)
    assert bare.lookup("widget").distribution == "python-widget"
    assert not _probe_entries()


# file lists ------------------------------------------------------------------------------------
def test_provided_modules_rules():
    provided, skipped = provided_modules([
        "pkg/__init__.py", "pkg/sub/mod.py", "single.py", "_ext.cpython-312-x86_64-linux-gnu.so",
        "winmod.cp312-win_amd64.pyd", "ns/a/__init__.py", "ns/b/core.py", "tests/test_x.py", "docs/x.py",
        "pkg-1.0.dist-info/METADATA", "pkg-1.0.data/purelib/extra_mod.py", "pkg-1.0.data/scripts/tool.py",
        "numpy.libs/libopenblas.so", "../escape.py", "/abs.py", "__pycache__/x.cpython-312.pyc", "setup.py",
    ])
    assert provided == {"pkg", "single", "_ext", "winmod", "ns.a", "ns.b", "extra_mod"}
    assert skipped == {"tests", "docs", "setup"}


def test_live_probe_ignores_an_unreadable_wheel(index_server, tmp_path):
    from support.index_server import ServedFile

    bad = tmp_path / "garbled-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip at all" * 50)
    index_server.files[bad.name] = ServedFile(bad.name, bad, "garbled")
    probe = LiveProbe(SimpleIndex(make_session(None), index_server.url))
    assert probe.lookup("garbled") is None
    assert index_server.requests_for("/files/garbled-1.0-py3-none-any.whl")

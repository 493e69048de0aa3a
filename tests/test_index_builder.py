"""The index builder against a real loopback index: layouts, zips, servers, resumption, Dask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from poncho.artifacts.limits import ArchiveLimits
from poncho.errors import (
    BuildError,
    ConfigError,
    ExitCode,
    IndexUnreachable,
    ProjectListError,
)
from poncho.index_cache.build import BuildOptions, build
from poncho.index_cache.build.journal import JOURNAL
from poncho.index_cache.build.results import Outcome
from poncho.index_cache.build.store import MANIFEST_FILE, PROJECTS_FILE
from poncho.index_cache.neighbours import NEIGHBOURS_FILE
from poncho.index_cache.shipped import DEPENDENTS_FILE, INDEX_FILE, ShippedIndex
from support.index_server import IndexServer, ServedFile
from support.wheels import build_wheel

OUTPUTS = {INDEX_FILE, DEPENDENTS_FILE, NEIGHBOURS_FILE, PROJECTS_FILE, MANIFEST_FILE, JOURNAL}


def _sdist_zip(dest: Path, name: str, version: str, top_level: str) -> Path:
    path = dest / f"{name}-{version}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}-{version}/PKG-INFO", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        zf.writestr(f"{name}-{version}/{name}.egg-info/top_level.txt", top_level)
        zf.writestr(f"{name}-{version}/setup.py", "")
    return path


def _sdist_tgz(dest: Path, name: str, version: str, files: dict[str, bytes | str] | None = None) -> Path:
    import io
    import tarfile

    path = dest / f"{name}-{version}.tar.gz"
    files = {"PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", **(files or {})}
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(f"{name}-{version}/{rel}" if not rel.startswith(("/", "..")) else rel)
            info.size = len(raw)
            tf.addfile(info, io.BytesIO(raw))
    return path


PROJECTS = [  # (rank, name) of the popularity list the tests build from
    (1, "acme-alpha"), (2, "acme-beta"), (3, "bigzip"), (4, "hostile"), (5, "broken"),
    (6, "declared"), (7, "onlysdist"), (8, "zipsdist"), (9, "noisy"), (10, "absent"),
    (11, "binary"), (12, "oldwheels"), (13, "toplevelsdist"), (14, "hugesdist"), (15, "db-sql"), (16, "db-sdk"),
    (17, "pthwin"), (18, "nsdecl"), (19, "bundler"), (20, "sparky"), (21, "libsdist"),
]
OLD_IN_MEMORY_LIMIT = 4 * 1024 * 1024  # tar.gz sdists over this were left unindexed before streaming


def populate(server: IndexServer, tmp: Path) -> None:
    """Serve one project per case the builder must handle."""
    d = tmp / "dists"
    server.add(build_wheel(d, "acme-alpha", "1.0", files={"acme/alpha/__init__.py": "", "acme/alpha/core.py": ""}))
    server.add(build_wheel(d, "acme-beta", "2.0", files={"acme/beta/__init__.py": ""}))
    server.add(build_wheel(d, "bigzip", "1.0", force_zip64=True,
                           files={"bigzip/__init__.py": "", "bigzip/data.py": "x = 1\n" * 5000}))
    server.add(build_wheel(d, "hostile", "1.0", files={
        "../x.py": "print('escaped')", "/abs.py": "", "a/../../y.py": "", "hostile/__init__.py": ""}))
    broken = d / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip" * 100)
    server.files[broken.name] = ServedFile(broken.name, broken, "broken")
    server.add(build_wheel(d, "declared", "1.0", files={"declared/__init__.py": ""},
                           import_names=["declared", "declared.plugins", "_declared_private; private"]))
    server.add(_sdist_tgz(d, "onlysdist", "1.0", {
        "onlysdist/__init__.py": "", "onlysdist/core.py": "", "tests/__init__.py": "", "setup.py": "",
        "noxfile.py": "", "../../evil.py": "", "/etc/evil.py": ""}))
    server.add(_sdist_tgz(d, "toplevelsdist", "1.0", {
        "toplevelsdist.egg-info/top_level.txt": "tls_core\ntls_extra\ntests\n", "lib/tls_core/__init__.py": ""}))
    # larger than the old in-memory limit, the blob first: streamed, never held or written whole
    server.add(_sdist_tgz(d, "hugesdist", "1.0", {"blob.bin": os.urandom(OLD_IN_MEMORY_LIMIT + 2_000_000),
                                                   "hugesdist/__init__.py": "", "hugesdist/sub/__init__.py": ""}))
    # pyspark's case: an sdist-only project whose package another distribution bundles; the
    # sdist's subpackages are listed, so `sparky.sql` goes to sparky, not to the bundler
    server.add(build_wheel(d, "bundler", "1.0", files={"bundler/__init__.py": "", "sparky/__init__.py": "",
                                                       "sparky/sql/__init__.py": ""}))
    server.add(_sdist_tgz(d, "sparky", "1.0", {
        "deps/jars/big.jar": os.urandom(OLD_IN_MEMORY_LIMIT + 1), "sparky/__init__.py": "",
        "sparky/sql/__init__.py": "", "sparky/sql/functions.py": "", "tests/sparky/other/__init__.py": "",
        "sparky.egg-info/top_level.txt": "sparky\n"}))
    # package_dir={"": "lib"} with a C-only src/ (mysql-connector, ansible-base)
    server.add(_sdist_tgz(d, "libsdist", "1.0", {"lib/__init__.py": "", "lib/libpkg/__init__.py": "",
                                                 "lib/libpkg/core.py": "", "src/speedups.c": "", "setup.py": ""}))
    # a pkgutil-style namespace: both ship databricks/__init__.py; their subpackages tell them apart
    server.add(build_wheel(d, "db-sql", "1.0", files={"databricks/__init__.py": "", "databricks/sql/__init__.py": ""}))
    server.add(build_wheel(d, "db-sdk", "1.0", files={"databricks/__init__.py": "", "databricks/sdk/__init__.py": "",
                                                      "databricks/sdk/service/__init__.py": ""}))
    server.add(_sdist_zip(d, "zipsdist", "1.0", "zipsdist\n_zipsdist_c\n"))
    server.add(build_wheel(d, "noisy", "1.0", files={"tests/test_a.py": "", "docs/conf.py": "", "setup.py": ""}))
    # a binary project: Linux and Windows wheels are read and their paths united; macOS skipped
    server.add(build_wheel(d, "binary", "3.0", tag="cp312-cp312-manylinux_2_17_x86_64",
                           files={"binary/__init__.py": "", "binary/_speedups.cpython-312-x86_64-linux-gnu.so": ""}))
    server.add(build_wheel(d, "binary", "3.0", tag="cp312-cp312-win_amd64",
                           files={"binary/__init__.py": "", "binary_win32.pyd": ""}))
    server.add(build_wheel(d, "binary", "3.0", tag="cp312-cp312-macosx_11_0_arm64",
                           files={"binary/__init__.py": "", "macos_only.py": ""}))
    server.add(build_wheel(d, "binary", "2.0", files={"binary/__init__.py": "", "binary_old.py": ""}))
    # PEP 794: Import-Namespace says nsdecl/ is a namespace, though it ships an __init__.py
    server.add(build_wheel(d, "nsdecl", "1.0", files={"nsdecl/__init__.py": "", "nsdecl/core/__init__.py": ""},
                           import_names=["nsdecl.core\nImport-Namespace: nsdecl"]))
    # pywin32-style: a .pth file puts directories of the wheel on sys.path
    server.add(build_wheel(d, "pthwin", "1.0", files={
        "pthwin.pth": "# paths\npthlib\npthlib\\inner\nimport os; os.getcwd()\n../outside\n/abs/dir\n",
        "pthlib/pthmod.pyd": "", "pthlib/pthpkg/__init__.py": "", "pthlib/plain/x.py": "",
        "pthlib/inner/innermod.py": "", "pthwin/__init__.py": ""}))
    # latest release has only an sdist: the newest release with wheels is read
    server.add(build_wheel(d, "oldwheels", "1.0", files={"oldwheels/__init__.py": ""}))
    server.add(_sdist_tgz(d, "oldwheels", "2.0"))


def write_list(tmp: Path, projects=PROJECTS) -> Path:
    path = tmp / "top.tsv"
    path.write_text("rank\tname\tlatest_version\n" + "".join(f"{r}\t{n}\t\n" for r, n in projects))
    return path


def run_build(server: IndexServer, tmp: Path, out: Path, **kw) -> dict:
    return build(BuildOptions(out_dir=out, index_url=server.url, input=write_list(tmp), workers=4,
                              backoff=0.01, progress=None, **kw))


def rows(out: Path) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for line in (out / INDEX_FILE).read_text().splitlines():
        if not line.startswith("#"):
            path, dist, _ = line.split("\t")
            table.setdefault(path, []).append(dist)
    return table


def projects(out: Path) -> dict[str, dict[str, str]]:
    lines = (out / PROJECTS_FILE).read_text().splitlines()
    header = lines[0].split("\t")
    return {r["project"]: r for r in (dict(zip(header, line.split("\t"))) for line in lines[1:])}


@pytest.fixture
def built(index_server, tmp_path):
    populate(index_server, tmp_path)
    out = tmp_path / "out"
    manifest = run_build(index_server, tmp_path, out)
    return index_server, out, manifest


def test_namespace_packages_map_by_their_owned_level(built):
    _, out, _ = built
    table = rows(out)
    assert table["acme.alpha"] == ["acme-alpha"]
    assert table["acme.beta"] == ["acme-beta"]
    assert "acme" not in table  # the namespace itself belongs to nobody
    index = ShippedIndex(out / INDEX_FILE)
    assert index.lookup("acme.alpha.core").distribution == "acme-alpha"
    assert index.lookup("acme.gamma") is None


def test_zip64_wheel_is_read(built):
    server, out, _ = built
    assert rows(out)["bigzip"] == ["bigzip"]
    wheel_gets = server.requests_for("/files/bigzip-1.0-py3-none-any.whl")
    assert wheel_gets and all("Range" in headers for _, _, headers in wheel_gets)


def test_hostile_names_are_ignored_and_nothing_is_written_outside(built, tmp_path):
    _, out, _ = built
    table = rows(out)
    assert table["hostile"] == ["hostile"]
    assert not {"x", "abs", "y", "a"} & set(table)
    assert set(os.listdir(out)) == OUTPUTS
    for root in (tmp_path, tmp_path.parent, Path.cwd()):
        assert not (root / "x.py").exists() and not (root / "y.py").exists()
    assert not Path("/abs.py").exists()


def test_broken_zip_is_recorded_not_fatal(built):
    _, out, manifest = built
    row = projects(out)["broken"]
    assert row["status"] == "unindexed"
    assert "broken-1.0-py3-none-any.whl" in row["reason"] and "not a valid zip" in row["reason"]
    assert manifest["errors"] == 0


def test_pth_directories_are_import_roots(built):
    _, out, _ = built
    table = rows(out)
    for module in ("pthwin", "pthmod", "pthpkg", "innermod"):
        assert table[module] == ["pthwin"], module
    assert "plain" not in table and "outside" not in table and "x" not in table
    assert ShippedIndex(out / INDEX_FILE).lookup("pthpkg.sub").distribution == "pthwin"


def test_pep794_import_names_are_used(built):
    _, out, _ = built
    table = rows(out)
    assert table["declared"] == ["declared"] and table["declared.plugins"] == ["declared"]
    assert "_declared_private" not in table
    assert table["nsdecl.core"] == ["nsdecl"] and "nsdecl" not in table


def test_sdist_only_projects(built):
    server, out, manifest = built
    p = projects(out)
    table = rows(out)
    # a small tar.gz is read whole (in memory): its package layout, without tests/ or scripts
    assert p["onlysdist"]["status"] == "indexed" and "package layout" in p["onlysdist"]["reason"]
    assert table["onlysdist"] == ["onlysdist"]
    assert not {"tests", "setup", "noxfile", "evil"} & set(table)
    # top_level.txt decides when the sdist has one
    assert table["tls_core"] == ["toplevelsdist"] and table["tls_extra"] == ["toplevelsdist"]
    assert "top_level.txt" in p["toplevelsdist"]["reason"]
    # a zip sdist is range-read
    assert p["zipsdist"]["status"] == "indexed"
    assert table["zipsdist"] == ["zipsdist"] and table["_zipsdist_c"] == ["zipsdist"]
    # a tar.gz larger than the old in-memory limit is streamed (one plain GET, no ranges)
    assert (server.files["hugesdist-1.0.tar.gz"].path.stat().st_size > OLD_IN_MEMORY_LIMIT)
    assert p["hugesdist"]["status"] == "indexed" and "package layout" in p["hugesdist"]["reason"]
    assert p["hugesdist"]["wheels"] == "hugesdist-1.0.tar.gz"
    assert table["hugesdist"] == ["hugesdist"] and "blob" not in table
    gets = server.requests_for("/files/hugesdist-1.0.tar.gz")
    assert len(gets) == 1 and "Range" not in gets[0][2]
    # lib/ is the import root when nothing else is (lib/__init__.py notwithstanding)
    assert table["libpkg"] == ["libsdist"] and "lib" not in table and "speedups" not in table
    assert not any("sdist only" in key for key in manifest["unindexed_reasons"])


def test_shared_package_directories_are_told_apart_by_subpackage(built):
    _, out, _ = built
    table = rows(out)
    assert sorted(table["databricks"]) == ["db-sdk", "db-sql"]
    assert table["databricks.sql"] == ["db-sql"] and table["databricks.sdk"] == ["db-sdk"]
    index = ShippedIndex(out / INDEX_FILE)
    assert index.lookup("databricks.sdk.service").distribution == "db-sdk"
    assert index.lookup("databricks.sql.client").distribution == "db-sql"
    # a package only one distribution ships lists no subpackages
    assert "bigzip.data" not in table


def test_noise_is_skipped_and_recorded(built):
    _, out, _ = built
    row = projects(out)["noisy"]
    assert row["status"] == "unindexed"
    assert row["skipped"].split() == ["docs", "setup", "tests"]
    assert not {"tests", "docs", "setup"} & set(rows(out))


def test_missing_project_and_release_choice(built):
    _, out, _ = built
    p = projects(out)
    assert p["absent"]["status"] == "unindexed" and p["absent"]["reason"] == "not on the index"
    table = rows(out)
    # Linux + Windows wheels of the latest release, not macOS, not the older pure wheel
    assert {"binary", "binary_win32"} <= set(table)
    assert "macos_only" not in table and "binary_old" not in table
    assert p["binary"]["version"] == "3.0"
    assert p["oldwheels"]["version"] == "1.0" and "latest 2.0 has no wheels" in p["oldwheels"]["reason"]
    assert table["oldwheels"] == ["oldwheels"]


def test_manifest_records_the_build(built):
    server, out, manifest = built
    on_disk = json.loads((out / MANIFEST_FILE).read_text())
    for name in (INDEX_FILE, PROJECTS_FILE, MANIFEST_FILE):
        assert (out / name).stat().st_mode & 0o044 == 0o044  # readable data, not mkstemp's 0600
    assert on_disk == manifest
    assert manifest["index_url"] == server.url
    assert manifest["projects"] == len(PROJECTS)
    assert manifest["indexed"] + manifest["unindexed"] + manifest["errors"] == len(PROJECTS)
    assert manifest["requests"] == len(server.log)
    # archives read: one per project (binary: two), none for broken and absent
    assert manifest["wheels"] == len(PROJECTS) - 2 + 1 and manifest["tool_version"]
    assert manifest["archive_limits"] == {"compressed": 2**30, "uncompressed": 4 * 2**30, "members": 100_000,
                                          "member": 16 * 2**20}


def test_server_without_range_support_gives_the_same_index(tmp_path):
    with IndexServer() as ranged, IndexServer(range_support=False) as plain:
        populate(ranged, tmp_path / "a")
        populate(plain, tmp_path / "b")
        run_build(ranged, tmp_path / "a", tmp_path / "a" / "out")
        run_build(plain, tmp_path / "b", tmp_path / "b" / "out")
        assert plain.requests_for("/files/")  # it did read the wheels, whole
        a, b = tmp_path / "a" / "out", tmp_path / "b" / "out"
        assert (a / INDEX_FILE).read_text() == (b / INDEX_FILE).read_text()
        # the same, up to the servers' addresses in the broken wheel's reason
        assert (a / PROJECTS_FILE).read_text().replace(ranged.base, "BASE") == \
            (b / PROJECTS_FILE).read_text().replace(plain.base, "BASE")


def test_build_resumes_from_its_journal(built, tmp_path):
    server, out, _ = built
    first_index = (out / INDEX_FILE).read_text()
    first_projects = (out / PROJECTS_FILE).read_text()
    journal = (out / JOURNAL).read_text().splitlines(keepends=True)
    kept = journal[:4]  # header + three projects; then a line torn by a crash
    done = {json.loads(line)["project"] for line in kept[1:]}
    (out / JOURNAL).write_text("".join(kept) + journal[4][:20])
    for name in (INDEX_FILE, PROJECTS_FILE, MANIFEST_FILE):
        (out / name).unlink()
    server.log.clear()
    manifest = run_build(server, tmp_path, out)
    asked = {path.split("/")[2] for _, path, _ in server.log if path.startswith("/simple/")}
    assert not asked & done
    assert asked == {p for _, p in PROJECTS} - done
    assert manifest["resumed_projects"] == 3
    # the "crash" cut the first run's summary line off the journal; this run's is there
    assert [run["projects"] for run in manifest["runs"]] == [len(PROJECTS) - 3]
    assert manifest["wall_time_s"] == round(sum(run["wall_time_s"] for run in manifest["runs"]), 1)
    assert (out / INDEX_FILE).read_text() == first_index
    assert (out / PROJECTS_FILE).read_text() == first_projects


def test_dask_local_cluster_gives_the_threaded_result(built, tmp_path):
    distributed = pytest.importorskip("distributed")
    server, threaded, _ = built
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        manifest = run_build(server, tmp_path, tmp_path / "dask", dask_scheduler=cluster.scheduler_address)
    assert manifest["engine"].startswith("dask:")
    assert (tmp_path / "dask" / INDEX_FILE).read_text() == (threaded / INDEX_FILE).read_text()
    assert (tmp_path / "dask" / PROJECTS_FILE).read_text() == (threaded / PROJECTS_FILE).read_text()


def test_unreachable_index_fails_cleanly_without_output(index_server, tmp_path):
    populate(index_server, tmp_path)
    index_server.down = True
    with pytest.raises(IndexUnreachable) as info:
        run_build(index_server, tmp_path, tmp_path / "out", retries=0)
    assert info.value.url.startswith(index_server.url) and info.value.exit_code == ExitCode.INDEX
    assert not (tmp_path / "out").exists()


def test_bad_project_list_names_the_file(tmp_path):
    bad = tmp_path / "top.tsv"
    bad.write_text("rank\tname\n1\tok\nthree\tbad\n")
    with pytest.raises(ProjectListError, match=r"top\.tsv:3: expected"):
        build(BuildOptions(out_dir=tmp_path / "out", input=bad, progress=None))
    with pytest.raises(ProjectListError, match=r"missing\.tsv: cannot read"):
        build(BuildOptions(out_dir=tmp_path / "out", input=tmp_path / "missing.tsv", progress=None))
    assert not (tmp_path / "out").exists()
    (tmp_path / "afile").write_text("")
    good = tmp_path / "good.tsv"
    good.write_text("rank\tname\n1\tok\n")
    with pytest.raises(BuildError, match=r"afile: not a directory"):
        build(BuildOptions(out_dir=tmp_path / "afile", input=good, progress=None))


def test_cli_module_entry(built, tmp_path):
    server, threaded, _ = built
    out = tmp_path / "cli-out"
    proc = subprocess.run(
        [sys.executable, "-m", "poncho.index_cache", "build", "--index-url", server.url, "--top", "3",
         "--input", str(write_list(tmp_path)), "--workers", "2", "-o", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "[index build] 3/3 projects" in proc.stderr
    assert set(rows(out)) == {"acme.alpha", "acme.beta", "bigzip"}
    missing = subprocess.run(
        [sys.executable, "-m", "poncho.index_cache", "build", "--input", str(tmp_path / "nope.tsv"),
         "-o", str(tmp_path / "x")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "nope.tsv: cannot read" in missing.stderr


def test_poncho_resolve_index_build(built, tmp_path, capsys):
    from poncho.cli import main

    server, _, _ = built
    out = tmp_path / "via-main"
    rc = main(["index", "build", "--index-url", server.url, "--top", "2", "--input", str(write_list(tmp_path)),
               "--workers", "2", "-q", "-o", str(out)])
    assert rc == 0
    assert set(rows(out)) == {"acme.alpha", "acme.beta"}
    assert "indexed 2 of 2 projects" in capsys.readouterr().err


# sdists: streaming, limits, subpackages ------------------------------------------------------

def test_sdist_subpackages_tell_a_bundled_copy_apart(built):
    _, out, _ = built
    table = rows(out)
    # bundler (better ranked) ships a copy of sparky; sparky itself publishes only a large tar.gz
    assert sorted(table["sparky"]) == ["bundler", "sparky"]
    assert sorted(table["sparky.sql"]) == ["bundler", "sparky"]  # from the sdist's layout too
    assert "sparky.other" not in table  # the copy under tests/ is not the package
    m = ShippedIndex(out / INDEX_FILE).lookup("sparky.sql.functions")
    assert m.distribution == "sparky" and m.alternatives == ("bundler",)


def _snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_large_tar_sdist_is_streamed_and_nothing_is_written(index_server, tmp_path, monkeypatch):
    import tempfile

    dists = tmp_path / "dists"
    dists.mkdir()
    big = OLD_IN_MEMORY_LIMIT * 3
    index_server.add(_sdist_tgz(dists, "bigtar", "2.0", {
        "PKG-INFO": "Metadata-Version: 2.1\nName: BigTar\nVersion: 2.0\n",
        "vendor/blob.bin": os.urandom(big), "bigtar/__init__.py": "", "bigtar/io/__init__.py": "",
        "bigtar.egg-info/top_level.txt": "bigtar\n", "../../escape.py": "", "/abs/escape.py": ""}))
    size = index_server.files["bigtar-2.0.tar.gz"].path.stat().st_size
    assert size > big > OLD_IN_MEMORY_LIMIT
    scratch, cwd = tmp_path / "tmpdir", tmp_path / "cwd"
    scratch.mkdir()
    cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where any temporary file would go
    monkeypatch.chdir(cwd)
    before = _snapshot(tmp_path)
    out = tmp_path / "out"
    manifest = build(BuildOptions(out_dir=out, index_url=index_server.url, workers=2, progress=None,
                                  input=write_list(tmp_path, [(1, "bigtar")])))
    assert manifest["indexed"] == 1 and manifest["wheels"] == 1
    row = projects(out)["bigtar"]
    assert row["status"] == "indexed" and row["reason"] == "sdist only; read its top_level.txt"
    assert rows(out) == {"bigtar": ["BigTar"]}  # display name from PKG-INFO
    assert set(os.listdir(out)) == OUTPUTS
    after = _snapshot(tmp_path)
    new = {k: v for k, v in after.items() if k not in before}
    assert sorted(new) == sorted(f"out/{n}" for n in OUTPUTS) + ["top.tsv"]
    assert all(v < OLD_IN_MEMORY_LIMIT for v in new.values())  # no copy of the archive anywhere
    assert not os.listdir(scratch) and not os.listdir(cwd)
    assert not (tmp_path.parent / "escape.py").exists() and not Path("/abs/escape.py").exists()


def _limited_build(server: IndexServer, tmp: Path, names: list[str], **limits) -> dict[str, dict[str, str]]:
    out = tmp / "out"
    tmp.mkdir(exist_ok=True)
    build(BuildOptions(out_dir=out, index_url=server.url, workers=2, progress=None, backoff=0.01,
                       limits=ArchiveLimits(**limits),
                       input=write_list(tmp, [(i, n) for i, n in enumerate(names, start=1)])))
    return projects(out)


def _bomb_in_a_header(dest: Path) -> Path:
    """A tar.gz whose one pax header is 64 MiB (a long path): tiny compressed, huge once read."""
    import io
    import tarfile

    path = dest / "hdrbomb-1.0.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("hdrbomb-1.0/" + "a" * (64 * 2**20) + ".py")
        tf.addfile(info, io.BytesIO(b""))
    return path


def test_tar_sdist_limits_bound_the_work(tmp_path):
    d = tmp_path / "dists"
    d.mkdir()
    with IndexServer() as json_api, IndexServer(json_api=False) as html_only:
        for server in (json_api, html_only):
            server.add(_sdist_tgz(d, "large", "1.0", {"large/__init__.py": "", "blob": os.urandom(3 * 2**20)}))
            server.add(_sdist_tgz(d, "zerobomb", "1.0", {"zerobomb/__init__.py": "", "zeros": bytes(64 * 2**20)}))
            server.add(_sdist_tgz(d, "many", "1.0", {f"many/m{i}.py": "" for i in range(300)}))
        names = ["large", "zerobomb", "many"]
        limits = dict(compressed=2**20, uncompressed=8 * 2**20, members=100)
        by_json = _limited_build(json_api, tmp_path / "j", names, **limits)
        by_html = _limited_build(html_only, tmp_path / "h", names, **limits)
        for p in (by_json, by_html):
            assert all(p[n]["status"] == "unindexed" and p[n]["wheels"] == "" for n in names), p
            assert "over the streaming limit of 1.0 MiB compressed" in p["large"]["reason"]
            assert "over the streaming limit of 8.0 MiB uncompressed" in p["zerobomb"]["reason"]
            assert "over the streaming limit of 100 members" in p["many"]["reason"]
        # the JSON API gives the size: an archive over the compressed limit is not even requested
        assert not json_api.requests_for("/files/large-1.0.tar.gz")
        assert html_only.requests_for("/files/large-1.0.tar.gz")  # no size given: read up to the limit
    manifest = json.loads((tmp_path / "j" / "out" / MANIFEST_FILE).read_text())
    assert manifest["unindexed_reasons"] == {"sdist only: tar archive over the streaming limits": 3}


def test_a_bomb_in_a_tar_header_costs_bounded_memory(index_server, tmp_path):
    """tarfile reads a pax header whole; the uncompressed limit is counted below it, so it stops there."""
    import tracemalloc

    (tmp_path / "dists").mkdir()
    index_server.add(_bomb_in_a_header(tmp_path / "dists"))
    assert index_server.files["hdrbomb-1.0.tar.gz"].path.stat().st_size < 2**20
    tracemalloc.start()
    try:
        p = _limited_build(index_server, tmp_path, ["hdrbomb"], uncompressed=8 * 2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "over the streaming limit of 8.0 MiB uncompressed" in p["hdrbomb"]["reason"]
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # the 64 MiB header was never held


def test_recrawl_brings_a_finished_build_up_to_date(index_server, tmp_path):
    populate(index_server, tmp_path)
    out = tmp_path / "out"
    tight = run_build(index_server, tmp_path, out, limits=ArchiveLimits(compressed=OLD_IN_MEMORY_LIMIT))
    reason = "sdist only: tar archive over the streaming limits"
    assert tight["unindexed_reasons"][reason] == 2  # hugesdist and sparky
    index_server.log.clear()
    manifest = run_build(index_server, tmp_path, out, recrawl=(reason,))
    asked = {path.split("/")[2] for _, path, _ in index_server.log if path.startswith("/simple/")}
    assert asked == {"hugesdist", "sparky"}
    assert reason not in manifest["unindexed_reasons"]
    assert rows(out)["sparky.sql"] and projects(out)["hugesdist"]["status"] == "indexed"
    assert manifest["resumed_projects"] == len(PROJECTS) - 2
    assert [run.get("recrawl") for run in manifest["runs"]] == [None, [reason]]
    # the same tables as a build that could read them from the start
    fresh = tmp_path / "fresh"
    run_build(index_server, tmp_path, fresh)
    assert (out / INDEX_FILE).read_text() == (fresh / INDEX_FILE).read_text()
    assert (out / PROJECTS_FILE).read_text() == (fresh / PROJECTS_FILE).read_text()
    # an outcome no project has crawls nothing; one that does not exist is refused before any request
    index_server.log.clear()
    run_build(index_server, tmp_path, out, recrawl=(Outcome.STUBS_ONLY,))
    assert not index_server.log
    with pytest.raises(ConfigError, match="no such reason"):
        run_build(index_server, tmp_path, out, recrawl=("no such reason",))
    assert not index_server.log


# PEP 794 from the .metadata file ----------------------------------------------------------------

def _far_metadata_wheel(dest: Path) -> tuple[Path, int, int]:
    """A wheel whose METADATA sits 400 KB before the central directory; (path, its offset, its end)."""
    wheel = build_wheel(dest, "farmeta", "1.0", files={"farmeta/__init__.py": ""},
                        import_names=["farmeta", "farmeta.plugins", "_farmeta_private; private"],
                        trailing_files={"farmeta/data/blob.bin": os.urandom(400_000)})
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("farmeta-1.0.dist-info/METADATA")
        blob = zf.getinfo("farmeta/data/blob.bin")
    assert info.header_offset < blob.header_offset  # METADATA first, then the filler, then the directory
    return wheel, info.header_offset, info.header_offset + 30 + len(info.filename) + info.compress_size


def _byte_ranges(server: IndexServer, fragment: str) -> list[tuple[int, int]]:
    out = []
    for _, _, headers in server.requests_for(fragment):
        spec = headers.get("Range", "")
        if spec.startswith("bytes=") and not spec.startswith("bytes=-"):
            first, _, last = spec[len("bytes="):].partition("-")
            out.append((int(first), int(last)))
    return out


@pytest.mark.parametrize("advertised", [True, False])
def test_import_names_come_from_the_metadata_file_when_metadata_is_not_at_hand(tmp_path, advertised):
    with IndexServer(advertise_metadata=advertised) as server:
        wheel, start, end = _far_metadata_wheel(tmp_path / "dists")
        server.add(wheel)
        out = tmp_path / "out"
        build(BuildOptions(out_dir=out, index_url=server.url, workers=1, progress=None,
                           input=write_list(tmp_path, [(1, "farmeta")])))
        assert rows(out) == {"farmeta": ["farmeta"], "farmeta.plugins": ["farmeta"]}
        wheel_gets = [r for r in server.requests_for(f"/files/{wheel.name}") if not r[1].endswith(".metadata")]
        assert wheel_gets and all("Range" in headers for _, _, headers in wheel_gets)
        far = [(a, b) for a, b in _byte_ranges(server, wheel.name) if a < end and b >= start]
        if advertised:
            # the PEP 658 file read, and the wheel's own METADATA bytes never requested
            assert len(server.requests_for(f"/files/{wheel.name}.metadata")) == 1 and not far
        else:
            # a file the page does not list is never asked for (PEP 714): METADATA comes from the wheel
            assert not server.requests_for(f"/files/{wheel.name}.metadata") and far


def test_without_a_metadata_file_import_names_come_from_the_wheel(tmp_path):
    with IndexServer(serve_metadata=False, advertise_metadata=False) as server:
        wheel, start, end = _far_metadata_wheel(tmp_path / "dists")
        server.add(wheel)
        out = tmp_path / "out"
        build(BuildOptions(out_dir=out, index_url=server.url, workers=1, progress=None,
                           input=write_list(tmp_path, [(1, "farmeta")])))
        assert rows(out) == {"farmeta": ["farmeta"], "farmeta.plugins": ["farmeta"]}
        assert not server.requests_for(f"/files/{wheel.name}.metadata")  # not listed: not asked
        # so METADATA was read from the wheel with one more range request
        assert [(a, b) for a, b in _byte_ranges(server, wheel.name) if a < end and b >= start]


# the one error model ------------------------------------------------------------------------------

def _failing_build_args(server: IndexServer, tmp: Path, out: Path) -> list[str]:
    """Three projects, the second of which the index fails on (503) however often it is asked."""
    d = tmp / "dists"
    server.add(build_wheel(d, "fine-one", "1.0", files={"fine_one/__init__.py": ""}))
    server.add(build_wheel(d, "flaky", "1.0", files={"flaky/__init__.py": ""}))
    server.add(build_wheel(d, "fine-two", "1.0", files={"fine_two/__init__.py": ""}))
    server.failures["/simple/flaky/"] = 503
    top = write_list(tmp, [(1, "fine-one"), (2, "flaky"), (3, "fine-two")])
    return ["build", "--index-url", server.url, "--input", str(top), "--workers", "2", "--retries", "0",
            "-q", "-o", str(out)]


def test_some_projects_failing_is_exit_6_after_the_tables_are_written(index_server, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "poncho.index_cache", *_failing_build_args(index_server, tmp_path,
                                                                                            out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == ExitCode.INDEX == 6, proc.stderr
    assert "1 of 3 project(s) could not be read" in proc.stderr
    # what could be read was written, the failure is in the manifest and the journal retries it
    assert rows(out) == {"fine_one": ["fine-one"], "fine_two": ["fine-two"]}
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["errors"] == 1 and [f["project"] for f in manifest["failures"]] == ["flaky"]
    assert projects(out)["flaky"]["status"] == "error"


def test_poncho_resolve_index_build_reports_incomplete_builds_as_exit_6(index_server, tmp_path, capsys):
    from poncho.cli import main

    out = tmp_path / "out"
    args = _failing_build_args(index_server, tmp_path, out)
    assert main(["index", *args]) == 6
    assert "1 of 3 project(s) could not be read" in capsys.readouterr().err
    # once the index recovers, a re-run crawls only the failed project and succeeds
    del index_server.failures["/simple/flaky/"]
    index_server.log.clear()
    assert main(["index", *args]) == 0
    asked = {path.split("/")[2] for _, path, _ in index_server.log if path.startswith("/simple/")}
    assert asked == {"flaky"}
    assert rows(out)["flaky"] == ["flaky"]


def test_builder_errors_carry_their_exit_codes(index_server, tmp_path):
    from poncho.cli import main

    bad = tmp_path / "bad.tsv"
    bad.write_text("name\nx\n")
    with pytest.raises(ProjectListError) as info:
        build(BuildOptions(out_dir=tmp_path / "out", input=bad, progress=None))
    assert isinstance(info.value, ConfigError) and info.value.exit_code == ExitCode.USAGE
    (tmp_path / "afile").write_text("")
    assert main(["index", "build", "--input", str(write_list(tmp_path)), "-q", "-o", str(tmp_path / "afile")]) == 2
    # a journal of another index is refused before anything is crawled
    populate(index_server, tmp_path)
    out = tmp_path / "out"
    run_build(index_server, tmp_path, out)
    with pytest.raises(BuildError, match="this journal was built against"):
        build(BuildOptions(out_dir=out, index_url="http://127.0.0.1:9/simple/", input=write_list(tmp_path),
                           progress=None))
    assert main(["index", "build", "--recrawl", "no such outcome", "-o", str(out)]) == 2


# outcomes: typed, journaled, what --recrawl selects by ----------------------------------------------

def _journal_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]


def _write_journal(out: Path, lines: list[dict]) -> None:
    (out / JOURNAL).write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))


def test_outcome_is_journaled_and_recrawl_never_reads_the_reason_text(index_server, tmp_path):
    populate(index_server, tmp_path)
    out = tmp_path / "out"
    run_build(index_server, tmp_path, out, limits=ArchiveLimits(compressed=OLD_IN_MEMORY_LIMIT))
    lines = _journal_lines(out)
    by_project = {line["project"]: line for line in lines if "project" in line}
    assert by_project["hugesdist"]["outcome"] == Outcome.SDIST_OVER_LIMITS.value
    assert by_project["absent"]["outcome"] == Outcome.NOT_ON_INDEX.value
    assert by_project["acme-alpha"]["outcome"] == Outcome.WHEELS.value
    assert by_project["broken"]["outcome"] == Outcome.UNREADABLE.value
    # reword every reason: the over-limit projects' prose now reads like another outcome's, and
    # one wheel project's prose like the over-limit one's; recrawl still goes by the outcome
    for line in lines:
        if line.get("project") in ("hugesdist", "sparky"):
            line["reason"] = "type stubs only"
        elif line.get("project") == "acme-alpha":
            line["reason"] = "sdist only (x.tar.gz: over the streaming limit of 1 byte compressed)"
    _write_journal(out, lines)
    index_server.log.clear()
    manifest = run_build(index_server, tmp_path, out, recrawl=(Outcome.SDIST_OVER_LIMITS,))
    asked = {path.split("/")[2] for _, path, _ in index_server.log if path.startswith("/simple/")}
    assert asked == {"hugesdist", "sparky"}
    assert Outcome.SDIST_OVER_LIMITS.value not in manifest["unindexed_reasons"]


def test_a_journal_from_before_outcomes_resumes_and_recrawls(index_server, tmp_path):
    populate(index_server, tmp_path)
    out = tmp_path / "out"
    first = run_build(index_server, tmp_path, out, limits=ArchiveLimits(compressed=OLD_IN_MEMORY_LIMIT))
    old = []
    for line in _journal_lines(out):  # as a format-1 build wrote it: no outcome, its own wording
        if "journal" in line:
            line["journal"] = 1
        line.pop("outcome", None)
        if line.get("project") == "hugesdist":
            line["reason"] = "sdist only (hugesdist-1.0.tar.gz is 5.9 MiB: too large to read whole; tar archives " \
                             "cannot be range-read)"
        old.append(line)
    _write_journal(out, old)
    index_server.log.clear()
    resumed = run_build(index_server, tmp_path, out)
    assert not index_server.log  # nothing to crawl: every project is journaled
    assert resumed["unindexed_reasons"] == first["unindexed_reasons"]
    manifest = run_build(index_server, tmp_path, out, recrawl=(Outcome.SDIST_OVER_LIMITS,))
    asked = {path.split("/")[2] for _, path, _ in index_server.log if path.startswith("/simple/")}
    assert asked == {"hugesdist", "sparky"}
    assert manifest["indexed"] == first["indexed"] + 2


def test_index_build_reads_the_checkout_list_by_default(index_server, tmp_path):
    from poncho.index_cache.build import store

    if not store.TOP_LIST.is_file():
        pytest.skip("installed from a wheel: the list is not shipped (test_packaging_layout checks --input is asked)")
    assert store.default_input() == store.TOP_LIST
    out = tmp_path / "out"
    manifest = build(BuildOptions(out_dir=out, index_url=index_server.url, top=1, workers=1, progress=None))
    assert manifest["input"]["file"] == "pypi-top15000.tsv" and manifest["projects"] == 1
    first = store.load_top_list(store.TOP_LIST)[0][1]
    assert projects(out)[first]["status"] == "unindexed"  # the loopback index does not have it

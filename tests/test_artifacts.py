"""The one reader per artifact (poncho.artifacts) against a real loopback index.

Each reader is shared by the resolver, the live probe and the index builder;
the tests here drive the readers directly and then check that the resolver
and the probe really go through them.
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from poncho.artifacts.limits import ArchiveLimits
from poncho.artifacts.release import newest_wheels
from poncho.artifacts.sdist import read_sdist
from poncho.artifacts.wheel import open_wheel, wheel_metadata
from poncho.errors import BadResponse, OverLimit, Reason, ResolutionConflict
from poncho.index_cache import LiveProbe
from poncho.net import IndexFile, SimpleIndex, make_session
from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve
from support.index_server import IndexServer
from support.wheels import build_wheel

PKG_INFO = "Metadata-Version: 2.2\nName: {name}\nVersion: 1.0\nRequires-Dist: dep-{name}\n\n"


def _file(server: IndexServer, project: str, filename: str) -> IndexFile:
    page = SimpleIndex(make_session(None), server.url).project(project)
    return next(f for f in page.files if f.filename == filename)


def _tgz(dest: Path, name: str, before: dict[str, bytes], pkg_info: bytes | None = None) -> Path:
    """``name-1.0.tar.gz`` with ``before`` members first, then PKG-INFO."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-1.0.tar.gz"
    members = {**before, "PKG-INFO": pkg_info or PKG_INFO.format(name=name).encode()}
    with tarfile.open(path, "w:gz") as tf:
        for rel, data in members.items():
            info = tarfile.TarInfo(f"{name}-1.0/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _zip(dest: Path, name: str, before: dict[str, bytes], pkg_info: bytes | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-1.0.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in {**before, "PKG-INFO": pkg_info or PKG_INFO.format(name=name).encode()}.items():
            zf.writestr(f"{name}-1.0/{rel}", data)
    return path


def _pkg_info(name: str) -> bool:
    return name.count("/") == 1 and name.endswith("/PKG-INFO")


# the wheel METADATA reader -----------------------------------------------------------------------

def test_metadata_that_came_with_the_central_directory_costs_no_request(index_server, tmp_path):
    wheel = index_server.add(build_wheel(tmp_path, "small", "1.0"))
    file = _file(index_server, "small", wheel.filename)
    session = make_session(None)
    opened = open_wheel(session, file)
    before = len(index_server.log)
    with opened.zip:
        body, source = wheel_metadata(session, file, opened=opened)
    assert source == "zip" and body == wheel.metadata
    assert len(index_server.log) == before  # neither the .metadata file nor another range


def test_metadata_file_first_then_the_wheel(tmp_path):
    with IndexServer(advertise_metadata=False) as server:
        wheel = server.add(build_wheel(tmp_path, "plain", "1.0"))
        file = _file(server, "plain", wheel.filename)
        body, source = wheel_metadata(make_session(None), file)
        assert source == "range" and body == wheel.metadata
        assert not server.requests_for(".metadata")  # not listed: never asked, though the server has it
    with IndexServer(serve_metadata=False) as server:
        wheel = server.add(build_wheel(tmp_path, "plain", "1.0"))
        file = _file(server, "plain", wheel.filename)
        body, source = wheel_metadata(make_session(None), file)
        assert source == "range" and body == wheel.metadata
        assert server.requests_for(f"/files/{wheel.filename}.metadata")  # listed, asked first, 404
    with IndexServer() as server:
        wheel = server.add(build_wheel(tmp_path, "plain", "1.0"))
        file = _file(server, "plain", wheel.filename)
        body, source = wheel_metadata(make_session(None), file)
        assert source == "pep658" and body == wheel.metadata
        assert not [r for r in server.requests_for(f"/files/{wheel.filename}") if not r[1].endswith(".metadata")]


def test_a_metadata_file_that_is_not_what_the_index_hashed_is_refused(index_server, tmp_path):
    wheel = index_server.add(build_wheel(tmp_path, "swapped", "1.0"))
    file = _file(index_server, "swapped", wheel.filename)  # the page states the hash of the real METADATA
    wheel.metadata = b"Metadata-Version: 2.1\nName: evil\nVersion: 6.6.6\n\n"
    with pytest.raises(BadResponse) as info:
        wheel_metadata(make_session(None), file)
    assert info.value.kind is Reason.HASH_MISMATCH and info.value.url.endswith(".metadata")


def test_metadata_over_the_member_limit_is_refused_before_it_is_held(tmp_path):
    with IndexServer() as server:
        wheel = server.add(build_wheel(tmp_path, "bigmeta", "1.0", requires_dist=[f"dep{i}" for i in range(200)]))
        file = _file(server, "bigmeta", wheel.filename)
        limits = ArchiveLimits(member=1024)
        assert len(wheel.metadata) > 1024
        with pytest.raises(OverLimit) as info:  # the .metadata file
            wheel_metadata(make_session(None), file, limits)
        assert info.value.limit == "member" and info.value.kind is Reason.TOO_LARGE
        server.serve_metadata = False
        with pytest.raises(OverLimit) as info:  # the member in the zip, by its stated size
            wheel_metadata(make_session(None), file, limits)
        assert info.value.limit == "member" and "METADATA" in str(info.value)


def test_a_wheel_with_too_many_members_is_refused(index_server, tmp_path):
    wheel = index_server.add(build_wheel(tmp_path, "many", "1.0",
                                         files={f"many/m{i}.py": "" for i in range(50)}))
    with pytest.raises(OverLimit) as info:
        open_wheel(make_session(None), _file(index_server, "many", wheel.filename), ArchiveLimits(members=20))
    assert info.value.limit == "members"


# the bounded sdist reader ------------------------------------------------------------------------

@pytest.mark.parametrize("make", [_tgz, _zip], ids=["tar.gz", "zip"])
@pytest.mark.parametrize(("which", "before", "limits"), [
    ("members", {f"m{i}.py": b"" for i in range(300)}, ArchiveLimits(members=100)),
    ("member", {}, ArchiveLimits(member=64)),
], ids=["members", "member"])
def test_every_sdist_limit_holds(index_server, tmp_path, make, which, before, limits):
    served = index_server.add(make(tmp_path, "capped", before))
    file = _file(index_server, "capped", served.filename)
    with pytest.raises(OverLimit) as info:
        read_sdist(make_session(None), file, _pkg_info, limits)
    assert info.value.limit == which and info.value.kind is Reason.TOO_LARGE
    assert read_sdist(make_session(None), file, _pkg_info).members  # within the defaults it reads


def test_the_compressed_limit_caps_what_crosses_the_network(tmp_path):
    limits = ArchiveLimits(compressed=256 * 1024)
    blob = {"blob": os.urandom(512 * 1024)}  # incompressible: both archives are over 256 KiB
    with IndexServer() as ranged, IndexServer(range_support=False) as whole:
        for server in (ranged, whole):
            server.add(_tgz(tmp_path / "t", "big", blob))
            server.add(_zip(tmp_path / "z", "bigzip", blob))
        # a tar.gz is streamed whole: the index states its size, so not a byte is fetched
        with pytest.raises(OverLimit) as info:
            read_sdist(make_session(None), _file(ranged, "big", "big-1.0.tar.gz"), _pkg_info, limits)
        assert info.value.limit == "compressed" and not ranged.requests_for("/files/big-1.0.tar.gz")
        # a zip is read by ranges: only its directory and PKG-INFO come, whatever its size ...
        listing = read_sdist(make_session(None), _file(ranged, "bigzip", "bigzip-1.0.zip"), _pkg_info, limits)
        assert list(listing.members) == ["bigzip-1.0/PKG-INFO"]
        # ... unless the server ignores Range and sends it whole
        with pytest.raises(OverLimit) as info:
            read_sdist(make_session(None), _file(whole, "bigzip", "bigzip-1.0.zip"), _pkg_info, limits)
        assert info.value.limit == "compressed"


def test_a_compression_bomb_stops_at_the_uncompressed_limit(tmp_path):
    with IndexServer(json_api=False) as html_only:  # no size on the page: the stream itself must stop
        served = html_only.add(_tgz(tmp_path, "bomb", {"zeros": bytes(64 * 2**20)}))
        assert served.path.stat().st_size < 2**20
        file = _file(html_only, "bomb", served.filename)
        assert file.size is None
        with pytest.raises(OverLimit) as info:
            read_sdist(make_session(None), file, _pkg_info, ArchiveLimits(uncompressed=8 * 2**20))
        assert info.value.limit == "uncompressed"
        listing = read_sdist(make_session(None), file, _pkg_info)  # within the defaults it reads
        assert [n for n in listing.members] == ["bomb-1.0/PKG-INFO"]


def test_enough_stops_the_stream_once_the_wanted_members_are_in(index_server, tmp_path):
    path = tmp_path / "early-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:  # PKG-INFO first, then members never looked at
        for rel, data in {"PKG-INFO": PKG_INFO.format(name="early").encode(), "a.py": b"", "b.py": b""}.items():
            info = tarfile.TarInfo(f"early-1.0/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    file = _file(index_server, "early", index_server.add(path).filename)
    listing = read_sdist(make_session(None), file, _pkg_info, enough=lambda found: bool(found))
    assert not listing.complete and listing.names == ["early-1.0/PKG-INFO"]
    whole = read_sdist(make_session(None), file, _pkg_info)
    assert whole.complete and len(whole.names) == 3


def test_unsupported_and_broken_sdists_are_bad_responses(index_server, tmp_path):
    with pytest.raises(BadResponse) as info:
        read_sdist(make_session(None), IndexFile("old-1.0.tar.bz2", index_server.base + "/files/old-1.0.tar.bz2"),
                   _pkg_info)
    assert info.value.kind is Reason.UNSUPPORTED and not index_server.log  # refused without a request
    broken = tmp_path / "broken-1.0.tar.gz"
    broken.write_bytes(b"\x1f\x8b not gzip at all" * 100)
    index_server.add(broken)
    with pytest.raises(BadResponse) as info:
        read_sdist(make_session(None), _file(index_server, "broken", broken.name), _pkg_info)
    assert info.value.kind is Reason.BAD_ARCHIVE


# the resolver reads sdists with the bounded reader ------------------------------------------------

def _resolve(server: IndexServer, tmp_path: Path, limits: ArchiveLimits, reqs: list[str]):
    session = make_session(None)
    target = Target.current()
    repo = SimpleRepository([SimpleIndex(session, server.url)], MetadataFetcher(session, None, limits=limits), target)
    try:
        return resolve(reqs, repo, target)
    finally:
        repo.close()


@pytest.mark.parametrize(("before", "limits", "words"), [
    ({"zeros": bytes(32 * 2**20)}, ArchiveLimits(uncompressed=4 * 2**20), "4.0 MiB uncompressed"),
    ({f"m{i}.py": b"" for i in range(300)}, ArchiveLimits(members=100), "100 members"),
    ({}, ArchiveLimits(member=16), "per member"),
], ids=["uncompressed", "members", "member"])
def test_the_resolver_reads_sdists_within_every_limit(index_server, tmp_path, before, limits, words):
    """PKG-INFO comes after a compression bomb or many members: the resolver stops at the limit,
    it does not decompress its way there (it used to cap compressed bytes only)."""
    index_server.add(_tgz(tmp_path, "capped", before))
    with pytest.raises(ResolutionConflict) as info:
        _resolve(index_server, tmp_path, limits, ["capped"])
    assert words in str(info.value)
    index_server.add(build_wheel(tmp_path / "w", "dep-capped", "1.0"))
    pins = _resolve(index_server, tmp_path, ArchiveLimits(), ["capped"]).pins  # within the defaults: read
    assert set(pins) == {"capped", "dep-capped"}


# the release chooser, shared by the probe and the builder ------------------------------------------

def _f(filename: str, yanked: bool = False) -> IndexFile:
    return IndexFile(filename, f"https://files.example/{filename}", yanked=yanked)


def test_newest_wheels_picks_the_release_and_wheels_to_read():
    pure = newest_wheels([_f("a-1.0-py3-none-any.whl"), _f("a-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
                          _f("a-2.0-py3-none-any.whl"), _f("a-3.0b1-py3-none-any.whl"),
                          _f("a-2.1-py3-none-any.whl", yanked=True)])
    assert pure.version == "2.0" and [w.filename for w in pure.wheels] == ["a-2.0-py3-none-any.whl"]
    binary = newest_wheels([_f("b-1.0-cp312-cp312-macosx_11_0_arm64.whl"),
                            _f("b-1.0-cp312-cp312-manylinux_2_17_aarch64.whl"),
                            _f("b-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
                            _f("b-1.0-cp312-cp312-win32.whl"), _f("b-1.0-cp312-cp312-win_amd64.whl")])
    assert [w.filename for w in binary.wheels] == ["b-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                                                   "b-1.0-cp312-cp312-win_amd64.whl"]
    older = newest_wheels([_f("c-1.0-py3-none-any.whl"), _f("c-2.0.tar.gz")])
    assert (older.version, older.latest) == ("1.0", "2.0") and older.sdists == ()
    only_sdist = newest_wheels([_f("d-1.0.tar.gz"), _f("d-2.0.tar.gz")])
    assert only_sdist.version == "2.0" and not only_sdist.wheels
    assert [s.filename for s in only_sdist.sdists] == ["d-2.0.tar.gz"]
    assert newest_wheels([_f("e-1.0b1-py3-none-any.whl")]).version == "1.0b1"  # nothing else
    assert newest_wheels([]).version is None


def test_the_probe_reads_the_wheel_the_chooser_ranks_first(index_server, tmp_path):
    """A binary-only project whose macOS wheel lists first but lacks the module: the Linux wheel decides."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "natty", "1.0", tag="cp312-cp312-macosx_11_0_arm64",
                                 files={"natty_mac_only/__init__.py": ""}))
    index_server.add(build_wheel(w, "natty", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64",
                                 files={"natty/__init__.py": ""}))
    page = SimpleIndex(make_session(None), index_server.url).project("natty")
    assert page.files[0].filename.endswith("macosx_11_0_arm64.whl")
    probe = LiveProbe(SimpleIndex(make_session(None), index_server.url), cache_dir=None)
    found = probe.lookup("natty")
    assert found is not None and found.distribution == "natty"
    read = {path.rsplit("/", 1)[-1] for _, path, h in index_server.requests_for("/files/") if "Range" in h}
    assert read == {"natty-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"}

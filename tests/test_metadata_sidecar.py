"""Metadata from the cache is answered from its parsed sidecar (marshal data next to the entry), never
parsing METADATA with the email package again; a damaged or foreign sidecar is a miss, and a sidecar never
answers for an entry that is itself damaged."""

from __future__ import annotations

import sys

import pytest

from poncho.errors import NotCached
from poncho.resolver.metadata import cached_metadata
from support.resolving import resolve_in
from support.wheels import build_wheel


def test_metadata_is_answered_from_its_parsed_sidecar_and_a_damaged_one_is_a_miss(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "lib", "1.0", requires_dist=["dep>=1", "extra-dep; extra == 'x'"],
                                 requires_python=">=3.8", extras=["x"]))
    index_server.add(build_wheel(w, "dep", "1.0"))
    cache = tmp_path / "cache"
    first, _ = resolve_in(index_server, cache, ["lib"])
    sha = index_server.files["lib-1.0-py3-none-any.whl"].sha256
    (entry,) = (cache / "metadata").rglob(f"{sha}.metadata")
    sidecar = entry.with_name(f"{sha}.parsed")
    assert sidecar.is_file()  # written when the metadata was fetched
    good = sidecar.read_bytes()
    want = cached_metadata(cache, index_server.url, sha)
    assert want is not None and [str(r) for r in want.requires_dist] == ["dep>=1", 'extra-dep; extra == "x"']
    assert str(want.requires_python) == ">=3.8" and want.provides_extras == {"x"}

    middle = len(good) // 2
    damaged = [b"", good[:middle], b"\x00garbage\n", good[:middle] + bytes([good[middle] ^ 1]) + good[middle + 1:],
               good.replace(good.split(b" ")[1], b"0" * 64)]  # made from another entry body
    for bad in damaged:
        sidecar.write_bytes(bad)
        assert cached_metadata(cache, index_server.url, sha) == want
        again, _ = resolve_in(index_server, cache, ["lib"], offline=True)
        assert {p.name: str(p.version) for p in again} == {p.name: str(p.version) for p in first}
        assert sidecar.read_bytes() == good  # parsed from the entry again and rewritten


def test_a_sidecar_never_outlives_a_damaged_entry(index_server, tmp_path):
    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0", requires_dist=["dep"]))
    index_server.add(build_wheel(tmp_path / "w", "dep", "1.0"))
    cache = tmp_path / "cache"
    resolve_in(index_server, cache, ["lib"])
    sha = index_server.files["lib-1.0-py3-none-any.whl"].sha256
    (entry,) = (cache / "metadata").rglob(f"{sha}.metadata")
    entry.write_bytes(entry.read_bytes()[:-5])  # truncated: the entry is a miss, whatever its sidecar says
    assert cached_metadata(cache, index_server.url, sha) is None
    with pytest.raises(NotCached):  # offline, the entry must be fetched again: never answered by the sidecar
        resolve_in(index_server, cache, ["lib"], offline=True)


def test_an_offline_re_resolution_never_loads_the_email_parser(index_server, tmp_path):
    import subprocess

    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0", requires_dist=["dep"]))
    index_server.add(build_wheel(tmp_path / "w", "dep", "1.0"))
    cache = tmp_path / "cache"
    resolve_in(index_server, cache, ["lib"])
    code = ("import sys\nfrom pathlib import Path\n"
            "from poncho.net import SimpleIndex, make_session\nfrom poncho.net.page_cache import PageCache\n"
            "from poncho.resolver import MetadataFetcher, SimpleRepository, Target, resolve\n"
            "cache = Path(sys.argv[1]); s = make_session(cache, offline=True); t = Target.current()\n"
            "r = SimpleRepository([SimpleIndex(s, sys.argv[2], pages=PageCache(cache, offline=True))], "
            "MetadataFetcher(s, cache, offline=True), t)\n"
            "print(sorted(str(p.version) for p in resolve(['lib'], r, t)), 'packaging.metadata' in sys.modules)\n"
            "r.close()\n")
    out = subprocess.run([sys.executable, "-c", code, str(cache), index_server.url], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split() == ["['1.0',", "'1.0']", "False"], out.stderr

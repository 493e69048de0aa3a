"""A re-resolution from warm caches reads only what it uses: pages keep their releases sorted, the provider
walks them lazily, wheel tags are ranked once per tag set (the metadata sidecar: test_metadata_sidecar.py).

Each behaviour is checked against what the eager code computed (a reference written out here), and the page
entry against a bad order: a miss, never a wrong answer.
"""

from __future__ import annotations

import itertools
import random

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from poncho.errors import DamagedCache
from poncho.net import SimpleIndex, make_session
from poncho.net.page_cache import CompactPage, ReleaseRows
from poncho.resolver import Target
from poncho.resolver.provider import _matching
from poncho.resolver.repository import Release
from support.resolving import resolve_in
from support.wheels import build_wheel

TEXTS = ["1.0", "2.0rc1", "10.0", "2.0", "1.0.0", "not a version", "2.0.post1", "0.9", "3.0.dev1", "1!0.1",
         "2.0a1", "also bad", "1.10", "1.9"]


def _rows_page(texts: list[str]) -> CompactPage:
    """A page whose releases (no files) are in the order given, as a page lists them."""
    page = CompactPage.from_files(canonicalize_name("lib"), "https://example.invalid/simple/lib/", "d" * 64, [])
    page.releases = [ReleaseRows(t, False, [], "rows", page.url) for t in texts]
    return page


def _valid(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def test_releases_are_stored_newest_first_as_packaging_sorts_them():
    texts = TEXTS[:]
    random.Random(7).shuffle(texts)
    page = _rows_page(texts)
    valid = page.newest_first()
    expected = sorted((t for t in texts if _valid(t)), key=Version, reverse=True)  # stable: equal keep order
    assert valid == len(expected)
    assert [r.version for r in page.releases[:valid]] == expected
    assert [r.version for r in page.releases[valid:]] == [t for t in texts if not _valid(t)]  # page order
    again = CompactPage.deserialize(page.serialize())
    assert again is not None and again.valid == valid
    assert [r.version for r in again.releases] == [r.version for r in page.releases]


def test_an_entry_without_a_valid_order_is_a_miss():
    import marshal
    import zlib

    page = _rows_page(["1.0", "3.0", "2.0"])
    raw = page.serialize()
    first = raw.index(b"\n")
    _, _, head_len, body_len = raw[:first].split(b" ")
    header = marshal.loads(raw[first + 1:first + 1 + int(head_len)])
    body = raw[first + 1 + int(head_len):]
    assert len(body) == int(body_len)

    def entry(h: dict) -> bytes:  # a whole entry (its CRC and lengths right) with header ``h``
        head = marshal.dumps(h)
        return b"poncho-page-3 %08x %d %d\n%s%s" % (zlib.crc32(head), len(head), len(body), head, body)

    again = CompactPage.deserialize(entry(header))
    assert again is not None and again.valid == 3 and [r.version for r in again.releases] == ["3.0", "2.0", "1.0"]
    missing = dict(header)
    del missing["valid"]
    assert CompactPage.deserialize(entry(missing)) is None
    for bad in (-1, 4, "3", 2.0, True):
        assert CompactPage.deserialize(entry({**header, "valid": bad})) is None, bad
    assert CompactPage.deserialize(entry([1, 2])) is None  # a header of the wrong shape
    wrong = CompactPage.deserialize(entry({**header, "releases": [["1.0", False, 0, 10 ** 9, 0]], "valid": 1}))
    assert wrong is not None  # offsets are checked with the release's bytes, when it is decoded
    with pytest.raises(DamagedCache):
        wrong.releases[0].load()


def test_the_provider_walks_releases_lazily_and_matches_the_eager_rule():
    """``_matching`` against the list the provider built before (filter every release, finals unless none fit,
    an existing pin first), over many random cases; and the walk stops at the first fit."""
    versions = [Version(v) for v in ["3.0", "2.1", "2.1rc1", "2.0", "1.5", "1.5b2", "1.0+local", "1.0", "1.0.0", "0.9a1"]]
    target = Target.current()

    def eager(releases, specs, bad, yanked_ok, allow_pre, preferred):
        matching = [r for r in releases if (r.name, r.version) not in bad
                    and all(s.contains(r.version, prereleases=True) for s in specs) and (not r.yanked or yanked_ok)]
        finals = [r for r in matching if not r.version.is_prerelease]
        if not allow_pre and finals:
            matching = finals
        if preferred is not None:
            matching = sorted(matching, key=lambda r: r.version != preferred)
        return matching

    rng = random.Random(3)
    spec_pool = ["", ">=1.0", "<2.0", "==2.1rc1", ">=2.1rc1", "<1.0", "!=2.0", ">=4", "~=1.5", "<=2.1", ">2.0",
                 "==1.0", "==2.*", ">1.5b2", "<=1.0", "===2.0", "<2.1rc1"]
    for _ in range(400):
        releases = [Release(canonicalize_name("lib"), v, (), rng.random() < 0.2, target) for v in versions]
        specs = [SpecifierSet(rng.choice(spec_pool)) for _ in range(rng.randint(0, 2))]
        bad = {(r.name, r.version) for r in releases if rng.random() < 0.15}
        args = (specs, bad, rng.random() < 0.3, rng.random() < 0.3, rng.choice([None, *versions]))
        assert list(_matching(releases, *args)) == eager(releases, *args)

    class Counting(list):
        looked = 0

        def __iter__(self):
            for r in super().__iter__():
                Counting.looked += 1
                yield r

        def __getitem__(self, i):
            Counting.looked += 1
            return super().__getitem__(i)

    walked = Counting(Release(canonicalize_name("lib"), v, (), False, target) for v in versions)
    first = next(_matching(walked, [SpecifierSet(">=1.0")], set(), False, False, None))
    assert first.version == Version("3.0") and Counting.looked == 1


def test_wheel_rank_answers_what_parse_wheel_filename_decides():
    target = Target.for_platform("3.11", "manylinux_2_28_x86_64")

    def reference(filename):
        try:
            _, _, _, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            return None
        ranks = [target._tag_rank[t] for t in tags if t in target._tag_rank]
        return min(ranks) if ranks else None

    heads = ["numpy-2.0.0", "numpy-2.0.0-1", "numpy-2.0.0-x1", "Foo__bar-1.0", "numpy-bad version", "numpy",
             "numpy-1.0-2-3", "-1.0"]
    tag_sets = ["cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "py3-none-any", "cp312-cp312-win_amd64",
                "py2.py3-none-any", "cp311-abi3-manylinux_2_28_x86_64", "cp311-cp311-musllinux_1_1_x86_64",
                "cp311--any", "3x-none-any"]
    names = [f"{h}-{t}.whl" for h, t in itertools.product(heads, tag_sets)] + ["numpy-2.0.0.tar.gz", "x-1-py3.whl"]
    answers = [target.wheel_rank(n) for n in names]
    assert answers == [reference(n) for n in names]
    assert answers == [target.wheel_rank(n) for n in names]  # the memos answer the same the second time
    assert any(a is not None for a in answers) and any(a is None for a in answers)


# ------------------------------------------------------------------------- against the loopback index
def test_a_warm_re_resolution_parses_only_the_versions_it_looks_at(index_server, tmp_path):
    w = tmp_path / "w"
    for minor in range(30):
        index_server.add(build_wheel(w, "lib", f"1.{minor}"))
    cache = tmp_path / "cache"
    resolve_in(index_server, cache, ["lib"])
    res, repo = resolve_in(index_server, cache, ["lib>=1.3"], offline=True)
    assert str(res.pins["lib"].version) == "1.29"
    releases = repo.releases("lib")
    assert len(releases) == 30 and releases.made <= 2, releases.made  # not 30 Version objects


def test_a_local_listing_has_the_same_digest_on_every_read(tmp_path):
    """A file:// index page has no body digest: the resolution cache compares one made from its rows, which must
    not depend on where the objects happen to live in memory."""
    from poncho.resolver.cache import compact_digest

    w = tmp_path / "simple" / "lib"
    wheel = build_wheel(w, "lib", "1.0")
    index = SimpleIndex(make_session(None), (tmp_path / "simple").as_uri())
    first, second = index.compact("lib"), index.compact("lib")
    assert first is not second and [r.version for r in first.releases] == ["1.0"] and wheel.is_file()
    assert compact_digest(first) == compact_digest(second)


def test_a_cached_pages_releases_are_made_when_looked_at_and_slices_share_them():
    """A page read from its entry makes a release's record on first access (a botocore page lists ~2,000 and a
    run reads a few); a slice is a view of the same records, and the whole reads as the page was written."""
    from poncho.net.page_cache import StoredReleases

    texts = [f"{major}.{minor}" for major in range(40) for minor in range(50)]
    page = _rows_page(texts)
    valid = page.newest_first()
    again = CompactPage.deserialize(page.serialize())
    assert again is not None and isinstance(again.releases, StoredReleases)
    head = again.releases[:valid]
    assert len(head) == valid == 2000 and head[0] is again.releases[0] and head[-1] is again.releases[valid - 1]
    assert head[1:3][0] is again.releases[1] and len(head[5:2]) == 0
    assert [r.version for r in head[::500]] == [r.version for r in page.releases[:valid:500]]  # a step: a list
    assert [r.version for r in again.releases] == [r.version for r in page.releases]
    with pytest.raises(IndexError):
        head[valid]
    assert sum(made is not None for made in again.releases._made) == 2000  # the walk above made them all
    fresh = CompactPage.deserialize(page.serialize())
    assert fresh is not None
    fresh.releases[:valid][3].load()
    assert sum(made is not None for made in fresh.releases._made) == 1  # one looked at, one made

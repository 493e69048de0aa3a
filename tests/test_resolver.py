"""Resolver against a real loopback PEP 691/503 index with real wheels."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from poncho.artifacts.limits import DEFAULT_LIMITS, ArchiveLimits
from poncho.net import SimpleIndex, make_session
from poncho.resolver import (
    MetadataFetcher,
    ResolutionConflict,
    SimpleRepository,
    Target,
    resolve,
)
from support.wheels import build_wheel


def _resolve(server, reqs, tmp_path, target=None, cache=True, limits=DEFAULT_LIMITS):
    session = make_session(tmp_path / "cache" if cache else None)
    target = target or Target.current()
    repo = SimpleRepository([SimpleIndex(session, server.url)],
                            MetadataFetcher(session, tmp_path / "cache" if cache else None, limits=limits), target)
    try:
        return resolve(reqs, repo, target, reasons={"app": "app/main.py:1"}), repo
    finally:
        repo.close()


def versions(resolution):
    return {p.name: str(p.version) for p in resolution}


def test_transitive_pins_and_parents(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "app", "1.0", requires_dist=["lib-a>=1", "lib-b"]))
    index_server.add(build_wheel(w, "lib-a", "1.0"))
    index_server.add(build_wheel(w, "lib-a", "2.0", requires_dist=["lib-c<3"]))
    index_server.add(build_wheel(w, "lib-b", "0.5"))
    index_server.add(build_wheel(w, "lib-c", "2.9"))
    index_server.add(build_wheel(w, "lib-c", "3.0"))
    res, _ = _resolve(index_server, ["app"], tmp_path)
    assert versions(res) == {"app": "1.0", "lib-a": "2.0", "lib-b": "0.5", "lib-c": "2.9"}
    assert res.pins["lib-c"].parents == ("lib-a",)
    assert res.pins["app"].direct and not res.pins["lib-a"].direct
    # Every pin carries the file and its sha256 from the index.
    assert all(p.files and p.files[0].sha256 for p in res)


def test_backtracking_finds_the_older_compatible_release(index_server, tmp_path):
    w = tmp_path / "w"
    # Newest tool needs shared>=2, but plugin needs shared<2: the resolver must
    # backtrack from tool 2.0 to tool 1.0.
    index_server.add(build_wheel(w, "tool", "2.0", requires_dist=["shared>=2"]))
    index_server.add(build_wheel(w, "tool", "1.0", requires_dist=["shared>=1"]))
    index_server.add(build_wheel(w, "plugin", "1.0", requires_dist=["shared<2"]))
    index_server.add(build_wheel(w, "shared", "1.5"))
    index_server.add(build_wheel(w, "shared", "2.1"))
    res, _ = _resolve(index_server, ["plugin", "tool"], tmp_path)
    assert versions(res) == {"tool": "1.0", "plugin": "1.0", "shared": "1.5"}


def test_conflict_message_says_who_asked_for_what(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "app", "1.0", requires_dist=["shared>=2"]))
    index_server.add(build_wheel(w, "other", "1.0", requires_dist=["shared<2"]))
    index_server.add(build_wheel(w, "shared", "1.0"))
    index_server.add(build_wheel(w, "shared", "2.0"))
    with pytest.raises(ResolutionConflict) as info:
        _resolve(index_server, ["app", "other"], tmp_path)
    text = str(info.value)
    assert "shared>=2  required by app 1.0" in text
    assert "shared<2  required by other 1.0" in text
    assert "installable versions: 2.0, 1.0" in text


def test_direct_conflict_names_the_import_site(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "app", "1.0", requires_python=">=3.99"))
    with pytest.raises(ResolutionConflict) as info:
        _resolve(index_server, ["app"], tmp_path)
    assert "your code (app/main.py:1)" in str(info.value)
    assert "no release has a file installable" in str(info.value)


def test_extras_markers_and_requires_python(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "core", "1.0", extras=["fast"], requires_dist=[
        'speedup; extra == "fast"',
        'winonly; sys_platform == "win32"',
        'oldpy; python_version < "3.0"',
        "base-dep",
    ]))
    index_server.add(build_wheel(w, "speedup", "1.0"))
    index_server.add(build_wheel(w, "speedup", "2.0", requires_python=">=3.99"))  # not for us
    index_server.add(build_wheel(w, "winonly", "1.0"))
    index_server.add(build_wheel(w, "oldpy", "1.0"))
    index_server.add(build_wheel(w, "base-dep", "1.0"))
    res, _ = _resolve(index_server, ["core[fast]"], tmp_path)
    assert versions(res) == {"core": "1.0", "speedup": "1.0", "base-dep": "1.0"}
    assert res.pins["core"].extras == frozenset({"fast"})
    res2, _ = _resolve(index_server, ["core"], tmp_path)
    assert "speedup" not in versions(res2)


def test_incompatible_platform_wheels_are_never_picked(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "native", "2.0", tag="cp27-cp27m-win32"))
    index_server.add(build_wheel(w, "native", "1.0"))
    res, _ = _resolve(index_server, ["native"], tmp_path)
    assert versions(res) == {"native": "1.0"}
    assert [f.filename for f in res.pins["native"].files] == ["native-1.0-py3-none-any.whl"]


def test_yanked_and_prereleases_are_skipped_unless_asked(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "lib", "1.0"))
    index_server.add(build_wheel(w, "lib", "1.1"), yanked=True)
    index_server.add(build_wheel(w, "lib", "2.0rc1"))
    res, _ = _resolve(index_server, ["lib"], tmp_path)
    assert versions(res) == {"lib": "1.0"}
    res, _ = _resolve(index_server, ["lib==1.1"], tmp_path)
    assert versions(res) == {"lib": "1.1"}
    assert any("lib 1.1 is yanked" in w for w in res.warnings)
    res, _ = _resolve(index_server, ["lib>=2.0rc1"], tmp_path)
    assert versions(res) == {"lib": "2.0rc1"}


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_both_page_formats_give_the_same_result(index_server, tmp_path, json_api):
    w = tmp_path / "w"
    index_server.json_api = json_api
    index_server.add(build_wheel(w, "lib", "1.0", requires_python=">=3.8"))
    index_server.add(build_wheel(w, "lib", "3.0", requires_python=">=3.99"))
    res, _ = _resolve(index_server, ["lib"], tmp_path)
    assert versions(res) == {"lib": "1.0"}
    pages = index_server.requests_for("/simple/lib/")
    assert pages and all("application/vnd.pypi.simple.v1+json" in h["Accept"] for _, _, h in pages)


def test_metadata_from_range_requests_when_no_metadata_file(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.serve_metadata = False
    index_server.advertise_metadata = False
    index_server.add(build_wheel(w, "lib", "1.0", requires_dist=["dep"], files={
        "lib/__init__.py": "x = 1\n", "lib/big.bin": b"\0" * 300_000}))
    index_server.add(build_wheel(w, "dep", "1.0"))
    res, _ = _resolve(index_server, ["lib"], tmp_path, cache=False)
    assert versions(res) == {"lib": "1.0", "dep": "1.0"}
    wheel_gets = index_server.requests_for("/files/lib-1.0-py3-none-any.whl")
    wheel_gets = [r for r in wheel_gets if not r[1].endswith(".metadata")]
    assert wheel_gets and all("Range" in h for _, _, h in wheel_gets), "must not download the whole wheel"


def test_metadata_is_cached_by_file_hash(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "lib", "1.0", requires_dist=["dep"]))
    index_server.add(build_wheel(w, "dep", "1.0"))
    _resolve(index_server, ["lib"], tmp_path)
    first = len(index_server.requests_for(".metadata"))
    _, repo = _resolve(index_server, ["lib"], tmp_path)
    assert first == 2
    assert len(index_server.requests_for(".metadata")) == first, "second run must use the cache"
    assert repo.fetcher.stats["cache"] == 2


def test_requirement_objects_and_strings_are_both_accepted(index_server, tmp_path):
    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0"))
    res, _ = _resolve(index_server, [Requirement("lib>=1")], tmp_path)
    assert versions(res) == {"lib": "1.0"}


def test_first_index_that_has_a_project_wins(index_server, tmp_path):
    """An extra index cannot override a project the main index has (dependency confusion)."""
    from support.index_server import IndexServer

    index_server.add(build_wheel(tmp_path / "main", "internal-lib", "1.0"))
    with IndexServer() as extra:
        extra.add(build_wheel(tmp_path / "extra", "internal-lib", "99.0"))
        extra.add(build_wheel(tmp_path / "extra", "only-extra", "1.0"))
        session = make_session(None)
        target = Target.current()
        repo = SimpleRepository([SimpleIndex(session, index_server.url), SimpleIndex(session, extra.url)],
                                MetadataFetcher(session, None), target)
        try:
            res = resolve(["internal-lib", "only-extra"], repo, target)
        finally:
            repo.close()
    assert versions(res) == {"internal-lib": "1.0", "only-extra": "1.0"}
    assert res.pins["internal-lib"].files[0].url.startswith(index_server.base)


def test_sdist_only_projects_use_static_metadata_never_a_build(index_server, tmp_path):
    from support.wheels import build_sdist

    w = tmp_path / "w"
    # PEP 643 static metadata in PKG-INFO.
    index_server.add(build_sdist(w, "modern-sdist", "1.0", requires_dist=['legacy-sdist[fast]']))
    # Old setuptools sdist: PKG-INFO 2.1 without requirements, egg-info/requires.txt has them.
    index_server.add(build_sdist(w, "legacy-sdist", "0.9", metadata_version="2.1",
                                 requires_txt="dep-a>=1\n\n[fast]\ndep-b\n\n[:sys_platform == \"win32\"]\nwin-dep\n"))
    # Newest release is dynamic (would need a build): skipped for 0.5.
    index_server.add(build_sdist(w, "dep-a", "2.0", metadata_version="2.2", dynamic=["Requires-Dist"]))
    index_server.add(build_sdist(w, "dep-a", "1.5", metadata_version="2.2"))
    index_server.add(build_wheel(w, "dep-b", "1.0"))
    index_server.add(build_wheel(w, "win-dep", "1.0"))
    res, _ = _resolve(index_server, ["modern-sdist"], tmp_path)
    assert versions(res) == {"modern-sdist": "1.0", "legacy-sdist": "0.9", "dep-a": "1.5", "dep-b": "1.0"}
    # Falling back from an unreadable newer release is never silent.
    assert any(w.startswith("dep-a: pinned 1.5, but newer 2.0 could not be used: ") and "dynamic" in w
               for w in res.warnings), res.warnings
    # The lock lists the sdist itself (with its hash) when there is no wheel.
    assert [f.filename for f in res.pins["dep-a"].files] == ["dep_a-1.5.tar.gz"]
    assert res.pins["dep-a"].files[0].sha256 == index_server.files["dep_a-1.5.tar.gz"].sha256


def test_sdist_streaming_stops_at_the_budget(index_server, tmp_path):
    from support.wheels import build_sdist

    index_server.add(build_sdist(tmp_path / "w", "huge", "1.0", filler=2 * 1024 * 1024))
    with pytest.raises(ResolutionConflict) as info:
        _resolve(index_server, ["huge"], tmp_path, limits=ArchiveLimits(compressed=256 * 1024))
    assert "over the streaming limit of 256.0 KiB compressed" in str(info.value)


def test_a_damaged_metadata_cache_entry_is_refetched_not_trusted(index_server, tmp_path):
    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0", requires_dist=["dep"]))
    index_server.add(build_wheel(tmp_path / "w", "lib", "0.9"))
    index_server.add(build_wheel(tmp_path / "w", "dep", "1.0"))
    _resolve(index_server, ["lib"], tmp_path)
    entry = index_server.files["lib-1.0-py3-none-any.whl"].sha256
    (cached,) = (tmp_path / "cache" / "metadata").rglob(f"{entry}.metadata")
    cached.write_bytes(b"<html>captive portal</html>")
    res, repo = _resolve(index_server, ["lib"], tmp_path)
    # Not a silent downgrade to 0.9: the bad entry is dropped, fetched again and rewritten.
    assert versions(res) == {"lib": "1.0", "dep": "1.0"} and not res.warnings
    assert cached.read_bytes().partition(b"\n")[2].startswith(b"Metadata-Version")  # after the entry's header


def test_metadata_for_another_project_is_rejected(index_server, tmp_path):
    from support.wheels import metadata_text

    index_server.add(build_wheel(tmp_path / "w", "lib", "2.0"))
    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0"))
    # The index serves a .metadata file that describes another project.
    index_server.files["lib-2.0-py3-none-any.whl"].metadata = metadata_text("evil", "2.0").encode()
    res, _ = _resolve(index_server, ["lib"], tmp_path)
    assert versions(res) == {"lib": "1.0"}
    assert any("describes evil 2.0, not the file's lib 2.0" in w for w in res.warnings), res.warnings


def test_a_yanked_file_of_a_good_release_is_not_locked(index_server, tmp_path):
    from support.wheels import build_sdist

    index_server.add(build_wheel(tmp_path / "w", "lib", "1.0"), yanked=True)  # a broken upload, yanked
    index_server.add(build_sdist(tmp_path / "w", "lib", "1.0"))
    res, _ = _resolve(index_server, ["lib"], tmp_path)
    assert [f.filename for f in res.pins["lib"].files] == ["lib-1.0.tar.gz"]


def test_a_relock_keeps_pins_and_moves_only_what_is_asked(index_server, tmp_path):
    """pip-compile semantics: an existing -o lock's pins stay where they still fit; -P/-U move them."""
    import os
    import subprocess
    import sys

    w = tmp_path / "w"
    for name, module, version in (("PyYAML", "yaml", "6.0"), ("fastjson", "fastjson", "1.0"),
                                  ("clicky", "clicky", "1.0")):
        index_server.add(build_wheel(w, name, version, files={f"{module}/__init__.py": ""}))
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text("import yaml\nimport fastjson\n")

    def lock(*extra: str) -> str:
        # --no-cache: the pages change between runs, faster than a page's cache lifetime
        proc = subprocess.run([sys.executable, "-m", "poncho", "job.py", "-o", "env.lock", "--no-cache", "--index-url",
                               index_server.url, *extra], cwd=app, capture_output=True, text=True,
                              env=dict(os.environ), timeout=120)
        assert proc.returncode == 0, proc.stderr
        return (app / "env.lock").read_text()

    assert "PyYAML==6.0" in lock() and "fastjson==1.0" in lock()
    for name, module in (("PyYAML", "yaml"), ("fastjson", "fastjson"), ("clicky", "clicky")):
        index_server.add(build_wheel(w, name, "2.0" if name != "PyYAML" else "6.1", files={f"{module}/__init__.py": ""}))
    (app / "job.py").write_text("import yaml\nimport fastjson\nimport clicky\n")  # a new import: a re-lock
    kept = lock()
    assert "PyYAML==6.0" in kept and "fastjson==1.0" in kept and "clicky==2.0" in kept  # old pins kept, new newest
    one = lock("--upgrade-package", "pyyaml")
    assert "PyYAML==6.1" in one and "fastjson==1.0" in one and "clicky==2.0" in one
    back = lock("-P", "pyyaml==6.0")
    assert "PyYAML==6.0" in back and "fastjson==1.0" in back
    assert "fastjson==2.0" in lock("--upgrade") and "PyYAML==6.1" in lock("-U")

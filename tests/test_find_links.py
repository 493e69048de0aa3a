"""pip's find-links, from --find-links or pip's configuration: a directory of files is a source like an index."""

from __future__ import annotations

import hashlib
import re

from support.cli import run
from support.wheels import build_wheel


def _app(tmp_path, *imports):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("".join(f"import {m}\n" for m in imports))
    return root


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_find_links_directory_is_asked_before_the_index(tmp_path, index_server):
    house = tmp_path / "wheelhouse"
    private = build_wheel(house, "private-tool", "1.0", files={"private_tool/__init__.py": ""},
                          requires_dist=["PyYAML"])
    patched = build_wheel(house, "tinydep", "0.9.post1")
    (house / "notes").mkdir()  # directories and stray files are not projects
    (house / "README.txt").write_text("wheels for the cluster\n")
    index_server.add(build_wheel(tmp_path / "idx", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    index_server.add(build_wheel(tmp_path / "idx", "tinydep", "2.0"))
    index_server.add(build_wheel(tmp_path / "idx", "private-tool", "9.9", files={"private_tool/__init__.py": ""}))
    root = _app(tmp_path, "private_tool", "tinydep")

    proc = run("job.py", "--index-url", index_server.url, "--find-links", str(house), "--map",
               "private_tool=private-tool", cwd=root)
    assert proc.returncode == 0, proc.stderr
    pins = re.findall(r"^(\S+==\S+)", proc.stdout, re.M)
    # The wheelhouse's private-tool and tinydep win over the index's same-named projects; PyYAML, not in it,
    # comes from the index.
    assert pins == ["private-tool==1.0", "PyYAML==6.0", "tinydep==0.9.post1"], proc.stdout
    assert _sha(private) in proc.stdout and _sha(patched) in proc.stdout  # hashed from the local files
    assert index_server.requests_for("/simple/private-tool/") == []

    without = run("job.py", "--index-url", index_server.url, "--map", "private_tool=private-tool", cwd=root)
    assert "private-tool==9.9" in without.stdout and "tinydep==2.0" in without.stdout

    missing = run("job.py", "--index-url", index_server.url, "--find-links", str(tmp_path / "nope"), cwd=root)
    assert missing.returncode == 2 and "nope: not a directory" in missing.stderr, missing.stderr


def test_pips_find_links_setting_is_honoured(tmp_path, index_server):
    house = tmp_path / "wheelhouse"
    build_wheel(house, "private-tool", "1.0", files={"private_tool/__init__.py": ""})
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {index_server.url}\nfind-links = {house}\n    {tmp_path / 'gone'}\n")
    empty = tmp_path / "xdg"
    empty.mkdir()
    root = _app(tmp_path, "private_tool")
    env = {"PIP_CONFIG_FILE": str(conf), "XDG_CONFIG_DIRS": str(empty)}
    proc = run("job.py", "--map", "private_tool=private-tool", "-v", cwd=root, env_extra=env)
    assert proc.returncode == 0, proc.stderr
    assert "private-tool==1.0" in proc.stdout
    assert "find-links" in proc.stderr and "gone is not a directory; skipped" in proc.stderr  # pip skips it too
    ignored = run("job.py", "--map", "private_tool=private-tool", "--no-pip-config", "--index-url",
                  index_server.url, cwd=root, env_extra=env)
    assert ignored.returncode == 5, ignored.stderr  # not on the index, and the wheelhouse is pip's setting


def test_find_links_page_of_links(tmp_path, index_server):
    """An http(s) find-links page: its links (with #sha256=) are the files; the hashes are the page's."""
    from support.index_server import IndexServer

    index_server.add(build_wheel(tmp_path / "idx", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    with IndexServer(json_api=False) as wheelhouse:
        served = wheelhouse.add(build_wheel(tmp_path / "house", "private-tool", "1.0",
                                            files={"private_tool/__init__.py": ""}))
        root = _app(tmp_path, "private_tool", "yaml")
        proc = run("job.py", "--index-url", index_server.url, "--find-links", wheelhouse.url + "private-tool/",
                   "--map", "private_tool=private-tool", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert re.findall(r"^(\S+==\S+)", proc.stdout, re.M) == ["private-tool==1.0", "PyYAML==6.0"]
    assert f"--hash=sha256:{served.sha256}" in proc.stdout

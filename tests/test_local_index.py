"""A file:// index never blocks: a FIFO or a device where a page or a file is expected is refused.

The lock (pages, metadata, hashing), the live probe and the index builder all
read local indexes; each is run against a real directory index holding a
FIFO (tests run as root on Linux), with a timeout, so a regression hangs the
test for seconds, not forever.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from poncho.errors import BadResponse, ExitCode, Reason
from poncho.net import IndexFile, SimpleIndex, make_session
from support.wheels import build_sdist, build_wheel

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _in_time(call: Callable[[], Any], seconds: float = 20) -> Any:
    """``call()``'s result or exception, or a failure if it is still blocked after ``seconds``."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    return outcome[0]


def _index(tmp_path: Path, fifo_wheel: bool = True) -> Path:
    """``simple/pyyaml/``: a PEP 503 page listing 6.0 (a real wheel) and 6.1 (a FIFO named like a wheel)."""
    project = tmp_path / "simple" / "pyyaml"
    project.mkdir(parents=True)
    good = build_wheel(project, "PyYAML", "6.0", files={"yaml/__init__.py": ""})
    links = [f'<a href="{good.name}#sha256={hashlib.sha256(good.read_bytes()).hexdigest()}">{good.name}</a>']
    if fifo_wheel:
        fifo = project / "pyyaml-6.1-py3-none-any.whl"
        os.mkfifo(fifo)
        links.append(f'<a href="{fifo.name}#sha256={"ab" * 32}">{fifo.name}</a>')
    (project / "index.html").write_text("<html><body>" + "\n".join(links) + "</body></html>\n")
    return tmp_path / "simple"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull)
    return subprocess.run([sys.executable, "-m", "poncho", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.py").write_text("import yaml\n")
    return app


def test_a_fifo_named_like_a_wheel_is_refused_and_the_lock_goes_on(tmp_path, app):
    index = _index(tmp_path)
    proc = _run(app, "job.py", "--index-url", index.as_uri(), "--no-probe")
    assert proc.returncode == 0, proc.stderr
    assert "PyYAML==6.0" in proc.stdout and "pyyaml-6.1-py3-none-any.whl" in proc.stderr
    assert "FIFO" in proc.stderr and "Traceback" not in proc.stderr


def test_a_fifo_where_a_project_page_should_be_is_a_bad_response(tmp_path, app):
    index = _index(tmp_path, fifo_wheel=False)
    page = index / "pyyaml" / "index.json"  # looked at before index.html
    os.mkfifo(page)
    proc = _run(app, "job.py", "--index-url", index.as_uri(), "--no-probe")
    assert proc.returncode == ExitCode.INDEX, proc.stderr
    assert page.as_uri() in proc.stderr and "FIFO" in proc.stderr
    got = _in_time(lambda: SimpleIndex(make_session(None), index.as_uri()).project("pyyaml"))
    assert isinstance(got, BadResponse) and got.kind is Reason.UNSUPPORTED


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_hashing_a_local_file_never_reads_a_fifo_or_a_device(tmp_path, special):
    """A bare directory index lists no hashes, so the lock hashes the files: never a FIFO or /dev/zero."""
    from poncho.lock.build import _artifact

    path = tmp_path / "pyyaml-6.0-py3-none-any.whl"
    if special == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    got = _in_time(lambda: _artifact(IndexFile(path.name, path.as_uri())))
    assert isinstance(got, BadResponse) and got.kind is Reason.UNSUPPORTED and got.url == path.as_uri()


def test_the_probe_on_a_local_index_is_not_blocked_by_a_fifo(tmp_path):
    from poncho.index_cache import LiveProbe

    index = _index(tmp_path)
    probe = LiveProbe(SimpleIndex(make_session(None), index.as_uri()), cache_dir=None)
    assert _in_time(lambda: probe.provided_by("pyyaml")) is None  # the newest wheel is no file: confirms nothing


def test_the_builder_crawls_a_local_index_with_a_fifo_and_reads_local_sdists(tmp_path):
    from poncho.index_cache.build.crawl import CrawlSettings, crawl_project
    from poncho.index_cache.build.results import Outcome

    index = _index(tmp_path)
    build_sdist(index / "only-sdist", "only-sdist", "1.0")  # a bare directory holding one .tar.gz
    settings = CrawlSettings(index_url=index.as_uri(), retries=0, backoff=0)
    crawled = _in_time(lambda: crawl_project("pyyaml", 1, settings))
    assert crawled["outcome"] == Outcome.UNREADABLE.value and "FIFO" in crawled["reason"]
    sdist = _in_time(lambda: crawl_project("only-sdist", 2, settings))
    assert sdist["outcome"] == Outcome.SDIST_NO_PACKAGE.value and sdist["distribution"] == "only-sdist", sdist


def test_a_file_the_local_index_lists_but_lacks_is_the_index_failing(tmp_path, app):
    """Like a 404 on a remote index: exit 6 rather than a silent older pin (or a traceback), unless --allow-fallback."""
    index = _index(tmp_path, fifo_wheel=False)
    page = index / "pyyaml" / "index.html"
    page.write_text(page.read_text().replace("</body>", f'<a href="pyyaml-6.1-py3-none-any.whl#sha256={"ab" * 32}">'
                                                        "pyyaml-6.1-py3-none-any.whl</a></body>"))
    strict = _run(app, "job.py", "--index-url", index.as_uri(), "--no-probe")
    assert strict.returncode == ExitCode.INDEX, strict.stderr
    assert "pyyaml-6.1-py3-none-any.whl" in strict.stderr and "Traceback" not in strict.stderr
    allowed = _run(app, "job.py", "--index-url", index.as_uri(), "--no-probe", "--allow-fallback")
    assert allowed.returncode == 0 and "PyYAML==6.0" in allowed.stdout, allowed.stderr

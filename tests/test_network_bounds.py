"""Bounded work against a hostile or broken index: Retry-After is capped, target versions are bounded."""

from __future__ import annotations

import time

import pytest

from poncho.config import parse_target
from poncho.errors import BadResponse, ConfigError, IndexUnreachable, Reason
from poncho.net import SimpleIndex, make_session
from poncho.net import session as session_mod
from support.wheels import build_wheel


def test_retry_after_is_capped(index_server, tmp_path, monkeypatch):
    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0"))
    index_server.failures["/simple/pyyaml/"] = 503
    index_server.retry_after = "100000"  # a day and more: honoured verbatim, the run would never end
    monkeypatch.setattr(session_mod, "MAX_RETRY_AFTER", 0.2)
    index = SimpleIndex(make_session(None, retries=2), index_server.url)
    started = time.monotonic()
    with pytest.raises(BadResponse) as info:
        index.project("pyyaml")
    assert time.monotonic() - started < 5
    assert info.value.kind is Reason.HTTP_STATUS and info.value.status == 503 and info.value.transient
    assert len(index_server.requests_for("/simple/pyyaml/")) == 3  # the first try and two retries


@pytest.mark.parametrize("version", ["3.100000", "3.41", "3.12.100000", "3.-1"])
def test_absurd_python_versions_are_refused_at_once(version):
    started = time.monotonic()
    with pytest.raises(ConfigError):
        parse_target(version)
    assert time.monotonic() - started < 1


def test_a_trickling_server_meets_the_deadline(index_server, tmp_path, monkeypatch):
    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0"))
    index_server.trickle = "/simple/pyyaml/"  # every socket read returns a byte in time; the body never ends
    monkeypatch.setattr(session_mod, "REQUEST_DEADLINE", 1.0)
    index = SimpleIndex(make_session(None, retries=0), index_server.url)
    started = time.monotonic()
    with pytest.raises(IndexUnreachable) as info:
        index.project("pyyaml")
    assert time.monotonic() - started < 5 and info.value.kind is Reason.TIMEOUT


def test_page_bodies_have_a_size_cap(index_server, tmp_path, monkeypatch):
    for v in range(30):
        index_server.add(build_wheel(tmp_path / "w", "PyYAML", f"6.{v}"))
    monkeypatch.setattr(session_mod, "MAX_PAGE_BYTES", 2000)
    index = SimpleIndex(make_session(tmp_path / "cache", retries=0), index_server.url)
    with pytest.raises(BadResponse) as info:
        index.project("pyyaml")
    assert info.value.kind is Reason.TOO_LARGE and "2000 byte limit" in str(info.value)
    monkeypatch.setattr(session_mod, "MAX_PAGE_BYTES", 10**6)
    assert len(index.project("pyyaml").files) == 30  # nothing half-read was cached


# metadata files and wheel ranges: the same cap and deadline as pages -----------------------------------

def _wheel_file(server, tmp_path):
    from poncho.net import SimpleIndex

    served = server.add(build_wheel(tmp_path / "w", "liar", "1.0", requires_dist=[f"dep{i}" for i in range(40)]))
    page = SimpleIndex(make_session(None), server.url).project("liar")
    return served, next(f for f in page.files if f.filename == served.filename)


def test_a_metadata_file_is_capped_at_max_metadata_bytes(index_server, tmp_path, monkeypatch):
    from poncho.artifacts.wheel import metadata_file
    from poncho.errors import OverLimit

    served, file = _wheel_file(index_server, tmp_path)
    monkeypatch.setattr(session_mod, "MAX_METADATA_BYTES", 200)  # the archive limits allow 16 MiB
    assert len(served.metadata) > 200
    with pytest.raises(OverLimit) as info:
        metadata_file(make_session(None), file)
    assert info.value.kind is Reason.TOO_LARGE and info.value.url == file.url + ".metadata"


@pytest.mark.parametrize("reader", ["metadata-file", "wheel-ranges", "probe"])
def test_a_trickled_metadata_file_or_wheel_meets_the_deadline(index_server, tmp_path, monkeypatch, reader):
    """Each read arrives within the socket timeout, the body never ends: the request deadline ends it,
    for the resolver's .metadata, its range reads into the wheel, and the live probe's (the builder's too)."""
    import threading

    from poncho.artifacts.wheel import wheel_metadata
    from poncho.index_cache import LiveProbe

    served, file = _wheel_file(index_server, tmp_path)
    if reader == "metadata-file":
        index_server.trickle = served.filename + ".metadata"
    else:
        index_server.serve_metadata = False
        index_server.trickle = "/files/" + served.filename
    monkeypatch.setattr(session_mod, "REQUEST_DEADLINE", 1.0)
    session = make_session(None, retries=0)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            if reader == "probe":
                LiveProbe(SimpleIndex(session, index_server.url), cache_dir=None).provided_by("liar")
            else:
                wheel_metadata(session, file)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(15)
    assert outcome, "still reading a trickled body after 15 s"
    assert isinstance(outcome[0], IndexUnreachable) and outcome[0].kind is Reason.TIMEOUT


def test_ctrl_c_ends_a_run_at_once(index_server, tmp_path):
    """Fetch threads blocked on a slow server must not hold the process after Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys

    index_server.add(build_wheel(tmp_path / "w", "PyYAML", "6.0", files={"yaml/__init__.py": ""}))
    index_server.trickle = "/simple/pyyaml/"  # the page takes ~20 s to arrive
    (tmp_path / "job.py").write_text("import yaml\n")
    proc = subprocess.Popen([sys.executable, "-m", "poncho", "job.py", "--index-url", index_server.url, "-o",
                             "env.lock"], cwd=tmp_path, env=dict(os.environ), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # well inside the page fetch
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 3, "Ctrl-C waited for the fetch threads"
    assert proc.returncode == 130 and "interrupted; nothing was written" in err
    assert not (tmp_path / "env.lock").exists()

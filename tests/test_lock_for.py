"""poncho.lock_for(fn): a live function object to a Lock, against the loopback index."""

from __future__ import annotations

import functools
import importlib.util
import sys

import poncho
from poncho.lock import render
from poncho.pipeline import Options
from support.wheels import build_wheel

MODULE = '''
import json


def make_resizer(size):
    def resize(path):
        import imgkit
        return imgkit.open(path).resize(size)
    return resize


def send(to, body):
    import mailkit
    return mailkit.send(to, json.dumps(body))
'''


def _load(tmp_path):
    path = tmp_path / "live_jobs.py"
    path.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("live_jobs", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["live_jobs"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_lock_for_closure_and_partial(tmp_path, index_server):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "imgkit", "1.0"))
    index_server.add(build_wheel(w, "mailkit", "2.0", requires_dist=["smtpfast"]))
    index_server.add(build_wheel(w, "smtpfast", "1.1"))
    mod = _load(tmp_path)
    try:
        options = Options(index_urls=(index_server.url,), cache_dir=tmp_path / "cache")
        lock = poncho.lock_for(mod.make_resizer((64, 64)), options)
        assert [(e.name, e.version) for e in lock.entries] == [("imgkit", "1.0")]
        lock = poncho.lock_for(functools.partial(mod.send, "ops@example.org"), options)
        assert [(e.name, e.version) for e in lock.entries] == [("mailkit", "2.0"), ("smtpfast", "1.1")]
        text = render(lock)
        assert "mailkit==2.0" in text and "# via mailkit" in text
        assert {s.module for s in poncho.requirements_for(mod.send).third_party} == {"mailkit"}
    finally:
        sys.modules.pop("live_jobs", None)

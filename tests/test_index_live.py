"""A few checks against the real index (pypi.org); deselect with -m 'not live'."""

from __future__ import annotations

import pytest

from poncho.index_cache import LiveProbe, Source
from poncho.index_cache.build import BuildOptions, build
from poncho.index_cache.shipped import INDEX_FILE
from poncho.net import SimpleIndex, make_session

pytestmark = pytest.mark.live


def test_live_probe_confirms_by_file_list():
    probe = LiveProbe(SimpleIndex(make_session(None)))
    m = probe.lookup("slugify")
    assert m is not None and m.source == Source.PROBE
    assert m.distribution in {"python-slugify", "slugify"}  # whichever is confirmed by its wheel


def test_small_real_build(tmp_path):
    top = tmp_path / "top.tsv"
    top.write_text("rank\tname\n1\tpyyaml\n2\tgoogle-cloud-storage\n3\tpython-dateutil\n")
    manifest = build(BuildOptions(out_dir=tmp_path / "out", input=top, workers=3, progress=None))
    assert manifest["errors"] == 0 and manifest["indexed"] == 3
    text = (tmp_path / "out" / INDEX_FILE).read_text()
    assert "yaml\tPyYAML\t1\n" in text
    assert "google.cloud.storage\tgoogle-cloud-storage\t2\n" in text
    assert "dateutil\tpython-dateutil\t3\n" in text

"""The analyzer reads code and never runs it: tree, function entry and notebook modes alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PAYLOAD = "import pathlib\npathlib.Path({marker!r}).write_text('ran')\n"


@pytest.mark.parametrize("mode", ["tree", "entry", "notebook", "module-entry"])
def test_analysis_never_runs_the_code(tmp_path, mode):
    marker = tmp_path / "executed"
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "pkg" / "__init__.py").write_text(PAYLOAD.format(marker=str(marker)))
    (app / "pkg" / "jobs.py").write_text(PAYLOAD.format(marker=str(marker)) +
                                         "import yaml\n\n\ndef handler():\n    import requests\n    return requests\n")
    (app / "nb.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code",
                                                          "source": [PAYLOAD.format(marker=str(marker)), "import yaml"]}],
                                              "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    target = {"tree": ".", "entry": "pkg/jobs.py:handler", "notebook": "nb.ipynb",
              "module-entry": "pkg.jobs:handler"}[mode]
    proc = subprocess.run([sys.executable, "-m", "poncho", target, "--no-resolve", "--no-probe"], cwd=app,
                          capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert ("requests" if mode.endswith("entry") else "PyYAML") in proc.stdout  # it did analyze the code
    assert not marker.exists(), f"{mode}: the analyzed code ran"

"""Jupyter notebooks: code cells only, magics skipped, cell numbers, install hints."""

from __future__ import annotations

import json

from poncho.analysis import Kind, analyze, analyze_source


def notebook(*cells: tuple[str, str], language: str = "python") -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": language}},
        "cells": [{"cell_type": t, "metadata": {}, "source": src.splitlines(keepends=True),
                   **({"outputs": [], "execution_count": None} if t == "code" else {})} for t, src in cells],
    })


NB = notebook(
    ("markdown", "# Title\nimport not_code\n"),
    ("code", "%matplotlib inline\n%pip install -q seaborn 'scikit-learn>=1.3'\nimport numpy as np\n"),
    ("code", "!pip install --upgrade polars\nfiles = !ls\nnp.array?\nimport pandas as pd\n"),
    ("code", "%%bash\npip install notapython\necho import nope\n"),
    ("code", "%%time\nimport scipy\nfor i in range(3):\n    !echo $i\n"),
    ("code", "def f():\n    import torch\n"),
)


def test_code_cells_magics_and_cell_numbers():
    found, diags = analyze_source(NB, "analysis.ipynb")
    static = [(s.module, s.cell, s.line, s.scope) for s in found if s.kind is Kind.STATIC]
    assert static == [("numpy", 2, 3, "<module>"), ("pandas", 3, 4, "<module>"), ("scipy", 5, 2, "<module>"),
                      ("torch", 6, 2, "f")]
    assert not diags


def test_pip_install_lines_are_hints():
    found, _ = analyze_source(NB, "analysis.ipynb")
    hints = {(s.distribution, s.cell, s.line) for s in found if s.kind is Kind.HINT}
    assert hints == {("seaborn", 2, 2), ("scikit-learn", 2, 2), ("polars", 3, 1), ("notapython", 4, 2)}


def test_location_shows_the_cell():
    found, _ = analyze_source(NB, "nb.ipynb")
    assert next(s for s in found if s.module == "pandas").location == "nb.ipynb:cell 3:4"


def test_a_broken_cell_does_not_hide_the_others():
    nb = notebook(("code", "import good\n"), ("code", "def broken(:\n"), ("code", "import also_good\n"))
    found, diags = analyze_source(nb, "x.ipynb")
    assert [s.module for s in found] == ["good", "also_good"]
    assert len(diags) == 1 and diags[0].cell == 2 and str(diags[0]).startswith("x.ipynb:cell 2:1:")


def test_non_python_notebook_is_reported():
    found, diags = analyze_source(notebook(("code", "library(dplyr)\n"), language="R"), "r.ipynb")
    assert not found and "not Python" in diags[0].message


def test_notebooks_in_a_tree(tmp_path):
    (tmp_path / "explore.ipynb").write_text(NB)
    (tmp_path / "helpers.py").write_text("import requests\n")
    result = analyze([tmp_path], cache=False)
    tops = {s.top_level for s in result.third_party}
    assert {"numpy", "pandas", "scipy", "torch", "requests", "seaborn"} <= tops

"""One diagnostic record, rendered in one place: text, JSON lines, GitHub annotations."""

from __future__ import annotations

import json

from poncho.diagnostics import Code, Diagnostic, Severity, render


def test_text_json_and_github_agree_on_every_field():
    d = Diagnostic("app/a,b.py", 7, "line one\nline two 100%", Severity.WARNING, None, Code.UNMAPPED)
    assert render([d]).startswith("warning: PR201 app/a,b.py:7: line one")
    assert json.loads(render([d], "json")) == {"code": "PR201", "severity": "warning", "file": "app/a,b.py",
                                               "line": 7, "cell": None, "message": "line one\nline two 100%"}
    # GitHub's workflow-command escaping: a message can never start a second command.
    assert render([d], "github") == "::warning file=app/a%2Cb.py,line=7,title=PR201::line one%0Aline two 100%25\n"


def test_notebook_cells_and_files_without_a_line():
    cell = Diagnostic("nb.ipynb", 2, "cannot parse", Severity.WARNING, 3, Code.UNREADABLE)
    assert str(cell) == "nb.ipynb:cell 3:2: cannot parse"
    assert "line=" not in render([cell], "github")  # a cell's line is not a line of the .ipynb file
    bare = Diagnostic("", 0, "a yanked pin", Severity.NOTE, None, Code.RESOLUTION_WARNING)
    assert str(bare) == "a yanked pin" and render([bare], "github") == "::notice title=PR301::a yanked pin\n"

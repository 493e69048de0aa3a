"""The analyzer's module dependencies go one way: no cycles, libcst only where it is needed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import poncho.analysis

PACKAGE = Path(poncho.analysis.__file__).parent


def load_time_imports(path: Path, anywhere: bool = False) -> set[str]:
    """The sibling modules a module of the package imports when it is loaded (or ``anywhere``, in functions too)."""
    package = ".".join(["poncho", *path.relative_to(PACKAGE.parent).parent.parts])
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        for stmt in ast.walk(node) if anywhere or isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(stmt, ast.ImportFrom) and stmt.level:
                base = package.rsplit(".", stmt.level - 1)[0] if stmt.level > 1 else package
                found.update([f"{base}.{stmt.module}"] if stmt.module else [f"{base}.{a.name}" for a in stmt.names])
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(["poncho", *(parts[:-1] if parts[-1] == "__init__" else parts)])


def test_module_imports_have_no_cycles() -> None:
    graph = {module_name(p): load_time_imports(p) for p in PACKAGE.rglob("*.py")}
    # the libcst fallback and the ast visitor never reach for each other, not even lazily
    assert "poncho.analysis.cst_fallback" not in load_time_imports(PACKAGE / "visitor.py", anywhere=True)
    assert "poncho.analysis.visitor" not in load_time_imports(PACKAGE / "cst_fallback.py", anywhere=True)

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join([*path, node])
        for nxt in sorted(graph.get(node, ())):
            if nxt != node.rpartition(".")[0]:  # a submodule importing its own package's __init__ is fine
                visit(nxt, (*path, node))

    for start in graph:
        visit(start, ())


def test_whole_tree_analysis_does_not_load_libcst() -> None:
    code = "import sys, poncho.analysis; poncho.analysis.analyze_source('import os', 'm.py'); print('libcst' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.strip() == "False"


def test_function_entry_public_api_keeps_its_names() -> None:
    from poncho.analysis import analyze_function, function_entry

    assert function_entry.analyze_function is analyze_function
    for name in ("analyze_definition", "EntryNotFound", "EntryPoint", "parse_entry", "default_roots"):
        assert name in function_entry.__all__ and hasattr(function_entry, name)

"""Static import analysis: which modules does a program need? It never runs the code."""

from .analyze import Analysis, analyze, analyze_source
from .sites import Diagnostic, Guard, ImportSite, Kind, Severity

__all__ = ["Analysis", "Diagnostic", "Guard", "ImportSite", "Kind", "Severity", "analyze", "analyze_function",
           "analyze_source"]


def __getattr__(name: str):
    # function_entry needs libcst's scope analysis; load it only when asked for,
    # so a whole-tree run does not pay for it at start-up.
    if name == "analyze_function":
        from .function_entry import analyze_function

        return analyze_function
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

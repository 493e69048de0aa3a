"""Static import analysis: which modules does a program need? It never runs the code."""

from .analyze import Analysis, analyze, analyze_source
from .function_entry import analyze_function
from .sites import Diagnostic, Guard, ImportSite, Kind, Severity

__all__ = ["Analysis", "Diagnostic", "Guard", "ImportSite", "Kind", "Severity", "analyze", "analyze_function", "analyze_source"]

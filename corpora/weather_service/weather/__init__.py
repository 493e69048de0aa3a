"""Station observations: fetch, parse, store, report."""

__version__ = "0.3.1"

"""The analyzer called from several threads at once (``lock_for`` from a Dask client's threads, the extras
builder's pool) gives each file its own result and leaves the program's warning filters as they were.

Python's parser warns about invalid escape sequences; the analyzer silences that with
``warnings.catch_warnings``, which swaps a process-wide list. Unserialized, one thread puts the
program's filters back while another is still parsing, so under an "error" filter (``python -W error``,
pytest's ``filterwarnings``) a valid file reads as a syntax error, and the last thread out can leave
"ignore" in place for good.
"""

from __future__ import annotations

import sys
import threading
import warnings

from poncho.analysis.analyze import analyze_source

# a valid module whose string has an invalid escape: a DeprecationWarning (3.11) or SyntaxWarning (3.12+)
TEXT = b"import json\n" + b"PATTERN = '\\d+'\n" * 2000 + b"import yaml\n"


def test_threads_parsing_at_once_get_their_sites_and_keep_the_warning_filters():
    results: list[tuple[list, list]] = []
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(12):
                results.append(analyze_source(TEXT, f"worker{n}/m{i}.py"))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    interval = sys.getswitchinterval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the program's own filter
        filters = list(warnings.filters)
        sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
        try:
            threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(interval)
        assert warnings.filters == filters
    assert not failures
    assert len(results) == 72
    for sites, diags in results:
        assert [s.module for s in sites] == ["json", "yaml"] and diags == []

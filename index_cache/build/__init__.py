"""The index builder: crawl a package index into ``import-index.tsv`` (``poncho-resolve index build``).

Kept apart from the lookup (:mod:`poncho.index_cache`), which never imports
it: a lock loads neither the crawler nor the sdist streamer. Modules:
:mod:`.run` (the build: options, parallel crawl, manifest), :mod:`.crawl`
(one project), :mod:`.sdist_files` (what an sdist provides), :mod:`.results`
(the journal record and its :class:`~.results.Outcome`), :mod:`.journal`,
:mod:`.store` (the popularity list in, the tables out) and :mod:`.cli`.
Its data (the popularity list, the last build's ``projects.tsv`` and
``manifest.json``) lives in ``data/`` in the source tree and is not installed.
"""

from .run import BuildOptions, build

__all__ = ["BuildOptions", "build"]

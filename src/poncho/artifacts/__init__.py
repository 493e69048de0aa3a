"""Reading distribution files on an index without downloading them whole: one reader per artifact.

Shared by the resolver (core metadata), the mapping's live probe (a wheel's
file list) and the index builder (file lists, PEP 794 names, sdists), so all
three read the same bytes the same way and within the same limits:

- :mod:`.wheel`: a wheel's METADATA (the PEP 658 ``.metadata`` file, else
  range requests into the zip);
- :mod:`.sdist`: the members of an sdist that matter, a zip by range
  requests, a ``.tar.gz`` streamed, within :class:`.limits.ArchiveLimits`;
- :mod:`.release`: which release and which of its wheels to read;
- :mod:`.zips` (a member read within the per-member limit) and
  :mod:`.limits` (:class:`~.limits.ArchiveLimits`), which the others share.

Nothing here imports the others' heavy modules: :mod:`.sdist` (``tarfile``,
``gzip``) is imported only by code that reads an sdist. This package imports
nothing on its own import.
"""

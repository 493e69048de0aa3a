"""The JSON spec that cctools' ``poncho_package_create`` turns into a packed environment.

Why it is shaped as it is: ``poncho_package_create SPEC.json OUT.tar.gz``
reads a ``conda`` object (``channels`` and ``dependencies``, with a nested
``{"pip": [...]}`` list) and builds a conda environment from it, so the spec
is exactly the conda environment of ``conda_env`` in JSON: ``python=X.Y`` for
the target, ``pip``, and one ``name==version`` pip pin per locked entry.
Hashes cannot be expressed (conda hands the pip list to pip as a requirements
file, where ``--hash`` is not supported by conda); the ``git`` and ``http``
sections of the spec are left to the user. Like the conda environment,
a lock for several Python minors is refused (one interpreter per spec). Keys
are sorted and there are no timestamps, so the same lock gives the same bytes.
"""

from __future__ import annotations

import json

from .conda_env import CHANNELS, dependencies, one_python
from .records import Lock


def render(lock: Lock) -> str:
    """The lock as a ``poncho_package_create`` spec (JSON text)."""
    one_python((t.python for t in lock.targets), "poncho")
    spec = {"conda": {"channels": list(CHANNELS), "dependencies": dependencies(lock)}}
    return json.dumps(spec, indent=4, sort_keys=True) + "\n"

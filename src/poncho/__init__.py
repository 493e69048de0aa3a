"""poncho-resolve: from Python source to a pinned, hashed environment lock.

The pipeline is analysis -> index_cache -> resolver -> lock; each stage is a
subpackage usable on its own, and :mod:`poncho.pipeline` composes them.
"""

__version__ = "0.1.0"

"""What every call :mod:`poncho.dask` ships needs in its environment besides the function's own imports.

:func:`runtime` is never called: it is locked next to the user's function
(``lock_for([fn, runtime])``), so its import (cloudpickle, which carries the
call in and the result out) enters the lock the way any function's does. It
lives alone in this module so that nothing else of poncho's is analyzed with it.
"""


def runtime() -> None:  # pragma: no cover - analyzed, never run
    import cloudpickle  # noqa: F401

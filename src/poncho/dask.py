"""Run a function on Dask workers inside its own locked environment: ``poncho.dask.submit(client, fn, *args)``.

One call does PONCHO's whole loop with ``distributed``'s public API:

1. ask the workers their target (``client.run``: Python version, platform tags);
2. lock what ``fn`` needs for that target (:func:`poncho.lock_for`), plus
   cloudpickle, which carries the call in and the result out;
3. ``client.register_plugin`` an :class:`~poncho.worker_env.Environments`
   plugin, which builds a venv from the worker's own interpreter with the lock
   installed by ``--no-deps --require-hashes``, once per lock digest per node;
4. ``client.submit`` a task that runs ``fn(*args)`` in that venv's Python and
   hands the pickled result back; :meth:`ShippedFuture.result` unpickles it.

Later calls reuse the lock (cached in this process by function and target)
and the environment. The workers need ``distributed`` and either ``uv`` or
``venv`` with pip; they do not need poncho-resolve or the function's
dependencies. A lock given by the caller (``lock=``) that was made for
another target than the workers' is refused with :class:`TargetMismatch`.

The simpler mode, :func:`install`, installs a lock into the workers' own
environment (like ``PipInstall``, but hashed and without resolution on the
worker).
"""

from __future__ import annotations

import functools
import hashlib
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cloudpickle

from poncho import worker_env
from poncho.dask_runtime import runtime
from poncho.errors import ShipError, TargetMismatch

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client, Future

    from poncho.lock import Lock
    from poncho.resolver.target import Target

# Workers run poncho.worker_env without poncho installed: its code travels with the task.
cloudpickle.register_pickle_by_value(worker_env)

__all__ = ["ShippedFuture", "WorkerTarget", "install", "lock_for", "shipped", "submit", "worker_targets"]


@dataclass(frozen=True)
class WorkerTarget:
    """What a worker reported about itself (:func:`poncho.worker_env.describe`)."""

    python: str
    implementation: str
    platform: str
    platforms: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.implementation} {self.python} on {self.platform}"

    def as_target(self) -> Target:
        from poncho.config import parse_target

        return parse_target(self.python, self.platform)

    def accepts(self, lock: Lock) -> bool:
        """Was ``lock`` made for machines like this one (Python minor, implementation, a platform it accepts)?"""
        minor = lambda v: v.split(".")[:2]  # noqa: E731
        return (minor(lock.python) == minor(self.python) and lock.implementation == self.implementation
                and lock.platform in self.platforms)


_TARGETS: dict[tuple[int, frozenset[str]], dict[str, WorkerTarget]] = {}


def worker_targets(client: Client, workers: Sequence[str] | None = None) -> dict[str, WorkerTarget]:
    """Each worker's target, asked with ``client.run``; asked again only when the set of workers changes."""
    addresses = frozenset(workers or client.scheduler_info().get("workers", {}))
    key = (id(client), addresses)
    if key not in _TARGETS or not addresses:
        answers = client.run(worker_env.describe, workers=sorted(addresses) if addresses else None)
        _TARGETS[key] = {address: WorkerTarget(a["python"], a["implementation"], a["platform"],
                                               tuple(a["platforms"])) for address, a in answers.items()}
    return _TARGETS[key]


def _one_target(client: Client, workers: Sequence[str] | None) -> tuple[WorkerTarget, list[str]]:
    targets = worker_targets(client, workers)
    if not targets:
        raise ShipError("the cluster has no workers to ask for their target")
    kinds = {t.describe(): t for t in targets.values()}
    if len(kinds) > 1:
        listing = "; ".join(f"{a}: {t.describe()}" for a, t in sorted(targets.items()))
        raise TargetMismatch(f"the workers differ ({listing}); submit to one kind with workers=[...]")
    return next(iter(kinds.values())), sorted(targets)


_LOCKS: dict[tuple[Any, ...], Lock] = {}


def lock_for(client: Client, fn: Callable[..., Any] | Sequence[Callable[..., Any]], *,
             workers: Sequence[str] | None = None, **settings: Any) -> Lock:
    """A lock of what ``fn`` needs, plus cloudpickle, for the target the workers report.

    ``settings`` are :func:`poncho.lock_for`'s (``index_url=``, ``constraint_files=``, ...);
    the result is cached in this process for the same function, target and settings.
    """
    import poncho

    target, _ = _one_target(client, workers)
    fns: list[Callable[..., Any]] = list(fn) if isinstance(fn, (list, tuple)) else [fn]  # type: ignore[list-item]
    key = (tuple(_identity(f) for f in fns), target.describe(),
           tuple(sorted((k, repr(v)) for k, v in settings.items())))
    if key not in _LOCKS:
        chosen = f"cp{''.join(target.python.split('.')[:2])}-{target.platform}"
        _LOCKS[key] = poncho.lock_for([*fns, runtime], target=chosen, **settings)
    return _LOCKS[key]


def _identity(fn: Any) -> Any:
    code = getattr(fn, "__code__", None)
    return (getattr(fn, "__module__", None), getattr(fn, "__qualname__", repr(fn)),
            hashlib.sha256(code.co_code).hexdigest() if code is not None else id(fn))


def _index_args(index_urls: Sequence[str]) -> list[str]:
    args: list[str] = []
    for i, url in enumerate(index_urls):
        args += ["--index-url" if i == 0 else "--extra-index-url", url]
    return args


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _check_lock(lock: Lock, client: Client, workers: Sequence[str] | None) -> None:
    for address, target in worker_targets(client, workers).items():
        if not target.accepts(lock):
            raise TargetMismatch(
                f"the lock was made for {lock.implementation} {lock.python} on {lock.platform}, but worker "
                f"{address} is {target.describe()}; lock for the workers with poncho.dask.lock_for(client, fn) "
                f"or target='cp{''.join(target.python.split('.')[:2])}-{target.platform}'")
    if lock.entry("cloudpickle") is None:
        raise ShipError("the lock has no cloudpickle, which carries the call into the environment; make it with "
                        "poncho.dask.lock_for(client, fn) (it adds cloudpickle), or lock a list [fn, ...] whose "
                        "code imports cloudpickle")


class ShippedFuture:
    """A Dask future of a call run in its locked environment; ``result()`` gives ``fn(*args)``'s value."""

    def __init__(self, future: Future, fn: Callable[..., Any]) -> None:
        self.future = future
        self.fn = fn

    def done(self) -> bool:
        return bool(self.future.done())

    def result(self, timeout: float | None = None) -> Any:
        status, blob, text = self.future.result(timeout=timeout)
        if status == "ok":
            return cloudpickle.loads(blob)
        if status == "build-failed":
            raise ShipError(f"the environment for {_name(self.fn)} could not be built on the worker: {text}")
        if blob is not None:
            try:
                exc = cloudpickle.loads(blob)
            except Exception:  # noqa: BLE001 - an exception type this process cannot import
                exc = None
            if isinstance(exc, BaseException):
                raise exc
        raise ShipError(f"{_name(self.fn)} failed in its environment:\n{text}")


def _name(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


_REGISTERED: dict[int, str | None] = {}


def _ensure_plugin(client: Client, root: str | None) -> None:
    if _REGISTERED.get(id(client), ...) != root:
        client.register_plugin(worker_env.Environments(root), name=worker_env.PLUGIN_NAME)
        _REGISTERED[id(client)] = root


def _pickled_call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """``(fn, args, kwargs)`` by cloudpickle, the user's own modules by value (the environment has only the lock)."""
    from poncho.live import _user_code

    registered = set(cloudpickle.list_registry_pickle_by_value())
    mine = []
    for value in (fn, *args, *kwargs.values()):
        name = getattr(value, "__module__", None) or getattr(type(value), "__module__", None)
        module = sys.modules.get(name or "")
        if (isinstance(module, types.ModuleType) and name not in registered and name != "__main__"
                and _user_code(getattr(module, "__file__", None))):
            cloudpickle.register_pickle_by_value(module)
            registered.add(name or "")
            mine.append(module)
    try:
        return cloudpickle.dumps((fn, args, kwargs))
    finally:
        for module in mine:
            cloudpickle.unregister_pickle_by_value(module)


def _by_value(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of a :mod:`poncho.worker_env` function that pickle cannot find by reference.

    Dask pickles a whole task (not the function alone) with plain pickle first, which would
    name ``poncho.worker_env`` and fail on a worker without poncho; a function whose module
    cannot be imported makes it fall back to cloudpickle, which sends the code itself.
    """
    assert isinstance(fn, types.FunctionType)
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = fn.__qualname__
    copy.__module__ = BY_VALUE_MODULE
    return copy


#: a module name no worker can import (see _by_value)
BY_VALUE_MODULE = "poncho_worker_env_sent_by_value"


def submit(client: Client, fn: Callable[..., Any], *args: Any, lock: Lock | None = None,
           workers: Sequence[str] | None = None, root: str | None = None, index_urls: Sequence[str] = (),
           settings: dict[str, Any] | None = None, **kwargs: Any) -> ShippedFuture:
    """Run ``fn(*args, **kwargs)`` on a worker inside ``fn``'s locked environment; returns a ShippedFuture.

    ``lock``: use this lock instead of making one (it must be for the workers' target and hold
    cloudpickle); ``workers``: where to run (and whom to ask for the target); ``root``: where workers
    keep environments (default: ``$PONCHO_CACHE_DIR/dask-envs`` on each node); ``settings``:
    :func:`poncho.lock_for`'s (``{"index_url": ...}``); ``index_urls``: where workers download from
    (default: the lock's indexes).
    """
    settings = dict(settings or {})
    if lock is None:
        lock = lock_for(client, fn, workers=workers, **settings)
    _check_lock(lock, client, workers)
    text = lock.render("requirements")
    _ensure_plugin(client, root)
    urls = list(index_urls) or list(lock.index_urls)
    future = client.submit(_by_value(worker_env.call_in_environment), _digest(text), text, _index_args(urls),
                           _pickled_call(fn, args, kwargs), workers=list(workers) if workers else None, pure=False)
    return ShippedFuture(future, fn)


def shipped(client: Client | None = None, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator: ``@shipped()`` makes ``f(*args)`` run on the cluster in ``f``'s environment and return the
    value; ``f.submit(*args)`` returns the ShippedFuture. ``client`` defaults to ``distributed.get_client()``;
    ``options`` are :func:`submit`'s (``settings=``, ``workers=``, ``root=``)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def start(*args: Any, **kwargs: Any) -> ShippedFuture:
            from distributed import get_client

            return submit(client or get_client(), fn, *args, **options, **kwargs)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            return start(*args, **kwargs).result()

        call.submit = start  # type: ignore[attr-defined]
        return call

    return wrap


def install(client: Client, lock: Lock, *, index_urls: Sequence[str] = ()) -> None:
    """The simple mode: install ``lock`` into every worker's own environment, ``--no-deps --require-hashes``.

    The lock must be for the workers' target. Workers that join later install it too (a worker plugin).
    """
    for address, target in worker_targets(client).items():
        if not target.accepts(lock):
            raise TargetMismatch(f"the lock was made for {lock.implementation} {lock.python} on {lock.platform}, "
                                 f"but worker {address} is {target.describe()}")
    text = lock.render("requirements")
    plugin = worker_env.InstallLock(_digest(text), text, _index_args(list(index_urls) or list(lock.index_urls)))
    client.register_plugin(plugin, name=plugin.name)
    failures = {a: f for a, f in client.run(worker_env.install_failure, name=plugin.name).items() if f}
    if failures:
        raise ShipError("installing the lock failed on "
                        + "; ".join(f"worker {address}: {failure}" for address, failure in sorted(failures.items())))

"""poncho.dask on a real LocalCluster (worker processes) whose environment lacks the function's dependency.

The dependency (python-geotools -> unitconv) and cloudpickle exist only as real wheels on the loopback
index; the workers build a venv from the lock once and run the function in it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import poncho
import poncho.dask
from poncho.dask_runtime import runtime
from poncho.errors import ShipError, TargetMismatch
from support.wheels import build_wheel, serve_geotools

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

JOBS = '''
def area(side, unit=1):
    import geotools
    return geotools.VALUE * side * unit


def fails():
    import geotools
    raise KeyError(geotools.VALUE)


def extra():
    import extrakit
    return extrakit.__version__
'''


def serve_cloudpickle(server, dest: Path) -> None:
    """A real cloudpickle wheel, made from the installed package's own files."""
    import cloudpickle

    package = Path(cloudpickle.__file__).parent
    files = {f"cloudpickle/{p.name}": p.read_bytes() for p in package.glob("*.py")}
    server.add(build_wheel(dest, "cloudpickle", cloudpickle.__version__, files=files))


@pytest.fixture
def jobs(tmp_path):
    path = tmp_path / "jobs_mod" / "shipjobs.py"
    path.parent.mkdir()
    path.write_text(JOBS)
    spec = importlib.util.spec_from_file_location("shipjobs", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["shipjobs"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("shipjobs", None)


@pytest.fixture
def served(index_server, tmp_path):
    serve_geotools(index_server, tmp_path / "wheels")
    serve_cloudpickle(index_server, tmp_path / "wheels")
    index_server.add(build_wheel(tmp_path / "wheels", "extrakit", "1.0"))
    return index_server


@pytest.fixture
def cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as c, distributed.Client(c) as client:
        yield client


def builds(client):
    return client.run(lambda dask_worker: dict(dask_worker.plugins["poncho-environments"].builds))


def test_one_call_runs_the_function_in_its_environment_and_the_next_reuses_it(cluster, jobs, served, tmp_path):
    client = cluster
    # The workers really lack the dependency.
    assert all(not ok for ok in client.run(lambda: importlib.util.find_spec("geotools") is not None).values())
    first, second = sorted(client.scheduler_info()["workers"])
    settings = {"index_url": served.url, "use_pip_config": False}
    root = str(tmp_path / "envs")
    out = poncho.dask.submit(client, jobs.area, 2, unit=3, workers=[first], root=root, settings=settings)
    assert out.result(timeout=300) == 3000 * 2 * 3
    lock = poncho.dask.lock_for(client, jobs.area, **settings)
    assert {e.name for e in lock.entries} == {"python-geotools", "unitconv", "cloudpickle"}

    (digest, count), = builds(client)[first].items()
    assert count == 1

    # Again on the same worker, and on the other worker of this node: nothing is built again.
    assert poncho.dask.submit(client, jobs.area, 5, workers=[first], root=root, settings=settings).result() == 15000
    assert poncho.dask.submit(client, jobs.area, 1, workers=[second], root=root, settings=settings).result() == 3000
    assert builds(client) == {first: {digest: 1}, second: {}}
    assert [p.name for p in Path(root).iterdir() if p.is_symlink()] == [digest]


def test_the_decorator_and_an_exception_from_the_function(cluster, jobs, served, tmp_path):
    settings = {"index_url": served.url, "use_pip_config": False}
    area = poncho.dask.shipped(cluster, settings=settings, root=str(tmp_path / "envs"))(jobs.area)
    assert area(4) == 12000
    assert area.submit(1).result() == 3000
    with pytest.raises(KeyError):
        poncho.dask.submit(cluster, jobs.fails, root=str(tmp_path / "envs"), settings=settings).result()


def test_a_lock_for_another_target_is_refused(cluster, jobs, served):
    settings = {"index_url": served.url, "use_pip_config": False}
    here = poncho.dask.worker_targets(cluster)
    python = next(iter(here.values())).python
    other = "cp312" if not python.startswith("3.12.") else "cp311"
    lock = poncho.lock_for([jobs.area, runtime], target=f"{other}-manylinux_2_28_x86_64", **settings)
    with pytest.raises(TargetMismatch) as err:
        poncho.dask.submit(cluster, jobs.area, 1, lock=lock)
    # The message names the lock's target and the worker.
    assert lock.python in str(err.value) and any(address in str(err.value) for address in here)
    with pytest.raises(TargetMismatch):
        poncho.dask.install(cluster, lock)


def test_install_mode_puts_the_lock_into_the_workers_own_environment(served, jobs, tmp_path, monkeypatch):
    """A worker started by `dask worker` from its own venv (which sees this one's packages through a .pth
    file, after its own), so the install lands in the worker's environment, not the test's."""
    import site
    import subprocess
    import venv

    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    worker_venv = tmp_path / "worker-venv"
    venv.EnvBuilder(with_pip=False).create(worker_venv)
    worker_site = next(worker_venv.glob("lib/python*/site-packages"))
    (worker_site / "driver.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # The driver's site-packages hold poncho when it is installed normally (as in CI): hide it, so this worker
    # has no poncho whichever way the tests' environment was installed.
    (worker_site / "hide-poncho.pth").write_text('import sys; sys.modules["poncho"] = None\n')
    with distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        worker = subprocess.Popen([str(worker_venv / "bin" / "python"), "-m", "distributed.cli.dask_worker",
                                   c.scheduler_address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client.wait_for_workers(1, timeout=120)
            assert set(client.run(lambda: sys.prefix).values()) == {str(worker_venv)}
            assert set(client.run(lambda: importlib.util.find_spec("geotools") is None).values()) == {True}
            lock = poncho.dask.lock_for(client, jobs.area, index_url=served.url, use_pip_config=False)
            poncho.dask.install(client, lock)
            assert set(client.run(lambda: __import__("geotools").VALUE).values()) == {3000}
            # This worker has no poncho: submit's task and plugin travel by value.
            assert set(client.run(lambda: importlib.util.find_spec("poncho") is None).values()) == {True}
            shipped = poncho.dask.submit(client, jobs.area, 2, root=str(tmp_path / "envs"),
                                         settings={"index_url": served.url, "use_pip_config": False})
            assert shipped.result(timeout=300) == 6000
            other = poncho.dask.lock_for(client, jobs.extra, index_url=served.url, use_pip_config=False)
            served.stop()  # an install that cannot download is a ShipError naming the worker
            with pytest.raises(ShipError) as err:
                poncho.dask.install(client, other)
            assert next(iter(client.scheduler_info()["workers"])) in str(err.value)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    assert importlib.util.find_spec("geotools") is None  # this environment was left alone

#!/usr/bin/env python
"""Shipping a function to Dask workers: ``poncho.dask.submit`` next to ``distributed``'s ``PipInstall``.

    python benchmarks/ship.py [--calls 5]

A ``LocalCluster`` (one worker process) started from its own fresh virtual
environment, which lacks the function's dependency (``python-geotools`` -> ``unitconv``, real wheels on the
test suite's loopback PEP 691 index, with a real cloudpickle wheel). Measured,
as wall time from submit to result:

* poncho, first call: ask the worker its target, lock the function for it
  (analysis, mapping, resolution against the index), build the environment
  on the worker (``uv venv`` + hashed install), run the function in it;
* poncho, later calls: the lock is cached, the environment reused;
* PipInstall, first call: register ``PipInstall`` with the same pins (it
  cannot take hashes: pip gets them as arguments) into the worker's own
  environment, then submit;
* PipInstall, later calls: a plain ``client.submit`` in the worker's environment.

Prints a table with the medians of ``--calls`` later calls. Not run by the
test suite; the numbers depend on the machine (2 cores here, shared).
"""

from __future__ import annotations

import argparse
import os
import site
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))



def area(side: int) -> int:
    """The shipped function; defined here (``__main__``), so Dask and poncho both send it by value."""
    import geotools

    return geotools.VALUE * side


def serve(tmp: Path):  # -> IndexServer
    import cloudpickle

    from support.index_server import IndexServer
    from support.wheels import build_wheel, serve_geotools

    server = IndexServer().start()
    serve_geotools(server, tmp / "wheels")
    package = Path(cloudpickle.__file__).parent
    server.add(build_wheel(tmp / "wheels", "cloudpickle", cloudpickle.__version__,
                           files={f"cloudpickle/{p.name}": p.read_bytes() for p in package.glob("*.py")}))
    return server


CLUSTER = """\
import sys

import distributed

if __name__ == "__main__":
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        print(c.scheduler_address, flush=True)
        sys.stdin.read()
"""


def worker_venv(tmp: Path) -> Path:
    """A fresh venv that sees this one's packages (distributed, pip) after its own, through a .pth file."""
    path = tmp / "worker-venv"
    venv.EnvBuilder(with_pip=True).create(path)  # its own pip: PipInstall must install here, not in this venv
    (next(path.glob("lib/python*/site-packages")) / "driver.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return path


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5, help="later calls to time (median)")
    args = parser.parse_args(argv)

    import distributed
    from distributed.diagnostics.plugin import PipInstall

    import poncho.dask

    with tempfile.TemporaryDirectory(prefix="poncho-ship-bench-") as name:
        tmp = Path(name)
        os.environ.update(PONCHO_CACHE_DIR=str(tmp / "poncho-cache"), UV_CACHE_DIR=str(tmp / "uv-cache"),
                          UV_NO_CONFIG="1", PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
        say("serving the wheels")
        server = serve(tmp)
        python = worker_venv(tmp) / "bin" / "python"
        rows = []
        # The whole LocalCluster (scheduler and worker processes) runs on the worker venv's Python:
        # PipInstall installs on the scheduler too, and must not touch this environment.
        script = tmp / "cluster.py"
        script.write_text(CLUSTER)
        cluster = subprocess.Popen([str(python), str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=open(tmp / "worker.log", "w"), text=True)
        address = cluster.stdout.readline().strip()
        with distributed.Client(address) as client:
            worker = cluster
            try:
                client.wait_for_workers(1, timeout=120)
                say("worker up; shipping with poncho.dask")
                settings = {"index_url": server.url, "use_pip_config": False}
                envs = str(tmp / "envs")

                def shipped():
                    return poncho.dask.submit(client, area, 2, root=envs, settings=settings).result()

                first, value = timed(shipped)
                assert value == 6000, value
                later = [timed(shipped)[0] for _ in range(args.calls)]
                rows.append(("poncho.dask.submit", first, statistics.median(later)))

                say("PipInstall")
                lock = poncho.dask.lock_for(client, area, **settings)
                pins = [f"{e.name}=={e.version}" for e in lock.entries if e.name != "cloudpickle"]

                def plain():
                    return client.submit(area, 2, pure=False).result()

                def pip_first():
                    client.register_plugin(PipInstall(packages=pins, pip_options=["--no-deps", "--index-url",
                                                                                  server.url]))
                    return plain()

                first, value = timed(pip_first)
                assert value == 6000, value
                later = [timed(plain)[0] for _ in range(args.calls)]
                rows.append(("PipInstall + client.submit", first, statistics.median(later)))
            finally:
                server.stop()
        worker.stdin.close()  # the cluster script ends when its standard input does
        worker.wait(timeout=120)
    print(f"{'':28} {'first call (s)':>15} {'later call (s)':>15}")
    for label, first, later in rows:
        print(f"{label:28} {first:15.3f} {later:15.3f}")
    (pf, pl), (qf, ql) = ((r[1], r[2]) for r in rows)
    print(f"{'poncho / PipInstall':28} {pf / qf:14.2f}x {pl / ql:14.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

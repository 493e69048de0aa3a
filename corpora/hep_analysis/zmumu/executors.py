"""Where the chunks run: Parsl (local or Slurm), optionally a Dask cluster, or in-process."""

from __future__ import annotations

import os

from coffea import processor
from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider, SlurmProvider

try:
    from distributed import Client
    from dask_jobqueue import SLURMCluster
except ImportError:  # Dask is an optional backend
    Client = SLURMCluster = None


def parsl_config(workers: int) -> Config:
    if "SLURM_JOB_ID" in os.environ or os.environ.get("ZMUMU_SLURM"):
        provider = SlurmProvider(
            partition=os.environ.get("ZMUMU_PARTITION", "cpu"),
            nodes_per_block=1,
            init_blocks=1,
            max_blocks=workers,
            walltime="02:00:00",
            worker_init="source ~/.venvs/zmumu/bin/activate",
        )
    else:
        provider = LocalProvider(init_blocks=1, max_blocks=1)
    return Config(
        executors=[HighThroughputExecutor(label="coffea_htex", address=address_by_hostname(),
                                          max_workers_per_node=workers, provider=provider)],
        strategy=None,
    )


def make_runner(kind: str, workers: int, chunksize: int, schema):
    if kind == "parsl":
        executor = processor.ParslExecutor(config=parsl_config(workers))
    elif kind == "dask":
        if Client is None:
            raise SystemExit("the dask executor needs `distributed` and `dask-jobqueue`")
        cluster = SLURMCluster(cores=workers, memory="8GB") if os.environ.get("ZMUMU_SLURM") else None
        executor = processor.DaskExecutor(client=Client(cluster) if cluster else Client(n_workers=workers))
    else:
        executor = processor.IterativeExecutor()
    return processor.Runner(executor=executor, schema=schema, chunksize=chunksize)

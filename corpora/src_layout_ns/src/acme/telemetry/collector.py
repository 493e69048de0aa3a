"""One sample of host metrics from psutil and the platform plugins."""

from __future__ import annotations

import importlib
import socket
import time
from dataclasses import dataclass, field

import psutil


@dataclass(frozen=True)
class Sample:
    host: str
    at: float
    values: dict[str, float] = field(default_factory=dict)


def _builtin(name: str) -> dict[str, float]:
    if name == "cpu":
        return {"cpu_percent": psutil.cpu_percent(interval=None), "load1": psutil.getloadavg()[0]}
    if name == "memory":
        vm = psutil.virtual_memory()
        return {"mem_used": float(vm.used), "mem_percent": vm.percent}
    if name == "disk":
        du = psutil.disk_usage("/")
        return {"disk_used": float(du.used), "disk_percent": du.percent}
    raise KeyError(name)


def collect(names: list[str]) -> Sample:
    values: dict[str, float] = {}
    for name in names:
        try:
            values.update(_builtin(name))
        except KeyError:
            plugin = importlib.import_module(f"acme.plugins.collectors.{name}")
            values.update(plugin.read())
    return Sample(host=socket.gethostname(), at=time.time(), values=values)

"""Expose the latest sample to Prometheus."""

from __future__ import annotations

from prometheus_client import Gauge, start_http_server

from .collector import Sample

_gauges: dict[str, Gauge] = {}


def serve(port: int) -> None:
    start_http_server(port)


def publish(sample: Sample) -> None:
    for name, value in sample.values.items():
        gauge = _gauges.get(name)
        if gauge is None:
            gauge = _gauges[name] = Gauge(f"acme_{name}", f"acme telemetry: {name}", ["host"])
        gauge.labels(host=sample.host).set(value)

"""Host telemetry for the acme fleet."""

from .collector import Sample, collect

__all__ = ["Sample", "collect"]

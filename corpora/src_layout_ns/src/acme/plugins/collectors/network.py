"""Network counters per interface."""

from __future__ import annotations

import psutil


def read() -> dict[str, float]:
    values: dict[str, float] = {}
    for nic, counters in psutil.net_io_counters(pernic=True).items():
        if nic == "lo":
            continue
        values[f"{nic}_rx_bytes"] = float(counters.bytes_recv)
        values[f"{nic}_tx_bytes"] = float(counters.bytes_sent)
    return values

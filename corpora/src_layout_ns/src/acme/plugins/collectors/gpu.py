"""GPU temperature and utilization (Linux: sysfs; Windows: WMI)."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.platform == "win32":
    import wmi


def read() -> dict[str, float]:
    if sys.platform == "win32":
        values = {}
        for i, sensor in enumerate(wmi.WMI(namespace="root\\OpenHardwareMonitor").Sensor()):
            if sensor.SensorType == "Temperature" and "GPU" in sensor.Name:
                values[f"gpu{i}_temp"] = float(sensor.Value)
        return values
    values = {}
    for hwmon in Path("/sys/class/drm").glob("card*/device/hwmon/hwmon*/temp1_input"):
        values[f"{hwmon.parts[4]}_temp"] = int(hwmon.read_text()) / 1000.0
    return values

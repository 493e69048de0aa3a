from pathlib import Path

ROOT = Path("/var/lib/opskit")


def ensure(key):
    path = ROOT / key
    path.parent.mkdir(parents=True, exist_ok=True)
    return path

#!/usr/bin/env python
"""What a cold resolution's metadata reads cost on the wire, request by request.

    PIP_CONFIG_FILE=/dev/null python benchmarks/metadata_reads.py [--set scientific|flask|airflow|...]

Resolves one of ``resolve.py``'s sets with an empty cache (the same target),
logging every request the session sends, then prints, per kind of request
(project page, ``.metadata`` served or refused, range request, whole file),
how many there were and their median time to headers and to the last byte;
and, for every wheel whose metadata was read, how many bytes from its end
hold the central directory and METADATA, so how many wheels a first range
request of each size leaves needing a second one (``rangezip.tail_size``
is the rule in use). The figures behind ``poncho.artifacts.wheel`` asking
for a ``.metadata`` file only when the page lists it, and behind
``tail_size``. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import io
import statistics
import struct
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from resolve import INDEX, PLATFORM, PYTHON_VERSION, SETS  # noqa: E402

from poncho.net import SimpleIndex, make_session, rangezip  # noqa: E402
from poncho.resolver.metadata import MetadataFetcher  # noqa: E402
from poncho.resolver.repository import SimpleRepository  # noqa: E402
from poncho.resolver.solve import resolve  # noqa: E402
from poncho.resolver.target import Target  # noqa: E402

KIB = 1024


def logged_session(cache: Path, log: list[dict]) -> object:
    """``make_session(cache)`` whose ``get`` records url, range, status, time to headers and to the last byte."""
    session = make_session(cache)
    real_get, lock = session.get, threading.Lock()

    def get(url: str, *args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        resp = real_get(url, *args, **kwargs)
        entry = {"url": url, "range": (kwargs.get("headers") or {}).get("Range"), "status": resp.status_code,
                 "headers": time.perf_counter() - start}
        entry["done"] = entry["headers"]
        raw_read = resp.raw.read

        def read(*a: object, **k: object) -> bytes:
            data = raw_read(*a, **k)
            entry["done"] = time.perf_counter() - start
            return data

        resp.raw.read = read
        with lock:
            log.append(entry)
        return resp

    session.get = get  # type: ignore[method-assign]
    return session


def kind(entry: dict) -> str:
    if "/simple/" in entry["url"]:
        return "page"
    if entry["url"].endswith(".metadata"):
        return f".metadata {entry['status']}"
    return f"range {entry['status']}" if entry["range"] else f"whole file {entry['status']}"


def bytes_needed(session: object, url: str) -> tuple[int, int]:
    """(size, bytes from the end that hold METADATA's local header onwards and the central directory)."""
    resp = session.get(url, headers={"Range": "bytes=-4194304", "Accept-Encoding": "identity"})  # type: ignore[attr-defined]
    tail = resp.content
    size = int(resp.headers["Content-Range"].rsplit("/", 1)[1]) if resp.status_code == 206 else len(tail)
    eocd = tail.rfind(b"PK\x05\x06")
    _, cd_offset = struct.unpack("<II", tail[eocd + 12: eocd + 20])
    with zipfile.ZipFile(io.BytesIO(b"\0" * (size - len(tail)) + tail)) as zf:
        meta = next(i for i in zf.infolist() if i.filename.count("/") == 1
                    and i.filename.endswith(".dist-info/METADATA"))
    return size, size - min(cd_offset, meta.header_offset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="scientific")
    args = parser.parse_args()
    log: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="poncho-bench-metadata-") as scratch:
        cache = Path(scratch)
        session = logged_session(cache, log)
        target = Target.for_platform(PYTHON_VERSION, PLATFORM)
        fetcher = MetadataFetcher(session, cache)  # type: ignore[arg-type]
        repository = SimpleRepository([SimpleIndex(session, INDEX)], fetcher, target)  # type: ignore[arg-type]
        started = time.perf_counter()
        try:
            resolution = resolve(SETS[args.set], repository, target)
        finally:
            repository.close()
        wall = time.perf_counter() - started
    print(f"set {args.set}: {resolution.summary()}; {wall:.2f} s; metadata read as {fetcher.stats}")
    print(f"{len(log)} requests")
    for name in sorted({kind(e) for e in log}):
        group = [e for e in log if kind(e) == name]
        print(f"  {name:16s} {len(group):4d}  headers median {statistics.median(e['headers'] for e in group):.3f} s"
              f"  last byte median {statistics.median(e['done'] for e in group):.3f} s")
    wheels = sorted({e["url"].removesuffix(".metadata") for e in log
                     if e["url"].removesuffix(".metadata").endswith(".whl")})
    plain = make_session(None)
    needs = [bytes_needed(plain, url) for url in wheels]
    print(f"{len(needs)} wheels: how many need a second request after a first one of")
    in_use = getattr(rangezip, "tail_size", lambda size: rangezip.TAIL)  # a poncho from before tail_size: 128 KiB
    for label, rule in [(f"{k} KiB", lambda s, k=k: k * KIB) for k in (64, 128, 256, 512, 1024)] + \
                       [("in use", in_use)]:
        second = sum(1 for size, need in needs if need > min(size, rule(size)))
        asked = sum(min(size, rule(size)) for size, _ in needs)
        print(f"  {label:12s} {second:4d}   ({asked / 1e6:.1f} MB asked in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

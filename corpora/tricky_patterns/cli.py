"""opskit command line: `python cli.py report|sync|serve`."""

import argparse
import sys

import requests  # the local requests.py, not the PyPI distribution

from opskit import *  # noqa: F401,F403 - re-exported commands
from opskit.report import weekly_report
from opskit.storage.sync import sync_bucket


def main(argv=None):
    parser = argparse.ArgumentParser(prog="opskit")
    parser.add_argument("command", choices=["report", "sync", "status"])
    args = parser.parse_args(argv)
    if args.command == "report":
        weekly_report("report.png")
    elif args.command == "sync":
        sync_bucket("s3://ops-archive/daily")
    else:
        print(requests.get("http://localhost:8080/status"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

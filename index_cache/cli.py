"""``poncho-resolve index build``: the command-line face of :mod:`.build`.

The main CLI wires it as a subcommand with ``add_arguments(parser)`` and
``run(args)``; ``python -m poncho.index_cache build ...`` works on its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poncho.net.simple_api import DEFAULT_INDEX

from .build import BuildError, BuildOptions, build
from .store import TOP_LIST


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _pip_cert() -> str | None:
    from poncho.net.pip_config import load_pip_settings

    try:
        return load_pip_settings().cert
    except ValueError:
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``index build``."""
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="DIR",
                        help="output directory (journal, import-index.tsv, projects.tsv, manifest.json); "
                             "re-running with the same DIR resumes")
    parser.add_argument("--top", type=_positive, metavar="N", help="only the N most downloaded projects")
    parser.add_argument("--index-url", default=DEFAULT_INDEX, metavar="URL",
                        help=f"simple repository API to crawl (default {DEFAULT_INDEX})")
    parser.add_argument("--workers", type=_positive, default=32, metavar="K",
                        help="threads crawling in parallel (default 32)")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS",
                        help="run the per-project tasks on this Dask distributed scheduler (tcp://host:8786)")
    parser.add_argument("--input", type=Path, default=TOP_LIST, metavar="TSV",
                        help="popularity list with 'rank' and 'name' columns (default: the shipped top 15,000)")
    parser.add_argument("--retries", type=int, default=3, metavar="R",
                        help="retries per project on transient network errors, with backoff (default 3)")
    parser.add_argument("--recrawl", action="append", default=[], metavar="REASON",
                        help="crawl again the journaled projects whose reason is REASON (a key of "
                             "manifest.json's unindexed_reasons, e.g. 'sdist only: tar archive too large to "
                             "read whole', or an indexed one such as 'sdist only; read its top_level.txt'); "
                             "may repeat")
    parser.add_argument("--cert", default=None, metavar="BUNDLE",
                        help="CA bundle for HTTPS (default: pip's `cert`, else REQUESTS_CA_BUNDLE, else certifi)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    """Run the build; 0 when every project was crawled, 1 when some failed, 2 when it could not run,
    130 when interrupted (the journal keeps what was done)."""
    options = BuildOptions(out_dir=args.output, index_url=args.index_url, top=args.top, workers=args.workers,
                           dask_scheduler=args.dask_scheduler, input=args.input, retries=args.retries,
                           recrawl=tuple(args.recrawl), progress=None if args.quiet else sys.stderr,
                           cert=args.cert or _pip_cert())
    try:
        manifest = build(options)
    except BuildError as exc:
        print(f"poncho-resolve index build: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output directory cannot be written, a disk is full...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"poncho-resolve index build: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"poncho-resolve index build: interrupted; run the same command again to resume "
              f"from {args.output}", file=sys.stderr)
        return 130
    print(f"indexed {manifest['indexed']} of {manifest['projects']} projects "
          f"({manifest['import_paths']} import paths, {manifest['wheels']} wheels, "
          f"{manifest['requests']} requests, {manifest['wall_time_s']} s) -> {args.output}", file=sys.stderr)
    if manifest["errors"]:
        print(f"{manifest['errors']} projects failed (listed in manifest.json); "
              f"run the same command again to retry them", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m poncho.index_cache",
                                     description="Build the import-name index from a package index.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("build", help="crawl the index and write the import-name tables"))
    args = parser.parse_args(argv)
    return run(args)

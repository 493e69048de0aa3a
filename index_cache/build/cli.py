"""``poncho-resolve index build``: the command-line face of :mod:`.run`.

The main CLI wires it as a subcommand with ``add_arguments(parser)`` and
``run(args)``, and maps the :class:`poncho.errors.PonchoError` that ``run``
raises to its exit code; ``python -m poncho.index_cache build ...`` does the
same through :func:`main`. Exit codes: 0 every project was read; 6
(:class:`BuildIncomplete`) some could not be and the tables were written
without them; 2 the build could not start; 130 interrupted (the journal keeps
what was done).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from poncho.errors import BuildIncomplete, ExitCode, PonchoError, UsageError
from poncho.net.simple_api import DEFAULT_INDEX

from .extras import ExtrasLimits
from .results import Outcome
from .run import BuildOptions, build


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
                        help="output directory (journal, import-index.tsv, dependents.tsv, neighbours.tsv, "
                             "projects.tsv, manifest.json); "
                             "re-running with the same DIR resumes")
    parser.add_argument("--top", type=_positive, metavar="N", help="only the N most downloaded projects")
    parser.add_argument("--index-url", default=DEFAULT_INDEX, metavar="URL",
                        help=f"simple repository API to crawl (default {DEFAULT_INDEX})")
    parser.add_argument("--workers", type=_positive, default=32, metavar="K",
                        help="threads crawling in parallel (default 32)")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS",
                        help="run the per-project tasks on this Dask distributed scheduler (tcp://host:8786)")
    parser.add_argument("--input", type=Path, default=None, metavar="TSV",
                        help="popularity list with 'rank' and 'name' columns (default, in a source checkout: "
                             "index_cache/build/data/pypi-top15000.tsv; required otherwise)")
    parser.add_argument("--retries", type=int, default=3, metavar="R",
                        help="retries per project on transient network errors, with backoff (default 3)")
    parser.add_argument("--recrawl", action="append", default=[], metavar="OUTCOME",
                        choices=[o.value for o in Outcome],
                        help="crawl again the journaled projects with this outcome (a key of manifest.json's "
                             "unindexed_reasons, e.g. 'sdist only: tar archive over the streaming limits', or "
                             "an indexed one such as 'sdist only; read its top_level.txt'); may repeat")
    parser.add_argument("--cert", default=None, metavar="BUNDLE",
                        help="CA bundle for HTTPS (default: pip's `cert`, else REQUESTS_CA_BUNDLE, else certifi)")
    parser.add_argument("--extras-top", type=_positive, default=0, metavar="N",
                        help="after the crawl, read the code of the N best-ranked projects that declare extras "
                             "and write extras-index.tsv: which submodules need which extra")
    parser.add_argument("--extras-project", action="append", default=[], metavar="NAME",
                        help="read this project's code for extras-index.tsv too; may repeat")
    parser.add_argument("--extras-max-files", type=_positive, default=ExtrasLimits.files, metavar="N",
                        help=f".py files analyzed per wheel (default {ExtrasLimits.files})")
    parser.add_argument("--extras-max-mib", type=_positive, default=ExtrasLimits.bytes // 1024 ** 2, metavar="MIB",
                        help=f"MiB fetched per wheel (default {ExtrasLimits.bytes // 1024 ** 2})")
    parser.add_argument("--extras-max-seconds", type=_positive, default=int(ExtrasLimits.seconds), metavar="S",
                        help=f"seconds per project; past it the modules read so far decide "
                             f"(default {int(ExtrasLimits.seconds)})")
    parser.add_argument("--patch-index", type=Path, default=None, metavar="TSV",
                        help="write OUT's import-index.tsv as this index with the rows of the projects built now "
                             "replaced (add or re-read a few projects: --input data/supplement.tsv)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    """Run the build: 0 when every project was read, 130 when interrupted (re-running resumes).

    Raises :class:`BuildIncomplete` (exit 6) after writing the tables when some
    projects failed, and other :class:`PonchoError` when the build cannot run.
    """
    options = BuildOptions(out_dir=args.output, index_url=args.index_url, top=args.top, workers=args.workers,
                           dask_scheduler=args.dask_scheduler, input=args.input, retries=args.retries,
                           recrawl=tuple(args.recrawl), progress=None if args.quiet else sys.stderr,
                           cert=args.cert or _pip_cert(), extras_top=args.extras_top,
                           extras_projects=tuple(args.extras_project), patch_index=args.patch_index,
                           extras_limits=ExtrasLimits(args.extras_max_files, args.extras_max_mib * 1024 ** 2,
                                                      float(args.extras_max_seconds)))
    try:
        manifest = build(options)
    except OSError as exc:  # the output directory cannot be written, a disk is full...
        where = f"{exc.filename}: " if exc.filename else ""
        raise UsageError(f"{where}{exc.strerror or exc}") from exc
    except KeyboardInterrupt:
        print(f"poncho-resolve index build: interrupted; run the same command again to resume "
              f"from {args.output}", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    print(f"indexed {manifest['indexed']} of {manifest['projects']} projects "
          f"({manifest['import_paths']} import paths, {manifest['wheels']} wheels, "
          f"{manifest['requests']} requests, {manifest['wall_time_s']} s) -> {args.output}", file=sys.stderr)
    if "extras" in manifest:
        print(f"extras: {manifest['extras']['rows']} rows from {len(manifest['extras']['projects'])} projects "
              f"({manifest['extras']['wall_time_s']} s)", file=sys.stderr)
    if manifest["errors"]:
        raise BuildIncomplete(manifest["errors"], manifest["projects"])
    return int(ExitCode.OK)


def main(argv: list[str] | None = None) -> int:
    """``python -m poncho.index_cache build ...``; errors are reported as ``poncho-resolve`` reports them."""
    parser = argparse.ArgumentParser(prog="python -m poncho.index_cache",
                                     description="Build the import-name index from a package index.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("build", help="crawl the index and write the import-name tables"))
    args = parser.parse_args(argv)
    try:
        return run(args)
    except PonchoError as exc:
        print(f"poncho-resolve index build: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)

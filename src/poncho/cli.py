"""poncho-resolve's command line.

    poncho-resolve PATH... [-o FILE] [--index-url URL] [--no-resolve]

The lock goes to stdout (or to ``-o FILE``, replaced atomically) only after
every stage succeeded; diagnostics go to stderr.

Exit codes:
    0   success
    1   `check`: the lock does not match the code
    2   usage error (bad arguments, a path that does not exist)
    3   analysis problems under --strict
    4   imports that map to no distribution, under --strict
    5   no consistent set of versions (conflict), or a required project is missing
    6   the index is unreachable or answered with something unusable
    70  internal error (a bug: please report it)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from poncho import __version__

from poncho.errors import AnalysisFailed, ExitCode, PonchoError, UnmappedImports, UsageError


LOCK_FORMATS = ("requirements", "pylock", "poncho", "conda", "json")


def _choose_format(args: argparse.Namespace) -> tuple[str, str | None]:
    """(format, output path): --format wins; else inferred from -o; a directory gets the usual name."""
    from packaging.pylock import is_valid_pylock_path

    from poncho.lock import FILENAMES

    fmt, output = args.format, args.output
    if fmt is None and output and not Path(output).is_dir():
        name = Path(output).name
        if is_valid_pylock_path(Path(name)):
            fmt = "pylock"
        elif name.endswith((".yml", ".yaml")):
            fmt = "conda"
        elif name.endswith(".json"):
            raise UsageError(f"{output}: say which JSON: --format poncho (poncho_package_create spec) "
                             "or --format json (the lock record)")
    fmt = fmt or "requirements"
    if output and Path(output).is_dir():
        output = str(Path(output) / FILENAMES[fmt])
    if fmt == "pylock" and output and not is_valid_pylock_path(Path(Path(output).name)):
        print(f"warning: {output}: PEP 751 names lock files pylock.toml or pylock.<name>.toml", file=sys.stderr)
    if args.no_resolve and fmt != "requirements":
        raise UsageError("--no-resolve prints unpinned requirements; it cannot be combined with --format " + fmt)
    return fmt, output


def _add_common(p: argparse.ArgumentParser) -> None:
    """Options every command that analyzes and maps code shares."""
    p.add_argument("--index-url", default=None, metavar="URL", help="simple API index (default: pip's, else PyPI)")
    p.add_argument("--extra-index-url", action="append", default=[], metavar="URL",
                   help="more indexes, consulted for projects the first lacks (may repeat)")
    p.add_argument("--include-optional", action="store_true",
                   help="also lock imports guarded by try/except ImportError")
    p.add_argument("--strict", action="store_true",
                   help="fail on analysis problems and on imports that map to no distribution")
    p.add_argument("--cache-dir", type=Path, default=None, help="cache directory (default: the user cache dir)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write any cache")
    p.add_argument("--offline", action="store_true",
                   help="never touch the network: project pages, metadata and probe results come from "
                        "the cache, however old; what was never fetched is an error (or an unmapped import)")
    p.add_argument("--cert", default=None,
                   help="CA bundle for HTTPS (default: pip's `cert`, else REQUESTS_CA_BUNDLE, else certifi)")
    p.add_argument("--no-pip-config", action="store_true",
                   help="ignore pip's configuration files and PIP_* variables (index-url, extra-index-url, cert)")
    p.add_argument("--map", action="append", default=[], metavar="IMPORT=DIST", dest="mappings",
                   help="map an import name to a distribution, overriding everything else (may repeat)")
    p.add_argument("--use-env", action="store_true",
                   help="prefer distributions installed in this environment when they provide an import")
    p.add_argument("--no-probe", action="store_true",
                   help="never ask the index about names the shipped index does not know")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE",
                   help="narrow versions with a constraints file (pip format: name<spec> per line; may repeat)")
    p.add_argument("--python-version", default=None, metavar="X.Y[.Z]",
                   help="lock for this CPython version (default: the running interpreter)")
    p.add_argument("--platform", default=None, metavar="TAG",
                   help="lock for this platform, e.g. manylinux_2_28_x86_64, macosx_11_0_arm64, win_amd64 "
                        "(default: this machine's)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="analysis worker processes (default: one per CPU; 1 = no subprocesses)")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print informational notes (dynamic imports with unknown names, ...)")


def _target(args: argparse.Namespace):
    from poncho.resolver import Target

    if not args.python_version and not args.platform:
        return None
    import platform as platform_mod

    return Target.for_platform(args.python_version or platform_mod.python_version(), args.platform)


def _constraints(files: Sequence[str]) -> dict:
    """name -> SpecifierSet from pip-style constraints files; bad lines are usage errors."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    out: dict = {}
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{file}: cannot read constraints: {exc}") from None
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            try:
                req = Requirement(line)
            except InvalidRequirement as exc:
                raise UsageError(f"{file}:{n}: not a constraint: {line!r} ({exc})") from None
            key = canonicalize_name(req.name)
            out[key] = out.get(key, SpecifierSet()) & req.specifier
    return out


def _lock_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve",
        description="Find the third-party distributions a Python program imports and lock them "
                    "(pinned, hashed) for the machines that will run it. "
                    "Other commands: `poncho-resolve check PATH... --lock FILE`.",
        epilog="Exit codes: 0 ok, 1 check found problems, 2 usage, 3 analysis (--strict), "
               "4 unmapped imports (--strict), 5 conflict, 6 index unreachable, 70 internal error.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or directories of the program, or one callable: app/tasks.py:handler, "
                        "pkg.module:Class.method")
    p.add_argument("-o", "--output", metavar="FILE", help="write the lock to FILE (atomically) instead of stdout")
    p.add_argument("--no-resolve", action="store_true",
                   help="stop after mapping: print the direct requirements, unpinned, with # via comments")
    p.add_argument("--format", choices=LOCK_FORMATS, default=None,
                   help="requirements (default; pip/uv/pex with --require-hashes), pylock (PEP 751 pylock.toml), "
                        "poncho (poncho_package_create JSON spec), conda (environment.yml), json (the Lock record). "
                        "Inferred from -o when it is pylock*.toml or *.yml")
    _add_common(p)
    p.add_argument("--version", action="version", version=f"poncho-resolve {__version__}")
    return p


def _check_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve check",
        description="Is the lock still right for the code? Analyzes and maps (no resolution) and compares "
                    "with the lock. For CI and pre-commit.",
        epilog="Exit codes: 0 the lock is right, 1 findings (listed on stdout), 2 usage or unreadable lock.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories of the program")
    p.add_argument("--lock", required=True, metavar="FILE", help="the lock to check (requirements format)")
    _add_common(p)
    return p


def _options(args: argparse.Namespace):
    from poncho.net.session import default_cache_dir
    from poncho.net.simple_api import DEFAULT_INDEX
    from poncho.pipeline import Options

    from poncho.net.pip_config import PipSettings, load_pip_settings

    pip = PipSettings() if args.no_pip_config else load_pip_settings()
    if pip.find_links and getattr(args, "verbose", False):
        print(f"note: pip's find-links ({' '.join(pip.find_links)}) is not used: locks name index files only",
              file=sys.stderr)
    cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir())
    if args.offline and cache_dir is None:
        raise UsageError("--offline answers from the cache; it cannot be combined with --no-cache")
    main_index = args.index_url or pip.index_url or DEFAULT_INDEX
    extras = tuple(dict.fromkeys(u for u in (*pip.extra_index_urls, *args.extra_index_url) if u != main_index))
    return Options(
        index_urls=(main_index, *extras),
        include_optional=args.include_optional,
        target=_target(args),
        mappings=tuple(args.mappings),
        use_env=args.use_env,
        probe=not args.no_probe,
        constraints=_constraints([*pip.constraints, *args.constraint]),
        jobs=args.jobs,
        offline=args.offline,
        cache_dir=cache_dir,
        cert=args.cert or pip.cert,
    )


def _write_output(text: str, output: str | None) -> None:
    """stdout, or ``output`` replaced atomically: never a partial lock file."""
    from poncho.fileio import write_atomic

    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        write_atomic(output, text)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write the lock: {exc.strerror or exc}") from None


def _say(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr)


def _report_analysis(args: argparse.Namespace, analysis) -> None:
    for diag in analysis.diagnostics:
        severity = getattr(diag, "severity", None)
        label = getattr(severity, "value", "warning")
        print(f"{label}: {diag}", file=sys.stderr)
    if getattr(args, "verbose", False):
        for note in getattr(analysis, "notes", []):
            print(f"note: {note}", file=sys.stderr)


def _enforce_strict(args: argparse.Namespace, analysis) -> None:
    if args.strict and analysis.strict_failed:
        raise AnalysisFailed(f"{len(analysis.diagnostics)} analysis problem(s) and --strict is set")


def run_lock(args: argparse.Namespace) -> int:
    from poncho.lock import FORMATS, render_direct
    from poncho.pipeline import Pipeline

    _require_paths(args.paths)
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"{args.output}: its directory does not exist")
    fmt, output = _choose_format(args)
    started = time.monotonic()
    pipeline = Pipeline(_options(args))
    result = pipeline.requirements(args.paths)
    _report_analysis(args, result.analysis)
    reqs = result.requirements
    for module, sites in reqs.unresolved.items():
        where = ", ".join(s.location for s in sites[:3])
        print(f"warning: no distribution provides {module!r} (imported at {where}); "
              f"add `[tool.poncho.mapping] {module.split('.')[0]} = \"<dist>\"` to pyproject.toml",
              file=sys.stderr)
    for r in reqs.optional:
        _say(args, f"note: optional import of {r.name} at {r.sites[0].location} not locked "
                   f"(use --include-optional)")
    for r in reqs.typing_only:
        _say(args, f"note: {r.name} is imported only for type checking ({r.sites[0].location}); not locked")
    for site in reqs.invalid:
        print(f"warning: {site.location}: {site.module!r} is not a module name; ignored", file=sys.stderr)
    for hint in reqs.hints:
        _say(args, f"note: {hint.location} installs {hint.distribution or hint.module} "
                   f"(an install hint, not an import; locked only if the code imports it)")
    _enforce_strict(args, result.analysis)
    if args.strict and reqs.unresolved:
        raise UnmappedImports(tuple(reqs.unresolved))
    if args.no_resolve:
        _write_output(render_direct(reqs), output)
        return ExitCode.OK
    result = pipeline.resolve(result)
    assert result.lock is not None and result.resolution is not None
    for warning in result.resolution.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text = FORMATS[fmt](result.lock)
    if fmt in ("poncho", "conda"):
        _say(args, f"note: the {fmt} format pins versions but cannot carry hashes; "
                   "the requirements and pylock formats can")
    _write_output(text, output)
    _say(args, f"locked {len(result.lock.entries)} distributions ({len(reqs.direct)} direct) for "
               f"{pipeline.target.describe()} in {time.monotonic() - started:.1f}s")
    return ExitCode.OK


def run_check(args: argparse.Namespace) -> int:
    from poncho.check import check
    from poncho.lock import input_digest
    from poncho.lock.parse import read_lock
    from poncho.pipeline import Pipeline

    _require_paths(args.paths)
    locked = read_lock(args.lock)
    pipeline = Pipeline(_options(args))
    result = pipeline.requirements(args.paths)
    _report_analysis(args, result.analysis)
    _enforce_strict(args, result.analysis)
    digest = input_digest(result.requirements.direct, pipeline.target, pipeline.options.index_urls,
                          pipeline.options.constraints)

    def applies(marker: str | None) -> bool:
        from packaging.markers import Marker

        return marker is None or pipeline.target.evaluate(Marker(marker))

    findings = check(result.requirements, locked, digest, applies)
    for f in findings:
        print(f)
    if findings:
        print(f"{args.lock}: {len(findings)} finding(s); re-lock with `poncho-resolve {' '.join(args.paths)} "
              f"-o {args.lock}`", file=sys.stderr)
        return ExitCode.CHECK_FAILED
    _say(args, f"{args.lock}: up to date with {len(result.requirements.direct)} direct requirement(s)")
    return ExitCode.OK


def _require_paths(paths: Sequence[str]) -> None:
    from poncho.pipeline import is_entry

    for p in paths:
        if not Path(p).exists() and not is_entry(p):
            raise UsageError(f"{p}: no such file or directory")


def _explain_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve explain",
        description="Show every site where MODULE is imported, how each was classified, and which "
                    "distribution it maps to and why.",
    )
    p.add_argument("args", nargs="+", metavar="PATH... MODULE", help="the program's paths, then the module")
    _add_common(p)
    return p


def run_explain(args: argparse.Namespace) -> int:
    from poncho.explain import explain
    from poncho.pipeline import Pipeline

    if len(args.args) < 2:
        raise UsageError("explain needs at least one PATH and a MODULE: poncho-resolve explain app/ yaml")
    paths, module = args.args[:-1], args.args[-1]
    _require_paths(paths)
    pipeline = Pipeline(_options(args))
    analysis = pipeline.analyze(paths)
    sys.stdout.write(explain(analysis, pipeline.mapper(paths), module))
    return ExitCode.OK


def _index_parser() -> argparse.ArgumentParser:
    from poncho.index_cache.build import cli as index_cli

    p = argparse.ArgumentParser(prog="poncho-resolve index", description="The import-name index.")
    sub = p.add_subparsers(dest="index_command", required=True, metavar="build")
    build = sub.add_parser("build", help="crawl wheels' file lists into an import-name index (resumable)",
                           description="Crawl the latest wheels of the most downloaded projects and write "
                                       "import-path -> distribution data. Re-running with the same -o resumes.")
    index_cli.add_arguments(build)
    return p


def run_index(args: argparse.Namespace) -> int:
    from poncho.index_cache.build import cli as index_cli

    return index_cli.run(args)


COMMANDS = {
    "check": (_check_parser, run_check),
    "explain": (_explain_parser, run_explain),
    "index": (_index_parser, run_index),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # A subcommand name comes first; anything else is the main job (lock PATH...).
    # A directory literally named like a subcommand can be given as ./check.
    make_parser, command = COMMANDS.get(argv[0], (_lock_parser, run_lock)) if argv else (_lock_parser, run_lock)
    if argv and argv[0] in COMMANDS:
        argv = argv[1:]
    try:
        args = make_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or usage (2)
        return int(exc.code or 0)
    try:
        return command(args)
    except PonchoError as exc:  # every failure a user can cause, each with its exit code
        print(f"error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - last resort, with a pointer to report it
        import traceback

        traceback.print_exc()
        print(f"internal error: {exc!r}; nothing was written. Please report this.", file=sys.stderr)
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

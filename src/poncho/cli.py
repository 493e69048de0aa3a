"""poncho-resolve's command line: flags in, a lock or findings out.

    poncho-resolve PATH... [-o FILE] [--index-url URL] [--no-resolve]
    poncho-resolve pack LOCK -o OUT / poncho-resolve run ARTIFACT -- COMMAND...

Policy lives elsewhere: :mod:`poncho.config` merges flags with
``[tool.poncho]`` and pip's configuration, :mod:`poncho.pipeline` runs the
stages and enforces ``--strict``, :mod:`poncho.lock.formats` picks and writes
the format. This module parses arguments, prints diagnostics and maps errors
to exit codes in one place (``main``).

Exit codes (:class:`poncho.errors.ExitCode`):
    0   success
    1   `check`: the lock does not match the code
    2   usage error (bad arguments, a path that does not exist, unusable configuration or lock)
    3   analysis problems under --strict
    4   imports that map to no distribution, under --strict
    5   no consistent set of versions (conflict), or a required project is missing
    6   the index is unreachable or answered with something unusable
    70  internal error (a bug: please report it)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poncho import __version__
from poncho.errors import ExitCode, PonchoError, UsageError, redact_url
from poncho.terminal import paint

if TYPE_CHECKING:  # pragma: no cover
    from poncho.config import Options
    from poncho.diagnostics import Diagnostic
    from poncho.pipeline import Pipeline

LOCK_FORMATS = ("requirements", "pylock", "poncho", "conda", "json", "ray")
EXIT_CODES_HELP = ("Exit codes: 0 ok, 1 check found problems, 2 usage or unusable configuration/lock, "
                   "3 analysis problems (--strict), 4 unmapped imports (--strict), 5 no consistent set of "
                   "versions, 6 index unreachable or unusable, 70 internal error, 130 interrupted.")


def _add_common(p: argparse.ArgumentParser) -> None:
    """Options every command that analyzes and maps code shares."""
    p.add_argument("--index-url", default=None, metavar="URL", help="simple API index (default: pip's, else PyPI)")
    p.add_argument("--extra-index-url", action="append", default=[], metavar="URL",
                   help="more indexes, consulted for projects the first lacks (may repeat)")
    p.add_argument("--include-optional", action="store_true", default=None,
                   help="also lock imports guarded by try/except ImportError")
    p.add_argument("--strict", action="store_true",
                   help="fail on analysis problems and on imports that map to no distribution")
    p.add_argument("--cache-dir", type=Path, default=None, help="cache directory (default: the user cache dir)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write any cache")
    p.add_argument("--offline", action="store_true",
                   help="never touch the network: project pages, metadata and probe results come from "
                        "the cache, however old; what was never fetched is an error (or an unmapped import)")
    p.add_argument("--allow-fallback", action="store_true",
                   help="when the index fails to serve a project's newest release, lock an older one (recorded "
                        "in the lock) instead of failing with exit 6")
    p.add_argument("--cert", default=None,
                   help="CA bundle for HTTPS (default: pip's `cert`, else REQUESTS_CA_BUNDLE, else certifi)")
    p.add_argument("--no-pip-config", action="store_true",
                   help="ignore pip's configuration files and PIP_* variables (index-url, extra-index-url, cert)")
    p.add_argument("--map", action="append", default=[], metavar="IMPORT=DIST", dest="mappings",
                   help="map an import name to a distribution, overriding everything else (may repeat)")
    p.add_argument("--with", action="append", default=[], metavar="REQ", dest="with_requirements",
                   help="also lock this PEP 508 requirement, imported or not (gunicorn, 'uvicorn[standard]>=0.30'; "
                        "may repeat; also [tool.poncho] with = [...])")
    p.add_argument("--without", action="append", default=[], metavar="NAME",
                   help="leave this distribution out of the lock, with what only it needs (one the platform "
                        "provides, such as boto3 on AWS Lambda; the header records it; may repeat; also "
                        "[tool.poncho] without = [...])")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave matching files or directories out of the analysis (may repeat; also "
                        "[tool.poncho] exclude = [...])")
    p.add_argument("--include-tests", action="store_true", default=None,
                   help="also analyze tests, docs, examples, benchmarks, noxfile.py and setup.py (left out of the "
                        "runtime lock by default)")
    p.add_argument("--use-env", action="store_true",
                   help="prefer distributions installed in this environment when they provide an import")
    p.add_argument("--no-probe", action="store_true",
                   help="never ask the index about names the shipped index does not know")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE",
                   help="narrow versions with a constraints file (pip format: name<spec> per line; may repeat)")
    p.add_argument("--target", action="append", default=[], metavar="TARGET",
                   help="lock for this target: cp311-manylinux_2_28_x86_64, cp313-win_amd64, or a Python "
                        "version such as 3.12 (this machine's platform); repeat it for one lock that serves "
                        "every target")
    p.add_argument("--python-version", action="append", default=[], metavar="X.Y[.Z]",
                   help="lock for this CPython version (default: the running interpreter's minor; X.Y.Z pins "
                        "the patch); may repeat: each with each --platform")
    p.add_argument("--platform", action="append", default=[], metavar="TAG",
                   help="lock for this platform, e.g. manylinux_2_28_x86_64, macosx_11_0_arm64, win_amd64 "
                        "(default: this machine's); may repeat: each is another target")
    p.add_argument("--with-module-imports", action="store_true",
                   help="for a callable entry (file.py:func), also lock the top-level imports of its module: what "
                        "importing it by reference runs (Dask/Ray pickling by reference, an AWS Lambda handler)")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="analysis worker processes (default: one per CPU; 1 = no subprocesses)")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors and warnings on stderr")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print informational notes (dynamic imports with unknown names, ...)")


def _options(args: argparse.Namespace, paths: Sequence[str]) -> Options:
    from poncho.config import load_options

    return load_options(
        paths,
        index_url=args.index_url,
        extra_index_urls=args.extra_index_url,
        cert=args.cert,
        constraint_files=args.constraint,
        targets=args.target,
        python_versions=args.python_version,
        platforms=args.platform,
        mappings=args.mappings,
        include_optional=args.include_optional,
        strict=args.strict,
        use_env=args.use_env,
        probe=not args.no_probe,
        jobs=args.jobs,
        offline=args.offline,
        allow_fallback=args.allow_fallback,
        cache_dir=args.cache_dir,
        no_cache=args.no_cache,
        use_pip_config=not args.no_pip_config,
        verbose_note=(lambda text: print(f"note: {text}", file=sys.stderr)) if args.verbose else None,
        ignore=getattr(args, "ignore", ()),
        keep_pins_from=getattr(args, "keep_pins_from", None),
        upgrade=getattr(args, "upgrade", False),
        upgrade_packages=getattr(args, "upgrade_package", ()),
        find_links=getattr(args, "find_links", ()),
        from_env=getattr(args, "from_env", None),
        prefer_installed=getattr(args, "prefer_installed", None),
        exclude=args.exclude,
        include_tests=args.include_tests,
        with_requirements=args.with_requirements,
        without=args.without,
        with_module_imports=args.with_module_imports,
        only_binary=getattr(args, "only_binary", None),
    )


def _printer(args: argparse.Namespace) -> Callable[[Diagnostic], None]:
    """Diagnostics to stderr as they arrive: errors and warnings always, notes unless -q, info with -v."""
    from poncho.diagnostics import Severity, render

    shown = {Severity.ERROR, Severity.WARNING}
    if not args.quiet:
        shown.add(Severity.NOTE)
    if args.verbose:
        shown.add(Severity.INFO)

    def show(d: Diagnostic) -> None:
        if d.severity in shown:
            text = redact_url(render([d]))
            label = f"{d.severity.value}:"
            if text.startswith(label):  # the severity in its color, on a terminal only
                text = paint(label, d.severity.value, sys.stderr) + text[len(label):]
            _stderr(args, text)

    return show


def _stderr(args: argparse.Namespace, text: str) -> None:
    """Write to stderr around the progress line (when one is shown)."""
    progress = getattr(args, "progress", None)
    if progress is not None:
        progress.write(text)
    else:
        sys.stderr.write(text)


def _pipeline(args: argparse.Namespace, paths: Sequence[str]) -> Pipeline:
    from poncho.pipeline import Pipeline
    from poncho.terminal import Progress

    _require_paths(paths)
    progress = Progress(sys.stderr)
    # A status line on a terminal, unless -q; nothing when stderr is a file, a pipe or a CI log.
    args.progress = progress if progress.enabled and not args.quiet else None
    return Pipeline(_options(args, paths), report=_printer(args), progress=args.progress)


def _done(args: argparse.Namespace) -> None:
    """Erase the progress line: the run's own output follows."""
    progress = getattr(args, "progress", None)
    if progress is not None:
        progress.close()


def _say(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        _done(args)
        print(message, file=sys.stderr)


def _require_paths(paths: Sequence[str]) -> None:
    from poncho.pipeline import is_entry

    for p in paths:
        if not Path(p).exists() and not is_entry(p):
            raise UsageError(f"{p}: no such file or directory")


def _lock_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve",
        description="Find the third-party distributions a Python program imports and lock them "
                    "(pinned, hashed) for the machines that will run it. "
                    "Other commands: `poncho-resolve check PATH... --lock FILE`, "
                    "`poncho-resolve explain PATH... MODULE`, `poncho-resolve export LOCK --format FMT`, "
                    "`poncho-resolve index build`, `poncho-resolve pack LOCK -o OUT`, "
                    "`poncho-resolve run ARTIFACT -- COMMAND...`.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="files or directories of the program, or one callable: app/tasks.py:handler, "
                        "pkg.module:Class.method")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the lock to FILE (atomically; through a symlink to its target) instead of stdout; "
                        "`-o -` is stdout. Special files and the analyzed sources are refused")
    p.add_argument("--no-resolve", action="store_true",
                   help="stop after mapping: print the direct requirements, unpinned, with # via comments")
    p.add_argument("-U", "--upgrade", action="store_true",
                   help="re-lock with the newest versions; by default a re-lock onto an existing -o file keeps "
                        "every pin that still fits")
    p.add_argument("-P", "--upgrade-package", action="append", default=[], metavar="NAME[==VERSION]",
                   help="move only this pin (to VERSION, or the newest that fits); may repeat")
    p.add_argument("--format", choices=LOCK_FORMATS, default=None,
                   help="requirements (default; pip/uv/pex with --require-hashes), pylock (PEP 751 pylock.toml), "
                        "poncho (poncho_package_create JSON spec), conda (environment.yml), json (the Lock record), "
                        "ray (Ray's runtime_env with hashed pip packages). "
                        "Inferred from -o when it is pylock*.toml or *.yml")
    p.add_argument("--find-links", action="append", default=[], metavar="DIR|URL",
                   help="a directory (or an HTML page) of wheels and sdists, asked before the indexes (pip's "
                        "`find-links` setting is honoured too); may repeat")
    installed = p.add_mutually_exclusive_group()
    installed.add_argument("--from-env", nargs="?", const="", default=None, metavar="PYTHON",
                           help="PONCHO's mode: pin exactly the versions installed in this interpreter's "
                                "environment (or PYTHON's: an interpreter or a venv), after checking they meet "
                                "each other's requirements; hashes come from the index. Put it after the paths")
    installed.add_argument("--prefer-installed", nargs="?", const="", default=None, metavar="PYTHON",
                           help="try the installed versions first (this interpreter's, or PYTHON's) where they "
                                "fit; others are the newest that fit")
    p.add_argument("--only-binary", action="store_true", default=None,
                   help="a pin with no wheel for the target (built from its sdist at install time) is an error "
                        "(exit 5), not a warning; also [tool.poncho] only-binary")
    _add_common(p)
    p.add_argument("--version", action="version", version=f"poncho-resolve {__version__}")
    return p


def run_lock(args: argparse.Namespace) -> int:
    from poncho.lock.formats import UNHASHED, choose_format, output_path

    fmt, output = choose_format(args.format, None if args.output == "-" else args.output)
    if args.no_resolve and fmt != "requirements":
        raise UsageError("--no-resolve prints unpinned requirements; it cannot be combined with --format " + fmt)
    if output is not None:
        args.keep_pins_from = output_path(output, args.paths)  # refuse a bad -o before resolving; keep its pins
    started = time.monotonic()
    pipeline = _pipeline(args, args.paths)
    if fmt in ("conda", "poncho") and not args.no_resolve:
        from poncho.lock.conda_env import one_python

        one_python((t.python for t in pipeline.targets), fmt)  # refused before resolving, not after
    if (args.upgrade or args.upgrade_package) and output is None:
        from poncho.diagnostics import Code, Severity, diagnostic

        pipeline.emit(diagnostic(Code.RESOLUTION_WARNING, "-U/-P move the pins of an existing -o lock; without -o "
                                 "every version is the newest that fits anyway", Severity.NOTE))
    result = pipeline.requirements(args.paths)
    if args.no_resolve:
        from poncho.lock import render_direct

        _done(args)
        _emit(render_direct(result.requirements), output, args.paths)
        return ExitCode.OK
    result = pipeline.resolve(result)
    assert result.lock is not None
    text = result.lock.render(fmt)
    _done(args)
    if fmt in UNHASHED:
        from poncho.diagnostics import Code, Severity, diagnostic

        pipeline.emit(diagnostic(Code.FORMAT_LIMIT, f"the {fmt} format pins versions but cannot carry hashes; "
                                 "the requirements and pylock formats can", Severity.NOTE))
    _emit(text, output, args.paths)
    _say(args, f"locked {len(result.lock.entries)} distributions ({len(result.requirements.direct)} direct) for "
               f"{', '.join(t.describe() for t in pipeline.targets)} in {time.monotonic() - started:.1f}s")
    return ExitCode.OK


def _emit(text: str, output: Path | None, inputs: Sequence[str]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        from poncho.lock.formats import write

        write(text, output, inputs)


def _check_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve check",
        description="Is the lock still right for the code? Analyzes and maps (no resolution) and compares "
                    "with the lock. For CI and pre-commit.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories of the program")
    p.add_argument("--lock", required=True, metavar="FILE", help="the lock to check: requirements, pylock.toml or JSON")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE[:NAME]",
                   help="silence a finding: PR003, or PR001:boto3 for one distribution (may repeat; also "
                        "[tool.poncho.check] ignore = [...])")
    p.add_argument("--format", "--output-format", dest="output_format", choices=("text", "json", "github"),
                   default="text", help="findings as text lines (default), JSON lines, or GitHub Actions "
                                        "annotations on the import's file and line")
    p.add_argument("--env", nargs="?", const="", default=None, metavar="PYTHON",
                   help="also compare the lock with an installed environment: this interpreter's, or PYTHON's "
                        "(an interpreter or a venv directory); missing (PR011) and other versions (PR012) fail, "
                        "distributions the lock lacks (PR013) are a warning. Put it after the paths")
    _add_common(p)
    return p


def run_check(args: argparse.Namespace) -> int:
    from poncho.check import Drift
    from poncho.diagnostics import Severity

    pipeline = _pipeline(args, args.paths)
    findings = pipeline.check(args.paths, args.lock, env=args.env)
    _done(args)
    if args.output_format == "text":
        for f in findings:
            style = "error" if f.severity is Severity.ERROR else "warning"
            print(paint(f.code, style, sys.stdout) + str(f)[len(f.code):])
    else:
        from poncho.diagnostics import render

        sys.stdout.write(render((f.diagnostic() for f in findings), args.output_format))
    # warnings (PR013, and PR007/PR008 unless --strict) are shown, never fail
    failing = [f for f in findings if f.severity is Severity.ERROR or (args.strict and f.strict)]
    stale = [f for f in failing if not isinstance(f, Drift)]
    if stale:
        print(f"{args.lock}: {len(stale)} finding(s); re-lock with: {pipeline.relock}", file=sys.stderr)
    if len(failing) > len(stale):
        print(f"{args.lock}: the installed environment differs from the lock; sync it (`uv pip sync {args.lock}`, "
              f"or `pip install --no-deps --require-hashes -r {args.lock}` into a fresh venv)", file=sys.stderr)
    if failing:
        return ExitCode.CHECK_FAILED
    _say(args, f"{args.lock}: up to date")
    return ExitCode.OK


def _export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve export",
        description="Convert a lock (requirements, pylock.toml or JSON, as poncho-resolve wrote it) to another "
                    "format without resolving. A requirements lock holds no file URLs: pylock and json output "
                    "take them from the index pages its header names (the HTTP cache first).",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("lock", metavar="LOCK", help="the lock to convert")
    p.add_argument("--format", choices=LOCK_FORMATS, default=None,
                   help="the output format (inferred from -o when it is pylock*.toml or *.yml)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.add_argument("--offline", action="store_true", help="read index pages from the cache only")
    p.add_argument("--cache-dir", type=Path, default=None, help="cache directory (default: the user cache dir)")
    p.add_argument("--cert", default=None, help="CA bundle for HTTPS")
    p.add_argument("--no-pip-config", action="store_true", help="ignore pip's configuration")
    return p


def run_export(args: argparse.Namespace) -> int:
    from poncho.config import load_options
    from poncho.lock.formats import choose_format
    from poncho.pipeline import Pipeline

    fmt, output = choose_format(args.format, None if args.output in (None, "-") else args.output)
    if args.format is None and output is None:
        raise UsageError("say which format to export to: --format requirements|pylock|poncho|conda|json")
    options = load_options((), cert=args.cert, offline=args.offline, cache_dir=args.cache_dir,
                           use_pip_config=not args.no_pip_config)
    lock = Pipeline(options).export(args.lock, fmt)
    _emit(lock.render(fmt), output, ())
    return ExitCode.OK


def _explain_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve explain",
        description="Show every site where MODULE is imported, how each was classified, and which "
                    "distribution it maps to and why.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("args", nargs="+", metavar="PATH... MODULE", help="the program's paths, then the module")
    _add_common(p)
    return p


def run_explain(args: argparse.Namespace) -> int:
    from poncho.explain import explain

    if len(args.args) < 2:
        raise UsageError("explain needs at least one PATH and a MODULE: poncho-resolve explain app/ yaml")
    paths, module = args.args[:-1], args.args[-1]
    pipeline = _pipeline(args, paths)
    analysis = pipeline.analyze(paths)
    sys.stdout.write(explain(analysis, pipeline.mapper(paths), module, pipeline.declarations(paths)))
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


def _pack_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve pack",
        description="Turn a lock into a runnable artifact with a real packer: a PEX (pex --pylock, or pex -r for "
                    "a requirements lock), a relocatable venv archive (uv venv --relocatable + hashed install, "
                    "tar.gz), or poncho_package_create / conda-pack tarballs from a poncho spec / environment.yml. "
                    "The artifact records the lock's digest.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("lock", metavar="LOCK", help="pylock.toml or a requirements lock (pex, venv); poncho-spec.json "
                                                "(poncho); environment.yml (conda-pack)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the artifact: *.pex or *.tar.gz")
    p.add_argument("--kind", choices=("pex", "venv", "poncho", "conda-pack"), default=None,
                   help="which artifact (default: from OUT's name and the lock's format)")
    p.add_argument("--python", default=None, metavar="PYTHON",
                   help="the interpreter the venv is made with or the PEX is built for (default: this one)")
    p.add_argument("--index-url", action="append", default=[], metavar="URL",
                   help="for a requirements lock: the indexes to fetch from (default: the lock's header)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return p


def run_pack(args: argparse.Namespace) -> int:
    from poncho.ship import pack

    record = pack(args.lock, args.output, args.kind, python=args.python, index_urls=tuple(args.index_url))
    _say(args, f"packed {args.lock} into {args.output} ({record.kind}; lock {record.lock_digest[:19]}...)")
    return ExitCode.OK


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="poncho-resolve run",
        description="Run COMMAND inside an artifact made by `pack`, unpacked once per lock digest into the cache "
                    "(shared safely by concurrent runs); exits with COMMAND's exit code. Never touches the network.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("artifact", metavar="ARTIFACT", help="a .pex or .tar.gz made by `poncho-resolve pack`")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND...", help="the command and arguments")
    p.add_argument("--cache-dir", type=Path, default=None, help="cache directory (default: the user cache dir)")
    return p


def run_run(args: argparse.Namespace) -> int:
    from poncho.ship import run

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return run(args.artifact, command, args.cache_dir)


COMMANDS = {
    "check": (_check_parser, run_check),
    "explain": (_explain_parser, run_explain),
    "export": (_export_parser, run_export),
    "index": (_index_parser, run_index),
    "pack": (_pack_parser, run_pack),
    "run": (_run_parser, run_run),
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
        return int(command(args))
    except PonchoError as exc:  # every failure a user can cause, each with its exit code
        _done(args)
        print(f"{paint('error:', 'error', sys.stderr)} {redact_url(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _done(args)
        print("interrupted; nothing was written", file=sys.stderr)
        sys.stderr.flush()
        sys.stdout.flush()
        # Fetch threads may sit in a network read for the whole timeout; nothing is left to
        # save (writes are atomic), so leave now rather than join them.
        os._exit(int(ExitCode.INTERRUPTED))
    except Exception as exc:  # noqa: BLE001 - last resort, with a pointer to report it
        import traceback

        traceback.print_exc()
        print(f"internal error: {redact_url(repr(exc))}; nothing was written. Please report this.", file=sys.stderr)
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

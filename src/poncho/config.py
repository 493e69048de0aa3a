"""Options in one place: flags, ``[tool.poncho]``, pip's configuration and the environment.

The CLI and the Python API (``poncho.lock_for``) both build their
:class:`Options` through :func:`load_options`, so a lock made by one passes
``check`` by the other: the same index, certificate, constraints and target
whichever door the user came in by.

Precedence, highest first: explicit arguments (flags), the analyzed project's
``[tool.poncho]`` table, pip's configuration (its files and ``PIP_*``
variables, unless ``use_pip_config=False``), then the defaults.

This module stays cheap to import (no requests, no resolvelib): ``--version``
and a warm ``check`` load it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poncho.errors import ConfigError, UsageError
from poncho.net import DEFAULT_INDEX
from poncho.paths import cache_root

if TYPE_CHECKING:  # pragma: no cover
    from packaging.specifiers import SpecifierSet

    from poncho.index_cache import Mapper
    from poncho.lock.inputs import LockFlags
    from poncho.lock.parse import LockedFile
    from poncho.resolver.target import Target

#: ``[tool.poncho]`` keys and what they set (``mapping`` is read by the mapper itself, ``first-party``
#: by the analyzer: poncho.analysis.roots.configured_first_party).
PROJECT_KEYS = ("mapping", "index-url", "extra-index-urls", "python-version", "platform", "target", "targets",
                "include-optional", "constraints", "first-party", "check", "exclude", "include-tests",
                "with", "without", "only-binary")


def default_cache_dir() -> Path:
    """Where poncho-resolve keeps its caches (``PONCHO_CACHE_DIR`` overrides it)."""
    return cache_root()


@dataclass
class Options:
    """Everything a run can be told; :func:`load_options` fills it, Python callers may too.

    ``target`` accepts a :class:`~poncho.resolver.target.Target` or a string:
    ``"3.11"``, ``"3.12.4"``, ``"cp311-manylinux_2_28_x86_64"``, ``"cp313-win_amd64"``.
    ``targets`` holds every target of one lock (a universal lock); ``target`` is
    always its first, so single-target callers keep working. Give either.
    """

    index_urls: Sequence[str] = (DEFAULT_INDEX,)
    target: Target | str | None = None
    targets: Sequence[Target | str] = ()  # empty: this machine (or the one ``target``)
    include_optional: bool = False
    strict: bool = False  # analysis problems and unmapped imports are errors (exit 3, 4)
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    cert: str | None = None
    mapper: Mapper | None = None  # None: the default source order, built from the fields below
    mappings: Sequence[str] = ()  # --map IMPORT=DIST
    use_env: bool = False  # consult the installed environment's file lists
    probe: bool = True  # confirm unknown names against the index's wheels
    constraints: Mapping[str, SpecifierSet] = field(default_factory=dict)  # name -> allowed versions
    jobs: int | None = None  # analysis worker processes (None: one per CPU)
    offline: bool = False  # answer from the caches only; never touch the network
    allow_fallback: bool = False  # lock an older release when the index fails to serve the newest
    pyproject: Path | None = None  # the analyzed project's pyproject.toml ([tool.poncho.mapping])
    # Settings the user chose (flags or [tool.poncho]) rather than this machine's defaults and pip
    # configuration: "python", "platform", "index_urls", "constraints", "mappings", "include_optional",
    # "include_tests", "only_binary".
    # `check` and a re-lock onto an existing lock take the others from the lock's header (adopt_header).
    explicit: frozenset[str] = frozenset()
    ignore: tuple[str, ...] = ()  # check findings to silence: "PR003" or "PR001:boto3"
    keep_pins_from: Path | None = None  # an existing lock whose pins a re-lock keeps where they still fit
    upgrade: bool = False  # ignore keep_pins_from's pins: newest versions everywhere
    upgrade_packages: tuple[str, ...] = ()  # only these move (NAME, or NAME==VERSION to move it there)
    # `-P NAME==V`: narrows this resolution only; never part of the lock's inputs (its digest)
    upgrade_constraints: Mapping[str, SpecifierSet] = field(default_factory=dict)
    find_links: tuple[str, ...] = ()  # pip's find-links: directories (or pages) of files, asked before the indexes
    # PONCHO's own mode: an interpreter or venv ("" the running one) whose installed versions are locked
    # exactly (from_env), or tried first (prefer_installed)
    from_env: str | None = None
    prefer_installed: str | None = None
    constraint_files: tuple[str, ...] = ()  # where ``constraints`` came from (pip, [tool.poncho], -c): the header
    exclude: tuple[str, ...] = ()  # --exclude GLOB and [tool.poncho] exclude: files left out of the analysis
    exclude_flags: tuple[str, ...] = ()  # the --exclude part: recorded in the lock's header (# exclude:)
    include_tests: bool = False  # analyze tests, docs, examples, setup.py too (left out by default)
    include_tests_flag: bool = False  # ... because --include-tests said so: recorded in the lock's header
    # --with REQ / [tool.poncho] with: (PEP 508 requirement, who asked) pairs locked whatever imports them
    with_requirements: tuple[tuple[str, str], ...] = ()
    without: tuple[str, ...] = ()  # --without NAME / [tool.poncho] without: never locked as direct
    with_module_imports: bool = False  # a function entry also locks its module's top-level imports
    only_binary: bool = False  # a pin that has only an sdist for the target is an error (exit 5), not a warning
    only_binary_flag: bool = False  # ... because --only-binary said so: recorded in the lock's header

    def lock_flags(self) -> LockFlags:
        """What the command line (not ``[tool.poncho]``) added, scoped or refused: the lock's header records it."""
        from poncho.lock.inputs import LockFlags

        return LockFlags(tuple(r for r, origin in self.with_requirements if origin == "--with"), self.exclude_flags,
                         self.include_tests_flag, self.only_binary_flag)

    def __post_init__(self) -> None:
        if isinstance(self.target, str):
            self.target = parse_target(self.target)
        targets = tuple(parse_target(t) if isinstance(t, str) else t for t in self.targets)
        if targets and self.target is not None and self.target != targets[0]:
            raise ConfigError("give target or targets (whose first is the target), not both")
        self.targets = tuple(dict.fromkeys(targets or ((self.target,) if self.target is not None else ())))
        self.target = self.targets[0] if self.targets else None
        if self.offline and self.cache_dir is None:
            raise UsageError("--offline answers from the cache; it cannot be combined with --no-cache")
        if not self.index_urls:
            raise ConfigError("at least one index URL is needed")


def parse_target(text: str, platform: str | None = None) -> Target:
    """``3.11`` / ``3.12.4`` (this machine's platform) or ``cp311-manylinux_2_28_x86_64``."""
    python, plat = _target_parts(text, None, platform, where="target")
    target = _target_of(python, plat)
    assert target is not None  # a text always names a Python
    return target


def read_constraints(files: Sequence[str | Path]) -> dict[str, SpecifierSet]:
    """name -> SpecifierSet from pip-style constraints files; a bad line names its file and line."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    out: dict[str, SpecifierSet] = {}
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read constraints: {exc}") from None
        if Path(file).suffix in (".toml", ".json") or "--hash=" in text:
            # A lock (any format poncho-resolve writes, or pip-compile/uv output): its pins are the constraints.
            from poncho.lock.parse import read_lock

            for key, entry in read_lock(file).entries.items():
                if entry.version:
                    out[key] = out.get(key, SpecifierSet()) & SpecifierSet(f"=={entry.version}")
            continue
        for n, line in enumerate(text.splitlines(), 1):
            line = re.split(r"\s#", line, maxsplit=1)[0].strip()  # pip: a comment follows whitespace
            if not line or line.startswith(("#", "-")):
                continue
            try:
                req = Requirement(line)
            except InvalidRequirement as exc:
                raise ConfigError(f"{file}:{n}: not a constraint: {line!r} ({exc})") from None
            key = canonicalize_name(req.name)
            out[key] = out.get(key, SpecifierSet()) & req.specifier
    return out


def project_settings(pyproject: Path | None) -> dict[str, Any]:
    """The ``[tool.poncho]`` table of the analyzed project (empty without one); unknown keys are errors."""
    if pyproject is None or not pyproject.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from poncho.analysis.roots import MAX_PYPROJECT

    try:
        if pyproject.stat().st_size > MAX_PYPROJECT:
            raise ConfigError(f"{pyproject}: cannot read: larger than {MAX_PYPROJECT // 1024 // 1024} MB")
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{pyproject}: invalid TOML: nested too deeply") from None
    tool = data.get("tool", {})
    table = tool.get("poncho", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool] and [tool.poncho] must be tables")
    unknown = sorted(set(table) - set(PROJECT_KEYS))
    if unknown:
        raise ConfigError(f"{pyproject}: [tool.poncho] has unknown key(s) {', '.join(unknown)}; "
                          f"known: {', '.join(PROJECT_KEYS)}")
    return table


def _typed(table: Mapping[str, Any], key: str, kind: type, where: Path | None) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if kind is list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where}: [tool.poncho] {key} must be a list of strings")
    if kind is not list and not isinstance(value, kind):
        raise ConfigError(f"{where}: [tool.poncho] {key} must be a {kind.__name__}")
    return value


def load_options(
    paths: Sequence[str | Path] = (),
    *,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    cert: str | None = None,
    constraint_files: Sequence[str | Path] = (),
    python_version: str | None = None,
    platform: str | None = None,
    target: str | None = None,
    targets: Sequence[str] = (),
    platforms: Sequence[str] = (),
    python_versions: Sequence[str] = (),
    mappings: Sequence[str] = (),
    include_optional: bool | None = None,
    strict: bool = False,
    use_env: bool = False,
    probe: bool = True,
    jobs: int | None = None,
    offline: bool = False,
    allow_fallback: bool = False,
    cache_dir: Path | None = None,
    no_cache: bool = False,
    use_pip_config: bool = True,
    environ: Mapping[str, str] | None = None,
    verbose_note: Any = None,
    ignore: Sequence[str] = (),
    keep_pins_from: str | Path | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    find_links: Sequence[str] = (),
    from_env: str | None = None,
    prefer_installed: str | None = None,
    exclude: Sequence[str] = (),
    include_tests: bool | None = None,
    with_requirements: Sequence[str] = (),
    without: Sequence[str] = (),
    with_module_imports: bool = False,
    only_binary: bool | None = None,
) -> Options:
    """Options for analyzing ``paths``, merged from every place a user may have said something.

    ``targets``/``platforms``/``python_versions`` are the repeatable ``--target``,
    ``--platform`` and ``--python-version`` (each platform with each Python); the
    singular ``target``/``platform``/``python_version`` are one more of each.
    ``verbose_note`` (a callable taking a string) hears what was read but not
    used.
    """
    from poncho.analysis.roots import find_pyproject
    from poncho.net.pip_config import PipSettings, load_pip_settings

    environ = os.environ if environ is None else environ
    pyproject = find_pyproject(paths)
    project = project_settings(pyproject)
    pip = load_pip_settings(environ) if use_pip_config else PipSettings()

    main_index = index_url or _typed(project, "index-url", str, pyproject) or pip.index_url or DEFAULT_INDEX
    extra = [*(_typed(project, "extra-index-urls", list, pyproject) or ()), *pip.extra_index_urls,
             *extra_index_urls]
    project_constraints = [str(pyproject.parent / c) for c in _typed(project, "constraints", list, pyproject) or ()
                           ] if pyproject is not None else []

    # Targets: flags replace [tool.poncho]'s, except that one part alone merges part by part (so
    # `--platform X` with a project `python-version = "3.12"` is 3.12 on X, and `--python-version 3.12`
    # applies to every project target).
    project_parts = _project_target_parts(project, pyproject)
    flag_parts = _target_list([*([target] if target else []), *targets],
                              [*([python_version] if python_version else []), *python_versions],
                              [*([platform] if platform else []), *platforms])
    parts = _merge_target_parts(flag_parts, project_parts)
    chosen = _targets_of(parts)
    optional_given = include_optional is not None or project.get("include-optional") is not None
    if include_optional is None:
        include_optional = bool(_typed(project, "include-optional", bool, pyproject))
    only_binary_given = only_binary is not None or project.get("only-binary") is not None
    only_binary_flag = only_binary is True
    if only_binary is None:
        only_binary = bool(_typed(project, "only-binary", bool, pyproject))
    explicit = {name for name, given in (("python", any(p[0] is not None for p in parts)),
                                         ("platform", any(p[1] is not None for p in parts)),
                                         ("index_urls", bool(index_url or extra_index_urls
                                                             or project.get("index-url")
                                                             or project.get("extra-index-urls"))),
                                         ("constraints", bool(constraint_files or project_constraints)),
                                         ("mappings", bool(mappings)),
                                         ("include_optional", optional_given),
                                         ("include_tests", include_tests is not None
                                          or project.get("include-tests") is not None),
                                         ("only_binary", only_binary_given)) if given}
    _typed(project, "first-party", list, pyproject)  # the analyzer reads it; a bad value is the same error here
    all_constraint_files = [*pip.constraints, *project_constraints, *constraint_files]
    options = Options(
        index_urls=(main_index, *dict.fromkeys(u for u in extra if u != main_index)),
        targets=chosen,
        include_optional=include_optional,
        strict=strict,
        cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        cert=cert or pip.cert,
        mappings=tuple(mappings),
        use_env=use_env,
        probe=probe,
        constraints=read_constraints(all_constraint_files),
        constraint_files=tuple(str(f) for f in all_constraint_files),
        upgrade_constraints=_with_upgrades({}, upgrade_packages),
        jobs=jobs,
        offline=offline,
        allow_fallback=allow_fallback,
        pyproject=pyproject,
        explicit=frozenset(explicit),
        keep_pins_from=Path(keep_pins_from) if keep_pins_from is not None else None,
        upgrade=upgrade,
        upgrade_packages=tuple(upgrade_packages),
        find_links=tuple(dict.fromkeys([*find_links, *_usable_find_links(pip.find_links, verbose_note)])),
        from_env=from_env,
        prefer_installed=prefer_installed,
        with_module_imports=with_module_imports,
        only_binary=only_binary,
        only_binary_flag=only_binary_flag,
        ignore=_ignores([*_check_table(project, pyproject).get("ignore", []), *ignore], pyproject),
        exclude=(*(_typed(project, "exclude", list, pyproject) or ()), *exclude),
        exclude_flags=tuple(exclude),
        include_tests_flag=include_tests is True,
        include_tests=bool(_typed(project, "include-tests", bool, pyproject)) if include_tests is None
        else include_tests,
        with_requirements=(*_with(_typed(project, "with", list, pyproject) or (), f"{pyproject}: [tool.poncho] with",
                                  "[tool.poncho] with"),
                           *_with(with_requirements, "--with", "--with")),
        without=_without([*(_typed(project, "without", list, pyproject) or ()), *without], pyproject),
    )
    if keep_pins_from is not None and Path(keep_pins_from).is_file():
        # A re-lock onto an existing lock: what the user did not say now comes from its header.
        from poncho.errors import LockFileError
        from poncho.lock.parse import read_lock

        try:
            locked = read_lock(keep_pins_from)
        except LockFileError:
            return options  # not a lock; the pipeline says so when it looks for pins to keep
        options = adopt_header(options, locked)
    return options


def adopt_header(options: Options, locked: LockedFile) -> Options:
    """The lock's header is the contract: each setting the user did not choose (``options.explicit``) comes from
    the lock ``locked`` rather than this machine's defaults or pip configuration, so ``check`` and a flag-less
    re-lock give the same answer on a laptop, a login node and any CI machine. Flags and ``[tool.poncho]``
    win.
    """
    import dataclasses

    from poncho.lock.inputs import normalize_index_url, resolve_recorded

    given = options.explicit
    changes: dict[str, Any] = {}
    header_targets = locked.targets_parts
    if header_targets and not {"python", "platform"} <= given:
        # Every target of the header; each part the user did give (python or platform) wins over its part.
        current = None if isinstance(options.target, str) else options.target
        targets: list[Target] = []
        for header_python, header_platform in header_targets:
            python = current.python if current is not None and "python" in given else header_python
            platform = current.platform_label if current is not None and "platform" in given else header_platform
            try:
                targets.append(parse_target(python, platform))
            except ConfigError:
                pass  # a platform this version cannot target: keep this machine's; the check names the target
        if targets:
            changes["target"], changes["targets"] = None, tuple(targets)
    if "index_urls" not in given and locked.index_urls:
        # The header's URLs carry no credentials: use the configured spelling of the same index when there is one.
        configured = {normalize_index_url(u): u for u in options.index_urls}
        adopted = [configured.get(normalize_index_url(u), u) for u in locked.index_urls]
        if not any("***" in u for u in adopted):
            changes["index_urls"] = tuple(adopted)
    inputs = locked.inputs
    if inputs is not None:
        lock_dir = Path(locked.path).parent
        if "constraints" not in given:
            files = [str(resolve_recorded(f, lock_dir)) for f in inputs.constraint_files]
            present = [f for f in files if Path(f).is_file()]  # a vanished file shows as a changed input
            changes["constraints"] = read_constraints(present)
            changes["constraint_files"] = tuple(present)
        if "mappings" not in given:
            changes["mappings"] = inputs.map_flags
        if "include_optional" not in given:
            changes["include_optional"] = inputs.include_optional
    if not options.without and locked.provided:  # `without` left these to the platform; flags and the table win
        changes["without"] = tuple(locked.provided)
    flags = locked.flags  # what the lock's command line added or scoped; flags given again win
    if flags.exclude and not options.exclude_flags:
        changes["exclude"] = (*options.exclude, *(g for g in flags.exclude if g not in options.exclude))
        changes["exclude_flags"] = flags.exclude
    if flags.include_tests and "include_tests" not in given:
        changes["include_tests"] = changes["include_tests_flag"] = True
    if flags.only_binary and "only_binary" not in given:
        changes["only_binary"] = changes["only_binary_flag"] = True
    if flags.with_requirements and not any(origin == "--with" for _, origin in options.with_requirements):
        table = {req for req, _ in options.with_requirements}  # the table's own entries stay as they are
        changes["with_requirements"] = (*options.with_requirements,
                                        *((r, "--with") for r in flags.with_requirements if r not in table))
    return dataclasses.replace(options, **changes) if changes else options


def _usable_find_links(locations: Sequence[str], note: Any) -> list[str]:
    """pip's ``find-links`` as pip treats them: a location that is neither a URL nor a directory is skipped
    (with a note under -v), while one given as ``--find-links`` must exist."""
    out = []
    for location in locations:
        if "://" in location or Path(location).expanduser().is_dir():
            out.append(location)
        elif note is not None:
            note(f"pip's find-links {location} is not a directory; skipped")
    return out


def _with(values: Sequence[str], where: str, origin: str) -> list[tuple[str, str]]:
    """``--with`` / ``[tool.poncho] with`` values: any PEP 508 requirement (extras, range, marker), never a URL."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for value in values:
        try:
            req = Requirement(value)
        except InvalidRequirement as exc:
            raise ConfigError(f"{where} {value!r}: not a PEP 508 requirement ({exc})") from None
        if req.url:
            raise ConfigError(f"{where} {value!r}: a direct URL cannot be locked with hashes from the index; "
                              "give a name and a version range")
        out.append((str(req), origin))
    return out


def _without(values: Sequence[str], where: Path | None) -> tuple[str, ...]:
    from packaging.utils import InvalidName, canonicalize_name

    for value in values:
        try:
            canonicalize_name(value, validate=True)
        except InvalidName:
            raise ConfigError(f"{where or '--without'}: {value!r} is not a distribution name") from None
    return tuple(values)


def _with_upgrades(constraints: dict[str, SpecifierSet], upgrades: Sequence[str]) -> dict[str, SpecifierSet]:
    """``--upgrade-package NAME==V`` moves NAME to V: a constraint on top of the others."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    out = dict(constraints)
    for item in upgrades:
        try:
            req = Requirement(item)
        except InvalidRequirement as exc:
            raise ConfigError(f"--upgrade-package {item!r}: expected NAME or NAME==VERSION ({exc})") from None
        if req.specifier:
            key = canonicalize_name(req.name)
            out[key] = out.get(key, SpecifierSet()) & req.specifier
    return out


def _check_table(project: Mapping[str, Any], pyproject: Path | None) -> dict[str, Any]:
    table = project.get("check", {})
    if not isinstance(table, dict) or set(table) - {"ignore"}:
        raise ConfigError(f"{pyproject}: [tool.poncho.check] may only hold ignore = [\"PR003\", \"PR001:NAME\"]")
    if not (isinstance(table.get("ignore", []), list) and all(isinstance(v, str) for v in table.get("ignore", []))):
        raise ConfigError(f"{pyproject}: [tool.poncho.check] ignore must be a list of strings")
    return table


def _ignores(values: Sequence[str], where: Path | None) -> tuple[str, ...]:
    """``PR003`` or ``PR001:NAME`` (NAME a distribution or module as the finding names it)."""
    from poncho.diagnostics import Code

    codes = {c.value for c in Code if c.value.startswith("PR0")}
    out = []
    for value in values:
        code, _, name = value.partition(":")
        if code not in codes or (":" in value and not name):
            raise ConfigError(f"{where or '--ignore'}: {value!r} is not a check finding to ignore; "
                              f"use one of {', '.join(sorted(codes))}, optionally with :NAME")
        out.append(value)
    return tuple(out)


def _target_parts(target: str | None, python_version: str | None, platform: str | None,
                  where: str) -> tuple[str | None, str | None]:
    """(python, platform) as given: ``cp311-manylinux_2_28_x86_64`` splits; ``3.12`` has no platform."""
    if target is None:
        return python_version or None, platform or None
    if python_version:
        raise UsageError(f"{where}: give a target or a python version, not both")
    target = target.strip()
    if target.startswith("cp") and "-" in target:
        python_tag, _, plat = target.partition("-")
        digits = python_tag[2:]
        if not (digits.isdigit() and len(digits) >= 2 and digits[0] == "3"):
            raise ConfigError(f"{where}: target {target!r}: the Python tag must look like cp311 or cp313")
        if platform and platform != plat:
            raise ConfigError(f"{where}: target {target!r} names platform {plat!r}; it cannot be combined "
                              f"with {platform!r}")
        return f"{digits[0]}.{digits[1:]}", plat
    return target, platform or None


_Part = tuple[str | None, str | None, str]  # (python, platform, where it was said)


def _target_list(targets: Sequence[str], pythons: Sequence[str], platforms: Sequence[str]) -> list[_Part]:
    """Targets from repeatable flags: every --target; else each --platform with each --python-version.
    Several platforms are several targets, never last-wins."""
    if targets:
        if pythons:
            raise UsageError("--target: give a target or a python version, not both")
        if platforms and (len(targets) > 1 or len(platforms) > 1):
            raise UsageError("--target: with several targets, name each one's platform in it "
                             "(--target cp311-macosx_11_0_arm64 --target cp311-manylinux_2_28_x86_64)")
        return [(*_target_parts(t, None, platforms[0] if platforms else None, where="--target"),
                 f"--target {t}") for t in targets]
    python_list: list[str | None] = [*pythons] or [None]
    platform_list: list[str | None] = [*platforms] or [None]
    return [(python, plat, "--python-version/--platform") for python in python_list for plat in platform_list
            if python is not None or plat is not None]


def _project_target_parts(project: Mapping[str, Any], pyproject: Path | None) -> list[_Part]:
    """``[tool.poncho]`` ``targets = [...]``, or the one ``target`` / ``python-version`` + ``platform``."""
    where = f"{pyproject}: [tool.poncho]"
    listed = _typed(project, "targets", list, pyproject)
    if listed is not None:
        if any(project.get(k) is not None for k in ("target", "python-version", "platform")):
            raise ConfigError(f"{where}: give targets = [...] or target/python-version/platform, not both")
        if not listed:
            raise ConfigError(f"{where} targets: name at least one target, e.g. [\"cp311-manylinux_2_28_x86_64\"]")
        return [(*_target_parts(t, None, None, where=f"{where} targets"), f"{where} targets") for t in listed]
    python, plat = _target_parts(_typed(project, "target", str, pyproject),
                                 _typed(project, "python-version", str, pyproject),
                                 _typed(project, "platform", str, pyproject), where=where)
    return [(python, plat, where)] if (python, plat) != (None, None) else []


def _merge_target_parts(flags: list[_Part], project: list[_Part]) -> list[_Part]:
    if not flags or not project:
        return flags or project
    if len(flags) == 1 and (len(project) == 1 or flags[0][1] is None):
        python, plat, where = flags[0]
        return [(python or p_python, plat or p_plat, where) for p_python, p_plat, _ in project]
    return flags


def _targets_of(parts: Sequence[_Part]) -> tuple[Target, ...]:
    """The Targets for ``parts``; a bad one names the flag or key that gave it (exit 2)."""
    out = []
    for python, plat, where in parts:
        try:
            target = _target_of(python, plat)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if target is not None:
            out.append(target)
    return tuple(out)


def _target_of(python: str | None, platform: str | None) -> Target | None:
    """The Target for the parts given (the missing Python is this interpreter's); None when neither is."""
    import platform as platform_mod

    if python is None and platform is None:
        return None
    from poncho.resolver.target import Target

    return Target.for_platform(python or platform_mod.python_version(), platform)

"""What import paths a wheel provides, derived from its file list alone."""

from __future__ import annotations

# Top-level directories and modules that wheels ship by accident; never importable products.
NOISE = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example",
                   "benchmarks", "benchmark", "scripts", "tools", "samples", "demo", "demos",
                   "setup", "conftest", "build", "dist", "site-packages", "bin", "test_app"})
IGNORED = frozenset({"__pycache__"})  # byte-code caches: neither a product nor noise worth reporting
EXTENSION_SUFFIXES = (".so", ".pyd")


def _strip_data_dir(name: str) -> str | None:
    """Path relative to site-packages, or None for files installed elsewhere."""
    first, _, rest = name.partition("/")
    if first.endswith(".dist-info"):
        return None
    if first.endswith(".data"):
        scheme, _, rest2 = rest.partition("/")
        return rest2 if scheme in ("purelib", "platlib") else None
    return name


def is_safe_member(name: str) -> bool:
    """False for archive names that are absolute, contain ``..`` or a drive: never trusted."""
    if not name or name.startswith("/") or "\\" in name or ":" in name.split("/", 1)[0]:
        return False
    return ".." not in name.split("/")



INIT_FILES = ("__init__.py", "__init__.pyi")


def provided_modules(names: list[str]) -> tuple[set[str], set[str]]:
    """(dotted import paths the wheel owns, top-level names skipped as noise).

    A directory without ``__init__.py`` that only holds subpackages is a
    namespace (``google/``, ``azure/``): the owned path is the first level
    below it that has an ``__init__.py`` or module files. Unsafe names
    (``../x.py``, ``/abs.py``) are ignored: nothing is ever extracted.
    """
    files: list[list[str]] = []
    for raw in names:
        if raw.endswith("/") or not is_safe_member(raw):
            continue
        name = _strip_data_dir(raw)
        if name:
            files.append(name.split("/"))
    # A directory with only an ``__init__.pyi`` (opentelemetry-sdk's ``opentelemetry/sdk/``) is a namespace
    # portion at run time, but the stub says the distribution owns that package's interface: its own path.
    dirs_with_init = {"/".join(p[:-1]) for p in files if p[-1] in INIT_FILES and len(p) > 1}
    dirs_with_modules = {"/".join(p[:-1]) for p in files if len(p) > 1 and _module_stem(p[-1])}
    provided: set[str] = set()
    skipped: set[str] = set()
    for parts in files:
        stem = _module_stem(parts[-1])
        if len(parts) == 1:
            if stem and stem.isidentifier() and stem != "__init__":
                if stem in NOISE:
                    skipped.add(stem)
                else:
                    provided.add(stem)
            continue
        top = parts[0]
        if not top.isidentifier() or top in IGNORED:
            continue
        if top in NOISE:
            skipped.add(top)
            continue
        if not stem:
            continue
        # Walk down until a directory that is a regular package or holds modules.
        for depth in range(1, len(parts)):
            d = "/".join(parts[:depth])
            if not all(p.isidentifier() for p in parts[:depth]):
                break
            if d in dirs_with_init or d in dirs_with_modules:
                provided.add(".".join(parts[:depth]))
                break
    return provided, skipped


def loose_directories(names: list[str], provided: set[str]) -> set[str]:
    """The provided paths that are directories without an ``__init__.py`` in this file list.

    A wheel that ships only ``django/utils/six.py`` provides ``django.utils``
    as such a directory: inside another distribution's regular package it owns
    its modules (``django.utils.six``), not the directory (the builder's
    :func:`~poncho.index_cache.build.store.index_rows` uses this).
    """
    inits = set()
    dirs = set()
    for raw in names:
        if raw.endswith("/") or not is_safe_member(raw):
            continue
        name = _strip_data_dir(raw)
        if not name or "/" not in name:
            continue
        parent, _, leaf = name.rpartition("/")
        dirs.add(parent)
        if leaf in INIT_FILES:
            inits.add(parent)
    return {p for p in provided if p.replace(".", "/") in dirs and p.replace(".", "/") not in inits}


def package_children(names: list[str], provided: set[str]) -> set[str]:
    """Dotted names one level below each provided package (``databricks.sdk`` below ``databricks``).

    The builder keeps them so that a package directory several distributions
    ship (a pkgutil-style namespace with an ``__init__.py`` in each) can be
    told apart by its subpackages.
    """
    owned = {tuple(p.split(".")) for p in provided}
    children: set[str] = set()
    for raw in names:
        if raw.endswith("/") or not is_safe_member(raw):
            continue
        name = _strip_data_dir(raw)
        if not name:
            continue
        parts = name.split("/")
        stem = _module_stem(parts[-1])
        if not stem:
            continue
        for depth in range(1, len(parts)):
            if tuple(parts[:depth]) in owned:
                child = parts[depth] if depth < len(parts) - 1 else stem
                if child.isidentifier() and child != "__init__" and child not in IGNORED:
                    children.add(".".join(parts[:depth] + [child]))
                break
    return children


def sdist_modules(names: list[str], project: str) -> set[str]:
    """Import paths an sdist's layout shows, for projects that publish no wheel.

    Under ``src/`` every package and module counts (the src layout is the
    import root); at the top of the sdist only packages (directories with
    ``__init__.py``) and a module named like the project do, since scripts
    such as ``setup.py`` or ``noxfile.py`` live there too. Failing both,
    packages under ``lib/`` (``package_dir={"": "lib"}``: ansible-base,
    mysql-connector) do; a ``src/`` of C files only is not an import root.
    """
    from packaging.utils import canonicalize_name

    want = {canonicalize_name(project), canonicalize_name(project.removeprefix("python-"))}
    src: list[str] = []
    lib: set[str] = set()
    provided: set[str] = set()
    for raw in names:
        if raw.endswith("/") or not is_safe_member(raw):
            continue
        parts = raw.split("/")[1:]  # below the sdist's name-version/ directory
        if len(parts) >= 2 and parts[0] == "src":
            src.append("/".join(parts[1:]))
            continue
        if len(parts) == 3 and parts[0] == "lib" and parts[2] == "__init__.py" and parts[1].isidentifier():
            lib.add(parts[1])
        if len(parts) == 2 and parts[1] == "__init__.py" and parts[0].isidentifier() and parts[0] not in NOISE:
            provided.add(parts[0])
        elif len(parts) == 1:
            stem = _module_stem(parts[0])
            if stem and stem.isidentifier() and canonicalize_name(stem) in want:
                provided.add(stem)
    in_src = provided_modules(src)[0] if src else set()
    if in_src:
        return in_src
    if lib:
        provided.discard("lib")  # lib/__init__.py beside lib/pkg/__init__.py: lib/ is the root, not a package
    return provided or {p for p in lib if p not in NOISE and p not in IGNORED}


def pth_members(names: list[str]) -> list[str]:
    """The ``.pth`` files a wheel installs into site-packages."""
    out = []
    for raw in names:
        if raw.endswith(".pth") and is_safe_member(raw):
            rel = _strip_data_dir(raw)
            if rel and "/" not in rel:
                out.append(raw)
    return out


def pth_directories(text: str) -> list[str]:
    """Directories a ``.pth`` file puts on ``sys.path``, relative to site-packages.

    Comments and ``import`` lines are skipped, and so is any path that is
    absolute or climbs out (``..``): only directories inside the wheel count.
    """
    dirs = []
    for line in text.splitlines():
        line = line.strip().replace("\\", "/").rstrip("/")
        if not line or line.startswith(("#", "import ", "import\t")):
            continue
        if is_safe_member(line):
            dirs.append(line)
    return dirs


def modules_on_extra_paths(names: list[str], roots: list[str]) -> set[str]:
    """Top-level modules and regular packages found in ``roots`` (the ``.pth`` directories).

    ``pywin32`` puts ``win32/`` and ``win32/lib/`` on ``sys.path``, which is how
    ``import win32api`` and ``import pywintypes`` work. Only modules directly in
    such a directory and packages with an ``__init__.py`` count: a plain
    subdirectory there is not meant to be imported.
    """
    found: set[str] = set()
    files = []
    for raw in names:
        if raw.endswith("/") or not is_safe_member(raw):
            continue
        rel = _strip_data_dir(raw)
        if rel:
            files.append(rel)
    for root in roots:
        prefix = root + "/"
        for rel in files:
            if not rel.startswith(prefix):
                continue
            parts = rel[len(prefix):].split("/")
            stem = _module_stem(parts[-1])
            if len(parts) == 1 and stem and stem.isidentifier() and stem != "__init__":
                found.add(stem)
            elif len(parts) == 2 and parts[1] == "__init__.py" and parts[0].isidentifier():
                found.add(parts[0])
    return {m for m in found if m not in NOISE and m not in IGNORED}


def _module_stem(filename: str) -> str | None:
    if filename.endswith(".py"):
        return filename[:-3]
    if filename.endswith(EXTENSION_SUFFIXES):
        return filename.split(".", 1)[0]
    return None

"""A lock that installs: platform-only projects get markers, uninstallable ones are left out, sdists are
flagged (or refused with --only-binary), older wheels and binary variants are preferred.

Every test runs the real CLI against the loopback index with real wheels whose
tags say which platform they are for (``win_amd64``, ``macosx_11_0_arm64``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from venvs import make_venv, run

from poncho.lock.parse import read_lock
from poncho.lock.records import Artifact, Lock, LockEntry
from support.cli import run as poncho
from support.wheels import build_sdist, build_wheel

LINUX = "cp311-manylinux_2_28_x86_64"
WINDOWS = "cp311-win_amd64"


def _app(tmp_path: Path, files: dict[str, str]) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    for name, text in files.items():
        (app / name).write_text(text)
    return app


def _serve_platform_only(server, w: Path) -> None:
    """pywin32 (Windows wheels only), pyobjc-core (macOS wheels only) and a pure helper."""
    server.add(build_wheel(w, "pywin32", "306", tag="cp311-cp311-win_amd64",
                           files={"win32/win32api.py": "", "win32api.py": ""}))
    server.add(build_wheel(w, "pywin32", "306", tag="cp311-cp311-win32", files={"win32api.py": ""}))
    server.add(build_wheel(w, "pyobjc-core", "10.3", tag="cp311-cp311-macosx_11_0_arm64", files={"objc/__init__.py": ""}))
    server.add(build_wheel(w, "tinyutil", "1.0", files={"tinyutil/__init__.py": "VALUE = 42\n"}))


PLATFORM_APP = {
    "main.py": (
        "import tinyutil\n"
        "\n"
        "def user_dirs():\n"
        "    from win32api import GetUserName  # a vendored appdirs pattern\n"
        "    return GetUserName()\n"
        "\n"
        "def mac_bits():\n"
        "    import objc\n"
        "    return objc\n"
        "\n"
        "print(tinyutil.VALUE)\n"
    ),
}


def test_platform_only_projects_get_markers_and_the_lock_still_builds(index_server, tmp_path):
    _serve_platform_only(index_server, tmp_path / "w")
    app = _app(tmp_path, PLATFORM_APP)
    maps = ["--map", "tinyutil=tinyutil"]
    proc = poncho("main.py", "-o", "env.lock", "--target", LINUX, "--index-url", index_server.url, *maps, cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    assert "tinyutil==1.0" in text
    assert "pywin32==" not in text and "pyobjc-core==" not in text
    assert '# left-out: pywin32; sys_platform == "win32"' in text
    assert '# left-out: pyobjc-core; sys_platform == "darwin"' in text
    assert "main.py:4" in text  # the header note names the import site
    assert "PR311" in proc.stderr and "pywin32" in proc.stderr
    # check agrees: a Windows-only import is not missing from a Linux lock.
    checked = poncho("check", "main.py", "--lock", "env.lock", "--index-url", index_server.url, *maps, cwd=app)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # For Windows the same code locks pywin32 (the marker is inferred, not a blanket exclusion).
    win = poncho("main.py", "--target", WINDOWS, "--index-url", index_server.url, *maps, cwd=app)
    assert win.returncode == 0, win.stderr
    assert "pywin32==306" in win.stdout and "left-out: pyobjc-core" in win.stdout


def test_a_requirement_nothing_installs_is_left_out_warned_and_found_by_check(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "oldlib", "1.0", tag="py2-none-any"))  # Python 2 only: nothing for 3.11
    index_server.add(build_wheel(w, "tinyutil", "1.0"))
    app = _app(tmp_path, {"main.py": "import tinyutil\nimport oldlib\n"})
    maps = ["--map", "oldlib=oldlib", "--map", "tinyutil=tinyutil", "--index-url", index_server.url]
    proc = poncho("main.py", "-o", "env.lock", "--target", LINUX, *maps, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "warning: PR312" in proc.stderr and "main.py:2" in proc.stderr
    text = (app / "env.lock").read_text()
    assert "tinyutil==1.0" in text and "oldlib==" not in text
    assert "# left-out: oldlib\n" in text
    assert "# NOTE: left out: oldlib has no release installable" in text and "main.py:2" in text
    checked = poncho("check", "main.py", "--lock", "env.lock", *maps, cwd=app)
    assert checked.returncode == 1 and "PR009" in checked.stdout + checked.stderr
    assert "PR001" not in checked.stdout + checked.stderr
    ignored = poncho("check", "main.py", "--lock", "env.lock", "--ignore", "PR009", *maps, cwd=app)
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    strict = poncho("main.py", "-o", "strict.lock", "--target", LINUX, "--strict", *maps, cwd=app)
    assert strict.returncode == 5 and "oldlib" in strict.stderr
    assert not (app / "strict.lock").exists()


def test_a_real_conflict_between_installable_requirements_still_fails(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "left", "1.0", requires_dist=["shared<2"]))
    index_server.add(build_wheel(w, "right", "1.0", requires_dist=["shared>=2"]))
    index_server.add(build_wheel(w, "shared", "1.0"))
    index_server.add(build_wheel(w, "shared", "2.0"))
    app = _app(tmp_path, {"main.py": "import left\nimport right\n"})
    proc = poncho("main.py", "--target", LINUX, "--index-url", index_server.url, "--map", "left=left",
                  "--map", "right=right", cwd=app)
    assert proc.returncode == 5, proc.stderr
    assert "shared" in proc.stderr and "PR312" not in proc.stderr


COMPILED = "cp311-cp311-manylinux_2_17_x86_64"  # a wheel with C code: the project's sdist needs a compiler


def _serve_sdists(server, w: Path) -> None:
    server.add(build_wheel(w, "fastcalc", "1.5", tag=COMPILED))
    server.add(build_sdist(w, "fastcalc", "2.0"))  # newest is an sdist only: the older wheel is preferred
    server.add(build_sdist(w, "buildme", "1.0"))  # no wheel anywhere: flagged
    server.add(build_wheel(w, "toplib", "1.0", requires_dist=["deplib"]))
    server.add(build_wheel(w, "deplib", "2.0", tag=COMPILED))
    server.add(build_sdist(w, "deplib", "3.0"))  # a transitive sdist-only newest: its older wheel is preferred


SDIST_APP = {"main.py": "import fastcalc\nimport buildme\nimport toplib\n"}
SDIST_MAPS = ("--map", "fastcalc=fastcalc", "--map", "buildme=buildme", "--map", "toplib=toplib")


def test_sdist_only_pins_are_flagged_and_older_wheels_preferred(index_server, tmp_path):
    _serve_sdists(index_server, tmp_path / "w")
    app = _app(tmp_path, SDIST_APP)
    proc = poncho("main.py", "-o", "env.lock", "--target", LINUX, "--index-url", index_server.url, *SDIST_MAPS,
                  cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    assert "fastcalc==1.5" in text and "deplib==2.0" in text and "buildme==1.0" in text
    assert "PR314" in proc.stderr and "fastcalc" in proc.stderr and "deplib" in proc.stderr
    assert "warning: PR313" in proc.stderr and "buildme 1.0" in proc.stderr
    assert "# NOTE: built from an sdist at install time (no wheel for the target): buildme 1.0" in text
    assert "# NOTE: fastcalc 2.0 is an sdist only" in text


def _haystack_app(index_server, tmp_path) -> Path:
    """django-haystack's shape: pure ``haystack`` 3.4.0 as an sdist only, 3.1.1 as a wheel; ``toplib`` needs
    ``deplib``, whose newest release is an sdist too. The app imports haystack and toplib."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "haystack", "3.1.1"))
    index_server.add(build_sdist(w, "haystack", "3.4.0"))
    index_server.add(build_wheel(w, "toplib", "1.0", requires_dist=["deplib"]))
    index_server.add(build_wheel(w, "deplib", "2.0", tag="py2.py3-none-any"))
    index_server.add(build_sdist(w, "deplib", "3.0"))
    return _app(tmp_path, {"main.py": "import haystack\nimport toplib\n"})


def test_a_pure_projects_newest_sdist_is_kept_not_an_older_wheel(index_server, tmp_path):
    """django-haystack 3.4.0 (sdist only) and 3.1.1 (py3-none-any): a pure sdist builds anywhere, so the newest
    release is locked and flagged, directly and as a dependency."""
    app = _haystack_app(index_server, tmp_path)
    proc = poncho("main.py", "--target", LINUX, "--index-url", index_server.url, "--map", "haystack=haystack",
                  "--map", "toplib=toplib", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "haystack==3.4.0" in proc.stdout and "deplib==3.0" in proc.stdout
    assert "PR314" not in proc.stderr and "warning: PR313" in proc.stderr
    assert "haystack 3.4.0 is an sdist only; kept, not 3.1.1" in proc.stderr


def test_a_pure_project_the_resolver_walked_back_from_gets_its_older_wheel(index_server, tmp_path):
    """cheat.sh's `public`: the newest sdist (2020.12.3) has dynamic metadata, so the resolver walks back to the
    2020.7.1 sdist (whose build installs as version 0.0.0). With the newest release out of reach, an older
    sdist has no newest code to offer: the 2019.3.22 wheel is locked, with a PR314 note."""
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "public", "2019.3.22"))
    index_server.add(build_sdist(w, "public", "2020.7.1"))
    index_server.add(build_sdist(w, "public", "2020.12.3", metadata_version="2.1"))  # nothing static: unusable
    app = _app(tmp_path, {"main.py": "import public\n"})
    proc = poncho("main.py", "--target", LINUX, "--index-url", index_server.url, "--map", "public=public", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "public==2019.3.22" in proc.stdout, proc.stdout
    assert "PR314" in proc.stderr


def test_only_binary_makes_any_sdist_an_error_flag_and_pyproject(index_server, tmp_path):
    _serve_sdists(index_server, tmp_path / "w")
    app = _app(tmp_path, SDIST_APP)
    common = ("--target", LINUX, "--index-url", index_server.url, *SDIST_MAPS)
    proc = poncho("main.py", "-o", "env.lock", "--only-binary", *common, cwd=app)
    assert proc.returncode == 5 and "buildme 1.0" in proc.stderr, proc.stderr
    assert not (app / "env.lock").exists()
    (app / "pyproject.toml").write_text("[tool.poncho]\nonly-binary = true\n")
    proc = poncho("main.py", *common, cwd=app)
    assert proc.returncode == 5 and "--only-binary" in proc.stderr, proc.stderr
    (app / "main.py").write_text("import fastcalc\nimport toplib\n")  # every pin has a wheel now
    proc = poncho("main.py", *common, cwd=app)
    assert proc.returncode == 0 and "fastcalc==1.5" in proc.stdout, proc.stderr
    (app / "pyproject.toml").write_text("[tool.poncho]\nonly-binary = 'yes'\n")
    assert poncho("main.py", *common, cwd=app).returncode == 2  # a mistyped value is an error, never ignored


def _tag() -> str:
    v = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return f"{v}-{v}-manylinux_2_17_x86_64"


def test_binary_variant_replaces_an_sdist_only_project(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_sdist(w, "psycopg2", "2.9.10"))
    index_server.add(build_wheel(w, "psycopg2-binary", "2.9.10", tag="cp311-cp311-manylinux_2_17_x86_64",
                                 files={"psycopg2/__init__.py": "BINARY = True\n"}))
    index_server.add(build_wheel(w, "psycopg2-binary", "2.9.11", tag="cp311-cp311-manylinux_2_17_x86_64",
                                 files={"psycopg2/__init__.py": "BINARY = True\n"}))
    app = _app(tmp_path, {"db.py": "import psycopg2\n"})
    maps = ("--map", "psycopg2=psycopg2", "--index-url", index_server.url)
    (app / "constraints.txt").write_text("psycopg2<2.9.11\n")
    proc = poncho("db.py", "-o", "env.lock", "--target", LINUX, "-c", "constraints.txt", *maps, cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    # The plain requirement's specifier carries over to the variant (versions follow one another).
    assert "psycopg2-binary==2.9.10" in text and "\npsycopg2==" not in text
    assert "# via db.py:1" in text
    assert "# variant: psycopg2 -> psycopg2-binary" in text
    assert "PR315" in proc.stderr and "PR313" not in proc.stderr
    checked = poncho("check", "db.py", "--lock", "env.lock", "-c", "constraints.txt", *maps, cwd=app)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("fmt", ["requirements", "pylock", "json"])
def test_left_out_and_variants_survive_every_format_that_check_reads(tmp_path, fmt):
    lock = Lock(entries=(LockEntry("psycopg2-binary", "2.9.10", (Artifact("psycopg2_binary-2.9.10-py3-none-any.whl",
                                                                          "https://x/p.whl", "a" * 64),),
                                   True, ("db.py:1",)),),
                python="3.11.0", implementation="cpython", platform="manylinux_2_28_x86_64", tool_version="0",
                input_digest="sha256:" + "0" * 64, index_urls=("https://x/simple/",),
                left_out=('pywin32; sys_platform == "win32"', "oldlib"), variants=("psycopg2 -> psycopg2-binary",))
    path = lock.write(tmp_path / {"requirements": "env.lock", "pylock": "pylock.toml", "json": "lock.json"}[fmt],
                      fmt)
    locked = read_lock(path)
    assert locked.left_out == {"pywin32": 'sys_platform == "win32"', "oldlib": None}
    assert locked.variants == {"psycopg2": "psycopg2-binary"}


@pytest.mark.slow
def test_a_lock_with_left_out_and_variant_entries_installs_and_runs(index_server, tmp_path):
    """End to end on this machine: pip --require-hashes installs the lock, the program imports and runs."""
    w = tmp_path / "w"
    _serve_platform_only(index_server, w)
    index_server.add(build_sdist(w, "psycopg2", "2.9.10"))
    index_server.add(build_wheel(w, "psycopg2-binary", "2.9.10", tag=_tag(),
                                 files={"psycopg2/__init__.py": "BINARY = True\n"}))
    files = dict(PLATFORM_APP)
    files["main.py"] = files["main.py"].replace("print(tinyutil.VALUE)", "import psycopg2\nprint(tinyutil.VALUE, psycopg2.BINARY)")
    app = _app(tmp_path, files)
    proc = poncho("main.py", "-o", "env.lock", "--index-url", index_server.url, "--map", "tinyutil=tinyutil",
                  "--map", "psycopg2=psycopg2", cwd=app)
    assert proc.returncode == 0, proc.stderr
    python = make_venv(tmp_path / "venv")
    inst = run([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url",
                index_server.url, "-r", str(app / "env.lock")])
    assert inst.returncode == 0, inst.stdout + inst.stderr
    out = run([str(python), str(app / "main.py")])
    assert out.returncode == 0 and out.stdout.split() == ["42", "True"], out.stderr


def test_psycopg_locks_its_binary_extra_when_the_target_has_a_wheel_for_it(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "psycopg", "3.2.3", extras=["binary"],
                                 requires_dist=['psycopg-binary==3.2.3; extra == "binary"']))
    index_server.add(build_wheel(w, "psycopg-binary", "3.2.3", tag="cp311-cp311-manylinux_2_17_x86_64",
                                 files={"psycopg_binary/__init__.py": ""}))
    app = _app(tmp_path, {"db.py": "import psycopg\n"})
    maps = ("--map", "psycopg=psycopg", "--index-url", index_server.url)
    proc = poncho("db.py", "-o", "env.lock", "--target", LINUX, *maps, cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    assert "psycopg[binary]==3.2.3" in text and "psycopg-binary==3.2.3" in text and "PR315" in proc.stderr
    assert poncho("check", "db.py", "--lock", "env.lock", *maps, cwd=app).returncode == 0
    # Where the binary part has no wheel (Windows here), the plain pure-Python wheel is locked alone.
    win = poncho("db.py", "--target", WINDOWS, *maps, cwd=app)
    assert win.returncode == 0 and "psycopg==3.2.3" in win.stdout and "psycopg-binary" not in win.stdout


def test_the_shipped_variant_table_is_well_formed():
    from poncho.resolver.installable import load_variants

    variants = load_variants()
    assert variants["psycopg2"].binary.name == "psycopg2-binary" and not variants["psycopg2"].always
    assert variants["psycopg"].binary.extras == {"binary"} and variants["psycopg"].wheel_of == "psycopg-binary"
    assert all(v.why for v in variants.values())


def test_an_older_wheel_that_does_not_fit_is_not_forced(index_server, tmp_path):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "toplib", "1.0", requires_dist=["deplib>=3"]))
    index_server.add(build_wheel(w, "deplib", "2.0"))
    index_server.add(build_sdist(w, "deplib", "3.0"))
    app = _app(tmp_path, {"main.py": "import toplib\n"})
    proc = poncho("main.py", "--target", LINUX, "--index-url", index_server.url, "--map", "toplib=toplib", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "deplib==3.0" in proc.stdout and "PR314" not in proc.stderr and "warning: PR313" in proc.stderr


def test_only_binary_prefers_a_pure_projects_older_wheel(index_server, tmp_path):
    """A pure project keeps its newest sdist by default, but ``--only-binary`` would reject that sdist:
    the older wheel is preferred instead, directly and as a dependency, even after a run that cached the
    sdist pins."""
    app = _haystack_app(index_server, tmp_path)
    common = ("main.py", "--target", LINUX, "--index-url", index_server.url, "--map", "haystack=haystack",
              "--map", "toplib=toplib")
    plain = poncho(*common, cwd=app)  # the default: newest sdists kept (and the resolution cached)
    assert plain.returncode == 0 and "haystack==3.4.0" in plain.stdout, plain.stderr
    proc = poncho(*common, "--only-binary", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "haystack==3.1.1" in proc.stdout and "deplib==2.0" in proc.stdout
    assert "PR314" in proc.stderr and "kept, not" not in proc.stderr

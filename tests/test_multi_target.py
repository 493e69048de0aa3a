"""Several targets in one lock (a universal lock): pins agree where they can and split by markers where not.

The loopback index serves ``fastlib`` whose newest release (2.0) has no
aarch64 wheel, so a lock for x86_64 Linux, aarch64 Linux and arm64 macOS must
pin 2.0 on two machines and 1.0 on the third; ``sharedcore`` is one pure wheel
for everyone; ``macdep`` is a dependency on macOS only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.pylock import Pylock
from venvs import make_venv
from venvs import run as run_tool

from poncho.config import load_options
from poncho.errors import ResolutionConflict
from poncho.lock.json_lock import load
from poncho.lock.json_lock import render as render_json
from poncho.lock.parse import read_lock
from poncho.resolver.target import Target
from poncho.resolver.universal import selecting_marker
from support.cli import run
from support.wheels import build_wheel

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

X86, ARM, MAC = "cp311-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64", "cp311-macosx_11_0_arm64"
THREE = ("--target", X86, "--target", ARM, "--target", MAC)
UV = Path(sys.executable).with_name("uv")


def _fastlib(dest: Path, version: str, platforms: list[str]) -> list[Path]:
    return [build_wheel(dest, "fastlib", version, tag=f"py3-none-{plat}",
                        requires_dist=["sharedcore>=1", 'macdep; sys_platform == "darwin"'],
                        files={"fastlib/__init__.py": f"import sharedcore\nVERSION = {version!r}\n"})
            for plat in platforms]


@pytest.fixture
def three(tmp_path, index_server):
    """A project importing fastlib, and the index above."""
    w = tmp_path / "wheels"
    for path in [*_fastlib(w, "2.0", ["manylinux_2_28_x86_64", "macosx_11_0_arm64"]),
                 *_fastlib(w, "1.0", ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64"]),
                 build_wheel(w, "sharedcore", "1.0", files={"sharedcore/__init__.py": "OK = True\n"}),
                 build_wheel(w, "macdep", "1.0", files={"macdep/__init__.py": ""})]:
        index_server.add(path)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "job.py").write_text("import fastlib\n\nprint(fastlib.VERSION)\n")
    return root


def _lock(root: Path, url: str, *args: str, output: str = "env.lock") -> str:
    proc = run("job.py", "-o", output, "--index-url", url, *args, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return (root / output).read_text()


def _entries(text: str) -> dict[str, str | None]:
    """'name==version' -> marker, from a requirements lock."""
    out: dict[str, str | None] = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            spec, _, marker = line.rstrip(" \\").partition(" ; ")
            out[spec] = marker or None
    return out


def _hashes(text: str) -> dict[str, set[str]]:
    """'name==version' -> the sha256s its entry lists."""
    out: dict[str, set[str]] = {}
    spec = ""
    for line in text.splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            spec = line.partition(" ")[0]
            out[spec] = set()
        elif line.strip().startswith("--hash=sha256:"):
            out[spec].add(line.strip().split(":", 1)[1].rstrip(" \\"))
    return out


def test_the_python_of_a_target_is_its_minor_unless_a_patch_is_pinned():
    minor, pinned = Target.for_platform("3.11", "manylinux_2_28_x86_64"), Target.for_platform("3.11.2")
    assert (minor.python, minor.describe()) == ("3.11", "cpython 3.11 on manylinux_2_28_x86_64")
    assert pinned.python == "3.11.2"
    needs_patch = Marker('python_full_version >= "3.11.4"')
    assert minor.evaluate(needs_patch) and not pinned.evaluate(needs_patch)  # some 3.11.x needs it: locked
    assert minor.evaluate(Marker('python_full_version == "3.11.5"'))
    assert not minor.evaluate(Marker('python_full_version >= "3.12"'))
    assert not minor.allows_python(">=3.11.4")  # must run on every 3.11.x, 3.11.0 included
    assert not minor.allows_python("<3.11.5") and minor.allows_python(">=3.11,<3.12")
    assert pinned.allows_python("<3.11.5")
    assert Target.current().python == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_a_selecting_marker_uses_the_fewest_variables_and_refuses_twins():
    targets = [Target.for_platform(p, plat) for p, plat in
               (("3.11", "manylinux_2_28_x86_64"), ("3.11", "manylinux_2_28_aarch64"), ("3.11", "macosx_11_0_arm64"),
                ("3.13", "manylinux_2_28_x86_64"))]
    assert selecting_marker(targets, [1]) == 'platform_machine == "aarch64"'
    assert selecting_marker(targets, [2]) == 'sys_platform == "darwin"'
    assert selecting_marker(targets, [3]) == 'python_version == "3.13"'
    both = selecting_marker(targets, [0, 3])
    assert both == 'platform_machine == "x86_64"'
    assert selecting_marker(targets, [0]) == 'platform_machine == "x86_64" and python_version == "3.11"'
    for i, t in enumerate(targets):  # true on exactly the chosen ones
        assert t.evaluate(Marker(both)) == (i in (0, 3))
        assert t.evaluate(Marker(selecting_marker(targets, [1, 2]))) == (i in (1, 2))
    twins = [Target.for_platform("3.11", "manylinux_2_17_x86_64"), Target.for_platform("3.11", "manylinux_2_28_x86_64")]
    with pytest.raises(ResolutionConflict, match="no PEP 508 marker tells"):
        selecting_marker(twins, [0], "fastlib")


def test_repeated_platform_and_project_targets_are_all_targets(tmp_path):
    opts = load_options([], platforms=["manylinux_2_28_x86_64", "macosx_11_0_arm64"], python_versions=["3.12"],
                        use_pip_config=False)
    assert [t.describe() for t in opts.targets] == ["cpython 3.12 on manylinux_2_28_x86_64",
                                                    "cpython 3.12 on macosx_11_0_arm64"]
    assert opts.target == opts.targets[0]  # single-target callers see the first
    two = load_options([], python_versions=["3.9", "3.13"], use_pip_config=False)
    assert [t.python for t in two.targets] == ["3.9", "3.13"]
    (tmp_path / "pyproject.toml").write_text(f'[tool.poncho]\ntargets = ["{X86}", "{MAC}"]\n')
    (tmp_path / "job.py").write_text("import fastlib\n")
    project = load_options([tmp_path / "job.py"], use_pip_config=False)
    assert [t.tag for t in project.targets] == [X86, MAC]
    # One Python flag applies to every project target; full targets on the command line replace them.
    newer = load_options([tmp_path / "job.py"], python_version="3.13", use_pip_config=False)
    assert [t.tag for t in newer.targets] == ["cp313-manylinux_2_28_x86_64", "cp313-macosx_11_0_arm64"]
    flags = load_options([tmp_path / "job.py"], targets=[ARM], use_pip_config=False)
    assert [t.tag for t in flags.targets] == [ARM]


@pytest.mark.parametrize(("args", "pyproject", "names"), [
    (("--target", X86, "--target", "cp311-plan9_mips"), None, "--target cp311-plan9_mips"),
    (("--platform", "manylinux_2_28_x86_64", "--platform", "amiga_68k"), None, "--python-version/--platform"),
    (("--target", X86, "--target", MAC, "--platform", "win_amd64"), None, "--target"),
    ((), '[tool.poncho]\ntargets = ["cp311-win_amd64", "cp3x-linux"]\n', "[tool.poncho] targets"),
    ((), '[tool.poncho]\ntargets = ["cp311-win_amd64"]\nplatform = "win_amd64"\n', "[tool.poncho]"),
    ((), '[tool.poncho]\ntargets = "cp311-win_amd64"\n', "targets must be a list"),
])
def test_a_bad_target_names_its_flag_or_key_and_exits_2(tmp_path, args, pyproject, names):
    (tmp_path / "job.py").write_text("import json\n")
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    proc = run("job.py", "--no-resolve", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert names in proc.stderr and "Traceback" not in proc.stderr


def test_three_targets_agree_where_they_can_and_split_where_they_cannot(three, index_server):
    text = _lock(three, index_server.url, *THREE)
    assert [ln for ln in text.splitlines() if ln.startswith("# target:")] == [
        "# target: cpython 3.11 on manylinux_2_28_x86_64", "# target: cpython 3.11 on manylinux_2_28_aarch64",
        "# target: cpython 3.11 on macosx_11_0_arm64"]
    assert _entries(text) == {
        "sharedcore==1.0": None,  # one version serves every target: no marker
        "fastlib==2.0": 'platform_machine == "arm64" or platform_machine == "x86_64"',
        "fastlib==1.0": 'platform_machine == "aarch64"',  # 2.0 has no aarch64 wheel
        "macdep==1.0": 'sys_platform == "darwin"',
    }
    served = {f.filename: f.sha256 for f in index_server.files.values()}
    assert _hashes(text)["fastlib==2.0"] == {  # every served target's file of the version, each once
        served[f"fastlib-2.0-py3-none-{plat}.whl"] for plat in ("manylinux_2_28_x86_64", "macosx_11_0_arm64")}
    assert _hashes(text)["fastlib==1.0"] == {served["fastlib-1.0-py3-none-manylinux_2_28_aarch64.whl"]}
    locked = read_lock(three / "env.lock")
    assert locked.targets_parts == [("3.11", "manylinux_2_28_x86_64"), ("3.11", "manylinux_2_28_aarch64"),
                                    ("3.11", "macosx_11_0_arm64")]
    assert sorted(e.version for e in locked.all_entries if e.key == "fastlib") == ["1.0", "2.0"]
    # check takes every target from the header: up to date here, with no flags.
    ok = run("check", "job.py", "--lock", "env.lock", cwd=three)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_repeated_platforms_and_project_targets_lock_every_target(three, index_server):
    both = {"fastlib==2.0": 'platform_machine == "x86_64"', "fastlib==1.0": 'platform_machine == "aarch64"',
            "sharedcore==1.0": None}
    text = _lock(three, index_server.url, "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                 "--platform", "manylinux_2_28_aarch64", "--no-cache")
    # No HTTP cache: one shared repository still reads each page, and a pure wheel's metadata, once.
    assert len([r for r in index_server.log if r[1].startswith("/simple/sharedcore")]) == 1
    assert len(index_server.requests_for("sharedcore-1.0-py3-none-any.whl.metadata")) == 1
    assert _entries(text) == both and text.count("# target: cpython 3.11 on manylinux_2_28_") == 2
    (three / "pyproject.toml").write_text(f'[tool.poncho]\ntargets = ["{X86}", "{ARM}"]\n')
    assert _lock(three, index_server.url, output="project.lock") == text  # the same lock from the project table


def test_no_version_for_one_target_is_left_out_there_and_twins_that_need_two_are_conflicts(three, index_server,
                                                                                          tmp_path):
    index_server.add(build_wheel(tmp_path / "w", "x86only", "1.0", tag="py3-none-manylinux_2_28_x86_64"))
    (three / "job.py").write_text("import fastlib\nimport x86only\n")
    # An inferred requirement no release of which installs on a target is left out there (issue 9), not a
    # conflict: locked for x86_64 alone, by a marker; --strict makes it exit 5, naming the target.
    proc = run("job.py", "--index-url", index_server.url, *THREE, "--map", "x86only=x86only", "-o", "x.lock",
               cwd=three)
    assert proc.returncode == 0, proc.stderr
    assert "PR312" in proc.stderr and "x86only has no release installable on cpython 3.11 on " \
        "manylinux_2_28_aarch64" in proc.stderr
    (entry,) = [line for line in (three / "x.lock").read_text().splitlines() if line.startswith("x86only==1.0")]
    assert 'platform_machine == "x86_64"' in entry
    proc = run("job.py", "--index-url", index_server.url, *THREE, "--map", "x86only=x86only", "--strict",
               cwd=three)
    assert proc.returncode == 5 and "on cpython 3.11 on manylinux_2_28_aarch64" in proc.stderr, proc.stderr
    (three / "job.py").write_text("import fastlib\n")
    # fastlib 2.0's x86_64 wheel needs glibc 2.28: a manylinux_2_17 machine gets 1.0, which no marker separates.
    index_server.add(build_wheel(tmp_path / "w", "fastlib", "1.0", tag="py3-none-manylinux_2_17_x86_64",
                                 requires_dist=["sharedcore>=1"]))
    twins = ("--target", "cp311-manylinux_2_28_x86_64", "--target", "cp311-manylinux_2_17_x86_64")
    proc = run("job.py", "--index-url", index_server.url, *twins, "--no-cache", cwd=three)
    assert proc.returncode == 5 and "fastlib: the targets need different versions, but no PEP 508 marker tells " \
        "cpython 3.11 on manylinux_2_28_x86_64 apart from cpython 3.11 on manylinux_2_17_x86_64" in proc.stderr
    text = _lock(three, index_server.url, *twins[2:], *twins[:2], "--no-cache")  # the older platform first: agree
    assert _entries(text)["fastlib==1.0"] is None


def test_the_printed_relock_command_keeps_every_target(three, index_server):
    import shlex

    _lock(three, index_server.url, *THREE)
    (three / "job.py").write_text("import fastlib\nimport sharedcore\n")
    proc = run("check", "job.py", "--lock", "env.lock", cwd=three)
    assert proc.returncode == 1 and "PR002 sharedcore" in proc.stdout, proc.stdout
    line = next(ln for ln in proc.stderr.splitlines() if "re-lock with: " in ln)
    argv = shlex.split(line.partition("re-lock with: ")[2])
    assert [a for a in argv if a.startswith("cp311-")] == [X86, ARM, MAC]
    assert run(*argv[1:], cwd=three).returncode == 0
    relocked = (three / "env.lock").read_text()
    assert relocked == _lock(three, index_server.url, *THREE, output="fresh.lock")  # byte for byte
    assert run("check", "job.py", "--lock", "env.lock", cwd=three).returncode == 0


def test_a_hand_edit_of_a_split_lock_is_checked_on_every_target(three, index_server):
    text = _lock(three, index_server.url, *THREE)
    edited = _without_entry(text, "sharedcore==1.0")  # removed by hand
    (three / "env.lock").write_text(edited)
    proc = run("check", "job.py", "--lock", "env.lock", cwd=three)
    unmet = [ln for ln in proc.stdout.splitlines() if ln.startswith("PR006")]
    # Each version of the split pin is judged on the targets its marker selects.
    two, one = _line_of(edited, "fastlib==2.0"), _line_of(edited, "fastlib==1.0")
    assert proc.returncode == 1 and sorted(unmet) == sorted(
        f"PR006 fastlib: fastlib {version} requires sharedcore>=1 on cpython 3.11 on {plat}, which the lock does not "
        f"contain (env.lock:{line})" for version, plat, line in (
            ("1.0", "manylinux_2_28_aarch64", one), ("2.0", "manylinux_2_28_x86_64", two),
            ("2.0", "macosx_11_0_arm64", two))), proc.stdout


def _without_entry(text: str, start: str) -> str:
    out, skipping = [], False
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            skipping = line.startswith(start)
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def _line_of(text: str, start: str) -> int:
    return next(n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith(start))


def test_a_requirement_for_one_target_only_is_checked_on_that_target(three, index_server):
    (three / "job.py").write_text("import sys\nimport fastlib\n\nif sys.platform == 'darwin':\n    import sharedcore\n")
    text = _lock(three, index_server.url, "--target", X86, "--target", MAC)
    assert _entries(text)["sharedcore==1.0"] is None  # fastlib needs it everywhere anyway
    (three / "job.py").write_text("import sys\nimport fastlib\n\nif sys.platform == 'darwin':\n    import macdep\n")
    proc = run("check", "job.py", "--lock", "env.lock", "--index-url", index_server.url, cwd=three)
    assert proc.returncode == 1 and "PR002 macdep" in proc.stdout  # applies on the macOS target
    linux_only = _lock(three, index_server.url, "--target", X86, output="linux.lock")
    assert not any(k.startswith("macdep") for k in _entries(linux_only))
    proc = run("check", "job.py", "--lock", "linux.lock", "--index-url", index_server.url, cwd=three)
    assert proc.returncode == 0, proc.stdout  # a darwin-only import is not missing from a Linux-only lock


def test_later_targets_take_the_first_targets_versions_wherever_they_serve(tmp_path, index_server):
    """tool 2.0 needs Python >= 3.10 and shared 3.0 >= 3.12: the first target gets the newest that serve it,
    the others the same versions where those serve them, else their own newest, behind a marker."""
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "tool", "2.0", requires_python=">=3.10", requires_dist=["shared"]))
    index_server.add(build_wheel(w, "tool", "1.5", requires_dist=["shared"]))
    index_server.add(build_wheel(w, "shared", "3.0", requires_python=">=3.12"))
    index_server.add(build_wheel(w, "shared", "2.0"))
    (tmp_path / "job.py").write_text("import tool\n")
    cp39, cp313 = "cp39-manylinux_2_28_x86_64", "cp313-manylinux_2_28_x86_64"
    assert _entries(_lock(tmp_path, index_server.url, "--target", cp39, "--target", cp313)) == {
        "shared==2.0": None, "tool==1.5": None}  # what cp39 chose serves cp313 too: one version each
    assert _entries(_lock(tmp_path, index_server.url, "--target", cp313, "--target", cp39, "-U")) == {
        "shared==3.0": 'python_version == "3.13"', "shared==2.0": 'python_version == "3.9"',
        "tool==2.0": 'python_version == "3.13"', "tool==1.5": 'python_version == "3.9"'}


def test_a_relock_keeps_each_targets_pin_of_a_split_entry(three, index_server, tmp_path):
    """Each target keeps the version its own entry pins; -P moves the pin on every target."""
    _lock(three, index_server.url, *THREE, "--no-cache")
    w = tmp_path / "newer"
    for path in [*_fastlib(w, "2.1", ["manylinux_2_28_x86_64", "macosx_11_0_arm64"]),
                 *_fastlib(w, "1.1", ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64"])]:
        index_server.add(path)
    kept = _entries(_lock(three, index_server.url, *THREE, "--no-cache"))
    assert [k for k in kept if k.startswith("fastlib")] == ["fastlib==2.0", "fastlib==1.0"]  # aarch64 kept 1.0
    moved = _entries(_lock(three, index_server.url, *THREE, "--no-cache", "-P", "fastlib"))
    assert moved["fastlib==2.1"] == 'platform_machine == "arm64" or platform_machine == "x86_64"'
    assert moved["fastlib==1.1"] == 'platform_machine == "aarch64"'


def test_pylock_lists_every_targets_artifacts_and_selects_one_set_per_target(three, index_server):
    _lock(three, index_server.url, *THREE, output="pylock.toml")
    data = tomllib.loads((three / "pylock.toml").read_text())
    lock = Pylock.from_dict(data)
    assert [str(m) for m in lock.environments or ()] == [
        f'python_version == "3.11" and implementation_name == "cpython" and sys_platform == "{os_}" '
        f'and platform_machine == "{m}"' for os_, m in (("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "arm64"))]
    assert data["tool"]["poncho"]["targets"][1] == "cpython 3.11 on manylinux_2_28_aarch64"
    for tag in (X86, ARM, MAC):
        target = Target.for_platform("3.11", tag.split("-", 1)[1])
        picked = {p.name: (str(p.version), getattr(f, "name", None))
                  for p, f in lock.select(environment=target.marker_environment, tags=target.tags)}
        want = "1.0" if tag == ARM else "2.0"
        assert picked["fastlib"] == (want, f"fastlib-{want}-py3-none-{tag.split('-', 1)[1]}.whl")
        assert ("macdep" in picked) == (tag == MAC)
    assert read_lock(three / "pylock.toml").targets == data["tool"]["poncho"]["targets"]


def test_json_lock_keeps_every_target_and_conda_needs_one_python(three, index_server):
    _lock(three, index_server.url, *THREE, "--format", "json", output="lock.json")
    locked = read_lock(three / "lock.json")
    assert len(locked.targets) == 3 and len(locked.all_entries) == 4
    record = load((three / "lock.json").read_text())
    assert [t.platform for t in record.targets] == ["manylinux_2_28_x86_64", "manylinux_2_28_aarch64",
                                                    "macosx_11_0_arm64"]
    assert render_json(record) == (three / "lock.json").read_text()  # the record round-trips
    conda = _lock(three, index_server.url, "--target", X86, "--target", ARM, output="environment.yml")
    assert '"python=3.11"' in conda and '"fastlib==1.0 ; platform_machine == \\"aarch64\\""' in conda
    asked = len(index_server.log)
    proc = run("job.py", "-o", "environment.yml", "--index-url", index_server.url, "--target", X86,
               "--target", "cp313-manylinux_2_28_x86_64", "--no-cache", cwd=three)
    assert proc.returncode == 2 and "pins one Python, but the targets use Python 3.11, 3.13" in proc.stderr
    assert len(index_server.log) == asked  # refused before resolving
    assert (three / "environment.yml").read_text() == conda  # and nothing was written


def test_the_digest_covers_every_target(three, index_server):
    _lock(three, index_server.url, "--target", X86, "--target", MAC)
    same = run("check", "job.py", "--lock", "env.lock", "--target", X86, "--target", MAC, cwd=three)
    assert same.returncode == 0, same.stdout + same.stderr
    fewer = run("check", "job.py", "--lock", "env.lock", "--target", X86, cwd=three)
    assert fewer.returncode == 1 and "PR005" in fewer.stdout


# real installers -------------------------------------------------------------------------------------


def _pip_install(python: Path, lock: Path, url: str) -> None:
    proc = run_tool([str(python), "-m", "pip", "install", "--no-deps", "--require-hashes", "--index-url", url,
                     "-r", str(lock)])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.slow
def test_three_target_lock_installs_here_with_pip_and_uv_and_downloads_for_the_others(three, index_server, tmp_path):
    _lock(three, index_server.url, *THREE)
    lock = three / "env.lock"
    python = make_venv(tmp_path / "pip-venv")
    _pip_install(python, lock, index_server.url)
    ran = run_tool([str(python), str(three / "job.py")])
    assert ran.returncode == 0 and ran.stdout.strip() == "2.0", ran.stderr
    for how in (["install", "--no-deps", "--require-hashes", "-r"], ["sync", "--require-hashes"]):
        venv = tmp_path / f"uv-{how[0]}"
        uv_python = make_venv(venv)
        proc = run_tool([str(UV), "pip", *how, str(lock), "--python", str(uv_python), "--index-url",
                         index_server.url])
        assert proc.returncode == 0, proc.stderr
        ran = run_tool([str(uv_python), str(three / "job.py")])
        assert ran.returncode == 0 and ran.stdout.strip() == "2.0", ran.stderr
    for tag, want in ((ARM, "1.0"), (MAC, "2.0")):
        plat = tag.split("-", 1)[1]
        # pip evaluates markers for the running machine, not for --platform: it gets the target's lines.
        target = Target.for_platform("3.11", plat)
        own = tmp_path / f"{plat}.lock"
        own.write_text(_for_target(lock.read_text(), target))
        dest = tmp_path / f"dl-{plat}"
        proc = run_tool([sys.executable, "-m", "pip", "download", "--platform", plat, "--python-version", "3.11",
                         "--only-binary", ":all:", "--no-deps", "--require-hashes", "--index-url", index_server.url,
                         "-r", str(own), "-d", str(dest)])
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        got = sorted(p.name for p in dest.iterdir())
        assert f"fastlib-{want}-py3-none-{plat}.whl" in got and ("macdep-1.0-py3-none-any.whl" in got) == (tag == MAC)
        # uv evaluates the markers for the target itself: the lock as written installs for that machine.
        into = tmp_path / f"uv-{plat}"
        uv_platform = {ARM: "aarch64-manylinux_2_28", MAC: "aarch64-apple-darwin"}[tag]
        proc = run_tool([str(UV), "pip", "install", "--no-deps", "--require-hashes", "--target", str(into),
                         "--python-platform", uv_platform, "--python-version", "3.11", "--index-url",
                         index_server.url, "-r", str(lock)])
        assert proc.returncode == 0, proc.stderr
        assert (into / "fastlib" / "__init__.py").read_text().endswith(f"VERSION = {want!r}\n")
        assert (into / "macdep").exists() == (tag == MAC)


def _for_target(text: str, target: Target) -> str:
    """The lock's entries whose marker holds on ``target``, markers applied (what pip on that machine reads)."""
    out, keep, marker = [], True, ""
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            _, _, marker = line.rstrip(" \\").partition(" ; ")
            keep = not marker or target.evaluate(Marker(marker))
        if keep:
            out.append(line.replace(f" ; {marker}", "") if marker else line)
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_a_lock_for_cp39_and_cp313_installs_into_both_interpreters(tmp_path, index_server):
    w = tmp_path / "wheels"
    for py in ("cp39", "cp313"):  # one version, a wheel per interpreter: the entry hashes both
        index_server.add(build_wheel(w, "speedup", "1.0", tag=f"{py}-{py}-manylinux_2_28_x86_64",
                                     files={"speedup/__init__.py": f"BUILT_FOR = {py!r}\n"}))
    index_server.add(build_wheel(w, "tool", "2.0", requires_python=">=3.10", requires_dist=["speedup"],
                                 files={"tool/__init__.py": "import speedup\nV = '2.0'\n"}))
    index_server.add(build_wheel(w, "tool", "1.5", requires_dist=["speedup", 'backport; python_version < "3.10"'],
                                 files={"tool/__init__.py": "import speedup, backport\nV = '1.5'\n"}))
    index_server.add(build_wheel(w, "backport", "1.0"))
    (tmp_path / "job.py").write_text("import sys, tool, speedup\nprint(tool.V, speedup.BUILT_FOR)\n")
    text = _lock(tmp_path, index_server.url, "--target", "cp313-manylinux_2_28_x86_64",
                 "--target", "cp39-manylinux_2_28_x86_64")
    assert _entries(text) == {"backport==1.0": 'python_version == "3.9"', "speedup==1.0": None,
                              "tool==2.0": 'python_version == "3.13"', "tool==1.5": 'python_version == "3.9"'}
    for version, expected in (("3.9.18", "1.5 cp39"), ("3.13.0", "2.0 cp313")):
        interpreter = Path(f"/root/.pyenv/versions/{version}/bin/python3")
        if not interpreter.exists():
            pytest.skip(f"pyenv Python {version} is not installed")
        venv = tmp_path / f"venv-{version}"
        made = subprocess.run([str(interpreter), "-m", "venv", str(venv)], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        _pip_install(venv / "bin" / "python", tmp_path / "env.lock", index_server.url)
        ran = run_tool([str(venv / "bin" / "python"), str(tmp_path / "job.py")])
        assert ran.returncode == 0 and ran.stdout.strip() == expected, ran.stderr


@pytest.mark.slow
def test_a_multi_target_pylock_installs_with_pip_and_uv(three, index_server, tmp_path):
    _lock(three, index_server.url, *THREE, output="pylock.toml")
    pylock = three / "pylock.toml"
    python = make_venv(tmp_path / "pip-venv")
    # The venv's own pip is the interpreter's bundled one; this environment's pip (>= 26.1) reads pylock.toml.
    proc = run_tool([sys.executable, "-m", "pip", "--python", str(python), "install", "-r", str(pylock)])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert run_tool([str(python), str(three / "job.py")]).stdout.strip() == "2.0"
    uv_python = make_venv(tmp_path / "uv-venv")
    proc = run_tool([str(UV), "pip", "install", "--python", str(uv_python), "-r", str(pylock)])
    assert proc.returncode == 0, proc.stderr
    assert run_tool([str(uv_python), str(three / "job.py")]).stdout.strip() == "2.0"


def test_lock_for_a_live_function_takes_several_targets(three, index_server, tmp_path):
    import importlib.util

    import poncho

    path = tmp_path / "multi_jobs.py"
    path.write_text("def job():\n    import fastlib\n    return fastlib.VERSION\n")
    spec = importlib.util.spec_from_file_location("multi_jobs", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    lock = poncho.lock_for(mod.job, targets=[X86, ARM], index_url=index_server.url, use_pip_config=False)
    assert [t.describe() for t in lock.targets] == ["cpython 3.11 on manylinux_2_28_x86_64",
                                                    "cpython 3.11 on manylinux_2_28_aarch64"]
    assert [(e.name, e.version, e.marker) for e in lock.entries if e.name == "fastlib"] == [
        ("fastlib", "2.0", 'platform_machine == "x86_64"'), ("fastlib", "1.0", 'platform_machine == "aarch64"')]
    assert lock.python == "3.11" and lock.platform == "manylinux_2_28_x86_64"  # the first target, as before


@pytest.mark.slow
def test_check_env_compares_an_environment_with_its_own_entry_of_a_split_pin(tmp_path, index_server):
    """aarch64 (first) gets armlib 2.0, this x86_64 machine 1.0: the drift check reads the entry for here."""
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "armlib", "2.0", tag="py3-none-manylinux_2_28_aarch64"))
    for plat in ("manylinux_2_28_aarch64", "manylinux_2_28_x86_64"):
        index_server.add(build_wheel(w, "armlib", "1.0", tag=f"py3-none-{plat}"))
    (tmp_path / "job.py").write_text("import armlib\n")
    text = _lock(tmp_path, index_server.url, "--target", ARM, "--target", X86)
    assert list(_entries(text)) == ["armlib==2.0", "armlib==1.0"]  # this machine's entry is the second
    python = make_venv(tmp_path / "venv")
    _pip_install(python, tmp_path / "env.lock", index_server.url)
    base = ("check", "job.py", "--lock", "env.lock", "--index-url", index_server.url, "--env", str(python))
    assert run(*base, cwd=tmp_path).returncode == 0
    assert run_tool([str(python), "-m", "pip", "uninstall", "-y", "armlib"]).returncode == 0
    gone = run(*base, cwd=tmp_path)
    assert gone.returncode == 1 and "PR011 armlib: 1.0 is locked but not installed" in gone.stdout, gone.stdout

"""The lock's header is the contract: it records the inputs that shaped the lock, `check` names each one that
changed and prints the command that re-locks with the lock's own flags, and a flag-less re-lock reads them back.

Every lock here is made by the real CLI against the loopback index.
"""

from __future__ import annotations

import shlex
import sys

import pytest

from poncho.lock.parse import read_lock
from support.cli import run
from support.wheels import build_wheel

RELOCK = "; re-lock with: "


@pytest.fixture
def project(tmp_path, index_server):
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["tinydep"]))
    index_server.add(build_wheel(w, "tinydep", "1.0"))
    index_server.add(build_wheel(w, "tinydep", "2.0"))
    index_server.add(build_wheel(w, "fastjson", "1.0", files={"fastjson/__init__.py": ""}))
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")  # a package: its project (pyproject.toml) is the parent
    (root / "app" / "main.py").write_text("import yaml\nimport fastjson\n")
    (root / "pyproject.toml").write_text('[tool.poncho.mapping]\nfastjson = "fastjson"\n')
    (root / "constraints.txt").write_text("tinydep<2\n")
    return root


def flags(index_server) -> list[str]:
    """The flags of the lock under test; the index spelled without its trailing slash, as PIP_INDEX_URL often is."""
    return ["--target", "cp311-macosx_11_0_arm64", "-c", "constraints.txt", "--map", "yaml=PyYAML",
            "--index-url", index_server.url.rstrip("/")]


def relock_argv(stdout: str) -> list[str]:
    """The printed command as argv, run with this interpreter (`poncho-resolve` is `python -m poncho`)."""
    commands = {line.partition(RELOCK)[2] for line in stdout.splitlines() if RELOCK in line}
    assert len(commands) == 1, stdout
    argv = shlex.split(commands.pop())
    assert argv[0] == "poncho-resolve"
    return argv[1:]


@pytest.mark.parametrize("name", ["env.lock", "pylock.toml", "lock.json"])
def test_every_format_records_the_same_inputs(project, index_server, name):
    extra = ["--format", "json"] if name.endswith(".json") else []
    made = run("app", "-o", name, *flags(index_server), "--include-optional", *extra, cwd=project)
    assert made.returncode == 0, made.stderr
    locked = read_lock(project / name)
    inputs = locked.inputs
    assert inputs is not None
    assert inputs.requirements == ("fastjson", "PyYAML")
    assert inputs.targets == ("cpython 3.11 on macosx_11_0_arm64",)
    assert inputs.index_urls == (index_server.url,)  # normalized: one trailing slash
    assert inputs.constraint_files == ("constraints.txt",)  # relative to the lock's directory
    assert inputs.constraints == ("tinydep<2",)
    assert inputs.map_flags == ("yaml=PyYAML",) and inputs.mappings == ("fastjson=fastjson",)
    assert inputs.include_optional is True and inputs.tool_version
    assert inputs.digest() == locked.input_digest  # the header is whole
    assert locked.untouched  # the pinned digest agrees with the entries read back
    if name == "env.lock":
        text = (project / name).read_text()
        for line in ("# requirement: PyYAML", "# constraint-file: constraints.txt", "# constraint: tinydep<2",
                     "# map: yaml=PyYAML", "# mapping: fastjson=fastjson", "# include-optional: true"):
            assert line + "\n" in text


def test_check_passes_anywhere_names_each_changed_input_and_the_command_relocks(project, index_server):
    made = run("app", "-o", "env.lock", *flags(index_server), cwd=project)
    assert made.returncode == 0, made.stderr
    original = (project / "env.lock").read_bytes()
    assert b"tinydep==1.0" in original  # the constraint shaped it

    # No flags on this Linux machine: target, index, constraints and --map all come from the header.
    same = run("check", "app", "--lock", "env.lock", cwd=project)
    assert same.returncode == 0, same.stdout + same.stderr
    slash = run("check", "app", "--lock", "env.lock", "--index-url", index_server.url, cwd=project)
    assert slash.returncode == 0, slash.stdout  # the same index, spelled with its slash

    # One changed input, one finding naming it, old and new.
    (project / "constraints.txt").write_text("tinydep<3\n")
    edited = run("check", "app", "--lock", "env.lock", cwd=project)
    assert edited.returncode == 1
    assert edited.stdout.splitlines()[0].startswith("PR005 tinydep: constraint: tinydep<2 -> tinydep<3" + RELOCK)
    assert len(edited.stdout.splitlines()) == 1
    argv = relock_argv(edited.stdout)
    assert argv == ["app", "-o", "env.lock", "--target", "cp311-macosx_11_0_arm64",
                    "--index-url", index_server.url, "-c", "constraints.txt", "--map", "yaml=PyYAML"]
    (project / "constraints.txt").write_text("tinydep<2\n")

    # An import for Windows only: not missing on macOS, but a changed requirement all the same.
    (project / "app" / "win.py").write_text("import sys\nif sys.platform == 'win32':\n    import tinydep\n")
    marker = run("check", "app", "--lock", "env.lock", cwd=project)
    assert marker.returncode == 1 and "PR001" not in marker.stdout
    assert marker.stdout.startswith('PR005 tinydep: requirement: (none) -> tinydep; sys_platform == "win32"')
    (project / "app" / "win.py").unlink()

    # A --map given now replaces the lock's (flags win): the one it dropped is named; fastjson maps as before.
    mapped = run("check", "app", "--lock", "env.lock", "--map", "fastjson=fastjson", cwd=project)
    assert [ln.partition(RELOCK)[0] for ln in mapped.stdout.splitlines()] == ["PR005 yaml: mapping: PyYAML -> (none)"]
    target = run("check", "app", "--lock", "env.lock", "--target", "cp312-win_amd64", cwd=project)
    assert target.stdout.startswith("PR005 env.lock: target: cpython 3.11 on macosx_11_0_arm64 -> "
                                    "cpython 3.12 on win_amd64" + RELOCK)
    assert "--target cp312-win_amd64" in target.stdout  # the re-lock uses what was asked

    # Another tool version (the installed one, pretending): named, with both versions.
    probe = ("import sys, poncho; poncho.__version__ = '99.0'\nfrom poncho.cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    import subprocess

    newer = subprocess.run([sys.executable, "-c", probe, "check", "app", "--lock", "env.lock"], cwd=project,
                           capture_output=True, text=True, timeout=120)
    assert newer.returncode == 1
    assert newer.stdout.startswith("PR005 env.lock: tool version: ")
    assert " -> 99.0" + RELOCK in newer.stdout

    # The printed command, run as printed, gives the lock back byte for byte.
    (project / "env.lock").write_text("# an unrelated file in its place\n")
    again = run(*argv, cwd=project)
    assert again.returncode == 0, again.stderr
    assert (project / "env.lock").read_bytes() == original


def test_a_flagless_relock_reads_the_flags_from_the_header(project, index_server):
    made = run("app", "-o", "env.lock", *flags(index_server), cwd=project)
    assert made.returncode == 0, made.stderr
    original = (project / "env.lock").read_bytes()
    again = run("app", "-o", "env.lock", cwd=project)  # no --target, -c, --map or --index-url
    assert again.returncode == 0, again.stderr
    assert (project / "env.lock").read_bytes() == original
    # A flag given now wins over the header; the rest still comes from it.
    moved = run("app", "-o", "env.lock", "--target", "cp312-manylinux_2_28_x86_64", cwd=project)
    assert moved.returncode == 0, moved.stderr
    text = (project / "env.lock").read_text()
    assert "# target: cpython 3.12 on manylinux_2_28_x86_64" in text
    assert "# constraint: tinydep<2" in text and "# map: yaml=PyYAML" in text
    assert f"# index: {index_server.url}\n" in text


def test_a_header_without_inputs_or_edited_by_hand_is_named(project, index_server):
    made = run("app", "-o", "env.lock", "-c", "constraints.txt", "--index-url", index_server.url, cwd=project)
    assert made.returncode == 0, made.stderr
    lock = project / "env.lock"
    text = lock.read_text()
    lock.write_text(text.replace("# constraint: tinydep<2\n", "# constraint: tinydep<5\n"))
    edited = run("check", "app", "--lock", "env.lock", cwd=project)
    assert edited.returncode == 1
    assert "PR005 env.lock: the header's inputs do not match its input-digest" in edited.stdout
    assert "PR005 tinydep: constraint: tinydep<5 -> tinydep<2" in edited.stdout
    old = "".join(line for line in text.splitlines(keepends=True)
                  if not line.startswith(("# requirement:", "# constraint", "# mapping:", "# pinned-digest:")))
    lock.write_text(old)  # as poncho-resolve wrote locks before the header recorded inputs
    older = run("check", "app", "--lock", "env.lock", cwd=project)
    assert older.returncode == 1
    assert older.stdout.startswith("PR005 env.lock: the header records no inputs"), older.stdout


def test_paths_in_the_header_do_not_depend_on_the_working_directory(project, index_server, tmp_path):
    locks = project / "locks"
    locks.mkdir()
    (locks / "c.txt").write_text("tinydep<2\n")
    made = run("app", "-o", "locks/env.lock", "-c", "locks/c.txt", "--index-url", index_server.url, cwd=project)
    assert made.returncode == 0, made.stderr
    assert "# constraint-file: c.txt\n" in (locks / "env.lock").read_text()
    elsewhere = run("check", str(project / "app"), "--lock", str(locks / "env.lock"), cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr
    (locks / "c.txt").unlink()
    gone = run("check", "app", "--lock", "locks/env.lock", cwd=project)
    assert "PR005 c.txt: constraint file: c.txt -> (none)" in gone.stdout
    assert "PR005 tinydep: constraint: tinydep<2 -> (none)" in gone.stdout


def test_index_spellings_and_index_changes():
    from poncho.lock.inputs import LockInputs, changes, normalize_index_url

    assert normalize_index_url("HTTPS://PyPI.org/simple") == "https://pypi.org/simple/"
    assert normalize_index_url("https://user:secret@Mirror.example/simple//") == "https://***@mirror.example/simple/"
    assert normalize_index_url("file:///srv/wheels") == "file:///srv/wheels/"
    a, b = "https://a.example/simple/", "https://b.example/simple/"
    before = LockInputs.of(requirements=["flask"], targets=["t"], index_urls=[a, b])
    assert [str(c) for c in changes(before, LockInputs.of(requirements=["flask"], targets=["t"], index_urls=[b, a]))
            ] == [f"index order: {a} {b} -> {b} {a}"]
    assert [str(c) for c in changes(before, LockInputs.of(requirements=["Flask"], targets=["t"], index_urls=[a]))
            ] == [f"index {b}: used -> not used"]

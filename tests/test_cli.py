"""The command line as a user runs it: a real subprocess against a loopback index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import closed_port as _closed_port
from support.cli import run
from support.wheels import build_wheel, serve_yaml_fastjson


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    pkg = root / "app"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "main.py").write_text(
        "import os\nimport yaml\nfrom . import helpers\n\n\ndef run():\n    import fastjson\n    return fastjson\n"
    )
    (pkg / "helpers.py").write_text("from .main import run\n")
    return root


@pytest.fixture
def served(index_server, tmp_path):
    serve_yaml_fastjson(index_server, tmp_path / "wheels")
    return index_server


def test_lock_goes_to_stdout_and_diagnostics_to_stderr(app, served):
    proc = run("app", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "PyYAML==6.0 \\\n    --hash=sha256:" in out
    assert "fastjson==1.2" in out and "speedups==2.5" in out
    assert "# via app/main.py:2" in out  # the import site of a direct dependency
    assert "# via fastjson" in out  # the parent of a transitive one
    assert "locked 3 distributions" in proc.stderr and "locked" not in out


def test_no_resolve_prints_unpinned_direct_requirements(app, served):
    proc = run("app", "--no-resolve", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if not ln.startswith("    #")]
    assert lines == ["fastjson", "PyYAML"]  # sorted by normalized name
    assert "    # via app/main.py:7 (fastjson)" in proc.stdout
    assert not served.requests_for("/files/speedups"), "--no-resolve must not resolve"


def test_output_file_is_written_atomically_and_only_on_success(app, served, tmp_path):
    out = app / "env.lock"
    proc = run("app", "-o", "env.lock", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    good = out.read_text()
    assert "speedups==2.5" in good
    # Break the index: the run fails and the previous lock survives untouched.
    served.files.clear()
    proc = run("app", "-o", "env.lock", "--index-url", served.url, "--no-cache", cwd=app)
    assert proc.returncode == 5, proc.stderr  # the projects are gone from the index
    assert out.read_text() == good
    assert [p.name for p in app.iterdir() if p.name.startswith(".env.lock")] == []


def test_conflict_exit_code_and_no_output(app, served, tmp_path):
    served.files.clear()
    w = tmp_path / "w2"
    served.add(build_wheel(w, "PyYAML", "6.0", files={"yaml/__init__.py": ""}, requires_dist=["speedups<2"]))
    served.add(build_wheel(w, "fastjson", "1.2", requires_dist=["speedups>=2"], files={"fastjson/__init__.py": ""}))
    served.add(build_wheel(w, "speedups", "1.0"))
    served.add(build_wheel(w, "speedups", "2.5"))
    proc = run("app", "--index-url", served.url, cwd=app)
    assert proc.returncode == 5
    assert proc.stdout == ""
    assert "speedups<2  required by pyyaml 6.0" in proc.stderr
    assert "speedups>=2  required by fastjson 1.2" in proc.stderr


def test_unreachable_index_is_a_clear_error_with_no_output(app):
    url = f"http://127.0.0.1:{_closed_port()}/simple/"
    proc = run("app", "--index-url", url, "--no-cache", cwd=app)
    assert proc.returncode == 6, proc.stderr
    assert proc.stdout == ""
    assert url in proc.stderr and "cannot connect" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_errors(app, tmp_path):
    proc = run("does-not-exist", cwd=app)
    assert proc.returncode == 2 and "does-not-exist: no such file or directory" in proc.stderr
    proc = run(cwd=app)
    assert proc.returncode == 2 and "usage:" in proc.stderr
    proc = run("app", "-o", str(tmp_path / "missing-dir" / "env.lock"), cwd=app)
    assert proc.returncode == 2 and "directory does not exist" in proc.stderr


def test_unmapped_import_warns_and_strict_fails(app, served):
    (app / "app" / "extra.py").write_text("import nosuchthing_on_any_index\n")
    proc = run("app", "--no-resolve", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0
    assert "no distribution provides 'nosuchthing_on_any_index'" in proc.stderr
    assert "app/extra.py:1" in proc.stderr
    proc = run("app", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0
    # The lock is not silently partial: its header says what was left out.
    assert "# NOTE: not locked: no distribution provides 'nosuchthing_on_any_index' (imported at app/extra.py:1)" \
        in proc.stdout
    proc = run("app", "--strict", "--index-url", served.url, cwd=app)
    assert proc.returncode == 4 and proc.stdout == ""


def test_version_and_help():
    proc = subprocess.run([sys.executable, "-m", "poncho", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("poncho-resolve ")
    proc = subprocess.run([sys.executable, "-m", "poncho", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Exit codes" in proc.stdout


def test_pip_configuration_supplies_the_index(app, served, tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = http://127.0.0.1:9/simple/\n[install]\nindex-url = {served.url}\n")
    # The index comes from pip's config ([install] overrides [global], as in pip) ...
    proc = run("app", "--no-resolve", cwd=app, env_extra={"PIP_CONFIG_FILE": str(conf)})
    assert proc.returncode == 0, proc.stderr
    assert served.requests_for("/simple/fastjson/")
    # ... and --no-pip-config ignores it.
    proc = run("app", "--no-resolve", "--no-pip-config", "--no-cache", "--index-url", "http://127.0.0.1:9/simple/",
               cwd=app, env_extra={"PIP_CONFIG_FILE": str(conf)})
    assert proc.returncode == 6, proc.stderr


def test_pip_cert_is_honoured_never_skipped(app, tmp_path):
    # A CA bundle that does not exist must fail the HTTPS index with a clear
    # message, proving the setting is used rather than ignored or bypassed.
    bogus = tmp_path / "no-such-bundle.pem"
    proc = run("app", "--no-cache", "--index-url", "https://pypi.org/simple/", cwd=app,
               env_extra={"PIP_CERT": str(bogus)})
    assert proc.returncode == 6, proc.stderr
    assert str(bogus) in proc.stderr and "Traceback" not in proc.stderr


def test_pip_settings_precedence(tmp_path):
    from poncho.net.pip_config import config_files, load_pip_settings

    site = tmp_path / "site.conf"
    site.write_text("[install]\nindex-url = https://install-section.example/simple\n"
                    "constraint = /etc/corp-constraints.txt\nfind-links = /opt/wheels\n")
    mine = tmp_path / "pip.conf"
    mine.write_text("[global]\nindex-url = https://mirror.example/simple\ncert = /etc/corp.pem\n"
                    "extra-index-url =\n    https://a.example/simple\n    https://b.example/simple\n")
    env = {"HOME": str(tmp_path)}
    s = load_pip_settings(env, files=[site, mine])
    # pip decides by section first: [install] in any file beats [global] in a later one.
    assert s.index_url == "https://install-section.example/simple"
    assert s.cert == "/etc/corp.pem"
    assert s.extra_index_urls == ("https://a.example/simple", "https://b.example/simple")
    assert s.constraints == ("/etc/corp-constraints.txt",) and s.find_links == ("/opt/wheels",)
    s = load_pip_settings({**env, "PIP_INDEX_URL": "https://env.example/simple", "PIP_CERT": "/env.pem"},
                          files=[site, mine])
    assert (s.index_url, s.cert) == ("https://env.example/simple", "/env.pem")
    # PIP_CONFIG_FILE naming an existing file hides the user's files, as in pip; /dev/null hides all.
    user = tmp_path / ".config" / "pip" / "pip.conf"
    user.parent.mkdir(parents=True)
    user.write_text("[global]\nextra-index-url = https://user.example/simple\n")
    assert user in config_files(env)
    assert user not in config_files({**env, "PIP_CONFIG_FILE": str(mine)})
    assert config_files({**env, "PIP_CONFIG_FILE": os.devnull}) == []


def test_lock_for_another_python_and_platform(tmp_path, index_server):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "native", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64",
                                 requires_dist=['backport; python_version < "3.12"', 'winlib; sys_platform == "win32"']))
    index_server.add(build_wheel(w, "native", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64",
                                 requires_dist=['backport; python_version < "3.12"', 'winlib; sys_platform == "win32"']))
    index_server.add(build_wheel(w, "native", "1.0", tag="cp312-cp312-win_amd64",
                                 requires_dist=['backport; python_version < "3.12"', 'winlib; sys_platform == "win32"']))
    index_server.add(build_wheel(w, "native", "2.0", tag="cp312-cp312-manylinux_2_34_x86_64"))
    index_server.add(build_wheel(w, "backport", "1.0"))
    index_server.add(build_wheel(w, "winlib", "1.0"))
    app = tmp_path / "proj"
    app.mkdir()
    (app / "job.py").write_text("import native\n")
    proc = run("job.py", "--python-version", "3.12", "--platform", "manylinux2014_x86_64",
               "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    # 2.0 needs glibc 2.34, newer than manylinux2014 (2.17): 1.0 it is, with only the cp312 Linux wheel's hash.
    assert "native==1.0" in proc.stdout and "backport" not in proc.stdout and "winlib" not in proc.stdout
    linux312 = index_server.files["native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"].sha256
    assert proc.stdout.count("--hash=") == 1 and linux312 in proc.stdout
    assert "# target: cpython 3.12 on manylinux2014_x86_64" in proc.stdout
    proc = run("job.py", "--python-version", "3.11", "--platform", "manylinux_2_17_x86_64",
               "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 0 and "backport==1.0" in proc.stdout, proc.stderr
    proc = run("job.py", "--python-version", "3.12", "--platform", "win_amd64", "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 0 and "winlib==1.0" in proc.stdout, proc.stderr
    proc = run("job.py", "--python-version", "three", "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 2 and "--python-version must look like 3.12" in proc.stderr


def test_function_entry_locks_only_what_that_function_needs(tmp_path, index_server):
    w = tmp_path / "w"
    index_server.add(build_wheel(w, "imgkit", "1.0"))
    index_server.add(build_wheel(w, "mailkit", "2.0", requires_dist=["smtpfast"]))
    index_server.add(build_wheel(w, "smtpfast", "1.1"))
    app = tmp_path / "proj"
    (app / "svc").mkdir(parents=True)
    (app / "svc" / "__init__.py").write_text("")
    (app / "svc" / "util.py").write_text("import mailkit\n\n\ndef send(msg):\n    return mailkit.send(msg)\n")
    (app / "svc" / "tasks.py").write_text(
        "import imgkit\nfrom .util import send\n\n\n"
        "def thumbnail(path):\n    return imgkit.open(path)\n\n\n"
        "async def notify(user):\n    return send(user)\n")
    one = run("svc/tasks.py:thumbnail", "--index-url", index_server.url, cwd=app)
    assert one.returncode == 0, one.stderr
    assert "imgkit==1.0" in one.stdout and "mailkit" not in one.stdout
    two = run("svc/tasks.py:notify", "--index-url", index_server.url, cwd=app)
    assert two.returncode == 0, two.stderr
    # Followed across modules: notify -> svc.util.send -> mailkit (and its dependency).
    assert "mailkit==2.0" in two.stdout and "smtpfast==1.1" in two.stdout and "imgkit" not in two.stdout
    assert "# via svc/util.py:1" in two.stdout
    missing = run("svc/tasks.py:nothere", "--index-url", index_server.url, cwd=app)
    assert missing.returncode == 2 and "no function or class 'nothere'" in missing.stderr
    assert missing.stdout == ""


def test_explain_shows_sites_classification_and_mapping(tmp_path, index_server):
    app = tmp_path / "proj"
    app.mkdir()
    (app / "job.py").write_text(
        "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n\n\ndef load():\n    import yaml.constructor\n")
    proc = run("explain", "job.py", "yaml", "--no-probe", cwd=app)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "yaml: imported at 2 site(s)" in out
    assert "job.py:2: yaml [static; module level; optional" in out
    assert "job.py:8: yaml.constructor [static; in load; required] -> third-party" in out
    assert "provided by PyYAML (shipped index, matched 'yaml')" in out
    assert "override: --map yaml=DIST" in out
    proc = run("explain", "job.py", "json", "--no-probe", cwd=app)
    assert proc.returncode == 0 and "not imported anywhere" in proc.stdout
    proc = run("explain", "job.py", cwd=app)
    assert proc.returncode == 2 and "needs at least one PATH and a MODULE" in proc.stderr


def test_constraints_narrow_versions_and_show_in_conflicts(app, served, tmp_path):
    served.add(build_wheel(tmp_path / "more", "speedups", "2.0"))
    cons = tmp_path / "constraints.txt"
    cons.write_text("# keep speedups on 2.0 for now\nspeedups<2.5\nunrelated-project==1.0\n")
    proc = run("app", "-c", str(cons), "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "speedups==2.0" in proc.stdout and "unrelated-project" not in proc.stdout
    cons.write_text("speedups<2\n")
    proc = run("app", "-c", str(cons), "--index-url", served.url, cwd=app)
    assert proc.returncode == 5 and "constrained to <2 by --constraint" in proc.stderr
    cons.write_text("speedups<<2\n")
    proc = run("app", "-c", str(cons), "--index-url", served.url, cwd=app)
    assert proc.returncode == 2 and "constraints.txt:1: not a constraint" in proc.stderr


def test_format_flag_and_inference_from_the_output_name(app, served, tmp_path):
    proc = run("app", "-o", "pylock.toml", "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "pylock.toml").read_text()
    assert 'lock-version = "1.0"' in text and 'name = "speedups"' in text
    proc = run("app", "--format", "conda", "-o", str(tmp_path), "--index-url", served.url, cwd=app)
    assert proc.returncode == 0 and (tmp_path / "environment.yml").is_file(), proc.stderr
    assert "cannot carry hashes" in proc.stderr
    proc = run("app", "-o", "out.json", "--index-url", served.url, cwd=app)
    assert proc.returncode == 2 and "--format poncho" in proc.stderr and not (app / "out.json").exists()
    proc = run("app", "--no-resolve", "--format", "pylock", "--index-url", served.url, cwd=app)
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr


@pytest.mark.parametrize("name,fmt", [("pylock.toml", "pylock"), ("lock.json", "json")])
def test_check_reads_pylock_and_json_locks(app, served, name, fmt):
    proc = run("app", "--format", fmt, "-o", name, "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    proc = run("check", "app", "--lock", name, "--index-url", served.url, cwd=app)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (app / "app" / "main.py").write_text("import os\nfrom . import helpers\n\n\ndef run():\n    import fastjson\n")
    proc = run("check", "app", "--lock", name, "--index-url", served.url, cwd=app)
    assert proc.returncode == 1 and proc.stdout.lower().startswith(f"pr003 pyyaml: {name} (was via app/main.py:2)")


def test_pip_config_constraints_are_honoured(app, served, tmp_path):
    served.add(build_wheel(tmp_path / "more", "speedups", "2.0"))
    cons = tmp_path / "pip-constraints.txt"
    cons.write_text("speedups<2.5\n")
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {served.url}\nconstraint = {cons}\n")
    proc = run("app", cwd=app, env_extra={"PIP_CONFIG_FILE": str(conf)})
    assert proc.returncode == 0, proc.stderr
    assert "speedups==2.0" in proc.stdout  # what `pip install` on this machine would accept


def test_unwritable_output_is_a_clear_usage_error(app, served, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "env.lock").mkdir()  # a directory where the file should go
    proc = run("app", "-o", str(ro / "env.lock" / "x" / "y.lock"), "--index-url", served.url, cwd=app)
    assert proc.returncode == 2 and "directory does not exist" in proc.stderr
    proc = run("app", "-o", str(ro / "env.lock"), "--index-url", served.url, cwd=app)
    assert proc.returncode == 0 and (ro / "env.lock" / "env.lock").is_file(), proc.stderr


@pytest.mark.parametrize("platform", ["linux", "manylinux_x_y_z", "macosx_11_arm64", "plan9_mips"])
def test_unknown_platforms_are_rejected_with_a_hint(app, platform):
    proc = run("app", "--platform", platform, "--no-resolve", cwd=app)
    assert proc.returncode == 2, proc.stderr
    assert "manylinux_2_28_x86_64" in proc.stderr and "Traceback" not in proc.stderr


def test_python_version_alone_keeps_this_machines_platforms(tmp_path, index_server):
    index_server.add(build_wheel(tmp_path / "w", "native", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"))
    index_server.add(build_wheel(tmp_path / "w", "native", "1.0", tag="py3-none-any"))
    app = tmp_path / "proj"
    app.mkdir()
    (app / "job.py").write_text("import native\n")
    proc = run("job.py", "--python-version", "3.12", "--index-url", index_server.url, cwd=app)
    assert proc.returncode == 0, proc.stderr
    if sys.platform == "linux" and os.uname().machine == "x86_64":
        native = index_server.files["native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"].sha256
        assert native in proc.stdout  # the manylinux wheel, not only the pure one


def test_offline_relocks_from_the_cache_alone(app, served, tmp_path):
    cache = tmp_path / "cache"
    online = run("app", "--index-url", served.url, "--cache-dir", str(cache), cwd=app)
    assert online.returncode == 0, online.stderr
    before = len(served.log)
    served.down = True  # any request now fails
    offline = run("app", "--offline", "--index-url", served.url, "--cache-dir", str(cache), cwd=app)
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout == online.stdout
    assert len(served.log) == before, "offline mode must not touch the network"
    # A project never fetched is a clear error, not a hang or a guess.
    (app / "app" / "more.py").write_text("import speedups_extra\n")
    served.add(build_wheel(tmp_path / "w3", "speedups-extra", "1.0"))
    proc = run("app", "--offline", "--map", "speedups_extra=speedups-extra", "--index-url", served.url,
               "--cache-dir", str(cache), cwd=app)
    assert proc.returncode == 6 and "not in the cache and --offline is set" in proc.stderr
    assert len(served.log) == before
    proc = run("app", "--offline", "--no-cache", cwd=app)
    assert proc.returncode == 2 and "cannot be combined with --no-cache" in proc.stderr


def test_help_lists_every_exit_code_and_subcommand():
    from poncho.cli import COMMANDS
    from poncho.errors import ExitCode

    def help_of(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "poncho", *args, "--help"], capture_output=True, text=True,
                              env={**os.environ, "COLUMNS": "10000"})  # no wrapping
        assert proc.returncode == 0, proc.stderr
        return " ".join(proc.stdout.split())

    top = help_of()
    for name in COMMANDS:
        assert f"poncho-resolve {name}" in top, name
    for text in (top, help_of("check"), help_of("explain")):
        for code in ExitCode:
            assert re.search(rf"\b{int(code)} [a-z`]", text), (code, text[-400:])
    assert "--format {text,json,github}" in help_of("check")

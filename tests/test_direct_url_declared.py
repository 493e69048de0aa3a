"""A dependency the project declares by a direct URL (``django-push @ git+https://...``) is never swapped for the
index's release of the same name: it is held out of the lock, said (PR209) and recorded in the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import run
from support.wheels import build_wheel

LINUX = "cp311-manylinux_2_28_x86_64"
URL = "git+https://github.com/brosner/django-push.git@0a1b2c3"


@pytest.fixture
def app(tmp_path, index_server) -> Path:
    w = tmp_path / "wheels"
    index_server.add(build_wheel(w, "django-push", "0.6", files={"django_push/__init__.py": ""}))
    index_server.add(build_wheel(w, "requests", "2.32.0"))
    root = tmp_path / "proj"
    (root / "site").mkdir(parents=True)
    (root / "site" / "__init__.py").write_text("import requests\nfrom django_push.subscriber import utils\n")
    (root / "requirements.txt").write_text(f"requests>=2\ndjango-push @ {URL}\n")
    return root



def args(index_server) -> list[str]:
    return ["--index-url", index_server.url, "--target", LINUX, "--map", "django_push=django-push"]


def test_a_git_url_declaration_is_not_locked_from_the_index(app, index_server):
    proc = run("site", *args(index_server), "-o", "env.lock", cwd=app)
    assert proc.returncode == 0, proc.stderr
    text = (app / "env.lock").read_text()
    assert "requests==2.32.0" in text and "django-push==" not in text and "django_push==" not in text
    assert "warning: PR209" in proc.stderr and f"pip install 'django-push @ {URL}'" in proc.stderr
    assert f"# NOTE: not locked: django-push @ {URL} (declared by a direct URL" in text
    assert "PR008" not in proc.stderr  # imported, so not "declared but unused" either
    ok = run("check", "site", "--lock", "env.lock", "--map", "django_push=django-push", cwd=app)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    strict = run("site", *args(index_server), "--strict", cwd=app)
    assert strict.returncode == 5 and "django-push" in strict.stderr


def test_with_name_asks_for_the_index_release(app, index_server):
    proc = run("site", *args(index_server), "--with", "django-push", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "django-push==0.6" in proc.stdout and "PR209" not in proc.stderr


def test_a_name_declaration_still_locks_from_the_index(app, index_server):
    (app / "requirements.txt").write_text("requests>=2\ndjango-push>=0.5\n")
    proc = run("site", *args(index_server), cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert "django-push==0.6" in proc.stdout and "PR209" not in proc.stderr


TOKEN = "ghp_s3cr3tT0ken"


def test_credentials_in_a_declared_url_reach_no_message_and_no_lock(app, index_server):
    """``git+https://user:token@github.com/...``: the token is in no diagnostic, no --strict error, no
    stderr and no lock note; the redacted URL still says which declaration it is."""
    from poncho.errors import NotInstallable
    from poncho.pipeline import Options, Pipeline

    secret = f"git+https://deploy:{TOKEN}@github.com/brosner/django-push.git@0a1b2c3"
    (app / "requirements.txt").write_text(f"requests>=2\ndjango-push @ {secret}\n")
    pipeline = Pipeline(Options(cache_dir=None, probe=False, mappings=("django_push=django-push",)))
    pipeline.requirements([app / "site"])
    said = [d for d in pipeline.diagnostics if TOKEN in str(d) or TOKEN in d.message]
    assert not said and any("github.com/brosner/django-push" in d.message for d in pipeline.diagnostics)
    with pytest.raises(NotInstallable) as info:
        Pipeline(Options(cache_dir=None, probe=False, strict=True,
                         mappings=("django_push=django-push",))).requirements([app / "site"])
    assert TOKEN not in str(info.value) and "https://***@github.com/brosner/django-push" in str(info.value)
    proc = run("site", *args(index_server), "-o", "env.lock", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout and "***@github.com" in proc.stderr
    text = (app / "env.lock").read_text()
    assert TOKEN not in text and "not locked: django-push @ git+https://***@github.com" in text
    strict = run("site", *args(index_server), "--strict", cwd=app)
    assert strict.returncode == 5 and TOKEN not in strict.stderr + strict.stdout

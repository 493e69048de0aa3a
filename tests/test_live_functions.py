"""poncho.live.requirements_for: what a live function object needs, without calling it."""

from __future__ import annotations

import functools
import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from poncho.analysis import Analysis, Kind
from poncho.live import requirements_for, roots_of

LIBS = {
    # fake third-party distributions, installed where pip would put them
    "plive_alpha": "def sq(v):\n    return v * v\n",
    "plive_beta": "def go(v):\n    return v\n",
    "plive_gamma": "class Model:\n    def __init__(self, x=0):\n        self.x = x\n",
    "plive_delta": "def run(v):\n    return v\n",
    "plive_eps": "def scale(v):\n    return 2 * v\n",
    "plive_zeta": "class Thing:\n    pass\ndef go():\n    return 1\n",
}

APP = {
    "plive_app/__init__.py": "",
    "plive_app/util.py": """
        import plive_eps

        def scale(x):
            return plive_eps.scale(x)
    """,
    "plive_app/work.py": """
        import functools
        import plive_alpha
        import plive_beta
        from plive_gamma import Model
        from .util import scale


        def make_closure():
            import plive_delta
            runner = plive_delta.run
            def inner(x):
                return runner(x)
            return inner


        def make_with(lib):
            def inner():
                return lib.go()
            return inner


        def outer():
            def nested(y):
                return plive_beta.go(y)
            return nested


        square = lambda v: plive_alpha.sq(v)


        class Job:
            def run(self, x):
                return Model(x)

            def other(self):
                return plive_alpha


        def compute(x, mode="slow"):
            return scale(x)


        def traced(fn):
            @functools.wraps(fn)
            def wrapper(*a, **k):
                return fn(*a, **k)
            return wrapper


        @traced
        def decorated(x):
            return plive_beta.go(x)
    """,
}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("live")
    site = base / "lib" / "site-packages"
    site.mkdir(parents=True)
    for name, text in LIBS.items():
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(text)
    app = base / "app"
    for name, text in APP.items():
        path = app / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    sys.path[:0] = [str(site), str(app)]
    try:
        yield importlib.import_module("plive_app.work")
    finally:
        sys.path.remove(str(site))
        sys.path.remove(str(app))
        for name in [m for m in sys.modules if m.startswith("plive_")]:
            del sys.modules[name]


def tops(analysis: Analysis) -> set[str]:
    return {s.top_level for s in analysis.third_party}


def test_plain_function_follows_first_party_helper(work) -> None:
    result = requirements_for(work.compute)
    assert tops(result) == {"plive_eps"}
    assert "plive_app" in result.first_party
    assert not result.diagnostics


def test_closure(work) -> None:
    assert tops(requirements_for(work.make_closure())) == {"plive_delta"}


def test_closure_cell_holding_a_module_only_live_state_shows(work) -> None:
    inner = work.make_with(importlib.import_module("plive_zeta"))
    result = requirements_for(inner)
    assert tops(result) == {"plive_zeta"}
    [site] = result.third_party
    assert site.kind is Kind.DYNAMIC and site.binds == "lib" and "closure cell" in (site.note or "")


def test_closure_cell_holding_a_third_party_instance(work) -> None:
    model = importlib.import_module("plive_gamma").Model()
    assert tops(requirements_for(work.make_with(model))) == {"plive_gamma"}


def test_nested_function(work) -> None:
    nested = work.outer()
    assert nested.__qualname__ == "outer.<locals>.nested"
    assert tops(requirements_for(nested)) == {"plive_beta"}


def test_lambda(work) -> None:
    assert tops(requirements_for(work.square)) == {"plive_alpha"}


def test_lambda_defined_in_a_test(work) -> None:
    eps = importlib.import_module("plive_eps")
    fn = lambda v: eps.scale(v)  # noqa: E731
    assert tops(requirements_for(fn)) == {"plive_eps"}


def test_bound_and_unbound_method(work) -> None:
    assert tops(requirements_for(work.Job().run)) == {"plive_gamma"}
    assert tops(requirements_for(work.Job.run)) == {"plive_gamma"}
    assert tops(requirements_for(work.Job.other)) == {"plive_alpha"}


def test_functools_partial(work) -> None:
    part = functools.partial(work.compute, mode="fast")
    assert tops(requirements_for(part)) == {"plive_eps"}
    # a value bound by the partial is live state too
    thing = importlib.import_module("plive_zeta").Thing()
    assert tops(requirements_for(functools.partial(work.compute, thing))) == {"plive_eps", "plive_zeta"}


def test_wraps_decorated_function_is_followed_to_wrapped(work) -> None:
    assert work.decorated.__wrapped__ is not None
    assert tops(requirements_for(work.decorated)) == {"plive_beta"}


def test_roots_follow_the_module_name(work) -> None:
    file = Path(work.__file__)
    assert roots_of(work.compute, file)[0] == file.parent.parent.resolve()


def test_source_not_available_reads_live_globals(work) -> None:
    namespace = {"zeta": importlib.import_module("plive_zeta")}
    exec("def f():\n    return zeta.go()\n", namespace)
    result = requirements_for(namespace["f"])
    assert tops(result) == {"plive_zeta"}
    assert any("not available" in d.message for d in result.diagnostics)


def test_nothing_is_called(work, tmp_path: Path) -> None:
    calls = []

    class Tripwire:
        def __getattr__(self, name):
            calls.append(name)
            raise AttributeError(name)

        def __call__(self, *a):
            calls.append("__call__")

    wire = Tripwire()
    fn = lambda: wire  # noqa: E731
    requirements_for(fn)
    requirements_for(wire)
    assert calls == []

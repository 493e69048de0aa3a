"""Tests of the CLI: they run under pytest, never on the workers, so none of this is locked."""

import pytest
from click.testing import CliRunner

from acme.telemetry.cli import main


@pytest.mark.parametrize("args", [["--help"]])
def test_help(args):
    assert CliRunner().invoke(main, args).exit_code == 0

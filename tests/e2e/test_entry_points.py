"""The console script and `python -m awsafe` are the same program."""

from __future__ import annotations

import subprocess
import sys

from awsafe import __version__
from tests.support.env import run_awsafe


def test_version() -> None:
    result = run_awsafe("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"awsafe {__version__}"


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "awsafe", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"awsafe {__version__}"


def test_no_command_prints_help_and_exits_2() -> None:
    result = run_awsafe()
    assert result.returncode == 2
    assert "exec" in result.stderr and "export" in result.stderr

"""`awsafe --version` and `--help` as real processes: argparse's text, without importing argparse,
botocore or any command (what made them cost ~14x the interpreter)."""

from __future__ import annotations

import os
import subprocess
import sys

from awsafe.cli import helptext
from awsafe.cli.version import render_version

HEAVY = {"argparse", "botocore", "typing", "cryptography", "keyring", "awsafe.cli.main", "awsafe.wiring"}


def _traced(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "awsafe", *args],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    modules = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    return result, modules


def test_version_and_help_import_neither_argparse_nor_botocore() -> None:
    version, modules = _traced("--version")
    assert (version.returncode, version.stdout) == (0, render_version() + "\n")
    assert "awsafe.cli.helptext" in modules  # the trace works: it sees our own modules
    assert not modules & HEAVY, sorted(modules & HEAVY)

    assert sys.version_info[:2] == helptext.RENDERED_WITH  # else --help goes to argparse by design
    shown, modules = _traced("--help")
    assert (shown.returncode, shown.stdout) == (0, helptext.TOP_HELP)
    assert not modules & HEAVY, sorted(modules & HEAVY)

    # Anything more than the bare flag still goes through argparse.
    _, modules = _traced("add", "--help")
    assert "argparse" in modules

"""The in-process runner (tests/support/cli.py) sees what a user of the console script sees:
argparse's own exits, both streams, the exit code, and an environment it leaves as it found it."""

from __future__ import annotations

import logging
import os

from awsafe import __version__
from tests.support.cli import run_main


def test_version_exits_0_on_stdout() -> None:
    result = run_main("--version")
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, f"awsafe {__version__}", "")


def test_help_of_a_command_exits_0_on_stdout() -> None:
    result = run_main("list", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: awsafe list") and "--credentials" in result.stdout


def test_no_command_prints_help_and_exits_2() -> None:
    result = run_main()
    assert result.returncode == 2
    assert "exec" in result.stderr and "export" in result.stderr and result.stdout == ""


def test_env_is_seen_by_the_command_and_os_environ_is_put_back() -> None:
    before = dict(os.environ)
    handlers = list(logging.getLogger("awsafe").handlers)
    result = run_main("list", "--profiles", env={"AWS_CONFIG_FILE": "/nonexistent/awsafe-test-config"})
    assert result.returncode == 0 and result.stdout == ""  # a missing config file has no profiles
    assert dict(os.environ) == before
    assert logging.getLogger("awsafe").handlers == handlers


def test_a_config_named_by_env_is_read(tmp_path: os.PathLike[str]) -> None:
    config = os.path.join(tmp_path, "config")
    with open(config, "w") as handle:
        handle.write("[profile from-env]\n")
    assert run_main("list", "--profiles", env={"AWS_CONFIG_FILE": config}).stdout == "from-env\n"

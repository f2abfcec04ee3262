"""A broken ~/.aws/config, an endless profile chain or a malformed flag: one line naming the
file:line or the flag, exit 3 or 2, no traceback (unless --debug), the config never rewritten.

Through main() in this process (tests/support/cli.py): none of these needs a real process
or an endpoint. The `exec` forms, which would start a program were the refusal ever lost,
stay in tests/e2e/test_malformed_config.py; the rest of the malformed numbers (on the fast
path, with the seed's world) in tests/e2e/test_bad_numbers.py and
tests/integration/cli/test_bad_values.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.env import one_error_line, write_config
from tests.support.malformed import MALFORMED_CONFIGS, one_clean_line

CASES = MALFORMED_CONFIGS


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_config(case: str) -> None:
    text, expected = CASES[case]
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    result = run_main("export", "test")
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"awsafe: {config}{expected}"), result.stderr
    assert len(result.stderr.splitlines()) <= 2
    assert "Traceback" not in result.stderr
    assert config.read_text() == text  # never rewritten


def test_debug_shows_the_traceback() -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("garbage\n")
    result = run_main("--debug", "export", "test")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_usage_error_is_short() -> None:
    result = run_main("export", "--format", "yaml", "test")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr
    assert "yaml" not in result.stderr  # a rejected word is never echoed: it may be a secret
    command = run_main("AKIASECRETLOOKING00X")
    assert command.returncode == 2 and "AKIASECRETLOOKING00X" not in command.stderr


# -- endless chains ----------------------------------------------------------------------------


def test_a_400_deep_source_profile_chain_is_a_config_error() -> None:
    sections = ["[profile p0]\nregion = us-east-1\n"]
    sections += [f"[profile p{i}]\nsource_profile = p{i - 1}\n" for i in range(1, 400)]
    write_config("".join(sections))
    line = one_error_line(run_main("export", "p399"), 3)
    assert "source_profile chain of profile 'p399' is longer than 64 profiles" in line


def test_a_1000_deep_include_profile_chain_is_a_config_error() -> None:
    sections = ["[profile i0]\nregion = us-east-1\n"]
    sections += [f"[profile i{i}]\ninclude_profile = i{i - 1}\n" for i in range(1, 1000)]
    write_config("".join(sections))
    line = one_error_line(run_main("export", "i999"), 3)
    assert "include_profile chain of profile 'i999' is longer than 64 profiles" in line


# -- malformed numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["٨٠٨٠", "²", "9" * 5000, "65536", "-1"])
def test_a_malformed_server_port_is_a_usage_error(port: str) -> None:
    # --imds-v1 without --imds is a usage error of its own: on a port taken as valid, that
    # error would be reported instead, and no server ever starts here.
    result = run_main("server", "--port", port, "--imds-v1", "demo", timeout=30)
    one_clean_line(result, 2, "--port must be")

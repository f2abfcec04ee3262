"""A broken ~/.aws/config gives file:line, a non-zero exit and no traceback, for every command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.env import run_awsafe

CASES = {
    "garbage": ("\x00\x01 not an ini file at all\n", ":1: text before any section"),
    "broken header": (
        "[profile ok]\nregion = x\n[profile test\nregion = y\n",
        ":3: broken section header",
    ),
    "line without equals": ("[profile test]\nregion = x\njust words\n", ":3: cannot parse"),
    "bad role arn": (
        "[profile test]\nrole_arn = not-an-arn\nsource_profile = test\n",
        ":2: role_arn",
    ),
    "bad duration": (
        "[profile s]\n[profile test]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = s\nduration_seconds = 99999\n",
        ":5: duration_seconds must be between 900 and 43200",
    ),
    "bad session name": (
        "[profile s]\n[profile test]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "source_profile = s\nrole_session_name = x\n",
        ":5: role_session_name 'x'",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", [["exec", "test", "--", "true"], ["export", "test"]])
def test_malformed_config(case: str, command: list[str]) -> None:
    text, expected = CASES[case]
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    result = run_awsafe(*command)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"awsafe: {config}{expected}"), result.stderr
    assert len(result.stderr.splitlines()) <= 2
    assert "Traceback" not in result.stderr
    assert config.read_text() == text  # never rewritten


def test_debug_shows_the_traceback() -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("garbage\n")
    result = run_awsafe("--debug", "export", "test")
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_usage_error_is_short() -> None:
    result = run_awsafe("export", "--format", "yaml", "test")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr
    assert "yaml" not in result.stderr  # a rejected word is never echoed: it may be a secret
    command = run_awsafe("AKIASECRETLOOKING00X")
    assert command.returncode == 2 and "AKIASECRETLOOKING00X" not in command.stderr

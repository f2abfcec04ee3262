"""A broken ~/.aws/config gives file:line, a non-zero exit and no traceback, under `exec` too.

The same for `export`, --debug's traceback and a short usage error, through main() in-process:
tests/unit/cli/test_config_and_usage_errors.py. `exec` stays here: were the refusal ever lost,
it would start the program in place of the test process.
"""

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
def test_malformed_config_under_exec(case: str) -> None:
    text, expected = CASES[case]
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    result = run_awsafe("exec", "test", "--", "true")
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith(f"awsafe: {config}{expected}"), result.stderr
    assert len(result.stderr.splitlines()) <= 2
    assert "Traceback" not in result.stderr
    assert config.read_text() == text  # never rewritten

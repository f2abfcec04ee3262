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
from tests.support.malformed import MALFORMED_CONFIGS

CASES = MALFORMED_CONFIGS


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

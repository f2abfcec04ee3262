"""Malformed numbers (non-ASCII digits, huge values) end in one line and exit 2, never 70, where
only a real process shows it: on the fast path, and under `exec` (which would start the program
were the refusal lost). The values and why they are hard: tests/support/malformed.py; the
--duration flag, duration_seconds, the scrypt cost and --port, in-process:
tests/integration/cli/test_bad_values.py and tests/unit/cli/test_config_and_usage_errors.py.
"""

from __future__ import annotations

import pytest

from tests.support.env import run_awsafe
from tests.support.malformed import BAD_DURATIONS, one_clean_line
from tests.support.worlds import Seed


@pytest.mark.parametrize("value", list(BAD_DURATIONS.values()), ids=list(BAD_DURATIONS))
def test_a_malformed_aws_min_ttl_is_a_usage_error_on_the_fast_path_too(seed: Seed, value: str) -> None:
    warm = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert warm.returncode == 0, warm.stderr  # a fast-path record now sends the next call down the fast path
    result = run_awsafe("export", "--format", "json", "test", env={**seed.env, "AWS_MIN_TTL": value})
    one_clean_line(result, 2, "AWS_MIN_TTL")
    assert result.stdout == ""


@pytest.mark.parametrize("value", list(BAD_DURATIONS.values()), ids=list(BAD_DURATIONS))
@pytest.mark.parametrize(
    "variable",
    [
        "AWS_SESSION_TOKEN_TTL",
        "AWS_CHAINED_SESSION_TOKEN_TTL",
        "AWS_ASSUME_ROLE_TTL",
        "AWS_FEDERATION_TOKEN_TTL",
        "AWS_MIN_TTL",
    ],
)
def test_a_malformed_ttl_variable_is_a_usage_error(seed: Seed, variable: str, value: str) -> None:
    result = run_awsafe("exec", "test", "--", "true", env={**seed.env, variable: value})
    one_clean_line(result, 2, variable)
    assert seed.moto.calls() == []


def test_a_go_duration_in_aws_min_ttl_is_honoured_by_the_fast_path(seed: Seed) -> None:
    """The fast path and the full path read AWS_MIN_TTL with one parser: '1h30m' works in both."""
    warm = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert warm.returncode == 0, warm.stderr
    # moto's role sessions last an hour: a 90-minute margin means every call refreshes.
    for _ in range(2):
        result = run_awsafe("export", "--format", "json", "test", env={**seed.env, "AWS_MIN_TTL": "1h30m"})
        assert result.returncode == 0, result.stderr
    assert len(seed.moto.calls("AssumeRole")) == 3

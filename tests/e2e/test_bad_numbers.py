"""Malformed numbers (non-ASCII digits, huge values) end in one line and exit 2 or 3, never 70.

Python's ``int()`` and ``str.isdigit()`` take "١٢٣" and "²", ``int()`` refuses
numbers of more than 4300 digits with a ValueError of its own, and
``timedelta`` overflows on huge ones: each of those once reached the user as a
traceback, exit 70, or was silently accepted.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

# Each is malformed as a duration: not ASCII digits, or too long to mean anything.
BAD_DURATIONS = {
    "arabic-indic digits": "١٢٣",
    "superscript two": "²",
    "arabic-indic hours": "١h",
    "5000 digits": "9" * 5000,
    "huge hours": "99999999999999h",
    "huge seconds": "99999999999999999999",
}


def _one_clean_line(result: subprocess.CompletedProcess[str], code: int, naming: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsafe: ") and naming in lines[0], result.stderr
    assert len(lines[0]) < 300  # a 5000-digit value is not echoed whole


@pytest.mark.parametrize("value", list(BAD_DURATIONS.values()), ids=list(BAD_DURATIONS))
def test_a_malformed_aws_min_ttl_is_a_usage_error_on_the_fast_path_too(seed: Seed, value: str) -> None:
    warm = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert warm.returncode == 0, warm.stderr  # a fast-path record now sends the next call down the fast path
    result = run_awsafe("export", "--format", "json", "test", env={**seed.env, "AWS_MIN_TTL": value})
    _one_clean_line(result, 2, "AWS_MIN_TTL")
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
    _one_clean_line(result, 2, variable)
    assert seed.moto.calls() == []


@pytest.mark.parametrize("value", list(BAD_DURATIONS.values()), ids=list(BAD_DURATIONS))
def test_a_malformed_duration_flag_is_a_usage_error(seed: Seed, value: str) -> None:
    result = run_awsafe("export", "test", "--duration", value, env=seed.env)
    _one_clean_line(result, 2, "--duration")
    assert seed.moto.calls() == []


@pytest.mark.parametrize(
    "value",
    ["١٢٠٠", "3600²", "9" * 5000, "99999999999999999999", "-1200", "+1200"],
    ids=["arabic-indic", "superscript", "5000 digits", "huge", "negative", "plus sign"],
)
def test_a_malformed_duration_seconds_is_a_config_error(seed: Seed, value: str) -> None:
    seed.append_config(f"duration_seconds = {value}\n")  # into [profile test], the last section
    result = run_awsafe("export", "test", env=seed.env)
    _one_clean_line(result, 3, "duration_seconds must be")
    assert seed.moto.calls() == []


@pytest.mark.parametrize("value", ["١٧", "²", "9" * 5000, "1" + "0" * 30])
def test_a_malformed_scrypt_cost_is_a_usage_error(seed: Seed, value: str) -> None:
    result = run_awsafe("export", "test", env={**seed.env, "AWSAFE_FILE_SCRYPT_LOG2N": value})
    _one_clean_line(result, 2, "AWSAFE_FILE_SCRYPT_LOG2N must be")


def test_a_go_duration_in_aws_min_ttl_is_honoured_by_the_fast_path(seed: Seed) -> None:
    """The fast path and the full path read AWS_MIN_TTL with one parser: '1h30m' works in both."""
    warm = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert warm.returncode == 0, warm.stderr
    # moto's role sessions last an hour: a 90-minute margin means every call refreshes.
    for _ in range(2):
        result = run_awsafe("export", "--format", "json", "test", env={**seed.env, "AWS_MIN_TTL": "1h30m"})
        assert result.returncode == 0, result.stderr
    assert len(seed.moto.calls("AssumeRole")) == 3


@pytest.mark.parametrize("port", ["٨٠٨٠", "²", "9" * 5000, "65536", "-1"])
def test_a_malformed_server_port_is_a_usage_error(port: str) -> None:
    # --imds-v1 without --imds is a usage error of its own: on a port taken as valid, that
    # error would be reported instead, and no server ever starts here.
    result = run_awsafe("server", "--port", port, "--imds-v1", "demo", timeout=30)
    _one_clean_line(result, 2, "--port must be")

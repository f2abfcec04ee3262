"""The `exec` environment contract (docs/commands/exec.md#behaviour) as a child process sees it."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

PRINT_ENV = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]


def test_child_environment_contract(seed: Seed) -> None:
    outer = {
        **seed.env,
        "AWS_ACCESS_KEY_ID": "AKIAOUTEROUTEROUTER1",
        "AWS_SECRET_ACCESS_KEY": "outer-secret",
        "AWS_SESSION_TOKEN": "outer-token",
        "AWS_SECURITY_TOKEN": "outer-token",
        "AWS_PROFILE": "somewhere-else",
        "AWS_DEFAULT_PROFILE": "somewhere-else",
        "AWS_SDK_LOAD_CONFIG": "1",
        "AWS_CREDENTIAL_FILE": "/tmp/x",
        "UNRELATED": "kept",
        "AWS_VAULT_FILE_PASSPHRASE": "test-passphrase",
    }
    result = run_awsafe("exec", "test", "--", *PRINT_ENV, env=outer)
    assert result.returncode == 0, result.stderr
    child = json.loads(result.stdout)
    assert child["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert child["AWS_SECRET_ACCESS_KEY"] not in ("outer-secret", seed.secret_access_key)
    assert child["AWS_SESSION_TOKEN"] and child["AWS_SESSION_TOKEN"] != "outer-token"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", child["AWS_CREDENTIAL_EXPIRATION"])
    expires = dt.datetime.strptime(child["AWS_CREDENTIAL_EXPIRATION"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires.replace(tzinfo=dt.timezone.utc) > dt.datetime.now(dt.timezone.utc)
    assert child["AWS_REGION"] == child["AWS_DEFAULT_REGION"] == "ap-northeast-2"
    assert child["AWS_VAULT"] == "test"
    for gone in (
        "AWSAFE_FILE_PASSPHRASE",  # a child must not be able to unlock the vault
        "AWS_VAULT_FILE_PASSPHRASE",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SECURITY_TOKEN",
        "AWS_SDK_LOAD_CONFIG",
        "AWS_CREDENTIAL_FILE",
    ):
        assert gone not in child
    assert child["UNRELATED"] == "kept"
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.access_key_id == seed.access_key_id  # the outer keys were never used


def test_profile_defaults_to_aws_profile(seed: Seed) -> None:
    result = run_awsafe("exec", "--", *PRINT_ENV, env={**seed.env, "AWS_PROFILE": "test"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AWS_VAULT"] == "test"


def test_child_exit_code_passes_through(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "--", "sh", "-c", "exit 7", env=seed.env)
    assert result.returncode == 7


def test_nesting_is_refused(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "--", "true", env={**seed.env, "AWS_VAULT": "demo"})
    assert result.returncode == 2
    assert "AWS_VAULT" in result.stderr and "unset" in result.stderr
    assert seed.moto.calls() == []


def test_no_command_starts_the_shell(seed: Seed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shell = tmp_path / "fake-shell"
    shell.write_text('#!/bin/sh\necho "shell for $AWS_VAULT"\nexit 3\n')
    shell.chmod(0o755)
    result = run_awsafe("exec", "test", env={**seed.env, "SHELL": str(shell)})
    assert result.returncode == 3
    assert result.stdout.strip() == "shell for test"
    assert "starting" in result.stderr


def test_iam_user_gets_a_session_token(seed: Seed) -> None:
    result = run_awsafe("exec", "demo", "--duration", "2h", "--", *PRINT_ENV, env=seed.env)
    assert result.returncode == 0, result.stderr
    child = json.loads(result.stdout)
    (call,) = seed.moto.calls("GetSessionToken")
    assert call.params["DurationSeconds"] == "7200"
    assert call.access_key_id == seed.access_key_id
    assert "AWS_SESSION_TOKEN" in child


def test_no_session_hands_out_the_long_term_keys(seed: Seed) -> None:
    result = run_awsafe("exec", "demo", "--no-session", "--", *PRINT_ENV, env=seed.env)
    assert result.returncode == 0, result.stderr
    child = json.loads(result.stdout)
    assert child["AWS_ACCESS_KEY_ID"] == seed.access_key_id
    assert "AWS_SESSION_TOKEN" not in child and "AWS_CREDENTIAL_EXPIRATION" not in child
    assert seed.moto.calls() == []


def test_region_flag_and_duration_for_role(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "--region", "eu-west-1", "-d", "30m", "--", *PRINT_ENV, env=seed.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AWS_REGION"] == "eu-west-1"
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.params["DurationSeconds"] == "1800"
    assert assume.region == "eu-west-1"


def test_missing_command_is_reported(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "--", "no-such-program-xyz", env=seed.env)
    assert result.returncode == 127
    assert "command not found: no-such-program-xyz" in result.stderr


def test_duration_out_of_range_is_a_usage_error(seed: Seed) -> None:
    for duration in ("10s", "48h"):
        result = run_awsafe("exec", "test", "-d", duration, "--", "true", env=seed.env)
        assert result.returncode == 2
        assert "--duration must be between 15m and 36h" in result.stderr
    assert seed.moto.calls() == []


def test_command_flags_without_double_dash_get_a_hint(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "aws", "s3", "ls", "--recursive", env=seed.env)
    assert result.returncode == 2
    assert "after '--'" in result.stderr and "--recursive" not in result.stderr

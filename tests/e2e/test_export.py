"""`export --format json` consumed as credential_process by the AWS CLI and boto3."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.env import awsafe_executable, run_awsafe
from tests.support.worlds import BIN, Seed

ROLE_IDENTITY = "arn:aws:sts::123456789012:assumed-role/seed-role/test"


def _add_process_profile(seed: Seed) -> None:
    seed.append_config(
        "\n[profile via-process]\n"
        f"credential_process = {awsafe_executable()} export --format json test\n"
        "region = ap-northeast-2\n"
    )


def test_export_json_shape(seed: Seed) -> None:
    result = run_awsafe("export", "--format", "json", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    assert set(document) == {
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
        "AccountId",  # the role's account (issue 13); the AWS CLI and boto3 below accept it
    }
    assert document["AccountId"] == "123456789012"
    assert document["Expiration"].endswith("Z") and "." not in document["Expiration"]
    assert result.stderr == ""


def test_aws_cli_uses_export_json_as_credential_process(seed: Seed) -> None:
    _add_process_profile(seed)
    result = subprocess.run(
        [
            str(BIN / "aws"),
            "sts",
            "get-caller-identity",
            "--profile",
            "via-process",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        env={**_os_env(), **seed.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ROLE_IDENTITY
    assert seed.moto.calls("AssumeRole")[0].params["ExternalId"]


def test_boto3_uses_export_json_as_credential_process(seed: Seed) -> None:
    _add_process_profile(seed)
    script = (
        "import boto3; s = boto3.Session(profile_name='via-process');"
        "print(s.client('sts').get_caller_identity()['Arn'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**_os_env(), **seed.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ROLE_IDENTITY


def test_export_env_formats_carry_the_same_credentials(seed: Seed) -> None:
    result = run_awsafe("export", "--format", "export-env", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    names = [line.split("=", 1)[0] for line in result.stdout.splitlines()]
    assert names == [
        "export AWS_ACCESS_KEY_ID",
        "export AWS_SECRET_ACCESS_KEY",
        "export AWS_SESSION_TOKEN",
        "export AWS_CREDENTIAL_EXPIRATION",
        "export AWS_ACCOUNT_ID",
        "export AWS_REGION",
        "export AWS_DEFAULT_REGION",
    ]


def _os_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_export_ini_is_a_credentials_file_the_aws_cli_reads(seed: Seed, tmp_path: Path) -> None:
    """`[NAME]`, as aws-vault writes it since v7.2: the shared credentials file's form."""
    result = run_awsafe("export", "--format", "ini", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "[test]"
    credentials = tmp_path / "credentials"
    credentials.write_text(result.stdout)
    empty_config = tmp_path / "config"
    empty_config.write_text("")
    env = {
        **_os_env(),
        **seed.env,
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(empty_config),
    }
    called = subprocess.run(
        [
            str(BIN / "aws"),
            "sts",
            "get-caller-identity",
            "--profile",
            "test",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert called.returncode == 0, called.stderr
    assert called.stdout.strip() == ROLE_IDENTITY
    exported = dict(line.split(" = ", 1) for line in result.stdout.splitlines()[1:])
    (identity,) = seed.moto.calls("GetCallerIdentity")
    assert identity.access_key_id == exported["aws_access_key_id"]
    assert identity.session_token == exported["aws_session_token"]

"""The seed's example end to end: `awsafe add demo`, then `awsafe exec test -- aws ...`."""

from __future__ import annotations

import json

from tests.support.env import caller_identity, run_awsafe
from tests.support.worlds import BIN, EXTERNAL_ID, Seed, seed_config


def test_exec_test_runs_aws_cli_as_the_assumed_role(seed: Seed) -> None:
    result = caller_identity("test", seed.env)
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/seed-role/test"

    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.params["ExternalId"] == EXTERNAL_ID
    assert assume.params["RoleSessionName"] == "test"
    assert assume.params["RoleArn"] == seed.role_arn
    assert assume.access_key_id == seed.access_key_id  # signed with demo's long-term key
    assert assume.region == "ap-northeast-2"
    assert seed.moto.calls("GetSessionToken") == []  # a role from a user: AssumeRole directly
    (caller,) = seed.moto.calls("GetCallerIdentity")
    assert caller.access_key_id != seed.access_key_id and caller.access_key_id.startswith("ASIA")


def test_wrong_external_id_is_denied_with_a_short_message(seed: Seed) -> None:
    seed.write_config(seed_config(seed.role_arn, external_id="00000000-0000-0000-0000-000000000000"))
    seed.moto.enable_auth()
    result = run_awsafe("exec", "test", "--", "true", env=seed.env)
    assert result.returncode == 7
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert "AccessDenied" in lines[0] and seed.role_arn in lines[0] and "'test'" in lines[0]
    assert "external_id" in result.stderr
    assert "Traceback" not in result.stderr
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.params["ExternalId"] == "00000000-0000-0000-0000-000000000000"


def test_right_external_id_passes_moto_auth_mode(seed: Seed) -> None:
    seed.moto.enable_auth()
    result = run_awsafe(
        "exec",
        "test",
        "--",
        str(BIN / "aws"),
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
        env=seed.env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "arn:aws:sts::123456789012:assumed-role/seed-role/test"

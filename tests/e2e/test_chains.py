"""Role chains, loops, unknown profiles and aws-vault #1195, through the console script."""

from __future__ import annotations

from tests.support.env import run_awsafe
from tests.support.worlds import EXTERNAL_ID, Seed


def test_three_role_chain_sends_one_assume_role_per_hop(seed: Seed) -> None:
    r1 = seed.moto.create_role("r1", seed.moto.user_arn("demo"))
    r2 = seed.moto.create_role("r2", seed.moto.role_arn("r1"))
    r3 = seed.moto.create_role("r3", seed.moto.role_arn("r2"))
    seed.append_config(
        f"\n[profile r1]\nrole_arn = {r1}\nsource_profile = demo\nduration_seconds = 7200\n"
        f"[profile r2]\nrole_arn = {r2}\nsource_profile = r1\nrole_session_name = hop2\n"
        f"[profile r3]\nrole_arn = {r3}\nsource_profile = r2\nrole_session_name = hop3\n"
        "duration_seconds = 7200\n"
    )
    result = run_awsafe("exec", "r3", "--", "true", env=seed.env)
    assert result.returncode == 0, result.stderr
    calls = seed.moto.calls("AssumeRole")
    assert [c.params["RoleArn"] for c in calls] == [r1, r2, r3]
    assert calls[0].access_key_id == seed.access_key_id
    assert calls[1].access_key_id.startswith("ASIA") and calls[1].session_token
    assert calls[2].access_key_id not in (calls[0].access_key_id, calls[1].access_key_id)
    # the first hop may take its 2h; hops assumed with role credentials are capped at 1h
    assert [c.params["DurationSeconds"] for c in calls] == ["7200", "3600", "3600"]
    assert calls[1].params["RoleSessionName"] == "hop2"
    assert seed.moto.calls("GetSessionToken") == []


def test_source_profile_loop_is_a_clear_error(seed: Seed) -> None:
    seed.append_config(
        "\n[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"
    )
    result = run_awsafe("exec", "a", "--", "true", env=seed.env)
    assert result.returncode == 3
    assert "source_profile loop: a -> b -> a" in result.stderr
    assert "Traceback" not in result.stderr
    assert seed.moto.calls() == []


def test_unknown_profile_is_a_clear_error(seed: Seed) -> None:
    result = run_awsafe("exec", "nosuch", "--", "true", env=seed.env)
    assert result.returncode == 5
    assert "'nosuch' is not in the config file" in result.stderr
    assert "awsafe add nosuch" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_source_profile_names_file_and_line(seed: Seed) -> None:
    seed.append_config(
        "\n[profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/o\nsource_profile = ghost\n"
    )
    result = run_awsafe("exec", "orphan", "--", "true", env=seed.env)
    assert result.returncode == 3
    assert f"{seed.config}:" in result.stderr and "source_profile 'ghost'" in result.stderr


def test_issue_1195_role_profile_with_sso_in_default_assumes_the_role(seed: Seed) -> None:
    seed.write_config(
        "[default]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 111111111111\nsso_role_name = Admin\nregion = us-east-1\n\n"
        + seed.config.read_text()
    )
    result = run_awsafe("exec", "test", "--", "true", env=seed.env)
    assert result.returncode == 0, result.stderr
    (assume,) = seed.moto.calls("AssumeRole")
    assert assume.params["RoleArn"] == seed.role_arn
    assert assume.params["ExternalId"] == EXTERNAL_ID

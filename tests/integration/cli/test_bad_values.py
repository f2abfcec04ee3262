"""Bad values on the seed's world, through main() in this process: a malformed duration, scrypt
cost or listening address, keys that are not an IAM user's, a chain at its limit. Each is one
clear line and the right exit code, and nothing that should not reach moto does.

(The same refusals through the console script where only a real process shows them, the fast
path and `exec`: tests/e2e/test_bad_numbers.py, test_ecs_server.py, test_imds_server.py.)
"""

from __future__ import annotations

import pytest

from tests.support.cli import run_main
from tests.support.malformed import BAD_DURATIONS, one_clean_line
from tests.support.worlds import Seed

IAM_ACTIONS = ("ListAccessKeys", "CreateAccessKey", "DeleteAccessKey")


def test_a_chain_of_64_hops_still_works(seed: Seed) -> None:
    hops = [f"[profile hop{i}]\nsource_profile = {'demo' if i == 0 else f'hop{i - 1}'}\n" for i in range(64)]
    seed.append_config("\n" + "".join(hops))
    result = run_main("export", "hop63", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert len(seed.moto.calls("GetSessionToken")) == 1


# -- malformed numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("value", list(BAD_DURATIONS.values()), ids=list(BAD_DURATIONS))
def test_a_malformed_duration_flag_is_a_usage_error(seed: Seed, value: str) -> None:
    result = run_main("export", "test", "--duration", value, env=seed.env)
    one_clean_line(result, 2, "--duration")
    assert seed.moto.calls() == []


@pytest.mark.parametrize(
    "value",
    ["١٢٠٠", "3600²", "9" * 5000, "99999999999999999999", "-1200", "+1200"],
    ids=["arabic-indic", "superscript", "5000 digits", "huge", "negative", "plus sign"],
)
def test_a_malformed_duration_seconds_is_a_config_error(seed: Seed, value: str) -> None:
    seed.append_config(f"duration_seconds = {value}\n")  # into [profile test], the last section
    result = run_main("export", "test", env=seed.env)
    one_clean_line(result, 3, "duration_seconds must be")
    assert seed.moto.calls() == []


@pytest.mark.parametrize("value", ["١٧", "²", "9" * 5000, "1" + "0" * 30])
def test_a_malformed_scrypt_cost_is_a_usage_error(seed: Seed, value: str) -> None:
    result = run_main("export", "test", env={**seed.env, "AWSAFE_FILE_SCRYPT_LOG2N": value})
    one_clean_line(result, 2, "AWSAFE_FILE_SCRYPT_LOG2N must be")


# -- addresses a server must not listen on -----------------------------------------------------


def test_server_refuses_a_wildcard_address_and_names_the_bridge_instead(seed: Seed) -> None:
    for address in ("0.0.0.0", "::", "0"):
        result = run_main("server", "--address", address, "test", env=seed.env, timeout=20)
        assert result.returncode == 2, (address, result.stderr)
        assert "every interface" in result.stderr and "--address 172.17.0.1" in result.stderr
        assert "Traceback" not in result.stderr
    assert seed.moto.calls() == []


def test_imds_server_refuses_addresses_other_hosts_reach(seed: Seed) -> None:
    for args in (["--imds", "--address", "0.0.0.0"], ["--imds-v1"], ["--port", "70000"]):
        result = run_main("server", *args, "test", env=seed.env, timeout=20)
        assert result.returncode == 2, (args, result.stderr)
    wide = run_main("server", "--imds", "--address", "0.0.0.0", "test", env=seed.env, timeout=20)
    assert "no shared secret" in wide.stderr
    assert seed.moto.calls() == []


# -- rotate: keys it must not touch ------------------------------------------------------------


def test_rotate_refuses_keys_that_are_not_an_iam_users(seed: Seed) -> None:
    seed.moto.register_credentials("AKIAUNKNOWNUNKNOWN00", "not-a-real-secret")  # AWS knows them
    added = run_main(
        "add",
        "stranger",
        "--env",
        env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNUNKNOWN00", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"},
    )
    assert added.returncode == 0, added.stderr
    result = run_main("rotate", "stranger", env=seed.env)
    assert result.returncode == 2
    assert "not to an IAM user" in result.stderr  # moto answers arn:aws:sts::...:user/moto
    assert [c.action for c in seed.moto.calls() if c.action in IAM_ACTIONS] == []


def test_rotate_without_stored_keys_says_so(seed: Seed) -> None:
    seed.append_config("\n[profile bare]\nregion = us-east-1\n")
    result = run_main("rotate", "bare", env=seed.env)
    assert result.returncode == 5
    assert "no long-term keys in the file vault for profile 'bare'" in result.stderr
    assert "awsafe add bare" in result.stderr
    assert seed.moto.calls() == []

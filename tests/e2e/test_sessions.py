"""The session table of docs/sessions.md, row by row: which STS calls a profile makes, with what,
and what is cached.

Every assertion is on the calls recorded at moto (operation, SerialNumber,
TokenCode, DurationSeconds, signing key) and their count, because moto itself
accepts any MFA code.
"""

from __future__ import annotations

import pytest

from tests.support.env import run_awsafe
from tests.support.moto_server import Call
from tests.support.worlds import EXTERNAL_ID, SERIAL, Seed

MOTO_SESSION_KEY = "AKIAIOSFODNN7EXAMPLE"  # moto's GetSessionToken always returns this key id


def sent(calls: list[Call]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [
        (c.action, c.params.get("SerialNumber"), c.params.get("TokenCode"), c.params.get("DurationSeconds"))
        for c in calls
        if c.service == "sts"
    ]


def export(seed: Seed, *args: str) -> None:
    result = run_awsafe("export", "--format", "json", *args, env=seed.env)
    assert result.returncode == 0, result.stderr


def test_row_iam_user_gets_session_token_once(seed: Seed) -> None:
    export(seed, "demo")
    export(seed, "demo")
    assert sent(seed.moto.calls()) == [("GetSessionToken", None, None, "3600")]
    assert seed.moto.calls()[0].access_key_id == seed.access_key_id


def test_row_iam_user_with_mfa_sends_serial_and_code(mfa_world: Seed) -> None:
    export(mfa_world, "mfauser", "--mfa-token", "123456")
    export(mfa_world, "mfauser")  # cached: no code needed, none sent
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", "arn:aws:iam::123456789012:mfa/mfauser", "123456", "3600")
    ]


def test_row_role_from_user_without_mfa_is_assumed_with_long_term_keys_and_cached(seed: Seed) -> None:
    export(seed, "test")
    export(seed, "test")
    calls = seed.moto.calls()
    assert sent(calls) == [("AssumeRole", None, None, "3600")]
    assert calls[0].access_key_id == seed.access_key_id and calls[0].session_token is None


def test_row_role_with_mfa_shares_one_mfa_session_between_roles(mfa_world: Seed) -> None:
    export(mfa_world, "admin", "-t", "123456")
    export(mfa_world, "admin2")  # same source, same serial: no new code, no new session token
    export(mfa_world, "admin")  # cached role credentials
    calls = mfa_world.moto.calls()
    assert sent(calls) == [
        ("GetSessionToken", SERIAL, "123456", "28800"),
        ("AssumeRole", None, None, "3600"),
        ("AssumeRole", None, None, "3600"),
    ]
    assert calls[0].access_key_id == mfa_world.access_key_id  # the long-term key asks for the session
    assert all(c.access_key_id == MOTO_SESSION_KEY and c.session_token for c in calls[1:])
    assert [c.params["RoleArn"].rsplit("/", 1)[1] for c in calls[1:]] == ["admin", "admin2"]


def test_row_role_with_mfa_over_an_hour_assumes_with_mfa_directly(mfa_world: Seed) -> None:
    export(mfa_world, "admin-long", "-t", "654321")
    export(mfa_world, "admin-long")
    calls = mfa_world.moto.calls()
    assert sent(calls) == [("AssumeRole", SERIAL, "654321", "7200")]
    assert calls[0].access_key_id == mfa_world.access_key_id and calls[0].session_token is None


def test_row_role_chain_caps_each_hop_and_caches_every_hop(seed: Seed) -> None:
    r1 = seed.moto.create_role("r1", seed.moto.user_arn("demo"))
    r2 = seed.moto.create_role("r2", seed.moto.role_arn("r1"))
    seed.append_config(
        f"\n[profile r1]\nrole_arn = {r1}\nsource_profile = demo\nduration_seconds = 7200\n"
        f"[profile r2]\nrole_arn = {r2}\nsource_profile = r1\nduration_seconds = 7200\n"
    )
    export(seed, "r2")
    export(seed, "r1")  # the first hop was cached on the way
    export(seed, "r2")
    assert sent(seed.moto.calls()) == [("AssumeRole", None, None, "7200"), ("AssumeRole", None, None, "3600")]


def test_no_session_role_with_mfa_sends_the_code_on_assume_role(mfa_world: Seed) -> None:
    export(mfa_world, "admin", "--no-session", "-t", "111111")
    assert sent(mfa_world.moto.calls()) == [("AssumeRole", SERIAL, "111111", "3600")]


def test_durations_from_environment(mfa_world: Seed) -> None:
    env = {
        **mfa_world.env,
        "AWS_SESSION_TOKEN_TTL": "2h",
        "AWS_CHAINED_SESSION_TOKEN_TTL": "4h",
        "AWS_ASSUME_ROLE_TTL": "45m",
    }
    for args in (["demo"], ["admin", "-t", "123456"]):
        result = run_awsafe("export", *args, env=env)
        assert result.returncode == 0, result.stderr
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", None, None, "7200"),
        ("GetSessionToken", SERIAL, "123456", "14400"),
        ("AssumeRole", None, None, "2700"),
    ]


def test_min_ttl_refreshes_credentials_close_to_expiry(seed: Seed) -> None:
    export(seed, "test")
    # a minimum lifetime longer than the role's 1h makes the cached credentials too old
    result = run_awsafe("export", "test", env={**seed.env, "AWS_MIN_TTL": "2h"})
    assert result.returncode == 0, result.stderr
    assert len(seed.moto.calls("AssumeRole")) == 2


@pytest.mark.parametrize(
    ("key", "old", "new"),
    [
        ("role_arn", "seed-role", "other-role"),
        ("external_id", EXTERNAL_ID, "aaaaaaaa" + EXTERNAL_ID[8:]),
    ],
)
def test_editing_the_profile_never_serves_stale_credentials(seed: Seed, key: str, old: str, new: str) -> None:
    export(seed, "test")
    seed.write_config(seed.config.read_text().replace(old, new))
    export(seed, "test")
    calls = seed.moto.calls("AssumeRole")
    assert len(calls) == 2
    field = "RoleArn" if key == "role_arn" else "ExternalId"
    assert old in calls[0].params[field] and new in calls[1].params[field]


def test_add_drops_sessions_derived_from_the_old_keys(seed: Seed) -> None:
    export(seed, "test")
    again = run_awsafe(
        "add",
        "demo",
        "--env",
        env={"AWS_ACCESS_KEY_ID": seed.access_key_id, "AWS_SECRET_ACCESS_KEY": seed.secret_access_key},
    )
    assert again.returncode == 0
    export(seed, "test")
    assert len(seed.moto.calls("AssumeRole")) == 2

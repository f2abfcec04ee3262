"""`rotate` against moto's IAM: the calls that reach it, each failure branch, no secret leaked.

(Keys that are not an IAM user's, and a profile without stored keys, in-process:
tests/integration/cli/test_bad_values.py.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.env import caller_identity, run_awsafe
from tests.support.moto_server import Call, MotoServer
from tests.support.worlds import Seed

IAM_ACTIONS = ("ListAccessKeys", "CreateAccessKey", "DeleteAccessKey")
MOTO_SESSION_KEY = "AKIAIOSFODNN7EXAMPLE"  # moto's GetSessionToken always returns this key id


def vault_keys(seed: Seed, profile: str = "demo") -> tuple[str, str]:
    """(key id, secret) the vault holds for ``profile``."""
    result = run_awsafe("export", profile, "--no-session", "--format", "json", env=seed.env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data["AccessKeyId"], data["SecretAccessKey"]


def keys_at_iam(moto: MotoServer, user: str = "demo") -> list[str]:
    listed = moto.admin_client("iam").list_access_keys(UserName=user)["AccessKeyMetadata"]
    return sorted(k["AccessKeyId"] for k in listed)


def steps(calls: list[Call]) -> list[tuple[str, str | None]]:
    """(action, signing key id) of each STS/IAM call."""
    return [(c.action, c.access_key_id) for c in calls if c.service in ("sts", "iam")]


def cached_sessions() -> list[str]:
    result = run_awsafe("list", "--sessions")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_rotate_demo_replaces_the_key_deletes_the_old_one_and_clears_sessions(seed: Seed) -> None:
    moto, old = seed.moto, seed.access_key_id
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    assert run_awsafe("export", "demo", env=seed.env).returncode == 0
    assert len(cached_sessions()) == 2
    start = len(moto.calls())

    result = run_awsafe("rotate", "demo", env=seed.env)

    assert result.returncode == 0, result.stderr
    calls = moto.calls()[start:]
    new, _ = vault_keys(seed)
    assert new != old
    assert keys_at_iam(moto) == [new]
    assert steps(calls) == [
        ("GetCallerIdentity", old),
        ("ListAccessKeys", old),
        ("CreateAccessKey", old),
        ("GetCallerIdentity", new),
        ("DeleteAccessKey", old),
    ]
    iam = [c for c in calls if c.action in IAM_ACTIONS]
    assert all(c.params["UserName"] == "demo" for c in iam)
    assert [c.params["AccessKeyId"] for c in iam if c.action == "DeleteAccessKey"] == [old]
    for line in (
        f"Rotating access key {old} of IAM user 'demo' (profile 'demo')",
        f"Created a new access key {new}",
        "The new key works",
        f"Deleted the old key {old}",
        "Cleared 2 cached sessions",
    ):
        assert line in result.stderr
    assert result.stdout == ""
    assert cached_sessions() == []  # demo's session token and test's role credentials

    after = caller_identity("test", seed.env)
    assert after.returncode == 0, after.stderr
    assert ":assumed-role/seed-role/" in json.loads(after.stdout)["Arn"]
    assert [c.access_key_id for c in moto.calls("AssumeRole")][-1] == new


def test_rotate_a_role_profile_rotates_its_source_user(seed: Seed) -> None:
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    result = run_awsafe("rotate", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert "Profile 'test' uses the keys of profile 'demo'" in result.stderr
    new, _ = vault_keys(seed)
    assert keys_at_iam(seed.moto) == [new] != [seed.access_key_id]
    assert cached_sessions() == []
    assert caller_identity("test", seed.env).returncode == 0


def test_rotate_defaults_to_aws_profile(seed: Seed) -> None:
    result = run_awsafe("rotate", env={**seed.env, "AWS_PROFILE": "demo"})
    assert result.returncode == 0, result.stderr
    assert keys_at_iam(seed.moto) == [vault_keys(seed)[0]]


def test_rotate_refuses_a_user_with_two_keys_and_changes_nothing(seed: Seed) -> None:
    moto, old = seed.moto, seed.access_key_id
    other = moto.admin_client("iam").create_access_key(UserName="demo")["AccessKey"]["AccessKeyId"]
    start = len(moto.calls())

    result = run_awsafe("rotate", "demo", env=seed.env)

    assert result.returncode == 7
    assert f"{old} (in the vault for profile 'demo')" in result.stderr
    assert other in result.stderr and "nothing was changed" in result.stderr
    assert f"iam delete-access-key --user-name demo --access-key-id {other}" in result.stderr
    assert "Traceback" not in result.stderr
    assert [a for a, _ in steps(moto.calls()[start:])] == ["GetCallerIdentity", "ListAccessKeys"]
    assert vault_keys(seed) == (old, seed.secret_access_key)
    assert keys_at_iam(moto) == sorted([old, other])


def test_rotate_when_deleting_the_old_key_fails_keeps_the_new_key_and_names_the_old(seed: Seed) -> None:
    moto, old = seed.moto, seed.access_key_id
    assert run_awsafe("export", "test", env=seed.env).returncode == 0
    moto.fail_next("DeleteAccessKey", code="AccessDenied", status=403, message="not allowed", times=10)

    result = run_awsafe("rotate", "demo", env=seed.env)

    assert result.returncode == 7
    new, _ = vault_keys(seed)
    assert new != old
    assert f"the vault holds the new access key {new}" in result.stderr
    assert f"deleting the old key {old} failed" in result.stderr
    assert (
        f"delete it by hand: awsafe exec demo --no-session -- aws iam delete-access-key --user-name demo "
        f"--access-key-id {old}"
    ) in result.stderr
    assert "Cleared 1 cached session" in result.stderr and cached_sessions() == []
    assert keys_at_iam(moto) == sorted([old, new])
    works = caller_identity("test", seed.env)
    assert works.returncode == 0, works.stderr
    assert [c.access_key_id for c in moto.calls("AssumeRole")][-1] == new


def _new_key_never_valid(seed: Seed) -> list[bool]:
    """Refuse GetCallerIdentity for every long-term key but the old one, while the switch is on."""
    on = [True]
    old = seed.access_key_id
    seed.moto.fail_next(
        "GetCallerIdentity",
        code="InvalidClientTokenId",
        status=403,
        message="The security token included in the request is invalid.",
        times=1000,
        when=lambda call: on[0] and call.access_key_id != old,
    )
    return on


def test_rotate_when_the_new_key_never_works_restores_the_old_key_and_deletes_the_new(seed: Seed) -> None:
    moto, old = seed.moto, seed.access_key_id
    on = _new_key_never_valid(seed)

    started = time.monotonic()
    result = run_awsafe("rotate", "demo", env={**seed.env, "AWSAFE_ROTATE_TIMEOUT": "3s"})
    elapsed = time.monotonic() - started
    on[0] = False

    assert result.returncode == 7
    assert elapsed < 20
    deleted = [c.params["AccessKeyId"] for c in moto.calls("DeleteAccessKey")]
    assert len(deleted) == 1 and deleted[0] != old
    new = deleted[0]
    probes = [c for c in moto.calls("GetCallerIdentity") if c.access_key_id == new]
    assert 2 <= len(probes) <= 4  # at 0 s, 2 s and 3 s: bounded by the timeout, one attempt each
    assert f"the new access key {new} of IAM user 'demo' did not work within 3 s" in result.stderr
    assert "(GetCallerIdentity failed: InvalidClientTokenId" in result.stderr
    assert f"the vault holds the old key {old} again; the new key {new} was deleted" in result.stderr
    assert vault_keys(seed) == (old, seed.secret_access_key)
    assert keys_at_iam(moto) == [old]
    assert caller_identity("test", seed.env).returncode == 0


def test_rotate_when_the_new_key_never_works_and_cannot_be_deleted_names_it(seed: Seed) -> None:
    moto, old = seed.moto, seed.access_key_id
    on = _new_key_never_valid(seed)
    moto.fail_next("DeleteAccessKey", code="AccessDenied", status=403, message="not allowed", times=10)

    result = run_awsafe("rotate", "demo", env={**seed.env, "AWSAFE_ROTATE_TIMEOUT": "0"})
    on[0] = False

    assert result.returncode == 7
    new = next(c.params["AccessKeyId"] for c in moto.calls("DeleteAccessKey"))
    assert f"the vault holds the old key {old} again" in result.stderr
    assert f"the new key {new} could not be deleted" in result.stderr
    assert f"--access-key-id {new}" in result.stderr
    assert vault_keys(seed) == (old, seed.secret_access_key)
    assert keys_at_iam(moto) == sorted([old, new])


def test_rotate_with_mfa_makes_the_iam_calls_with_an_mfa_session(mfa_world: Seed) -> None:
    moto = mfa_world.moto
    result = run_awsafe("rotate", "mfauser", "-t", "123456", env=mfa_world.env)
    assert result.returncode == 0, result.stderr
    sessions = moto.calls("GetSessionToken")
    assert [
        (c.params.get("SerialNumber"), c.params.get("TokenCode"), c.params["DurationSeconds"])
        for c in sessions
    ] == [("arn:aws:iam::123456789012:mfa/mfauser", "123456", "900")]
    iam = [c for c in moto.calls() if c.action in IAM_ACTIONS]
    assert [c.action for c in iam] == ["ListAccessKeys", "CreateAccessKey", "DeleteAccessKey"]
    assert all(c.access_key_id == MOTO_SESSION_KEY and c.session_token for c in iam)
    assert keys_at_iam(moto, "mfauser") == [vault_keys(mfa_world, "mfauser")[0]]
    assert cached_sessions() == []  # the one-off MFA session was not cached


def test_rotate_no_session_uses_the_long_term_keys_even_with_mfa(mfa_world: Seed) -> None:
    moto = mfa_world.moto
    old, _ = vault_keys(mfa_world, "mfauser")
    result = run_awsafe("rotate", "mfauser", "--no-session", env=mfa_world.env)
    assert result.returncode == 0, result.stderr
    assert moto.calls("GetSessionToken") == []
    iam = [c for c in moto.calls() if c.action in IAM_ACTIONS]
    assert [(c.action, c.access_key_id, c.session_token) for c in iam] == [
        ("ListAccessKeys", old, None),
        ("CreateAccessKey", old, None),
        ("DeleteAccessKey", old, None),
    ]


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    return [
        f"{path} contains secret #{i}"
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
        for i, needle in enumerate(needles)
        if needle in path.read_bytes()
    ]


def test_rotate_never_shows_or_writes_a_secret_in_plaintext(seed: Seed) -> None:
    outputs: list[str] = []
    secrets = [seed.secret_access_key]
    happy = run_awsafe("--debug", "rotate", "demo", env=seed.env)
    assert happy.returncode == 0, happy.stderr
    outputs += [happy.stdout, happy.stderr]
    secrets.append(vault_keys(seed)[1])

    seed.moto.fail_next("DeleteAccessKey", code="AccessDenied", status=403, message="not allowed", times=10)
    failed = run_awsafe("rotate", "demo", "--debug", env=seed.env)
    assert failed.returncode == 7
    assert "Traceback" in failed.stderr  # --debug shows it; it must still hold no secret
    outputs += [failed.stdout, failed.stderr]
    secrets.append(vault_keys(seed)[1])

    assert len(set(secrets)) == 3
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    assert _files_containing(seed.home, [s.encode() for s in secrets]) == []

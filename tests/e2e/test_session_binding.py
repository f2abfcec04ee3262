"""What is served is bound to what was asked and to the keys it came from, on the fast and full paths.

An `add` killed between storing new keys and clearing the old sessions, and fast-path
records swapped or edited on disk, must never hand out credentials of the replaced
keys, of another profile or of another environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from awsafe.credentials import fastpath
from awsafe.credentials.stored import StoredKeys
from awsafe.model import Credentials
from awsafe.vault.file import FileStore
from awsafe.vault.keychain import KeychainStore
from tests.support.env import run_awsafe, start_awsafe
from tests.support.keyring import THROWAWAY_KEYRING
from tests.support.worlds import Seed

PRINT_KEY = [sys.executable, "-c", "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"]


def _store() -> FileStore:
    return FileStore(Path(os.environ["AWSAFE_FILE_DIR"]), lambda: os.environ["AWSAFE_FILE_PASSPHRASE"])


def _session_items() -> list[str]:
    return [name for name in _store().keys() if name.startswith("sessions/")]


def _export(seed: Seed, profile: str, env: dict[str, str] | None = None) -> dict[str, str]:
    result = run_awsafe("export", "--format", "json", profile, env={**seed.env, **(env or {})})
    assert result.returncode == 0, result.stderr
    document: dict[str, str] = json.loads(result.stdout)
    return document


def _store_new_keys_as_an_interrupted_add_would(seed: Seed, keys: StoredKeys | None = None) -> str:
    """A second key of IAM user demo, written to the vault the way `add` does, sessions left alone."""
    created = seed.moto.admin_client("iam").create_access_key(UserName="demo")["AccessKey"]
    keys = keys or StoredKeys(_store())
    keys.set("demo", Credentials(created["AccessKeyId"], created["SecretAccessKey"]))
    return str(created["AccessKeyId"])


def _memo_path(seed: Seed, profile: str, env: dict[str, str] | None = None) -> Path:
    name = fastpath.fast_path_key(profile, {**os.environ, **seed.env, **(env or {})})
    return seed.home / ".awsafe" / "memo" / name


@pytest.mark.parametrize("command", ["export", "exec"])
def test_role_session_of_replaced_keys_is_not_served_after_an_interrupted_add(
    seed: Seed, command: str
) -> None:
    old = _export(seed, "test")
    assert _export(seed, "test") == old  # a hit: the fast-path record exists, the fast path serves it
    (first,) = seed.moto.calls("AssumeRole")
    assert first.access_key_id == seed.access_key_id

    new_key_id = _store_new_keys_as_an_interrupted_add_would(seed)
    assert len(_session_items()) == 1  # the old session is still in the vault

    if command == "export":
        served = _export(seed, "test")["AccessKeyId"]
    else:
        result = run_awsafe("exec", "test", "--", *PRINT_KEY, env=seed.env)
        assert result.returncode == 0, result.stderr
        served = result.stdout.strip()

    calls = seed.moto.calls("AssumeRole")
    assert len(calls) == 2 and calls[1].access_key_id == new_key_id
    assert served != old["AccessKeyId"]
    assert _export(seed, "test")["AccessKeyId"] == served  # the new session is cached in turn
    assert len(seed.moto.calls("AssumeRole")) == 2


def test_user_session_token_of_replaced_keys_is_fetched_again_with_the_new_key(seed: Seed) -> None:
    _export(seed, "demo")
    _export(seed, "demo")  # the fast path
    (first,) = seed.moto.calls("GetSessionToken")
    assert first.access_key_id == seed.access_key_id

    new_key_id = _store_new_keys_as_an_interrupted_add_would(seed)
    _export(seed, "demo")

    calls = seed.moto.calls("GetSessionToken")
    assert len(calls) == 2 and calls[1].access_key_id == new_key_id


def test_sessions_of_keys_removed_without_clearing_are_not_served(seed: Seed) -> None:
    _export(seed, "test")
    _export(seed, "test")
    assert _store().delete("credentials/demo")  # `remove` killed before it cleared the sessions

    result = run_awsafe("export", "test", env=seed.env)
    assert result.returncode == 5, result.stdout
    assert "AWS_ACCESS_KEY_ID" not in result.stdout
    assert len(seed.moto.calls("AssumeRole")) == 1


def test_rotate_killed_before_dropping_sessions_leaves_none_served(seed: Seed) -> None:
    old = _export(seed, "test")
    _export(seed, "test")
    probing = [True]  # the new key "does not work yet": rotate keeps polling, its sessions intact
    seed.moto.fail_next(
        "GetCallerIdentity",
        code="InvalidClientTokenId",
        status=403,
        message="The security token included in the request is invalid.",
        times=1000,
        when=lambda call: probing[0] and call.access_key_id != seed.access_key_id,
    )
    rotate = start_awsafe(
        "rotate", "demo", env=seed.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not [c for c in seed.moto.calls("GetCallerIdentity") if c.injected]:
            assert rotate.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        rotate.kill()  # between storing the new key and dropping the sessions
        rotate.wait()
        probing[0] = False
    new_key_id = next(c.access_key_id for c in seed.moto.calls("GetCallerIdentity") if c.injected)
    stored = StoredKeys(_store()).get("demo")
    assert stored is not None and stored.access_key_id == new_key_id
    assert len(_session_items()) == 1

    served = _export(seed, "test")

    calls = seed.moto.calls("AssumeRole")
    assert len(calls) == 2 and calls[1].access_key_id == new_key_id
    assert served["AccessKeyId"] != old["AccessKeyId"]


@pytest.mark.secret_service
@pytest.mark.skipif(
    not THROWAWAY_KEYRING,
    reason="needs the throwaway Secret Service of scripts/test (would write to your keyring)",
)
def test_interrupted_add_with_the_keychain_backend(seed: Seed) -> None:
    env = {**seed.env, "AWSAFE_BACKEND": "secret-service"}
    keychain = KeychainStore(
        "awsafe", "secret-service", lock_path=seed.home / ".awsafe" / "keychain-awsafe.lock"
    )
    keys = StoredKeys(keychain)
    keys.set("demo", Credentials(seed.access_key_id, seed.secret_access_key))
    try:
        old = _export(seed, "test", env)
        assert _export(seed, "test", env) == old  # a hit, fast-path record written
        new_key_id = _store_new_keys_as_an_interrupted_add_would(seed, keys)

        served = _export(seed, "test", env)

        calls = seed.moto.calls("AssumeRole")
        assert [c.access_key_id for c in calls] == [seed.access_key_id, new_key_id]
        assert served["AccessKeyId"] != old["AccessKeyId"]
    finally:
        for item in keychain.keys():
            keychain.delete(item)


def test_swapped_memos_never_serve_another_profiles_credentials(seed: Seed) -> None:
    demo, test = _export(seed, "demo"), _export(seed, "test")
    assert demo["AccessKeyId"] != test["AccessKeyId"]
    demo_memo, test_memo = _memo_path(seed, "demo"), _memo_path(seed, "test")
    demo_text, test_text = demo_memo.read_text(), test_memo.read_text()
    demo_memo.write_text(test_text)
    test_memo.write_text(demo_text)
    calls = len(seed.moto.calls())

    assert _export(seed, "demo") == demo
    assert _export(seed, "test") == test
    assert len(seed.moto.calls()) == calls  # both from the cache, through the full path
    assert _export(seed, "demo") == demo  # and the full path rewrote an honest fast-path record


def test_a_memo_moved_to_another_environment_serves_that_environments_session(seed: Seed) -> None:
    longer = {"AWS_ASSUME_ROLE_TTL": "2h"}
    plain, long = _export(seed, "test"), _export(seed, "test", longer)
    assert plain["AccessKeyId"] != long["AccessKeyId"]
    _memo_path(seed, "test").write_text(_memo_path(seed, "test", longer).read_text())

    assert _export(seed, "test") == plain
    assert len(seed.moto.calls("AssumeRole")) == 2


def test_an_edited_memo_is_not_trusted(seed: Seed) -> None:
    run_awsafe("export", "test", env=seed.env)
    memo_path = _memo_path(seed, "test")
    memo = json.loads(memo_path.read_text())
    memo["region"] = "eu-west-1"
    memo_path.write_text(json.dumps(memo))

    result = run_awsafe("export", "test", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert "AWS_REGION=ap-northeast-2" in result.stdout.splitlines()

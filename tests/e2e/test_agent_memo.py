"""The agent's memo of answers, with a real agent: repeated requests are answered alike, and a
change to the vault or the config made by another process is seen at the next request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.keyring import NO_THROWAWAY_KEYRING, THROWAWAY_KEYRING
from tests.support.moto_server import MotoServer
from tests.support.running_agent import AgentPlace
from tests.support.worlds import Seed, make_seed_account


def assume_role_calls(seed: Seed) -> int:
    return sum(1 for c in seed.moto.calls() if c.service == "sts" and c.action == "AssumeRole")


def export_key(env: dict[str, str]) -> str:
    result = run_awsafe("export", "--format", "json", "test", env=env)
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["AccessKeyId"])


def test_a_vault_change_elsewhere_is_seen_by_the_next_request(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_place.start(seed.env)
    monkeypatch.delenv("AWSAFE_FILE_PASSPHRASE")
    first = export_key(seed.env)
    assert [export_key(seed.env) for _ in range(3)] == [first] * 3
    assert assume_role_calls(seed) == 1

    # `clear` in another process (it unlocks the vault itself) removes the cached session:
    # the agent must not keep handing out the session that is gone.
    cleared = run_awsafe("clear", env={**seed.env, "AWSAFE_FILE_PASSPHRASE": "test-passphrase"})
    assert cleared.returncode == 0, cleared.stderr
    second = export_key(seed.env)
    assert second != first
    assert assume_role_calls(seed) == 2


def test_a_config_edit_is_seen_by_the_next_request(
    seed: Seed, agent_place: AgentPlace, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_place.start(seed.env)
    monkeypatch.delenv("AWSAFE_FILE_PASSPHRASE")
    before = run_awsafe("export", "--format", "env", "test", env=seed.env)
    assert before.returncode == 0 and "AWS_REGION=ap-northeast-2" in before.stdout
    seed.config.write_text(seed.config.read_text().replace("region=ap-northeast-2", "region=eu-central-1"))
    after = run_awsafe("export", "--format", "env", "test", env=seed.env)
    assert after.returncode == 0, after.stderr
    assert "AWS_REGION=eu-central-1" in after.stdout


@pytest.mark.secret_service
@pytest.mark.skipif(not THROWAWAY_KEYRING, reason=NO_THROWAWAY_KEYRING)
def test_with_the_os_keychain_a_clear_elsewhere_is_seen_too(
    moto: MotoServer, isolated_env: Path, agent_place: AgentPlace
) -> None:
    """The keychain has no directory to watch: the vault.changed marker tells the agent."""
    key_id, secret, role_arn = make_seed_account(moto)
    env = {**moto.endpoint_env(), "AWSAFE_BACKEND": "secret-service"}
    added = run_awsafe(
        "add", "demo", "--env", env={**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    )
    assert added.returncode == 0, added.stderr
    try:
        agent_place.start(env)
        calls = lambda: len(moto.calls("AssumeRole"))  # noqa: E731
        first = export_key(env)
        assert [export_key(env) for _ in range(2)] == [first] * 2
        assert calls() == 1
        assert run_awsafe("clear", env=env).returncode == 0
        assert export_key(env) != first
        assert calls() == 2
    finally:
        agent_place.stop()
        run_awsafe("remove", "-f", "demo", env=env)

"""A role's credential_source (the AWS CLI's): Environment takes awsafe's own outer keys,
Ec2InstanceMetadata reads a local IMDSv2 fake, EcsContainer a local container endpoint fake
with its authorization token; the recorded AssumeRole is signed with what they served. Through
the agent, such a request is declined and the client serves itself (its keys never travel)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.fake_metadata import FakeContainerEndpoint, FakeImds, Served
from tests.support.running_agent import AgentPlace
from tests.support.worlds import Seed

OUTER = Served("AKIAOUTERENVIRONMENT", "outer-secret-value", "outer-session-token")
INSTANCE = Served("ASIAINSTANCEROLE0001", "instance-secret-value", "instance-session-token")
TASK = Served("ASIACONTAINERTASK001", "task-secret-value", "task-session-token")


@pytest.fixture
def imds() -> Iterator[FakeImds]:
    with FakeImds(INSTANCE) as fake:
        yield fake


@pytest.fixture
def container() -> Iterator[FakeContainerEndpoint]:
    with FakeContainerEndpoint(TASK, authorization="task-authorization-token") as fake:
        yield fake


def _role(seed: Seed, source: str) -> None:
    seed.append_config(
        f"\n[profile outer]\nrole_arn = {seed.role_arn}\ncredential_source = {source}\n"
        "role_session_name = outer-session\nduration_seconds = 7200\n"
    )


def _export(seed: Seed, env: dict[str, str], *args: str) -> dict[str, str]:
    result = run_awsafe(*args, "export", "--format", "json", "outer", env={**seed.env, **env})
    assert result.returncode == 0, result.stderr
    document: dict[str, str] = json.loads(result.stdout)
    return document


def _assumed_with(seed: Seed, served: Served) -> None:
    (assume,) = seed.moto.calls("AssumeRole")
    assert (assume.access_key_id, assume.session_token) == (served.access_key_id, served.session_token)
    assert assume.params["RoleArn"] == seed.role_arn
    assert assume.params["RoleSessionName"] == "outer-session"


def _outer_env(served: Served) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": served.access_key_id,
        "AWS_SECRET_ACCESS_KEY": served.secret_access_key,
        "AWS_SESSION_TOKEN": served.session_token,
    }


def test_environment_takes_the_outer_keys(seed: Seed) -> None:
    seed.moto.register_credentials(OUTER.access_key_id, OUTER.secret_access_key, OUTER.session_token)
    _role(seed, "Environment")
    first = _export(seed, _outer_env(OUTER))
    _assumed_with(seed, OUTER)
    assert seed.moto.calls("AssumeRole")[0].params["DurationSeconds"] == "7200"  # keys: no chaining
    assert first["AccessKeyId"] != OUTER.access_key_id  # the role's, not the outer keys
    # Other outer keys: another session, never the first one's from the cache.
    other = Served("AKIAOTHEROUTERKEYS01", "other-secret", "other-token")
    seed.moto.register_credentials(other.access_key_id, other.secret_access_key, other.session_token)
    _export(seed, _outer_env(other))
    assert [c.access_key_id for c in seed.moto.calls("AssumeRole")] == [
        OUTER.access_key_id,
        other.access_key_id,
    ]


def test_environment_without_outer_keys_is_a_clear_error(seed: Seed) -> None:
    _role(seed, "Environment")
    result = run_awsafe("export", "outer", env=seed.env)
    assert result.returncode == 5, result.stderr
    assert "AWS_ACCESS_KEY_ID" in result.stderr and "Traceback" not in result.stderr
    assert seed.moto.calls("AssumeRole") == []


def test_instance_metadata_through_imdsv2(seed: Seed, imds: FakeImds) -> None:
    seed.moto.register_credentials(INSTANCE.access_key_id, INSTANCE.secret_access_key, INSTANCE.session_token)
    _role(seed, "Ec2InstanceMetadata")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, "AWS_EC2_METADATA_DISABLED": "false"}
    _export(seed, env)
    assert imds.credential_reads() == [True]  # read once, with an IMDSv2 session token
    _assumed_with(seed, INSTANCE)
    assert seed.moto.calls("AssumeRole")[0].params["DurationSeconds"] == "3600"  # role creds: chained


def test_instance_metadata_disabled_is_honoured(seed: Seed, imds: FakeImds) -> None:
    _role(seed, "Ec2InstanceMetadata")
    env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, "AWS_EC2_METADATA_DISABLED": "true"}
    result = run_awsafe("export", "outer", env={**seed.env, **env})
    assert result.returncode == 5 and "AWS_EC2_METADATA_DISABLED=true" in result.stderr, result.stderr
    assert imds.requests == [] and seed.moto.calls("AssumeRole") == []


def test_container_endpoint_with_its_token_file(
    seed: Seed, container: FakeContainerEndpoint, tmp_path: Path
) -> None:
    seed.moto.register_credentials(TASK.access_key_id, TASK.secret_access_key, TASK.session_token)
    _role(seed, "EcsContainer")
    token = tmp_path / "container-token"
    token.write_text("task-authorization-token\n")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "the-file-wins",
    }
    _export(seed, env)
    assert container.requests == [(FakeContainerEndpoint.PATH, "task-authorization-token")]
    _assumed_with(seed, TASK)


def test_container_endpoint_refuses_a_wrong_token(seed: Seed, container: FakeContainerEndpoint) -> None:
    _role(seed, "EcsContainer")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-token",
    }
    result = run_awsafe("export", "outer", env={**seed.env, **env})
    assert result.returncode != 0 and "container credentials endpoint" in result.stderr, result.stderr
    assert "wrong-token" not in result.stderr and "Traceback" not in result.stderr
    assert seed.moto.calls("AssumeRole") == []


def test_an_unknown_credential_source_is_a_config_error(seed: Seed) -> None:
    _role(seed, "Ec2InstanceMetaData")
    result = run_awsafe("export", "outer", env=seed.env)
    assert result.returncode == 3 and "Ec2InstanceMetadata" in result.stderr, result.stderr


def test_through_the_agent_the_client_serves_itself(seed: Seed, agent_place: AgentPlace) -> None:
    agent_keys = Served("AKIATHEAGENTSOWNKEYS", "agent-secret", "agent-token")
    seed.moto.register_credentials(OUTER.access_key_id, OUTER.secret_access_key, OUTER.session_token)
    seed.moto.register_credentials(
        agent_keys.access_key_id, agent_keys.secret_access_key, agent_keys.session_token
    )
    agent_place.start({**seed.env, **_outer_env(agent_keys)})
    _role(seed, "Environment")
    result = run_awsafe(
        "--debug", "export", "--format", "json", "outer", env={**seed.env, **_outer_env(OUTER)}
    )
    assert result.returncode == 0, result.stderr
    assert "the agent declined: credential_source reads the client's own environment" in result.stderr
    _assumed_with(seed, OUTER)  # the client's keys, never the agent's

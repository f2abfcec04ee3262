"""The agent's secrets boundary: a relay between the clients and the agent records every byte of
a whole session (add, a role, MFA roles with a given and a relayed code, an SSO profile, a
console login); no long-term secret, passphrase or SSO token is ever among them."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import browser_command
from tests.support.env import run_awsafe
from tests.support.fake_federation import FakeFederation
from tests.support.fake_sso import FakeSso
from tests.support.running_agent import AgentPlace, RecordingRelay
from tests.support.worlds import BIN, SERIAL, SSO_ACCOUNTS, SSO_CONFIG, Seed

AWS_CLI = [str(BIN / "aws"), "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]


@pytest.fixture
def relay(agent_place: AgentPlace) -> Iterator[RecordingRelay]:
    directory = Path(tempfile.mkdtemp(prefix="awsafe-relay-", dir="/tmp"))
    directory.chmod(0o700)
    recording = RecordingRelay(directory / "agent.sock", agent_place.socket)
    try:
        yield recording
    finally:
        recording.close()
        directory.rmdir()


def forms(secret: str) -> list[bytes]:
    """The raw secret and the ways a frame could carry it: JSON-escaped, base64, base64url."""
    raw = secret.encode()
    return [
        raw,
        json.dumps(secret)[1:-1].encode(),
        json.dumps(secret, ensure_ascii=True)[1:-1].encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
    ]


def test_no_long_term_secret_passphrase_or_sso_token_crosses_the_socket(
    mfa_world: Seed,
    agent_place: AgentPlace,
    relay: RecordingRelay,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    moto = mfa_world.moto
    mfa_world.append_config("\n" + SSO_CONFIG)
    counter = tmp_path / "mfa-calls"
    code_script = tmp_path / "mfa-code"
    code_script.write_text(f"#!/bin/sh\nprintf x >> {counter}\necho 246810\n")
    code_script.chmod(0o755)
    mfa_world.append_config("\n[profile mfauser2]\nmfa_serial = arn:aws:iam::123456789012:mfa/u2\n")
    with (
        FakeSso(moto.url, SSO_ACCOUNTS) as sso,
        FakeFederation(moto.url, moto_calls=moto.calls) as federation,
    ):
        env = {
            **mfa_world.env,
            **sso.env(),
            **federation.env(),
            "BROWSER": browser_command(),
            "FAKE_BROWSER_LOG": str(tmp_path / "browser.log"),
        }
        agent_place.start(env)
        passphrase = os.environ.pop("AWSAFE_FILE_PASSPHRASE")
        monkeypatch.setenv("AWSAFE_AGENT_SOCK", str(relay.listen))

        # add: long-term keys go into the client's own vault (it unlocks it itself)
        key_id, secret = moto.create_user_with_key("u2")
        added = run_awsafe(
            "add",
            "mfauser2",
            "--env",
            env={
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWSAFE_FILE_PASSPHRASE": passphrase,
            },
        )
        assert added.returncode == 0, added.stderr
        assert relay.connections == 0

        # secrets in the client's own environment stay there too
        loaded = {**env, "AWSAFE_FILE_PASSPHRASE": passphrase, "AWS_SECRET_ACCESS_KEY": secret}
        role = run_awsafe("export", "--format", "json", "test", env=loaded)
        assert role.returncode == 0, role.stderr
        session_token = json.loads(role.stdout)["SessionToken"]

        given = run_awsafe("exec", "admin", "--mfa-token", "123456", "--", *AWS_CLI, env=env)
        assert given.returncode == 0 and ":assumed-role/admin/" in given.stdout, given.stderr

        mfa_world.append_config(f"mfa_process = {code_script}\n")  # to [profile mfauser2]
        relayed = run_awsafe("export", "mfauser2", env=env)
        assert relayed.returncode == 0, relayed.stderr
        assert counter.read_text() == "x"  # asked once, by the client

        signed_in = run_awsafe("exec", "sso-dev", "--", *AWS_CLI, env=env)
        assert signed_in.returncode == 0, signed_in.stderr
        assert signed_in.stdout.strip() == "arn:aws:sts::111111111111:assumed-role/Admin/sso-user"
        assert sso.authorizations_started == 1

        login = run_awsafe("login", "test", "--stdout", env=env)
        assert login.returncode == 0, login.stderr
        [signin] = federation.calls("getSigninToken")
        assert (signin.outcome, signin.session_duration) == ("ok", 3600)  # the agent's answer carries it

        secrets = {
            "demo's secret key": mfa_world.secret_access_key,
            "mfauser2's secret key": secret,
            "the passphrase": passphrase,
            **{f"SSO secret {i}": value for i, value in enumerate(sorted(sso.secrets()))},
        }
        assert len(secrets) >= 5  # the SSO client secret, access and refresh tokens among them

    recorded = relay.recorded
    # the recording is real: the sessions handed out, the relayed prompt and the answer are in it
    assert relay.connections >= 5
    assert session_token.encode() in recorded
    assert b'"op":"prompt"' in recorded and b'"code":"246810"' in recorded
    assert f'"serial":"{SERIAL}"'.encode() in recorded
    for name, value in secrets.items():
        for form in forms(value):
            assert form not in recorded, f"{name} crossed the socket"
    # the long-term key ids neither (they name the keys)
    assert mfa_world.access_key_id.encode() not in recorded and key_id.encode() not in recorded
    sts = [c for c in moto.calls() if c.service == "sts" and c.action != "GetCallerIdentity"]
    assert ("GetSessionToken", "246810") in [(c.action, c.params.get("TokenCode")) for c in sts]
    assert ("GetSessionToken", "123456") in [(c.action, c.params.get("TokenCode")) for c in sts]

"""What a client tells the agent about itself, and what it accepts back."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsafe.agentlink.request import parse_served, resolution_environ, resolve_vault_identity

SERVED = {
    "v": 1,
    "op": "credentials",
    "credentials": {
        "AccessKeyId": "ASIAEXAMPLE",
        "SecretAccessKey": "session-secret",
        "SessionToken": "session-token",
        "Expiration": "2030-01-01T00:00:00Z",
    },
    "region": "eu-west-1",
}


def test_no_variable_that_could_hold_a_secret_is_sent() -> None:
    environ = {
        "HOME": "/home/u",
        "PATH": "/bin",
        "AWS_PROFILE": "p",
        "AWS_MIN_TTL": "10m",
        "AWS_SESSION_TOKEN_TTL": "2h",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SESSION_TOKEN": "t",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
        "AWSAFE_FILE_PASSPHRASE": "p",
        "AWS_VAULT_FILE_PASSPHRASE": "p",
        "AWSAFE_SOME_PASSWORD": "p",
        "AWS_VAULT": "outer",
        "AWSAFE_BACKEND": "file",
    }
    assert resolution_environ(environ) == {
        "HOME": "/home/u",
        "AWS_PROFILE": "p",
        "AWS_MIN_TTL": "10m",
        "AWS_SESSION_TOKEN_TTL": "2h",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",  # a path, and it chooses the source
        "AWSAFE_BACKEND": "file",
    }


def test_the_vault_identity_is_absolute_and_flags_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    home = "/home/u"
    assert resolve_vault_identity(None, None, {}, home) == {
        "backend": None,
        "file_dir": "/home/u/.awsafe/vault",
    }
    assert resolve_vault_identity(
        None, None, {"AWS_VAULT_FILE_DIR": "~/v", "AWS_VAULT_BACKEND": "File"}, home
    ) == {
        "backend": "file",
        "file_dir": "/home/u/v",
    }
    environ = {"AWSAFE_FILE_DIR": "a", "AWS_VAULT_FILE_DIR": "b", "AWSAFE_BACKEND": "kwallet"}
    assert resolve_vault_identity(None, None, environ, home) == {
        "backend": "kwallet",
        "file_dir": str(tmp_path / "a"),
    }
    assert resolve_vault_identity("file", "/x", environ, home) == {"backend": "file", "file_dir": "/x"}


def test_temporary_credentials_are_taken() -> None:
    served = parse_served(SERVED)
    assert served is not None
    credentials, region = served
    assert credentials.session_token == "session-token" and credentials.expires_at is not None
    assert region == "eu-west-1"


@pytest.mark.parametrize(
    "change",
    [
        {"op": "decline"},
        {"region": 7},
        {"credentials": {**SERVED["credentials"], "SessionToken": None}},
        {"credentials": {**SERVED["credentials"], "Expiration": ""}},
        {"credentials": {**SERVED["credentials"], "Expiration": "tomorrow"}},
        {"credentials": "ASIA..."},
    ],
)
def test_anything_else_is_not_served(change: dict[str, object]) -> None:
    """Long-term keys (no token, no expiration) are refused on the client's side too."""
    assert parse_served({**SERVED, **change}) is None

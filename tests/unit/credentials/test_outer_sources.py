"""credential_source's pure parts and refusals that need no endpoint: the outer keys, where the
container endpoint is, botocore's host rule, the authorization token's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsafe.aws.metadata import container_url, fetch_container_credentials
from awsafe.credentials.outer import ContainerProvider, resolve_outer_keys
from awsafe.errors import NoCredentialsError


def test_outer_keys_need_both_halves() -> None:
    assert resolve_outer_keys({"AWS_ACCESS_KEY_ID": "AKIA1"}) is None
    assert resolve_outer_keys({"AWS_SECRET_ACCESS_KEY": "s"}) is None
    keys = resolve_outer_keys({"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"})
    assert keys is not None and (keys.access_key_id, keys.session_token) == ("AKIA1", None)
    with_token = resolve_outer_keys(
        {"AWS_ACCESS_KEY_ID": "ASIA1", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    )
    assert with_token is not None and with_token.session_token == "t"


def test_the_relative_uri_points_at_the_ecs_agent_and_wins() -> None:
    both = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/full",
    }
    assert container_url(both) == "http://169.254.170.2/v2/credentials/x"
    assert (
        container_url({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/f"})
        == "http://127.0.0.1:1/f"
    )
    assert container_url({}) is None


def test_a_foreign_host_never_gets_the_token() -> None:
    with pytest.raises(NoCredentialsError, match="not the ECS or EKS agent's address") as caught:
        fetch_container_credentials("http://example.com/creds", "secret-authorization")
    assert "secret-authorization" not in str(caught.value)


def test_a_token_with_a_line_break_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("abc\r\nX-Injected: 1")
    provider = ContainerProvider(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token),
        },
        profile="p",
    )
    with pytest.raises(NoCredentialsError, match="line break"):
        provider.retrieve()


def test_no_container_endpoint_is_named() -> None:
    with pytest.raises(NoCredentialsError, match="AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        ContainerProvider({}, profile="p").retrieve()

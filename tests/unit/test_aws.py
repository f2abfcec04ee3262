"""Where STS is called: region, sts_regional_endpoints and AWS_ENDPOINT_URL* precedence."""

from __future__ import annotations

import pytest

from awsafe.aws import client as aws
from awsafe.config.profile import ProfileConfig
from awsafe.credentials.rules import endpoint_for_profile
from awsafe.model import Credentials

KEYS = Credentials("AKIAEXAMPLEEXAMPLE01", "secret")


@pytest.mark.parametrize(
    ("region", "mode", "expected"),
    [
        ("ap-northeast-2", None, "https://sts.ap-northeast-2.amazonaws.com"),
        ("us-west-2", "regional", "https://sts.us-west-2.amazonaws.com"),
        ("us-west-2", "legacy", "https://sts.amazonaws.com"),
        ("cn-north-1", None, "https://sts.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_sts_endpoint_follows_region_and_mode(region: str, mode: str | None, expected: str) -> None:
    client = aws.make_client("sts", KEYS, aws.Endpoint(region=region, sts_regional_endpoints=mode))
    assert client.meta.endpoint_url == expected


def test_explicit_url_wins() -> None:
    client = aws.make_client("sts", KEYS, aws.Endpoint(region="eu-west-1", url="http://127.0.0.1:9"))
    assert client.meta.endpoint_url == "http://127.0.0.1:9"


def test_client_ignores_users_aws_profile_and_config(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    config.write_text("[profile elsewhere]\nendpoint_url = http://wrong.example\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "not-a-profile-anywhere")
    client = aws.make_client("sts", KEYS, aws.Endpoint(region="eu-west-1"))
    assert client.meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("env", "profile_url", "expected"),
    [
        ({}, None, None),
        ({}, "http://profile", "http://profile"),
        ({"AWS_ENDPOINT_URL": "http://all"}, "http://profile", "http://all"),
        ({"AWS_ENDPOINT_URL": "http://all", "AWS_ENDPOINT_URL_STS": "http://sts"}, None, "http://sts"),
        ({"AWS_ENDPOINT_URL": "http://all", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, None, None),
    ],
)
def test_endpoint_precedence(env: dict[str, str], profile_url: str | None, expected: str | None) -> None:
    profile = ProfileConfig(name="p", region="eu-west-1", endpoint_url=profile_url)
    endpoint = endpoint_for_profile(env)(profile)
    assert endpoint.url == expected
    assert endpoint.region == "eu-west-1"


def test_region_defaults_to_us_east_1() -> None:
    assert endpoint_for_profile({})(ProfileConfig(name="p")).region == "us-east-1"


def test_clients_share_one_data_loader_per_process() -> None:
    """A long-running process (the agent) must not keep a copy of botocore's data per client."""
    from awsafe.aws.client import Endpoint, make_client

    first = make_client("sts", None, Endpoint(url="http://127.0.0.1:9"))
    second = make_client("iam", None, Endpoint(url="http://127.0.0.1:9"))
    assert first._loader is second._loader  # noqa: SLF001 - botocore keeps it there

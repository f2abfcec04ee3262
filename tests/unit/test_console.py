"""Console sign-in URLs: partitions, destinations, --path, --auto-logout; long-term keys never sent."""

from __future__ import annotations

import urllib.parse

import pytest

from awsafe.console import SigninRequest, destination, fetch_signin_token, partition_of, signin_url
from awsafe.errors import AwsError
from awsafe.model import Credentials

TEMPORARY = Credentials("ASIATEMPTEMPTEMP0001", "secret", "token")


@pytest.mark.parametrize(
    ("region", "partition", "federation"),
    [
        ("eu-west-1", "aws", "https://signin.aws.amazon.com/federation"),
        ("cn-north-1", "aws-cn", "https://signin.amazonaws.cn/federation"),
        ("us-gov-west-1", "aws-us-gov", "https://signin.amazonaws-us-gov.com/federation"),
    ],
)
def test_partition_decides_the_signin_host(region: str, partition: str, federation: str) -> None:
    assert partition_of(region).name == partition
    url = signin_url(SigninRequest(TEMPORARY, region), "TOKEN")
    assert url.startswith(federation + "?Action=login&Issuer=awsafe&Destination=")


def test_destination_is_the_regions_console_or_the_path() -> None:
    assert destination("eu-west-1", None) == "https://console.aws.amazon.com/console/home?region=eu-west-1"
    assert destination("eu-west-1", "/s3/home") == "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    assert (
        destination("cn-north-1", "ec2/home?x=1")
        == "https://console.amazonaws.cn/ec2/home?x=1&region=cn-north-1"
    )
    assert destination("eu-west-1", "https://example.com/page") == "https://example.com/page"


def test_auto_logout_wraps_the_login_url_in_a_logout_redirect() -> None:
    inner = signin_url(SigninRequest(TEMPORARY, "eu-west-1"), "TOKEN")
    url = signin_url(SigninRequest(TEMPORARY, "eu-west-1", auto_logout=True), "TOKEN")
    parsed = urllib.parse.urlsplit(url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "https",
        "eu-west-1.signin.aws.amazon.com",
        "/oauth",
    )
    query = dict(urllib.parse.parse_qsl(parsed.query))
    assert query == {"Action": "logout", "redirect_uri": inner}


def test_the_federation_endpoint_can_be_overridden() -> None:
    url = signin_url(SigninRequest(TEMPORARY, "eu-west-1", federation_endpoint="http://127.0.0.1:9/f"), "T")
    assert url.startswith("http://127.0.0.1:9/f?Action=login")


def test_long_term_keys_are_never_sent() -> None:
    request = SigninRequest(
        Credentials("AKIALONGLONGLONG0001", "secret"), "eu-west-1", federation_endpoint="http://127.0.0.1:9"
    )
    with pytest.raises(AwsError, match="long-term keys are never sent") as caught:
        fetch_signin_token(request)
    assert "secret" not in str(caught.value)

"""AWS error translation through the real error boundary (cli.main, in process).

botocore's own failures (AWS said no, the endpoint is unreachable) are AWS errors,
exit 7; any other exception raised inside an AWS call is a bug, exit 70.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from awsafe.aws import client as aws
from awsafe.cli.main import main
from awsafe.clock import utc_now
from awsafe.environment import Environment
from awsafe.errors import AwsError
from awsafe.model import Credentials

KEY_ID = "AKIAEXAMPLEERRORS001"
SECRET = "errors-canary-secret-0000000000000000000"
CLOSED_PORT = "http://127.0.0.1:9"  # discard: nothing listens there


def run(argv: list[str], home: Path, **extra: str) -> tuple[int, str]:
    stderr = io.StringIO()
    env = Environment(
        environ={**os.environ, **extra},
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=stderr,
        home=home,
        clock=utc_now,
    )
    return main(argv, env), stderr.getvalue()


@pytest.fixture
def home(isolated_env: Path) -> Path:
    (isolated_env / ".aws").mkdir()
    (isolated_env / ".aws" / "config").write_text("[profile demo]\nregion=eu-west-1\n")
    code, err = run(
        ["add", "demo", "--env"], isolated_env, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET
    )
    assert code == 0, err
    return isolated_env


def patch_sts(monkeypatch: pytest.MonkeyPatch, prepare: Callable[[Any], None]) -> None:
    """make_client for real (one attempt, a closed port), then ``prepare`` the client."""
    real = aws.make_client

    def make_client(service: str, credentials: Credentials | None, endpoint: aws.Endpoint, **_: int) -> Any:
        client = real(service, credentials, aws.Endpoint(endpoint.region, CLOSED_PORT), attempts=1)
        prepare(client)
        return client

    monkeypatch.setattr(aws, "make_client", make_client)


@pytest.mark.parametrize("bug", [ZeroDivisionError, KeyError, TypeError])
def test_unexpected_exception_inside_an_aws_call_is_a_bug(
    home: Path, monkeypatch: pytest.MonkeyPatch, bug: type[Exception]
) -> None:
    def raise_bug(**_: Any) -> None:
        raise bug("inside botocore")

    # before-send runs inside botocore's own request machinery, where a real bug would be.
    patch_sts(monkeypatch, lambda c: c.meta.events.register("before-send.sts.GetSessionToken", raise_bug))
    code, err = run(["export", "demo"], home)
    assert code == 70, err
    assert f"unexpected {bug.__name__} (this is a bug" in err
    assert "Traceback" not in err
    assert SECRET not in err


def test_a_bug_inside_an_aws_call_shows_its_traceback_under_debug(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def raise_bug(**_: Any) -> None:
        raise ZeroDivisionError("inside botocore")

    patch_sts(monkeypatch, lambda c: c.meta.events.register("before-send.sts.GetSessionToken", raise_bug))
    code, err = run(["export", "demo", "--debug"], home)
    assert code == 70, err
    assert "Traceback" in err and "ZeroDivisionError: inside botocore" in err


def test_access_denied_is_an_aws_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(client: Any) -> None:
        stubber = Stubber(client)
        stubber.add_client_error("get_session_token", "AccessDenied", "not you", http_status_code=403)
        stubber.activate()

    patch_sts(monkeypatch, deny)
    code, err = run(["export", "demo"], home)
    assert code == 7, err
    assert "GetSessionToken for profile 'demo' failed: AccessDenied: not you" in err
    assert "check the keys stored for this profile" in err


def test_an_unreachable_endpoint_is_an_aws_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patch_sts(monkeypatch, lambda client: None)  # a real connection to a closed port
    code, err = run(["export", "demo"], home)
    assert code == 7, err
    assert "GetSessionToken for profile 'demo' failed: Could not connect to the endpoint URL" in err


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def answer_with(body: str) -> Callable[[Any], None]:
    """The STS endpoint answers ``body`` (HTTP 200), through botocore's own parsing."""

    def answer(**_: Any) -> AWSResponse:
        return AWSResponse("http://sts", 200, {"Content-Type": "text/xml"}, _Body(body.encode()))

    return lambda client: client.meta.events.register("before-send.sts.GetSessionToken", answer)


ANSWER = (
    '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult>'
    "<Credentials><AccessKeyId>ASIAANSWERANSWER0001</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
    "<SessionToken>token</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
    "</GetSessionTokenResult></GetSessionTokenResponse>"
)


@pytest.mark.parametrize(
    "body",
    [
        ANSWER.format(secret=SECRET, expiration="soon"),  # botocore raises a bare ValueError
        ANSWER.format(secret=SECRET, expiration="2099-01-01T00:00:00Z")[:-40],  # cut short: not XML
    ],
    ids=["garbage timestamp", "broken xml"],
)
def test_an_unreadable_answer_is_an_aws_error_that_quotes_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    patch_sts(monkeypatch, answer_with(body))
    code, err = run(["export", "demo"], home)
    assert code == 7, err
    assert err == "awsafe: GetSessionToken for profile 'demo' failed: the answer could not be read\n"


def test_a_readable_answer_still_works(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = ANSWER.format(secret="answer-secret", expiration="2099-01-01T00:00:00Z")
    patch_sts(monkeypatch, answer_with(body))
    code, err = run(["export", "demo"], home)
    assert code == 0, err  # the parsers' wrapping changes nothing for a good answer


def test_calling_translates_only_botocore_errors() -> None:
    error = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "GetCallerIdentity")
    denied = pytest.raises(AwsError, match="^GetCallerIdentity failed: Throttling: slow down$")
    with denied, aws.calling("GetCallerIdentity"):
        raise error
    with pytest.raises(KeyError), aws.calling("GetCallerIdentity"):
        raise KeyError("Arn")


def test_an_invalid_endpoint_url_is_an_aws_error(home: Path) -> None:
    code, err = run(["export", "demo"], home, AWS_ENDPOINT_URL_STS="not a url")
    assert code == 7, err
    assert "Invalid endpoint: not a url" in err

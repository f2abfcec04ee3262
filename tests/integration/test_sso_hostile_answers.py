"""IAM Identity Center answers with a field of a type or size no real answer has: a short AWS
error (exit 7) that quotes nothing from the answer, never a bug (exit 70), never a hang."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from awsafe.aws import sso
from awsafe.aws.client import Endpoint
from awsafe.errors import AwsError, ExitCode

NOW = dt.datetime(2026, 12, 6, tzinfo=dt.timezone.utc)
MARK = "hostile-value-7f3a"  # a text no error message may quote


class Canned(http.server.BaseHTTPRequestHandler):
    answer: dict[str, Any] = {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # noqa: N815 - the portal's GetRoleCredentials is a GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Endpoint(region="us-east-1", url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


CLIENT = sso.ClientRegistration("id", "secret", NOW + dt.timedelta(days=1), "device", ())


def _register(endpoint: Endpoint) -> object:
    return sso.register_client(endpoint, flow="device", scopes=(), start_url="https://x.awsapps.com/start")


def _device(endpoint: Endpoint) -> object:
    return sso.start_device_authorization(endpoint, CLIENT, "https://x.awsapps.com/start")


def _token(endpoint: Endpoint) -> object:
    return sso.create_token(endpoint, CLIENT, NOW, "CreateToken", grantType="refresh_token", refreshToken="r")


def _role(endpoint: Endpoint) -> object:
    return sso.get_role_credentials(endpoint, "token", "123456789012", "Role")


ROLE = {"accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t", "expiration": 1}
DEVICE = {"deviceCode": "d", "userCode": "u", "verificationUri": "https://v", "expiresIn": 600, "interval": 5}


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        (_register, {"clientId": "id", "clientSecret": "s", "clientSecretExpiresAt": MARK}),
        (_register, {"clientId": "id", "clientSecret": "s", "clientSecretExpiresAt": 10**30}),
        (_register, {"clientId": "id", "clientSecretExpiresAt": 1}),
        (_device, {**DEVICE, "interval": MARK}),
        (_device, {**DEVICE, "deviceCode": None}),
        (_device, {**DEVICE, "userCode": 12}),
        (_token, {"accessToken": "a", "expiresIn": MARK}),
        (_token, {"accessToken": "a", "expiresIn": 10**30}),
        (_token, {"accessToken": ["a"], "expiresIn": 60}),
        (_role, {"roleCredentials": {**ROLE, "expiration": MARK}}),
        (_role, {"roleCredentials": {**ROLE, "expiration": 10**40}}),
        (_role, {"roleCredentials": None}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_a_hostile_answer_is_an_aws_error_that_quotes_nothing(
    endpoint: Endpoint, call: Any, answer: dict[str, Any]
) -> None:
    Canned.answer = answer
    with pytest.raises(AwsError) as caught:
        call(endpoint)
    assert caught.value.exit_code == ExitCode.AWS
    assert "could not be read" in caught.value.message
    assert MARK not in str(caught.value) and "1000000000000" not in str(caught.value)


def test_a_device_authorization_cannot_make_us_wait_for_ever(endpoint: Endpoint) -> None:
    Canned.answer = {**DEVICE, "expiresIn": 10**12, "interval": 10**12}
    authorization = _device(endpoint)
    assert isinstance(authorization, sso.DeviceAuthorization)
    assert authorization.expires_in == sso.MAX_DEVICE_WAIT and authorization.interval == sso.MAX_POLL_INTERVAL


def test_a_sane_answer_is_read(endpoint: Endpoint) -> None:
    Canned.answer = {"roleCredentials": {**ROLE, "expiration": 1_800_000_000_000}}
    credentials = _role(endpoint)
    assert credentials.expires_at == dt.datetime.fromtimestamp(1_800_000_000, dt.timezone.utc)

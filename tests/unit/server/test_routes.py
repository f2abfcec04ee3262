"""EcsRoutes and FreshCredentials without sockets: the guard order, the wire format, refresh."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from awsafe.errors import AwsError, MfaError
from awsafe.model import Credentials
from awsafe.server.routes import EcsRoutes, FreshCredentials, Request

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
TOKEN = "t" * 43
HOSTS = frozenset({"127.0.0.1:8000", "localhost:8000"})
CREDS = Credentials("ASIAEXAMPLEEXAMPLE01", "secret", "token", NOW + dt.timedelta(hours=1))


def request(**overrides: object) -> Request:
    fields: dict[str, object] = {
        "method": "GET",
        "path": "/",
        "headers": {"host": "127.0.0.1:8000", "authorization": TOKEN},
        "peer": "127.0.0.1",
    }
    fields.update(overrides)
    return Request(**fields)  # type: ignore[arg-type]


def routes(fetch=lambda: CREDS) -> EcsRoutes:  # type: ignore[no-untyped-def]
    return EcsRoutes(TOKEN, fetch, HOSTS)


def test_credentials_in_the_container_format() -> None:
    response = routes().handle(request())
    assert response.status == 200
    assert json.loads(response.body) == {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "secret",
        "Token": "token",
        "Expiration": "2026-11-28T13:00:00Z",
    }


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"peer": "192.0.2.7"}, 403, "Forbidden"),
        ({"headers": {"host": "evil.example", "authorization": TOKEN}}, 403, "InvalidHost"),
        ({"headers": {"authorization": TOKEN}}, 403, "InvalidHost"),
        ({"method": "POST"}, 405, "MethodNotAllowed"),
        ({"headers": {"host": "localhost:8000"}}, 401, "Unauthorized"),
        ({"headers": {"host": "localhost:8000", "authorization": TOKEN[:-1] + "u"}}, 403, "Forbidden"),
        ({"headers": {"host": "localhost:8000", "authorization": TOKEN + "x"}}, 403, "Forbidden"),
        ({"path": "/other"}, 404, "NotFound"),
    ],
)
def test_refusals(overrides: dict[str, object], status: int, code: str) -> None:
    fetched: list[int] = []
    response = routes(lambda: fetched.append(1) or CREDS).handle(request(**overrides))
    assert (response.status, json.loads(response.body)["code"]) == (status, code)
    assert fetched == []  # a refused request never touches the credentials
    assert b"secret" not in response.body


def test_ipv6_loopback_peer_is_local() -> None:
    assert routes().handle(request(peer="::1")).status == 200


@pytest.mark.parametrize(
    ("error", "status"), [(MfaError("needs a code"), 503), (AwsError("denied", code="AccessDenied"), 502)]
)
def test_provider_errors_become_json(error: Exception, status: int) -> None:
    def fail() -> Credentials:
        raise error

    response = routes(fail).handle(request())
    assert response.status == status and json.loads(response.body)["message"]


def test_fresh_credentials_fetch_once_per_expiry() -> None:
    clock = [NOW]
    fetched: list[Credentials] = []

    def fetch() -> Credentials:
        expires = clock[0] + dt.timedelta(minutes=15)
        fetched.append(Credentials(f"ASIA{len(fetched):016d}", "s", "t", expires))
        return fetched[-1]

    fresh = FreshCredentials(fetch, lambda: clock[0], min_ttl_seconds=60)
    for minute in range(0, 60):  # a client asking every minute for an hour
        clock[0] = NOW + dt.timedelta(minutes=minute)
        credentials = fresh()
        assert credentials.expires_at is not None and credentials.expires_at - clock[0] > dt.timedelta(
            seconds=60
        )
    assert len(fetched) == 5  # at 0, 14, 28, 42 and 56 minutes: once per expiry


def test_min_ttl_longer_than_the_credentials_does_not_fetch_per_request() -> None:
    clock = [NOW]
    fetched: list[int] = []

    def fetch() -> Credentials:
        fetched.append(1)
        return Credentials("ASIAEXAMPLEEXAMPLE01", "s", "t", clock[0] + dt.timedelta(minutes=15))

    fresh = FreshCredentials(fetch, lambda: clock[0], min_ttl_seconds=20 * 60)  # AWS_MIN_TTL=20m
    for second in range(0, 7 * 60, 10):  # a request every 10 s for 7 minutes
        clock[0] = NOW + dt.timedelta(seconds=second)
        fresh()
    assert len(fetched) == 1  # held for half their life instead of refetched per request


def test_long_lived_credentials_get_an_expiration() -> None:
    response = routes(lambda: Credentials("AKIAEXAMPLEEXAMPLE01", "secret")).handle(request())
    document = json.loads(response.body)
    assert document["Expiration"].endswith("Z") and document["Token"] == ""


def test_localhost_counts_as_loopback() -> None:
    from awsafe.server.routes import is_loopback

    assert is_loopback("localhost") and is_loopback("::1") and not is_loopback("192.0.2.1")


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("172.17.0.1:8000", 200),  # the bridge address the container connects to
        ("169.254.170.2", 200),  # a link-local ECS address forwarded (DNAT) to us
        ("[fd00:ec2::23]", 200),
        ("10.0.0.5:80", 200),
        ("evil.example:8000", 403),  # DNS rebinding always sends a name
        ("host.docker.internal:8000", 403),
        ("172.17.0.1:x", 403),
        ("", 403),
    ],
)
def test_off_loopback_any_address_host_passes_and_names_do_not(host: str, status: int) -> None:
    bridged = EcsRoutes(TOKEN, lambda: CREDS, HOSTS, loopback_only=False)
    response = bridged.handle(request(peer="172.17.0.2", headers={"host": host, "authorization": TOKEN}))
    assert response.status == status
    if status == 403:
        assert json.loads(response.body)["code"] == "InvalidHost"


def test_on_loopback_the_host_must_still_be_one_of_ours() -> None:
    response = routes().handle(request(headers={"host": "172.17.0.1:8000", "authorization": TOKEN}))
    assert (response.status, json.loads(response.body)["code"]) == (403, "InvalidHost")


@pytest.mark.parametrize(
    ("address", "wildcard"),
    [("0.0.0.0", True), ("::", True), ("0", True), ("0.0", True), ("::0", True)]
    + [("127.0.0.1", False), ("172.17.0.1", False), ("localhost", False), ("::1", False)],
)
def test_wildcard_addresses_in_every_spelling(address: str, wildcard: bool) -> None:
    from awsafe.server.routes import is_wildcard

    assert is_wildcard(address) is wildcard

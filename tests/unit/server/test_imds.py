"""ImdsRoutes without sockets: the token dance, v1 opt-in, expiry on a fake clock, the wire formats."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from awsafe.errors import MfaError
from awsafe.model import Credentials
from awsafe.server.imds import INSTANCE_ID, ImdsRoutes, SessionTokens, parse_token_ttl
from awsafe.server.routes import Request, Response

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
HOST = "127.0.0.1:8000"
HOSTS = frozenset({HOST, "localhost:8000"})
TTL = "x-aws-ec2-metadata-token-ttl-seconds"
CREDS = Credentials("ASIAEXAMPLEEXAMPLE01", "secret", "session", NOW + dt.timedelta(hours=1))
ROLE = "seed-role"
CREDENTIALS = "/latest/meta-data/iam/security-credentials/"


class World:
    def __init__(self, *, allow_v1: bool = False, fetch=lambda: CREDS) -> None:  # type: ignore[no-untyped-def]
        self.now = NOW
        self.routes = ImdsRoutes(
            fetch,
            HOSTS,
            region="ap-northeast-2",
            role_name=ROLE,
            clock=lambda: self.now,
            account_id="123456789012",
            allow_v1=allow_v1,
        )

    def put_token(self, ttl: str | None = "21600", **headers: str) -> Response:
        sent = {"host": HOST, **headers}
        if ttl is not None:
            sent[TTL] = ttl
        return self.routes.handle(Request("PUT", "/latest/api/token", sent, "127.0.0.1"))

    def token(self, ttl: str = "21600") -> str:
        response = self.put_token(ttl)
        assert response.status == 200, response.body
        return response.body.decode()

    def get(self, path: str, token: str | None = None, **overrides: object) -> Response:
        headers = {"host": HOST}
        if token is not None:
            headers["x-aws-ec2-metadata-token"] = token
        fields: dict[str, object] = {"method": "GET", "path": path, "headers": headers, "peer": "127.0.0.1"}
        fields.update(overrides)
        return self.routes.handle(Request(**fields))  # type: ignore[arg-type]


def code(response: Response) -> tuple[int, str]:
    return response.status, json.loads(response.body)["code"]


def test_token_is_random_plain_text_with_its_ttl() -> None:
    world = World()
    response = world.put_token("300")
    assert response.status == 200 and response.content_type == "text/plain"
    assert len(response.body) >= 43  # 256 bits, url-safe base64
    assert dict(response.headers)["X-aws-ec2-metadata-token-ttl-seconds"] == "300"
    assert world.token() != world.token()


@pytest.mark.parametrize("ttl", [None, "", "0", "21601", "-1", "+5", " 5", "5.0", "1e3", "٣", "999999"])
def test_token_ttl_out_of_range_or_malformed_is_400(ttl: str | None) -> None:
    assert code(World().put_token(ttl)) == (400, "BadRequest")


@pytest.mark.parametrize("ttl", ["1", "21600"])
def test_token_ttl_bounds_are_accepted(ttl: str) -> None:
    assert World().put_token(ttl).status == 200


def test_put_relayed_by_a_proxy_is_refused() -> None:
    response = World().put_token("60", **{"x-forwarded-for": "192.0.2.1"})
    assert code(response) == (403, "Forbidden")
    assert len(response.body) < 200 and b"token" in response.body  # an explanation, no token


def test_get_without_token_is_401_unless_v1_is_allowed() -> None:
    assert code(World().get(CREDENTIALS)) == (401, "Unauthorized")
    response = World(allow_v1=True).get(CREDENTIALS)
    assert (response.status, response.body) == (200, ROLE.encode())


@pytest.mark.parametrize("allow_v1", [False, True])
def test_invalid_token_is_401_even_with_v1(allow_v1: bool) -> None:
    world = World(allow_v1=allow_v1)
    token = world.token()
    assert code(world.get(CREDENTIALS, token[:-1] + ("A" if token[-1] != "A" else "B"))) == (
        401,
        "Unauthorized",
    )
    assert code(world.get(CREDENTIALS, "")) == (401, "Unauthorized")


def test_token_expires_after_its_ttl() -> None:
    world = World()
    token = world.token("60")
    world.now = NOW + dt.timedelta(seconds=59)
    assert world.get(CREDENTIALS, token).status == 200
    world.now = NOW + dt.timedelta(seconds=60)
    assert code(world.get(CREDENTIALS, token)) == (401, "Unauthorized")
    world.now = NOW  # a token once found expired is gone for good
    assert world.get(CREDENTIALS, token).status == 401


def test_role_name_then_credentials_in_the_imds_format() -> None:
    world = World()
    token = world.token()
    listing = world.get(CREDENTIALS, token)
    assert (listing.status, listing.body, listing.content_type) == (200, b"seed-role", "text/plain")
    assert world.get(CREDENTIALS.rstrip("/"), token).body == b"seed-role"
    world.now = NOW + dt.timedelta(minutes=3)
    response = world.get(CREDENTIALS + ROLE, token)
    assert response.status == 200 and response.content_type == "application/json"
    assert json.loads(response.body) == {
        "Code": "Success",
        "LastUpdated": "2026-11-28T12:03:00Z",
        "Type": "AWS-HMAC",
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
        "SecretAccessKey": "secret",
        "Token": "session",
        "Expiration": "2026-11-28T13:00:00Z",
    }
    world.now = NOW + dt.timedelta(minutes=9)  # the same credentials: LastUpdated stays
    assert json.loads(world.get(CREDENTIALS + ROLE, token).body)["LastUpdated"] == "2026-11-28T12:03:00Z"


def test_long_lived_keys_get_an_expiration_to_come_back_by() -> None:
    world = World(fetch=lambda: Credentials("AKIAEXAMPLEEXAMPLE01", "secret"))
    document = json.loads(world.get(CREDENTIALS + ROLE, world.token()).body)
    assert document["Expiration"] == "2026-11-28T13:00:00Z" and document["Token"] == ""


def test_another_role_name_is_404() -> None:
    world = World()
    assert code(world.get(CREDENTIALS + "other-role", world.token())) == (404, "NotFound")


def test_instance_id_region_and_identity_document() -> None:
    world = World()
    token = world.token()
    assert world.get("/latest/meta-data/instance-id", token).body == INSTANCE_ID.encode()
    assert world.get("/latest/meta-data/placement/region", token).body == b"ap-northeast-2"
    assert world.get("/latest/meta-data/placement/availability-zone", token).body == b"ap-northeast-2a"
    response = world.get("/latest/dynamic/instance-identity/document", token)
    assert response.content_type == "application/json"
    document = json.loads(response.body)
    assert document["region"] == "ap-northeast-2" and document["availabilityZone"] == "ap-northeast-2a"
    assert document["accountId"] == "123456789012" and document["instanceId"] == INSTANCE_ID


def test_identity_document_without_region_or_account() -> None:
    routes = ImdsRoutes(lambda: CREDS, HOSTS, region=None, role_name=ROLE, clock=lambda: NOW)
    token = routes.handle(Request("PUT", "/latest/api/token", {"host": HOST, TTL: "5"}, "::1")).body.decode()
    headers = {"host": HOST, "x-aws-ec2-metadata-token": token}
    document = json.loads(
        routes.handle(Request("GET", "/latest/dynamic/instance-identity/document", headers, "::1")).body
    )
    assert set(document) == {"instanceId", "version"}
    region = routes.handle(Request("GET", "/latest/meta-data/placement/region", headers, "::1"))
    assert region.status == 404


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"peer": "192.0.2.7"}, 403, "Forbidden"),
        ({"peer": "169.254.169.254"}, 403, "Forbidden"),  # not a local peer unless bound there
        ({"headers": {"host": "evil.example"}}, 403, "InvalidHost"),
        ({"headers": {}}, 403, "InvalidHost"),
        ({"method": "POST"}, 405, "MethodNotAllowed"),
        ({"method": "PUT"}, 405, "MethodNotAllowed"),
        ({"path": "/latest/meta-data/nothing-here"}, 404, "NotFound"),
    ],
)
def test_refusals_never_touch_the_credentials(overrides: dict[str, object], status: int, error: str) -> None:
    fetched: list[int] = []
    world = World(fetch=lambda: fetched.append(1) or CREDS)
    token = world.token()
    if "headers" in overrides:
        overrides["headers"] = {**overrides["headers"], "x-aws-ec2-metadata-token": token}  # type: ignore[dict-item]
    overrides.setdefault("path", CREDENTIALS + ROLE)
    response = world.get(token=token, **overrides)  # type: ignore[arg-type]
    assert code(response) == (status, error)
    assert fetched == [] and b"secret" not in response.body


def test_foreign_peer_or_host_cannot_get_a_token() -> None:
    world = World()
    remote = Request("PUT", "/latest/api/token", {"host": HOST, TTL: "60"}, "192.0.2.7")
    assert code(world.routes.handle(remote)) == (403, "Forbidden")
    rebinding = Request("PUT", "/latest/api/token", {"host": "evil.example", TTL: "60"}, "::1")
    assert code(world.routes.handle(rebinding)) == (403, "InvalidHost")
    assert code(world.get(CREDENTIALS, token=None, method="PUT")) == (405, "MethodNotAllowed")
    assert code(world.get("/latest/api/token")) == (405, "MethodNotAllowed")


def test_the_alias_address_is_a_local_peer_when_bound_there() -> None:
    routes = ImdsRoutes(
        lambda: CREDS,
        frozenset({"169.254.169.254"}),
        region=None,
        role_name=ROLE,
        clock=lambda: NOW,
        allow_v1=True,
        local_peers=frozenset({"169.254.169.254"}),
    )
    request = Request("GET", CREDENTIALS, {"host": "169.254.169.254"}, "169.254.169.254")
    assert routes.handle(request).status == 200


def test_provider_errors_become_json() -> None:
    def fail() -> Credentials:
        raise MfaError("needs a code")

    world = World(fetch=fail)
    assert code(world.get(CREDENTIALS + ROLE, world.token())) == (503, "MfaRequired")


def test_token_store_is_bounded_and_prunes_expired() -> None:
    now = [NOW]
    tokens = SessionTokens(lambda: now[0], limit=3)
    short = tokens.issue(dt.timedelta(seconds=1))
    kept = [tokens.issue(dt.timedelta(hours=1)) for _ in range(2)]
    now[0] = NOW + dt.timedelta(seconds=5)
    newest = tokens.issue(dt.timedelta(hours=1))  # full: the expired one makes room
    assert len(tokens) == 3 and not tokens.is_valid(short)
    assert all(tokens.is_valid(t) for t in [*kept, newest])
    tokens.issue(dt.timedelta(hours=1))  # full of valid ones: the oldest goes
    assert len(tokens) == 3 and not tokens.is_valid(kept[0]) and tokens.is_valid(kept[1])


def test_parse_token_ttl() -> None:
    assert parse_token_ttl("21600") == dt.timedelta(hours=6)
    assert parse_token_ttl("021600") is None and parse_token_ttl("00001") == dt.timedelta(seconds=1)

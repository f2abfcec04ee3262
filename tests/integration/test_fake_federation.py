"""The fake console federation endpoint itself, fed with real moto credentials."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from email.message import Message
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.fake_federation import (
    MOTO_FEDERATION_CREDENTIALS,
    MOTO_SESSION_TOKEN_CREDENTIALS,
    FakeFederation,
)
from tests.support.moto_server import MotoServer

DESTINATION = "https://console.aws.amazon.com/console/home?region=us-east-1"

# -- helpers ---------------------------------------------------------------


def _opener() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect())


def _send(request: urllib.request.Request) -> tuple[int, bytes, Message[str, str]]:
    try:
        with _opener().open(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def _session(credentials: Mapping[str, Any]) -> dict[str, str]:
    return {
        "sessionId": credentials["AccessKeyId"],
        "sessionKey": credentials["SecretAccessKey"],
        "sessionToken": credentials["SessionToken"],
    }


def get_signin_token(
    fake: FakeFederation,
    session: Mapping[str, Any] | str,
    duration: str | int | None = None,
    *,
    post: bool = True,
) -> tuple[int, bytes]:
    form = {
        "Action": "getSigninToken",
        "Session": session if isinstance(session, str) else json.dumps(session),
    }
    if duration is not None:
        form["SessionDuration"] = str(duration)
    if post:
        request = urllib.request.Request(
            fake.endpoint,
            data=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
    else:
        request = urllib.request.Request(f"{fake.endpoint}?{urlencode(form)}")
    status, body, _ = _send(request)
    return status, body


def login(fake: FakeFederation, token: str) -> tuple[int, Message[str, str]]:
    query = urlencode(
        {"Action": "login", "Issuer": "awsafe", "Destination": DESTINATION, "SigninToken": token}
    )
    status, _, headers = _send(urllib.request.Request(f"{fake.endpoint}?{query}"))
    return status, headers


@pytest.fixture
def user(moto: MotoServer) -> Any:
    """An sts client signed with a fresh IAM user's long-term keys."""
    key_id, secret = moto.create_user_with_key("alice")
    return moto.admin_client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret)


@pytest.fixture
def fake(moto: MotoServer) -> Iterator[FakeFederation]:
    with FakeFederation(moto.url, moto_calls=moto.calls) as server:
        yield server


def _role_credentials(moto: MotoServer, user: Any, role: str = "console") -> dict[str, Any]:
    role_arn = moto.create_role(role, moto.user_arn("alice"))
    credentials: dict[str, Any] = user.assume_role(RoleArn=role_arn, RoleSessionName="alice-session")[
        "Credentials"
    ]
    return credentials


# -- getSigninToken --------------------------------------------------------


def test_role_credentials_get_a_token(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    credentials = _role_credentials(moto, user)

    status, body = get_signin_token(fake, _session(credentials), 3600)

    assert status == 200
    token = json.loads(body)["SigninToken"]
    assert len(token) >= 200
    assert fake.tokens_issued == [token]
    [call] = fake.calls()
    assert call.action == "getSigninToken"
    assert call.method == "POST"
    assert call.outcome == "ok"
    assert call.session == _session(credentials)
    assert call.session_duration == 3600
    assert call.arn == "arn:aws:sts::123456789012:assumed-role/console/alice-session"
    assert call.signin_token == token
    # The check reached moto signed with the role's own key.
    assert [c.access_key_id for c in moto.calls("GetCallerIdentity")] == [credentials["AccessKeyId"]]


def test_old_get_api_is_accepted_and_recorded(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    status, _ = get_signin_token(fake, _session(_role_credentials(moto, user)), post=False)

    assert status == 200
    [call] = fake.calls()
    assert (call.method, call.outcome, call.session_duration) == ("GET", "ok", None)


def test_moto_federation_credentials_are_pinned(user: Any) -> None:
    federation = user.get_federation_token(Name="alice-console", DurationSeconds=3600)
    assert tuple(_session(federation["Credentials"]).values()) == MOTO_FEDERATION_CREDENTIALS
    assert federation["FederatedUser"]["Arn"] == "arn:aws:sts::123456789012:federated-user/alice-console"
    session = user.get_session_token()["Credentials"]
    assert tuple(_session(session).values()) == MOTO_SESSION_TOKEN_CREDENTIALS


def test_federation_token_credentials_get_a_token(user: Any, fake: FakeFederation) -> None:
    credentials = user.get_federation_token(Name="alice-console")["Credentials"]

    status, body = get_signin_token(fake, _session(credentials))

    assert status == 200
    [call] = fake.calls()
    assert call.outcome == "ok"
    assert call.arn == "arn:aws:sts::123456789012:federated-user/alice-console"
    assert call.signin_token == json.loads(body)["SigninToken"]


def test_federation_credentials_need_a_federation_token_call(moto: MotoServer) -> None:
    session = dict(zip(("sessionId", "sessionKey", "sessionToken"), MOTO_FEDERATION_CREDENTIALS, strict=True))
    with FakeFederation(moto.url, moto_calls=moto.calls) as fake:
        status, body = get_signin_token(fake, session)
    assert (status, body) == (400, b"Invalid credentials parameter")
    assert fake.calls()[0].outcome == "unknown-credentials"
    # Without moto's recorder the canned credentials cannot be traced to moto at all.
    with FakeFederation(moto.url) as blind:
        status, _ = get_signin_token(blind, session)
    assert status == 400
    assert blind.calls()[0].outcome == "unknown-credentials"


def test_session_token_credentials_are_refused(user: Any, fake: FakeFederation) -> None:
    status, _ = get_signin_token(fake, _session(user.get_session_token()["Credentials"]))

    assert status == 400
    assert fake.calls()[0].outcome == "session-token-credentials"
    assert fake.tokens_issued == []


def test_long_term_keys_are_refused(moto: MotoServer, fake: FakeFederation) -> None:
    key_id, secret = moto.create_user_with_key("bob")

    no_token = get_signin_token(fake, {"sessionId": key_id, "sessionKey": secret})
    empty_token = get_signin_token(fake, {"sessionId": key_id, "sessionKey": secret, "sessionToken": ""})
    akia = get_signin_token(fake, {"sessionId": key_id, "sessionKey": secret, "sessionToken": "made-up"})

    assert no_token == empty_token == akia == (400, b"Invalid credentials parameter")
    assert [c.outcome for c in fake.calls()] == ["long-term-keys"] * 3
    assert fake.tokens_issued == []
    assert moto.calls("GetCallerIdentity") == []


@pytest.mark.signature_rejections  # the fake's GetCallerIdentity with them is refused at moto
def test_made_up_keys_are_refused(fake: FakeFederation) -> None:
    session = {
        "sessionId": "ASIA" + secrets.token_hex(8).upper(),
        "sessionKey": secrets.token_urlsafe(30),
        "sessionToken": secrets.token_urlsafe(100),
    }

    status, body = get_signin_token(fake, session)

    assert (status, body) == (400, b"Invalid credentials parameter")
    [call] = fake.calls()
    assert (call.outcome, call.arn, call.signin_token) == ("unknown-credentials", None, None)


@pytest.mark.parametrize("duration", ["899", "43201", "0", "-900", "3600.0", "1h", ""])
def test_session_duration_out_of_range_is_refused(
    moto: MotoServer, user: Any, fake: FakeFederation, duration: str
) -> None:
    status, _ = get_signin_token(fake, _session(_role_credentials(moto, user)), duration)

    assert status == 400
    assert fake.calls()[0].outcome == "invalid-duration"


@pytest.mark.parametrize("duration", [900, 43200])
def test_session_duration_bounds_are_accepted(
    moto: MotoServer, user: Any, fake: FakeFederation, duration: int
) -> None:
    status, _ = get_signin_token(fake, _session(_role_credentials(moto, user)), duration)

    assert status == 200
    assert fake.calls()[0].session_duration == duration


def test_chained_role_credentials_refuse_a_session_duration(
    moto: MotoServer, user: Any, fake: FakeFederation
) -> None:
    first = _role_credentials(moto, user, "jump")
    target_arn = moto.create_role("target", moto.role_arn("jump"))
    hop = moto.admin_client(
        "sts",
        aws_access_key_id=first["AccessKeyId"],
        aws_secret_access_key=first["SecretAccessKey"],
        aws_session_token=first["SessionToken"],
    )
    chained = hop.assume_role(RoleArn=target_arn, RoleSessionName="hop")["Credentials"]
    fake.chained_keys.add(chained["AccessKeyId"])

    with_duration = get_signin_token(fake, _session(chained), 3600)
    without = get_signin_token(fake, _session(chained))
    first_hop = get_signin_token(fake, _session(first), 3600)

    assert with_duration == (400, b"Invalid credentials parameter")
    assert without[0] == first_hop[0] == 200
    outcomes = [(c.outcome, c.arn) for c in fake.calls()]
    assert outcomes == [
        ("chained-with-duration", "arn:aws:sts::123456789012:assumed-role/target/hop"),
        ("ok", "arn:aws:sts::123456789012:assumed-role/target/hop"),
        ("ok", "arn:aws:sts::123456789012:assumed-role/jump/alice-session"),
    ]
    assert len(fake.tokens_issued) == 2


@pytest.mark.parametrize(
    "session",
    ["not json", json.dumps(["a", "list"]), json.dumps({"sessionId": "ASIAEXAMPLE", "sessionToken": "x"})],
)
def test_malformed_session_is_refused(fake: FakeFederation, session: str) -> None:
    status, _ = get_signin_token(fake, session)

    assert status == 400
    assert fake.calls()[0].outcome == "invalid-session"


def test_unknown_action_and_path(fake: FakeFederation) -> None:
    status, _, _ = _send(urllib.request.Request(f"{fake.endpoint}?Action=getSomethingElse"))
    assert status == 400
    status, _, _ = _send(urllib.request.Request(f"{fake.url}/elsewhere"))
    assert status == 404
    assert [c.outcome for c in fake.calls()] == ["invalid-action", "not-found"]


# -- login -----------------------------------------------------------------


def test_login_redirects_for_an_issued_token(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    _, body = get_signin_token(fake, _session(_role_credentials(moto, user)))
    token = json.loads(body)["SigninToken"]

    status, headers = login(fake, token)

    assert status == 302
    assert headers["Location"] == DESTINATION
    call = fake.calls("login")[0]
    assert (call.method, call.outcome, call.signin_token) == ("GET", "login", token)
    assert (call.issuer, call.destination) == ("awsafe", DESTINATION)


def test_login_refuses_an_unknown_token(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    get_signin_token(fake, _session(_role_credentials(moto, user)))

    status, headers = login(fake, secrets.token_urlsafe(160))

    assert status == 400
    assert "Location" not in headers
    assert fake.calls("login")[0].outcome == "invalid-token"


def test_revoked_tokens_no_longer_log_in(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    _, body = get_signin_token(fake, _session(_role_credentials(moto, user)))
    fake.revoke_tokens()

    assert login(fake, json.loads(body)["SigninToken"])[0] == 400


def test_reset_calls(moto: MotoServer, user: Any, fake: FakeFederation) -> None:
    _, body = get_signin_token(fake, _session(_role_credentials(moto, user)))
    fake.reset_calls()

    assert fake.calls() == []
    assert fake.tokens_issued == []
    assert login(fake, json.loads(body)["SigninToken"])[0] == 302  # issued tokens stay valid
    assert fake.env() == {"AWSAFE_FEDERATION_ENDPOINT": fake.url + "/federation"}

"""The fake IAM Identity Center itself, driven by real botocore clients, and the browser double."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.browser import browser_command
from tests.support.fake_sso import CODE_GRANT, DEVICE_GRANT, REFRESH_GRANT, FakeSso, pkce_challenge
from tests.support.moto_server import MotoServer

ACCOUNTS = {
    "111111111111": ("dev-account", ["Admin", "ReadOnly"]),
    "222222222222": ("prod-account", ["ReadOnly"]),
    "333333333333": ("audit-account", ["Auditor"]),
}
START_URL = "https://example.awsapps.com/start"
CALLBACK = "http://127.0.0.1/oauth/callback"
VERIFIER = "a-pkce-code-verifier-that-is-long-enough-0123456789-abcdefghij"
NO_RETRY = Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"})

# -- helpers ---------------------------------------------------------------


def _client(service: str, fake: FakeSso | None) -> Any:
    return botocore.session.get_session().create_client(
        service, region_name="us-east-1", endpoint_url=fake.url if fake else None, config=NO_RETRY
    )


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: Any = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _opener() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


def _browse(url: str) -> tuple[int, dict[str, list[str]]]:
    """GET `url` without following redirects: (status, query of the Location, if any)."""
    try:
        with _opener().open(url, timeout=5) as response:
            response.read()
            return response.status, {}
    except urllib.error.HTTPError as e:
        location = e.headers.get("Location", "")
        e.close()
        return e.code, parse_qs(urlsplit(location).query)


def _register(oidc: Any, *, pkce: bool = False, scopes: tuple[str, ...] = ("sso:account:access",)) -> Any:
    params: dict[str, Any] = {"clientName": "awsafe-test", "clientType": "public", "scopes": list(scopes)}
    if pkce:
        params.update(grantTypes=[CODE_GRANT, REFRESH_GRANT], redirectUris=[CALLBACK], issuerUrl=START_URL)
    return oidc.register_client(**params)


def _authorize_url(fake: FakeSso, client_id: str, redirect_uri: str, state: str = "st-1") -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge_method": "S256",
        "scopes": "sso:account:access",
        "code_challenge": pkce_challenge(VERIFIER),
    }
    return f"{fake.url}/authorize?{urlencode(query)}"


def _device_tokens(fake: FakeSso, oidc: Any, scopes: tuple[str, ...] = ("sso:account:access",)) -> Any:
    """Register, start a device authorization, approve it in the 'browser', create the token."""
    client = _register(oidc, scopes=scopes)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}
    device = oidc.start_device_authorization(**secret, startUrl=START_URL)
    assert _browse(device["verificationUriComplete"])[0] == 200
    tokens = oidc.create_token(**secret, grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
    return client, tokens


@pytest.fixture
def fake() -> Iterator[FakeSso]:
    """A fake without STS behind it (GetRoleCredentials makes up credentials)."""
    with FakeSso(None, accounts=ACCOUNTS) as server:
        yield server


@pytest.fixture
def oidc(fake: FakeSso) -> Any:
    return _client("sso-oidc", fake)


@pytest.fixture
def portal(fake: FakeSso) -> Any:
    return _client("sso", fake)


# -- OIDC --------------------------------------------------------------------


def test_env_points_botocore_clients_at_the_fake(fake: FakeSso, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    _register(_client("sso-oidc", None))
    with pytest.raises(ClientError) as excinfo:
        _client("sso", None).list_accounts(accessToken="nope")
    assert _error(excinfo) == ("UnauthorizedException", 401)
    assert [c.operation for c in fake.calls()] == ["RegisterClient", "ListAccounts"]


def test_register_client_returns_a_registration_expiring_after_the_lifetime(fake: FakeSso, oidc: Any) -> None:
    fake.client_lifetime = 3 * 86400
    before = int(time.time())
    client = _register(oidc, pkce=True)
    assert client["clientId"] and client["clientSecret"]
    assert before <= client["clientIdIssuedAt"] <= time.time()
    assert client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] in (3 * 86400, 3 * 86400 - 1)
    (call,) = fake.calls("RegisterClient")
    assert call.params["grantTypes"] == [CODE_GRANT, REFRESH_GRANT]
    assert call.params["redirectUris"] == [CALLBACK] and call.outcome == "ok"


def test_unknown_wrong_secret_and_expired_clients_are_rejected(fake: FakeSso, oidc: Any) -> None:
    client = _register(oidc)
    attempts = [
        {"clientId": "unknown", "clientSecret": client["clientSecret"]},
        {"clientId": client["clientId"], "clientSecret": "wrong"},
    ]
    for secret in attempts:
        with pytest.raises(ClientError) as excinfo:
            oidc.start_device_authorization(**secret, startUrl=START_URL)
        assert _error(excinfo) == ("InvalidClientException", 401)
    fake.expire_clients()
    with pytest.raises(ClientError) as excinfo:
        oidc.start_device_authorization(
            clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl=START_URL
        )
    assert _error(excinfo) == ("InvalidClientException", 401)
    assert [c.outcome for c in fake.calls("StartDeviceAuthorization")] == ["InvalidClientException"] * 3


def test_device_flow_answers_pending_and_slow_down_then_the_token_once_approved(
    fake: FakeSso, oidc: Any
) -> None:
    fake.pending_polls, fake.slow_down_polls, fake.poll_interval = 2, 1, 3
    client = _register(oidc)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}
    device = oidc.start_device_authorization(**secret, startUrl=START_URL)
    assert device["interval"] == 3 and device["expiresIn"] == 600
    assert device["verificationUriComplete"].startswith(f"{fake.url}/device?user_code=")
    assert device["userCode"] in device["verificationUriComplete"]

    def poll() -> Any:
        return oidc.create_token(**secret, grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])

    codes = []
    for _ in range(4):
        with pytest.raises(ClientError) as excinfo:
            poll()
        codes.append(_error(excinfo))
        assert excinfo.value.response["Error"]["Code"] == codes[-1][0]
    pending = ("AuthorizationPendingException", 400)
    assert codes == [pending, pending, ("SlowDownException", 400), pending]

    assert _browse(device["verificationUriComplete"])[0] == 200
    tokens = poll()
    assert tokens["tokenType"] == "Bearer" and tokens["expiresIn"] == 3600
    assert tokens["accessToken"] and tokens["refreshToken"]
    assert fake.is_access_token_valid(tokens["accessToken"])
    with pytest.raises(ClientError) as excinfo:
        poll()
    assert _error(excinfo) == ("InvalidGrantException", 400), "a device code is good for one token"

    token_calls = fake.calls("CreateToken")
    assert [c.outcome for c in token_calls] == [
        "AuthorizationPendingException",
        "AuthorizationPendingException",
        "SlowDownException",
        "AuthorizationPendingException",
        "ok",
        "InvalidGrantException",
    ]
    assert {c.grant_type for c in token_calls} == {DEVICE_GRANT}
    assert [c.operation for c in fake.calls("DeviceVerify")] == ["DeviceVerify"]
    assert fake.authorizations_started == 1


def test_device_flow_denied_ignored_and_expired(fake: FakeSso, oidc: Any) -> None:
    client = _register(oidc)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}

    def outcome(behaviour: str, lifetime: int = 600) -> str:
        fake.authorize_behaviour = behaviour  # type: ignore[assignment]
        fake.device_code_lifetime = lifetime
        device = oidc.start_device_authorization(**secret, startUrl=START_URL)
        _browse(device["verificationUriComplete"])
        with pytest.raises(ClientError) as excinfo:
            oidc.create_token(**secret, grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
        return _error(excinfo)[0]

    assert outcome("deny") == "AccessDeniedException"
    assert outcome("ignore") == "AuthorizationPendingException"
    assert outcome("approve", lifetime=0) == "ExpiredTokenException"
    assert [c.outcome for c in fake.calls("DeviceVerify")] == ["access_denied", "ignored", "invalid_request"]


def test_authorization_code_flow_checks_the_pkce_verifier_and_uses_a_code_once(
    fake: FakeSso, oidc: Any
) -> None:
    client = _register(oidc, pkce=True)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}
    redirect_uri = "http://127.0.0.1:54321/oauth/callback"  # any loopback port is fine

    status, query = _browse(_authorize_url(fake, client["clientId"], redirect_uri, state="s-42"))
    assert status == 302 and query["state"] == ["s-42"]
    code = query["code"][0]

    def exchange(code: str, verifier: str = VERIFIER, uri: str = redirect_uri) -> Any:
        return oidc.create_token(
            **secret, grantType=CODE_GRANT, code=code, redirectUri=uri, codeVerifier=verifier
        )

    tokens = exchange(code)
    assert tokens["accessToken"] and tokens["refreshToken"]
    with pytest.raises(ClientError) as excinfo:
        exchange(code)
    assert _error(excinfo) == ("InvalidGrantException", 400)

    _, query = _browse(_authorize_url(fake, client["clientId"], redirect_uri))
    with pytest.raises(ClientError) as excinfo:
        exchange(query["code"][0], verifier=VERIFIER + "x")
    assert _error(excinfo) == ("InvalidGrantException", 400)

    _, query = _browse(_authorize_url(fake, client["clientId"], redirect_uri))
    with pytest.raises(ClientError) as excinfo:
        exchange(query["code"][0], uri="http://127.0.0.1:1/oauth/callback")
    assert _error(excinfo) == ("InvalidGrantException", 400)

    calls = fake.calls("CreateToken")
    assert [(c.grant_type, c.outcome, c.pkce_verified) for c in calls] == [
        (CODE_GRANT, "ok", True),
        (CODE_GRANT, "InvalidGrantException", None),
        (CODE_GRANT, "InvalidGrantException", False),
        (CODE_GRANT, "InvalidGrantException", None),
    ]
    assert calls[0].params["codeVerifier"] == VERIFIER
    assert fake.authorizations_started == 3


def test_authorize_denies_ignores_and_rejects_bad_requests(fake: FakeSso, oidc: Any) -> None:
    client = _register(oidc, pkce=True)
    callback = "http://127.0.0.1:8400/oauth/callback"

    fake.authorize_behaviour = "deny"
    status, query = _browse(_authorize_url(fake, client["clientId"], callback, state="s-1"))
    assert status == 302 and query["error"] == ["access_denied"] and query["state"] == ["s-1"]
    assert "code" not in query

    fake.authorize_behaviour = "ignore"
    assert _browse(_authorize_url(fake, client["clientId"], callback)) == (200, {})

    fake.authorize_behaviour = "approve"
    assert _browse(_authorize_url(fake, client["clientId"], "http://evil.example/cb"))[0] == 400
    assert _browse(_authorize_url(fake, "unknown", callback))[0] == 400
    device_client = _register(oidc)  # registered without authorization_code
    assert _browse(_authorize_url(fake, device_client["clientId"], callback))[0] == 400

    outcomes = [c.outcome for c in fake.calls("Authorize")]
    assert outcomes == [
        "access_denied",
        "ignored",
        "invalid_redirect_uri",
        "invalid_client",
        "unauthorized_client",
    ]
    assert fake.authorizations_started == 5


def test_refresh_rotates_the_refresh_token_and_rejects_the_consumed_one(fake: FakeSso, oidc: Any) -> None:
    seen: list[dict[str, Any]] = []
    fake.on_refresh = seen.append
    client, tokens = _device_tokens(fake, oidc)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}

    refreshed = oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=tokens["refreshToken"])
    assert refreshed["accessToken"] not in (None, tokens["accessToken"])
    assert refreshed["refreshToken"] not in (None, tokens["refreshToken"])
    assert seen == [{**secret, "grantType": REFRESH_GRANT, "refreshToken": tokens["refreshToken"]}]

    with pytest.raises(ClientError) as excinfo:
        oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=tokens["refreshToken"])
    assert _error(excinfo) == ("InvalidGrantException", 400)

    fake.revoke_refresh_tokens()
    with pytest.raises(ClientError) as excinfo:
        oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=refreshed["refreshToken"])
    assert _error(excinfo) == ("InvalidGrantException", 400)
    outcomes = [(c.grant_type, c.outcome) for c in fake.calls("CreateToken")]
    assert outcomes == [
        (DEVICE_GRANT, "ok"),
        (REFRESH_GRANT, "ok"),
        (REFRESH_GRANT, "InvalidGrantException"),
        (REFRESH_GRANT, "InvalidGrantException"),
    ]


def test_refresh_failures_can_be_injected(fake: FakeSso, oidc: Any) -> None:
    client, tokens = _device_tokens(fake, oidc)
    secret = {"clientId": client["clientId"], "clientSecret": client["clientSecret"]}

    fake.refresh_behaviour = "server_error"
    with pytest.raises(ClientError) as excinfo:
        oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=tokens["refreshToken"])
    assert _error(excinfo) == ("InternalServerException", 500)

    fake.refresh_behaviour = "invalid_grant"
    with pytest.raises(ClientError) as excinfo:
        oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=tokens["refreshToken"])
    assert _error(excinfo) == ("InvalidGrantException", 400)

    fake.refresh_behaviour = "ok"  # the injected failures did not consume the token
    assert oidc.create_token(**secret, grantType=REFRESH_GRANT, refreshToken=tokens["refreshToken"])


def test_no_refresh_token_without_the_account_access_scope(fake: FakeSso, oidc: Any) -> None:
    _, tokens = _device_tokens(fake, oidc, scopes=())
    assert tokens["accessToken"] and "refreshToken" not in tokens


# -- portal --------------------------------------------------------------------


def test_role_credentials_are_real_moto_credentials(moto: MotoServer) -> None:
    with FakeSso(moto.url, accounts=ACCOUNTS, role_credentials_lifetime=1800) as fake:
        _, tokens = _device_tokens(fake, _client("sso-oidc", fake))
        before = time.time()
        answer = _client("sso", fake).get_role_credentials(
            roleName="Admin", accountId="111111111111", accessToken=tokens["accessToken"]
        )
    creds = answer["roleCredentials"]
    assert abs(creds["expiration"] / 1000 - (before + 1800)) < 60, "epoch milliseconds"
    assert fake.issued == [("111111111111", "Admin", creds["accessKeyId"])]
    (assume,) = moto.calls("AssumeRole")
    assert assume.params["RoleArn"] == "arn:aws:iam::111111111111:role/Admin"
    assert assume.params["RoleSessionName"] == "sso-user" and assume.params["DurationSeconds"] == "1800"

    sts = moto.admin_client(
        "sts",
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    )
    arn = sts.get_caller_identity()["Arn"]
    assert "assumed-role/Admin/sso-user" in arn and ":111111111111:" in arn
    assert moto.calls("GetCallerIdentity")[0].access_key_id == creds["accessKeyId"]
    (call,) = fake.calls("GetRoleCredentials")
    assert call.params == {
        "role_name": "Admin",
        "account_id": "111111111111",
        "accessToken": tokens["accessToken"],
    }


def test_role_credentials_need_a_valid_token_and_an_assigned_role(
    fake: FakeSso, oidc: Any, portal: Any
) -> None:
    _, tokens = _device_tokens(fake, oidc)
    token = tokens["accessToken"]
    for account_id, role in [("222222222222", "Admin"), ("999999999999", "Admin")]:
        with pytest.raises(ClientError) as excinfo:
            portal.get_role_credentials(roleName=role, accountId=account_id, accessToken=token)
        assert _error(excinfo) == ("ForbiddenException", 403)
    assert portal.get_role_credentials(roleName="ReadOnly", accountId="222222222222", accessToken=token)

    fake.expire_access_tokens()
    with pytest.raises(ClientError) as excinfo:
        portal.get_role_credentials(roleName="ReadOnly", accountId="222222222222", accessToken=token)
    assert _error(excinfo) == ("UnauthorizedException", 401)
    outcomes = [c.outcome for c in fake.calls("GetRoleCredentials")]
    assert outcomes == ["ForbiddenException", "ForbiddenException", "ok", "UnauthorizedException"]
    assert [entry[:2] for entry in fake.issued] == [("222222222222", "ReadOnly")]


def test_accounts_and_roles_are_paginated(fake: FakeSso, oidc: Any, portal: Any) -> None:
    _, tokens = _device_tokens(fake, oidc)
    token = tokens["accessToken"]

    pages = list(portal.get_paginator("list_accounts").paginate(accessToken=token))
    assert [[a["accountId"] for a in p["accountList"]] for p in pages] == [[a] for a in ACCOUNTS]
    assert pages[0]["accountList"][0] == {
        "accountId": "111111111111",
        "accountName": "dev-account",
        "emailAddress": "dev-account@example.com",
    }
    assert [c.outcome for c in fake.calls("ListAccounts")] == ["ok"] * 3
    assert "next_token" not in fake.calls("ListAccounts")[0].params
    assert "next_token" in fake.calls("ListAccounts")[1].params

    roles = portal.get_paginator("list_account_roles").paginate(accessToken=token, accountId="111111111111")
    pages = list(roles)
    assert [p["roleList"] for p in pages] == [
        [{"roleName": "Admin", "accountId": "111111111111"}],
        [{"roleName": "ReadOnly", "accountId": "111111111111"}],
    ]

    fake.page_size = 10
    answer = portal.list_accounts(accessToken=token, maxResults=2)
    assert len(answer["accountList"]) == 2 and answer["nextToken"]
    rest = portal.list_accounts(accessToken=token, maxResults=2, nextToken=answer["nextToken"])
    assert [a["accountId"] for a in rest["accountList"]] == ["333333333333"] and "nextToken" not in rest

    with pytest.raises(ClientError) as excinfo:
        portal.list_accounts(accessToken=token, nextToken="garbage")
    assert _error(excinfo) == ("InvalidRequestException", 400)
    with pytest.raises(ClientError) as excinfo:
        portal.list_account_roles(accessToken=token, accountId="999999999999")
    assert _error(excinfo) == ("ForbiddenException", 403)


def test_logout_invalidates_the_access_and_refresh_tokens(fake: FakeSso, oidc: Any, portal: Any) -> None:
    client, tokens = _device_tokens(fake, oidc)
    token = tokens["accessToken"]
    assert portal.get_role_credentials(roleName="Admin", accountId="111111111111", accessToken=token)

    portal.logout(accessToken=token)
    assert not fake.is_access_token_valid(token)
    with pytest.raises(ClientError) as excinfo:
        portal.get_role_credentials(roleName="Admin", accountId="111111111111", accessToken=token)
    assert _error(excinfo) == ("UnauthorizedException", 401)
    with pytest.raises(ClientError) as excinfo:
        oidc.create_token(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            grantType=REFRESH_GRANT,
            refreshToken=tokens["refreshToken"],
        )
    assert _error(excinfo) == ("InvalidGrantException", 400)
    with pytest.raises(ClientError) as excinfo:
        portal.logout(accessToken="never-issued")
    assert _error(excinfo) == ("UnauthorizedException", 401)
    assert [c.outcome for c in fake.calls("Logout")] == ["ok", "UnauthorizedException"]


def test_reset_calls_forgets_the_record_but_not_the_tokens(fake: FakeSso, oidc: Any, portal: Any) -> None:
    _, tokens = _device_tokens(fake, oidc)
    fake.reset_calls()
    assert fake.calls() == [] and fake.authorizations_started == 0
    assert portal.list_accounts(accessToken=tokens["accessToken"])["accountList"]
    assert [c.operation for c in fake.calls()] == ["ListAccounts"]


# -- the browser double ----------------------------------------------------------


class _Callback:
    """A loopback listener recording the query of every request it gets."""

    def __init__(self, port: int = 0) -> None:
        self.queries: list[dict[str, list[str]]] = []
        self.received = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.queries.append(parse_qs(urlsplit(self.path).query))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                outer.received.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _open_with_webbrowser(url: str, log: Path, mode: str = "follow") -> subprocess.CompletedProcess[str]:
    """webbrowser.open(url) in a fresh interpreter, BROWSER set to the double."""
    env = {
        **os.environ,
        "BROWSER": browser_command(),
        "FAKE_BROWSER_LOG": str(log),
        "FAKE_BROWSER_MODE": mode,
    }
    code = "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1]) else 3)"
    return subprocess.run(
        [sys.executable, "-c", code, url], env=env, capture_output=True, text=True, timeout=10, check=False
    )


def test_browser_follows_the_authorize_redirect_to_a_late_callback_listener(
    fake: FakeSso, oidc: Any, tmp_path: Path
) -> None:
    client = _register(oidc, pkce=True)
    port = _free_port()
    redirect_uri = f"http://127.0.0.1:{port}/oauth/callback"
    url = _authorize_url(fake, client["clientId"], redirect_uri, state="st-browser")
    log = tmp_path / "browser.log"

    started = time.monotonic()
    result = _open_with_webbrowser(url, log)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 5, "the browser must not block webbrowser.open"
    assert log.read_text() == url + "\n"

    time.sleep(0.5)  # the listener comes up after the browser was launched
    callback = _Callback(port)
    try:
        assert callback.received.wait(10), "the browser never reached the callback"
    finally:
        callback.stop()
    (query,) = callback.queries
    assert query["state"] == ["st-browser"]
    tokens = oidc.create_token(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        grantType=CODE_GRANT,
        code=query["code"][0],
        redirectUri=redirect_uri,
        codeVerifier=VERIFIER,
    )
    assert tokens["accessToken"]
    assert fake.calls("CreateToken")[0].pkce_verified is True
    assert fake.authorizations_started == 1


def test_browser_in_record_mode_only_records(fake: FakeSso, oidc: Any, tmp_path: Path) -> None:
    client = _register(oidc, pkce=True)
    url = _authorize_url(fake, client["clientId"], CALLBACK)
    log = tmp_path / "browser.log"
    for _ in range(2):
        assert _open_with_webbrowser(url, log, mode="record").returncode == 0
    assert log.read_text().splitlines() == [url, url]
    time.sleep(0.3)
    assert fake.calls("Authorize") == []

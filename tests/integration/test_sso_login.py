"""sign_in and choose_flow: PKCE through a real loopback callback, device-code polling on a fake clock.

No AWS: create_token and start_device_authorization are replaced by fakes. The PKCE tests
play the browser from a background thread against the real listener on 127.0.0.1,
which is why this unit module opens (loopback) sockets.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import http.client
import io
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from awsafe.aws import sso as aws_sso
from awsafe.aws.client import Endpoint
from awsafe.aws.sso import ClientRegistration, DeviceAuthorization, TokenGrant
from awsafe.errors import AwsError, ExitCode, LoginError
from awsafe.sso import callback
from awsafe.sso.callback import RedirectListener, route_callback
from awsafe.sso.settings import SsoSession
from awsafe.sso.signin import SignInOptions, choose_flow, code_challenge, sign_in
from tests.support.slow_client import Dripper

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
SESSION = SsoSession("https://corp.awsapps.com/start", "eu-west-1", "corp", ("sso:account:access",))
OIDC = Endpoint(region="eu-west-1")
GRANT = TokenGrant("ACCESS-TOKEN-CANARY", NOW + dt.timedelta(hours=8), "REFRESH-TOKEN-CANARY")
AUTH_CODE = "AUTH-CODE-CANARY"
DEVICE_CODE = "DEVICE-CODE-CANARY"
CLIENT_SECRET = "CLIENT-SECRET-CANARY"
STATE = "<state>"  # replaced by the sign-in's real state when the fake browser visits
SECRETS = (AUTH_CODE, DEVICE_CODE, CLIENT_SECRET, GRANT.access_token, "REFRESH-TOKEN-CANARY")


class FakeOidc:
    """Stands in for the OIDC calls: records every CreateToken and answers from a script."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *results: TokenGrant | AwsError) -> None:
        self.results = list(results)
        self.calls: list[dict[str, str]] = []
        self.registrations: list[str] = []
        monkeypatch.setattr(aws_sso, "create_token", self.create_token)
        monkeypatch.setattr(aws_sso, "start_device_authorization", self.start_device_authorization)

    def register(self, flow: str) -> ClientRegistration:
        self.registrations.append(flow)
        return ClientRegistration("client-1", CLIENT_SECRET, NOW + dt.timedelta(days=90), flow)

    def create_token(
        self, endpoint: Endpoint, client: ClientRegistration, now: dt.datetime, what: str, **grant: str
    ) -> TokenGrant:
        assert (endpoint, client.client_id, now) == (OIDC, "client-1", NOW)
        self.calls.append(grant)
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, AwsError):
            raise result
        return result

    def start_device_authorization(
        self, endpoint: Endpoint, client: ClientRegistration, start_url: str
    ) -> DeviceAuthorization:
        assert (endpoint, client.flow, start_url) == (OIDC, "device", SESSION.start_url)
        uri = "https://device.sso.eu-west-1.amazonaws.com/"
        return DeviceAuthorization(DEVICE_CODE, "ABCD-EFGH", uri, f"{uri}?user_code=ABCD-EFGH", 600, 5)


class Opened(list[str]):
    """An ``open_url`` that opens nothing and remembers what it was asked to open."""

    def __call__(self, url: str) -> bool:
        self.append(url)
        return True


def pending(code: str = "AuthorizationPendingException") -> AwsError:
    return AwsError(f"CreateToken failed: {code}", code=code, status=400)


class Browser:
    """Plays the user's browser: follows the one-time URL it is opened with to the authorization
    URL (as a browser follows a redirect), then visits the callback once per step, in a thread."""

    def __init__(
        self, *steps: tuple[str, dict[str, str]], before: Callable[[int], None] | None = None
    ) -> None:
        self.steps = steps
        self.before = before  # called with the listener's port before the callback steps
        self.statuses: list[int] = []
        self.opened: list[str] = []
        self.redirect: Fetched | None = None
        self.query: dict[str, str] = {}
        self.thread: threading.Thread | None = None

    def open(self, url: str) -> bool:
        self.opened.append(url)
        authorize_url = url
        if urllib.parse.urlsplit(url).hostname == "127.0.0.1":  # a one-time URL: follow it
            self.redirect = fetch(url)
            authorize_url = self.redirect.location
        self.query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
        self.thread = threading.Thread(target=self._visit, daemon=True)
        self.thread.start()
        return True

    @property
    def redirect_uri(self) -> str:
        return self.query["redirect_uri"]

    def _visit(self) -> None:
        base = urllib.parse.urlsplit(self.redirect_uri)
        if self.before is not None:
            self.before(base.port or 0)
        for path, params in self.steps:
            query = {k: self.query["state"] if v == STATE else v for k, v in params.items()}
            url = f"{base.scheme}://{base.netloc}{path}?{urllib.parse.urlencode(query)}"
            self.statuses.append(get(url))

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(5)


def get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


@dataclasses.dataclass(frozen=True)
class Fetched:
    status: int
    location: str
    headers: dict[str, str]


def fetch(url: str, host: str | None = None) -> Fetched:
    """One GET without following redirects (optionally with another ``Host``)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.putrequest("GET", parts.path + (f"?{parts.query}" if parts.query else ""), skip_host=True)
        connection.putheader("Host", host or parts.netloc)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Fetched(response.status, headers.get("location", ""), headers)
    finally:
        connection.close()


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def run(
    oidc: FakeOidc,
    flow: str,
    open_url: Callable[[str], bool],
    *,
    out: io.StringIO,
    options: SignInOptions | None = None,
    spinner: io.StringIO | None = None,
    **timing: Any,
) -> TokenGrant:
    return sign_in(
        SESSION,
        OIDC,
        oidc.register,
        options or SignInOptions(timeout=5 if flow == "pkce" else 300),  # a broken PKCE test must not hang
        flow=flow,
        out=out,
        spinner=spinner,
        open_url=open_url,
        clock=lambda: NOW,
        **timing,
    )


def listener_port(opened_url: str) -> int:
    """The redirect listener's port, from the URL a browser was opened with (whatever its kind)."""
    parts = urllib.parse.urlsplit(opened_url)
    redirect_uri = dict(urllib.parse.parse_qsl(parts.query)).get("redirect_uri")  # an authorization URL
    if redirect_uri:
        return urllib.parse.urlsplit(redirect_uri).port or 0
    return parts.port or 0  # a one-time URL on the listener itself


def refuses_connections(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return True
    return False


# --- PKCE ---------------------------------------------------------------------------------------


def test_pkce_sign_in_exchanges_the_code_with_the_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    browser = Browser(("/oauth/callback", {"code": AUTH_CODE, "state": STATE}))
    out = io.StringIO()

    assert run(oidc, "pkce", browser.open, out=out) == GRANT
    browser.join()

    assert browser.statuses == [200]
    [grant] = oidc.calls
    assert grant["grantType"] == "authorization_code"
    assert grant["code"] == AUTH_CODE
    assert grant["redirectUri"] == browser.redirect_uri
    assert oidc.registrations == ["pkce"]
    verifier = grant["codeVerifier"]
    assert 43 <= len(verifier) <= 128
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert browser.query["code_challenge"] == digest
    assert browser.query["code_challenge_method"] == "S256"
    assert browser.query["scopes"] == "sso:account:access"
    redirect = urllib.parse.urlsplit(browser.redirect_uri)
    assert (redirect.hostname, redirect.path) == ("127.0.0.1", "/oauth/callback")
    assert refuses_connections(redirect.port or 0)
    text = out.getvalue()
    assert browser.redirect is not None
    assert "sso-session 'corp'" in text and browser.redirect.location in text and "did not open" in text
    assert not any(secret in text for secret in (*SECRETS, verifier))


def test_the_browser_gets_a_one_time_url_without_state_or_challenge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a browser's argv is readable by every local user; state and challenge stay out of it."""
    oidc = FakeOidc(monkeypatch, GRANT)
    browser = Browser(("/oauth/callback", {"code": AUTH_CODE, "state": STATE}))

    assert run(oidc, "pkce", browser.open, out=io.StringIO()) == GRANT
    browser.join()

    [opened] = browser.opened
    parts = urllib.parse.urlsplit(opened)
    assert (parts.scheme, parts.hostname, parts.query, parts.fragment) == ("http", "127.0.0.1", "", "")
    assert parts.port == urllib.parse.urlsplit(browser.redirect_uri).port
    assert len(base64.urlsafe_b64decode(parts.path[1:] + "=")) == 32  # 256 random bits
    for secret in ("state", "code_challenge", browser.query["state"], browser.query["code_challenge"]):
        assert secret not in opened
    assert browser.redirect is not None
    assert browser.redirect.status == 303
    assert browser.redirect.location.startswith("https://oidc.eu-west-1.amazonaws.com/authorize?")
    assert browser.redirect.headers["cache-control"] == "no-store"
    assert browser.redirect.headers["referrer-policy"] == "no-referrer"
    assert browser.statuses == [200]


def test_the_one_time_url_redirects_once_only(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    again: list[Fetched] = []
    browser = Browser(
        ("/oauth/callback", {"code": AUTH_CODE, "state": STATE}),
        before=lambda port: again.append(fetch(browser.opened[0])),
    )

    assert run(oidc, "pkce", browser.open, out=io.StringIO()) == GRANT
    browser.join()

    assert browser.redirect is not None and browser.redirect.status == 303
    assert [(f.status, f.location) for f in again] == [(404, "")]
    assert refuses_connections(urllib.parse.urlsplit(browser.opened[0]).port or 0)


def test_a_dripping_client_does_not_delay_the_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: one local client sending a byte every 0.5 s held the listener, and the browser."""
    oidc = FakeOidc(monkeypatch, GRANT)
    drippers: list[Dripper] = []

    def drip_first(port: int) -> None:
        drippers.append(Dripper(port))
        time.sleep(0.3)  # connected and dripping before the browser comes back

    browser = Browser(("/oauth/callback", {"code": AUTH_CODE, "state": STATE}), before=drip_first)
    started = time.monotonic()
    try:
        assert run(oidc, "pkce", browser.open, out=io.StringIO(), options=SignInOptions(timeout=20)) == GRANT
        elapsed = time.monotonic() - started
        browser.join()
    finally:
        for dripper in drippers:
            dripper.close()
    assert elapsed < 4
    assert browser.statuses == [200]
    assert [call["code"] for call in oidc.calls] == [AUTH_CODE]


def test_the_deadline_holds_while_a_client_drips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: AWSAFE_SSO_LOGIN_TIMEOUT is a deadline for the whole sign-in, whatever clients do."""
    oidc = FakeOidc(monkeypatch, GRANT)
    drippers: list[Dripper] = []

    def open_and_drip(url: str) -> bool:
        drippers.append(Dripper(listener_port(url), seconds=12))
        return True

    started = time.monotonic()
    try:
        with pytest.raises(LoginError, match="gave up waiting for the sign-in to .* after 1 s"):
            run(oidc, "pkce", open_and_drip, out=io.StringIO(), options=SignInOptions(timeout=1))
        elapsed = time.monotonic() - started
    finally:
        for dripper in drippers:
            dripper.close()
    assert 1 <= elapsed < 3
    assert oidc.calls == []


def test_a_wrong_state_is_refused_and_the_right_one_still_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    browser = Browser(
        ("/oauth/callback", {"code": "FORGED-CODE", "state": "not-the-state"}),
        ("/oauth/callback", {"code": "FORGED-CODE"}),
        ("/favicon.ico", {}),
        ("/oauth/callback", {"code": AUTH_CODE, "state": STATE}),
    )

    run(oidc, "pkce", browser.open, out=io.StringIO())
    browser.join()

    assert browser.statuses == [400, 400, 404, 200]
    assert [call["code"] for call in oidc.calls] == [AUTH_CODE]


def test_access_denied_in_the_browser_is_a_login_error(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    browser = Browser(("/oauth/callback", {"error": "access_denied", "state": STATE}))

    with pytest.raises(LoginError, match=r"denied in the browser \(access_denied\)") as caught:
        run(oidc, "pkce", browser.open, out=io.StringIO())
    browser.join()

    assert caught.value.exit_code == ExitCode.LOGIN
    assert browser.statuses == [200]
    assert oidc.calls == []
    assert refuses_connections(urllib.parse.urlsplit(browser.redirect_uri).port or 0)


def test_pkce_gives_up_after_the_timeout_and_closes_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    opened = Opened()
    started = time.monotonic()

    with pytest.raises(
        LoginError, match=r"gave up waiting for the sign-in to sso-session 'corp' after 0.5 s"
    ):
        run(
            oidc,
            "pkce",
            opened,
            out=io.StringIO(),
            options=SignInOptions(timeout=0.5),
        )

    assert time.monotonic() - started < 2
    assert refuses_connections(urllib.parse.urlsplit(opened[0]).port or 0)  # one port for both


def test_ctrl_c_while_waiting_closes_the_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    ports: list[int] = []

    def interrupt(url: str) -> bool:
        ports.append(urllib.parse.urlsplit(url).port or 0)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(oidc, "pkce", interrupt, out=io.StringIO())
    assert refuses_connections(ports[0])


def test_without_a_browser_only_the_url_is_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, GRANT)
    out = io.StringIO()
    opened = Opened()

    with pytest.raises(LoginError):
        run(oidc, "pkce", opened, out=out, options=SignInOptions(open_browser=False, timeout=0.2))

    assert opened == []
    assert "Open this URL in a browser on this machine: https://oidc.eu-west-1.amazonaws.com/authorize?" in (
        out.getvalue()
    )
    assert "did not open" not in out.getvalue()


def test_a_browser_that_cannot_be_opened_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    with pytest.raises(LoginError):
        run(
            FakeOidc(monkeypatch, GRANT),
            "pkce",
            lambda url: False,
            out=out,
            options=SignInOptions(timeout=0.2),
        )
    assert "The browser could not be opened; visit: https://oidc.eu-west-1.amazonaws.com/" in out.getvalue()


def test_the_spinner_turns_on_its_own_stream_and_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    out, spinner = io.StringIO(), io.StringIO()
    with pytest.raises(LoginError):
        run(
            FakeOidc(monkeypatch, GRANT),
            "pkce",
            lambda url: True,
            out=out,
            spinner=spinner,
            options=SignInOptions(timeout=0.5),
        )
    assert spinner.getvalue().startswith("\r|\r/")
    assert spinner.getvalue().endswith("\r \r")
    assert "\r" not in out.getvalue()


def test_listener_binds_loopback_only() -> None:
    with RedirectListener("state") as listener:
        host, port = listener.address
        assert host == "127.0.0.1"
        assert listener.redirect_uri == f"http://127.0.0.1:{port}/oauth/callback"
        if sys.platform.startswith("linux"):  # all of 127/8 is loopback there: 0.0.0.0 would answer
            assert refuses_connections(port, "127.0.0.2")
    assert refuses_connections(port)


@pytest.mark.parametrize(
    ("target", "host", "status"),
    [
        ("/oauth/callback?code=c&state=s", "127.0.0.1:8000", 200),
        ("/oauth/callback?code=c&state=s", "LOCALHOST:8000", 200),
        ("/oauth/callback?code=c&state=s", "evil.example:8000", 400),
        ("/oauth/callback?code=c&state=s", "127.0.0.1:9999", 400),
        ("/oauth/callback?code=c&state=s", None, 400),
        ("/oauth/callback?code=c&state=s&state=s", "127.0.0.1:8000", 400),
        ("/oauth/callback?code=c&state=%C3%A9", "127.0.0.1:8000", 400),
        ("/oauth/callback?state=s", "127.0.0.1:8000", 400),
        ("/oauth/other?code=c&state=s", "127.0.0.1:8000", 404),
    ],
)
def test_route_callback(target: str, host: str | None, status: int) -> None:
    answer = route_callback(target, host, state="s", port=8000)
    assert answer.status == status
    assert (answer.callback is not None) == (status == 200)


def test_route_callback_keeps_only_a_plain_error_code() -> None:
    answer = route_callback("/oauth/callback?state=s&error=%3Cscript%3E", "127.0.0.1:1", state="s", port=1)
    assert answer.callback == callback.Callback(error="error")
    assert answer.page == callback.DENIED_PAGE


def test_code_challenge_matches_rfc_7636_appendix_b() -> None:
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


# --- device code --------------------------------------------------------------------------------


def test_device_flow_polls_and_slows_down(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, pending(), pending(), pending("SlowDownException"), GRANT)
    clock, out, opened = FakeTime(), io.StringIO(), Opened()

    grant = run(oidc, "device", opened, out=out, sleep=clock.sleep, monotonic=clock.monotonic)

    assert grant == GRANT
    assert len(oidc.calls) == 4
    assert all(call == {"grantType": aws_sso.DEVICE_GRANT, "deviceCode": DEVICE_CODE} for call in oidc.calls)
    assert clock.sleeps == [5, 5, 10]
    assert oidc.registrations == ["device"]
    url = "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH"
    assert opened == [url]
    assert "with the code ABCD-EFGH" in out.getvalue() and url in out.getvalue()
    assert not any(secret in out.getvalue() for secret in SECRETS)


@pytest.mark.parametrize(
    ("code", "message"),
    [("AccessDeniedException", "was denied"), ("ExpiredTokenException", "code ABCD-EFGH .* expired")],
)
def test_device_flow_denied_or_expired(monkeypatch: pytest.MonkeyPatch, code: str, message: str) -> None:
    oidc = FakeOidc(monkeypatch, pending(), pending(code))
    clock = FakeTime()
    with pytest.raises(LoginError, match=message) as caught:
        run(oidc, "device", lambda url: True, out=io.StringIO(), sleep=clock.sleep, monotonic=clock.monotonic)
    assert len(oidc.calls) == 2
    assert not any(secret in str(caught.value) for secret in SECRETS)


def test_device_flow_gives_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, pending())
    clock = FakeTime()
    with pytest.raises(LoginError, match="after 12 s"):
        run(
            oidc,
            "device",
            lambda url: True,
            out=io.StringIO(),
            options=SignInOptions(timeout=12),
            sleep=clock.sleep,
            monotonic=clock.monotonic,
        )
    assert clock.sleeps == [5, 5, 2]
    assert len(oidc.calls) == 4


def test_device_flow_passes_other_aws_errors_on(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, pending("InvalidClientException"))
    clock = FakeTime()
    with pytest.raises(AwsError, match="InvalidClientException"):
        run(oidc, "device", lambda url: True, out=io.StringIO(), sleep=clock.sleep, monotonic=clock.monotonic)


def test_device_flow_without_a_browser_prints_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    oidc = FakeOidc(monkeypatch, pending(), GRANT)
    clock, out, spinner, opened = FakeTime(), io.StringIO(), io.StringIO(), Opened()
    run(
        oidc,
        "device",
        opened,
        out=out,
        spinner=spinner,
        options=SignInOptions(open_browser=False),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    assert opened == []
    assert "Open this URL in a browser: https://device.sso" in out.getvalue()
    assert sum(clock.sleeps) == pytest.approx(5)
    assert spinner.getvalue().startswith("\r|") and spinner.getvalue().endswith("\r \r")


# --- choosing the flow --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "environ", "browser", "flow"),
    [
        (SignInOptions(device_code=True), {"BROWSER": "firefox"}, True, "device"),
        (SignInOptions(), {"SSH_CONNECTION": "10.0.0.1 50000 10.0.0.2 22"}, True, "device"),
        (SignInOptions(), {"SSH_TTY": "/dev/pts/0"}, True, "device"),
        (SignInOptions(), {"SSH_TTY": "/dev/pts/0", "BROWSER": "w3m"}, False, "pkce"),
        (SignInOptions(open_browser=False), {"SSH_TTY": "/dev/pts/0"}, True, "device"),
        (SignInOptions(), {"BROWSER": "firefox"}, False, "pkce"),
        (SignInOptions(), {}, True, "pkce"),
        (SignInOptions(), {}, False, "device"),
        (SignInOptions(open_browser=False), {}, False, "pkce"),
    ],
)
def test_choose_flow(options: SignInOptions, environ: dict[str, str], browser: bool, flow: str) -> None:
    assert choose_flow(options, environ, browser_available=lambda: browser) == flow


def test_unknown_flow_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown sign-in flow"):
        run(FakeOidc(monkeypatch, GRANT), "magic", lambda url: True, out=io.StringIO())

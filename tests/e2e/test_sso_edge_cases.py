"""The SSO token cases that bite in practice, each against the fake, asserting the OIDC calls made."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import botocore.session
from botocore import UNSIGNED
from botocore.config import Config

from awsafe.sso.settings import SsoSession
from awsafe.sso.store import SsoToken, SsoTokenStore
from awsafe.vault.select import open_store
from tests.e2e.test_sso import caller_identity
from tests.support.env import run_awsafe
from tests.support.fake_sso import CODE_GRANT, REFRESH_GRANT
from tests.support.slow_client import Dripper
from tests.support.worlds import BIN, SsoWorld

STALE_ROLE = {"AWS_MIN_TTL": "3600s"}  # cached role credentials count as stale: the token is needed


def grants(sso: SsoWorld) -> list[tuple[str | None, str]]:
    return [(c.grant_type, c.outcome) for c in sso.fake.calls("CreateToken")]


def signed_in_with_expired_token(sso: SsoWorld) -> str:
    """Sign in with a 2-second token and let it expire; returns that access token."""
    sso.fake.token_lifetime = 2
    first = caller_identity(sso)
    assert first.returncode == 0, first.stderr
    [fetch] = sso.fake.calls("GetRoleCredentials")
    time.sleep(2.5)
    sso.fake.token_lifetime = 3600
    sso.fake.reset_calls()
    return str(fetch.params["accessToken"])


def test_revoked_refresh_token_drops_the_stale_token_and_signs_in_once(sso: SsoWorld) -> None:
    signed_in_with_expired_token(sso)
    sso.fake.refresh_behaviour = "invalid_grant"
    result = caller_identity(sso, **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    assert grants(sso) == [(REFRESH_GRANT, "InvalidGrantException"), (CODE_GRANT, "ok")]
    assert sso.fake.authorizations_started == 1
    assert "signing in again" in result.stderr


def test_a_failed_early_refresh_keeps_using_the_valid_token(sso: SsoWorld) -> None:
    sso.fake.token_lifetime = 600  # valid, but inside the 15-minute refresh window
    assert caller_identity(sso).returncode == 0
    [first] = sso.fake.calls("GetRoleCredentials")
    sso.fake.reset_calls()
    sso.fake.refresh_behaviour = "server_error"
    result = caller_identity(sso, **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    assert grants(sso) == [(REFRESH_GRANT, "InternalServerException")]
    assert sso.fake.authorizations_started == 0
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert fetch.params["accessToken"] == first.params["accessToken"]
    assert "using the current token" in result.stderr


def _other_process_refreshes(sso: SsoWorld) -> dict[str, Any]:
    """An on_refresh hook that, once, spends the presented refresh token itself and stores the
    result in the vault: what another awsafe process finishing its refresh first looks like."""
    state: dict[str, Any] = {"done": False, "token": None}
    home = sso.home

    def hook(params: dict[str, Any]) -> None:
        if state["done"]:
            return
        state["done"] = True
        oidc = botocore.session.get_session().create_client(
            "sso-oidc",
            region_name="us-east-1",
            endpoint_url=sso.fake.url,
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
        )
        answer = oidc.create_token(
            clientId=params["clientId"],
            clientSecret=params["clientSecret"],
            grantType="refresh_token",
            refreshToken=params["refreshToken"],
        )
        store = open_store(
            "file",
            file_dir=Path(os.environ["AWSAFE_FILE_DIR"]),
            passphrase=lambda: "test-passphrase",
            state_dir=home / ".awsafe",
            scrypt_log2n=14,
        )
        tokens = SsoTokenStore(store)
        session = SsoSession("https://corp.awsapps.com/start", "us-east-1", "corp", ("sso:account:access",))
        old = tokens.token(session)
        assert old is not None
        import datetime as dt

        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=answer["expiresIn"])
        tokens.put_token(
            session,
            SsoToken(
                answer["accessToken"],
                expires.replace(microsecond=0),
                answer["refreshToken"],
                old.registration,
            ),
        )
        state["token"] = answer["accessToken"]

    sso.fake.on_refresh = hook
    return state


def test_a_refresh_raced_by_another_process_uses_the_token_it_stored(sso: SsoWorld) -> None:
    signed_in_with_expired_token(sso)
    other = _other_process_refreshes(sso)
    result = caller_identity(sso, **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    assert sorted(grants(sso)) == [(REFRESH_GRANT, "InvalidGrantException"), (REFRESH_GRANT, "ok")]
    assert sso.fake.authorizations_started == 0 and len(sso.opened()) == 1
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert fetch.params["accessToken"] == other["token"]


def test_a_server_error_on_refresh_keeps_the_refresh_token_and_opens_no_browser(sso: SsoWorld) -> None:
    signed_in_with_expired_token(sso)
    sso.fake.refresh_behaviour = "server_error"
    failed = caller_identity(sso, **STALE_ROLE)
    assert failed.returncode == 7, failed.stderr
    assert "refresh token is kept" in failed.stderr and "Traceback" not in failed.stderr
    assert grants(sso) == [(REFRESH_GRANT, "InternalServerException")]
    assert sso.fake.authorizations_started == 0 and len(sso.opened()) == 1

    sso.fake.refresh_behaviour = "ok"
    sso.fake.reset_calls()
    recovered = caller_identity(sso, **STALE_ROLE)
    assert recovered.returncode == 0, recovered.stderr
    assert grants(sso) == [(REFRESH_GRANT, "ok")]  # the same refresh token still worked
    assert sso.fake.authorizations_started == 0


def test_access_denied_in_the_browser_is_a_clear_error(sso: SsoWorld) -> None:
    sso.fake.authorize_behaviour = "deny"
    started = time.monotonic()
    result = run_awsafe("export", "--format", "json", "sso-dev", env=sso.env)
    assert result.returncode == 10, result.stderr
    assert time.monotonic() - started < 15
    assert "denied" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sso.fake.authorizations_started == 1
    assert sso.fake.calls("CreateToken") == []


def test_a_sign_in_never_finished_times_out(sso: SsoWorld) -> None:
    sso.fake.authorize_behaviour = "ignore"
    started = time.monotonic()
    result = run_awsafe(
        "export", "--format", "json", "sso-dev", env={**sso.env, "AWSAFE_SSO_LOGIN_TIMEOUT": "2s"}
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 10, result.stderr
    assert 2 <= elapsed < 12
    assert "gave up waiting" in result.stderr
    assert sso.fake.calls("CreateToken") == []


def test_a_token_the_portal_rejects_is_refreshed_not_signed_in_again(sso: SsoWorld) -> None:
    assert caller_identity(sso).returncode == 0
    sso.fake.expire_access_tokens()  # signed out elsewhere; our copy still looks valid
    sso.fake.reset_calls()
    result = caller_identity(sso, **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    outcomes = [c.outcome for c in sso.fake.calls("GetRoleCredentials")]
    assert outcomes == ["UnauthorizedException", "ok"]
    assert grants(sso) == [(REFRESH_GRANT, "ok")]
    assert sso.fake.authorizations_started == 0


def test_sso_logout_ends_the_session_and_forgets_the_token(sso: SsoWorld) -> None:
    assert caller_identity(sso).returncode == 0
    [fetch] = sso.fake.calls("GetRoleCredentials")
    result = run_awsafe("sso", "logout", env=sso.env)
    assert result.returncode == 0, result.stderr
    assert "Signed out of sso-session 'corp'" in result.stderr
    [logout] = sso.fake.calls("Logout")
    assert logout.params["accessToken"] == fetch.params["accessToken"]
    assert not sso.fake.is_access_token_valid(fetch.params["accessToken"])
    listed = run_awsafe("export", "--format", "json", "sso-dev", env=sso.env)
    assert listed.returncode == 0  # the role credentials are still cached: logout ends the token only
    assert json.loads(listed.stdout)["Version"] == 1


def test_an_expired_client_registration_is_replaced_before_signing_in(sso: SsoWorld) -> None:
    signed_in_with_expired_token(sso)
    sso.fake.expire_clients()  # the service no longer knows the registration awsafe keeps
    result = caller_identity(sso, **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    assert grants(sso) == [(REFRESH_GRANT, "InvalidClientException"), (CODE_GRANT, "ok")]
    assert len(sso.fake.calls("RegisterClient")) == 1
    assert sso.fake.authorizations_started == 1


def test_a_rejected_token_shared_with_the_aws_cli_is_not_taken_back_from_its_cache(sso: SsoWorld) -> None:
    assert caller_identity(sso, AWSAFE_SSO_CLI_CACHE="write").returncode == 0
    sso.fake.expire_access_tokens()
    sso.fake.reset_calls()
    result = caller_identity(sso, AWSAFE_SSO_CLI_CACHE="read", **STALE_ROLE)
    assert result.returncode == 0, result.stderr
    assert [c.outcome for c in sso.fake.calls("GetRoleCredentials")] == ["UnauthorizedException", "ok"]
    assert grants(sso) == [(REFRESH_GRANT, "ok")]


def listener_port(opened: str) -> int:
    """The redirect listener's port, from the URL the browser got (whatever its kind)."""
    parts = urllib.parse.urlsplit(opened)
    redirect_uri = dict(urllib.parse.parse_qsl(parts.query)).get("redirect_uri")  # an authorization URL
    if redirect_uri:
        return urllib.parse.urlsplit(redirect_uri).port or 0
    return parts.port or 0  # a one-time URL on the listener itself


def start_sign_in(sso: SsoWorld, **env: str) -> tuple[subprocess.Popen[str], str]:
    """`export sso-dev` signing in, with a browser that only records: the test plays it."""
    process = subprocess.Popen(
        [str(BIN / "awsafe"), "export", "--format", "json", "sso-dev"],
        env={**os.environ, **sso.env, "FAKE_BROWSER_MODE": "record", **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not sso.opened():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the browser was never started"
        time.sleep(0.05)
    return process, sso.opened()[0]


def test_a_dripping_client_cannot_hold_the_sign_in_past_its_deadline(sso: SsoWorld) -> None:
    """Regression: a byte every 0.5 s kept `sso login` waiting past AWSAFE_SSO_LOGIN_TIMEOUT."""
    started = time.monotonic()
    process, opened = start_sign_in(sso, AWSAFE_SSO_LOGIN_TIMEOUT="2s")
    dripper = Dripper(listener_port(opened), seconds=20)
    try:
        stdout, stderr = process.communicate(timeout=40)
    finally:
        dripper.close()
        if process.poll() is None:
            process.kill()
    elapsed = time.monotonic() - started
    assert process.returncode == 10, stderr
    assert "gave up waiting for the sign-in to sso-session 'corp' after 2 s" in stderr
    assert "Traceback" not in stderr and stdout == ""
    assert 2 <= elapsed < 8
    assert sso.fake.calls("CreateToken") == []


def test_a_dripping_client_does_not_block_the_browsers_redirect(sso: SsoWorld) -> None:
    """Regression: one slow connection held the listener, and the browser's callback waited behind it."""
    process, opened = start_sign_in(sso, AWSAFE_SSO_LOGIN_TIMEOUT="60s")
    dripper = Dripper(listener_port(opened), seconds=20)
    try:
        time.sleep(0.3)  # the dripper is in first
        started = time.monotonic()
        browser = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with browser.open(opened, timeout=10) as page:  # one-time URL, authorize, callback
            assert page.status == 200
            assert "Signed in" in page.read().decode()
        assert time.monotonic() - started < 5
        stdout, stderr = process.communicate(timeout=30)
    finally:
        dripper.close()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["Version"] == 1
    assert [c.outcome for c in sso.fake.calls("CreateToken")] == ["ok"]

"""`awsafe login`: sign-in URLs with a token from a fake federation endpoint that checks moto."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import browser_command, read_visits
from tests.support.env import run_awsafe, start_awsafe
from tests.support.fake_federation import FakeFederation
from tests.support.worlds import Seed

CONSOLE = "https://console.aws.amazon.com/console/home?region=ap-northeast-2"


@pytest.fixture
def federation(seed: Seed) -> Iterator[FakeFederation]:
    with FakeFederation(seed.moto.url, moto_calls=seed.moto.calls) as fake:
        yield fake


def login(seed: Seed, federation: FakeFederation, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return run_awsafe("login", *args, env={**seed.env, **federation.env(), **env})


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_role_login_url_carries_a_token_for_the_roles_credentials(
    seed: Seed, federation: FakeFederation
) -> None:
    result = login(seed, federation, "test", "--stdout")
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith(federation.endpoint + "?")
    params = query(url)
    [call] = federation.calls("getSigninToken")
    assert (call.method, call.outcome) == ("POST", "ok")
    assert params == {
        "Action": "login",
        "Issuer": "awsafe",
        "Destination": CONSOLE,
        "SigninToken": call.signin_token,
    }
    assert call.arn == "arn:aws:sts::123456789012:assumed-role/seed-role/test"
    [assume] = seed.moto.calls("AssumeRole")
    assert call.session is not None and call.session["sessionId"].startswith("ASIA")
    assert assume.params["RoleArn"] == seed.role_arn
    assert call.session_duration == 3600  # a single role: the console session lasts as the role does


def test_a_chained_role_sends_no_session_duration(seed: Seed, federation: FakeFederation) -> None:
    inner = seed.moto.create_role("chained-role", seed.moto.role_arn("seed-role"))
    seed.append_config(
        f"\n[profile chained]\nrole_arn = {inner}\nsource_profile = test\nregion = eu-west-1\n"
    )
    result = login(seed, federation, "chained", "--stdout")
    assert result.returncode == 0, result.stderr
    [call] = federation.calls("getSigninToken")
    assert call.outcome == "ok" and call.session_duration is None
    assert call.arn is not None and ":assumed-role/chained-role/" in call.arn
    assert len(seed.moto.calls("AssumeRole")) == 2


def test_duration_path_and_auto_logout_shape_the_url(seed: Seed, federation: FakeFederation) -> None:
    result = login(seed, federation, "test", "--stdout", "-d", "2h", "--path", "/s3/home", "--auto-logout")
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith("https://ap-northeast-2.signin.aws.amazon.com/oauth?")
    outer = query(url)
    assert outer["Action"] == "logout"
    inner = query(outer["redirect_uri"])
    assert inner["Destination"] == "https://console.aws.amazon.com/s3/home?region=ap-northeast-2"
    [call] = federation.calls("getSigninToken")
    assert call.session_duration == 7200


def test_an_iam_user_gets_a_federation_token_and_never_sends_long_term_keys(
    seed: Seed, federation: FakeFederation
) -> None:
    result = login(seed, federation, "demo", "--stdout")
    assert result.returncode == 0, result.stderr
    [federate] = seed.moto.calls("GetFederationToken")
    assert federate.access_key_id == seed.access_key_id  # signed with demo's long-term key
    assert federate.params["Name"] == "awsafe-demo"
    assert federate.params["DurationSeconds"] == "3600"
    [call] = federation.calls("getSigninToken")
    assert call.outcome == "ok" and call.arn == "arn:aws:sts::123456789012:federated-user/awsafe-demo"
    assert call.session is not None and call.session["sessionId"] != seed.access_key_id
    assert call.session["sessionKey"] != seed.secret_access_key
    assert call.session_duration is None
    assert query(result.stdout.strip())["SigninToken"] == call.signin_token

    again = login(seed, federation, "demo", "--stdout")  # the federation token is cached
    assert again.returncode == 0, again.stderr
    assert len(seed.moto.calls("GetFederationToken")) == 1


def test_a_user_with_mfa_serial_is_told_the_console_session_has_no_mfa(
    seed: Seed, federation: FakeFederation
) -> None:
    seed.write_config(
        seed.config.read_text().replace(
            "[profile demo]\n", "[profile demo]\nmfa_serial = arn:aws:iam::123456789012:mfa/demo\n"
        )
    )
    result = login(seed, federation, "demo", "--stdout")
    assert result.returncode == 0, result.stderr
    assert "carries no MFA" in result.stderr
    assert seed.moto.calls("GetSessionToken") == []


def fetch(url: str) -> tuple[int, dict[str, str]]:
    """One GET without following redirects: (status, lower-cased headers); (0, {}) if refused."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    except OSError:
        return 0, {}
    finally:
        connection.close()


def opened_url(log: Path, process: subprocess.Popen[str], timeout: float = 30) -> str:
    """The URL the browser double was started with, once it has been started."""
    deadline = time.monotonic() + timeout
    while not (log.exists() and log.read_text().strip()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the browser was never started"
        time.sleep(0.05)
    [opened] = log.read_text().split()
    return opened


def assert_one_time(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.query, parts.fragment) == ("http", "127.0.0.1", "", "")
    assert re.fullmatch(r"/[A-Za-z0-9_-]{43}", parts.path)  # 256 random bits


def test_without_stdout_the_browser_gets_only_a_one_time_url(
    seed: Seed, federation: FakeFederation, tmp_path: Path
) -> None:
    """Regression: the sign-in token was in the browser's argv, which every local user can read."""
    log = tmp_path / "browser.log"  # outside HOME: the double's record is not awsafe's doing
    env = {
        **os.environ,
        **seed.env,
        **federation.env(),
        "BROWSER": browser_command(),
        "FAKE_BROWSER_LOG": str(log),
        "FAKE_BROWSER_MODE": "record",  # this test plays the browser itself
    }
    process = start_awsafe("--debug", "login", "test", env=env)
    try:
        opened = opened_url(log, process)
        assert_one_time(opened)
        [call] = federation.calls("getSigninToken")
        assert call.signin_token is not None and call.signin_token not in opened
        assert "SigninToken" not in opened and "federation" not in opened

        status, headers = fetch(opened)  # what the browser does first
        assert status == 303
        assert query(headers["location"])["SigninToken"] == call.signin_token
        assert headers["location"].startswith(federation.endpoint + "?Action=login&")
        assert (headers["cache-control"], headers["referrer-policy"]) == ("no-store", "no-referrer")
        assert fetch(opened)[0] in (0, 404)  # and never again: a 404, or the server is gone
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Opened the AWS console for profile 'test' in the browser" in stderr
    assert fetch(opened) == (0, {})
    assert stdout == ""
    assert call.session is not None
    secrets = [call.signin_token, call.session["sessionKey"], call.session["sessionToken"]]
    for secret in secrets:
        assert secret not in stderr
    for path in seed.home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret.encode() in data for secret in secrets), path


def test_the_browser_follows_the_one_time_url_to_the_console(
    seed: Seed, federation: FakeFederation, tmp_path: Path
) -> None:
    log = tmp_path / "browser.log"
    result = login(seed, federation, "test", BROWSER=browser_command(), FAKE_BROWSER_LOG=str(log))
    assert result.returncode == 0, result.stderr
    [opened] = log.read_text().split()
    assert_one_time(opened)
    [redirect, signin] = read_visits(log, at_least=2)[:2]
    [issued] = federation.calls("getSigninToken")
    assert (redirect["url"], redirect["status"]) == (opened, 303)
    assert redirect["location"] == signin["url"]
    assert query(str(signin["url"]))["SigninToken"] == issued.signin_token
    assert (signin["status"], signin["location"]) == (302, CONSOLE)
    [used] = federation.calls("login")
    assert (used.outcome, used.signin_token) == ("login", issued.signin_token)
    assert fetch(opened) == (0, {})  # the one-time server is gone with awsafe


def test_an_unreachable_federation_endpoint_is_a_short_error(seed: Seed) -> None:
    result = run_awsafe(
        "login",
        "test",
        "--stdout",
        env={**seed.env, "AWSAFE_FEDERATION_ENDPOINT": "http://127.0.0.1:9/federation"},
    )
    assert result.returncode == 7
    assert "getSigninToken at http://127.0.0.1:9/federation failed" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""

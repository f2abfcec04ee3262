"""IAM Identity Center end to end: sign-in flows, token reuse and refresh, parallel callers, roles on top.

The fake (tests/support/fake_sso.py) stands in for the OIDC service and the
portal and issues real moto credentials; the browser is a double that follows
the URL it is given (a one-time loopback URL) and its redirects. Assertions
are on the calls that reached the fake and moto.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.browser import read_visits
from tests.support.env import caller_identity as exec_caller_identity
from tests.support.env import run_awsafe
from tests.support.fake_sso import CODE_GRANT, DEVICE_GRANT, REFRESH_GRANT, pkce_challenge
from tests.support.moto_server import ADMIN_ACCESS_KEY_ID
from tests.support.worlds import BIN, SsoWorld

DEV_ROLE = "arn:aws:sts::111111111111:assumed-role/Admin/sso-user"


def caller_identity(sso: SsoWorld, profile: str = "sso-dev", **env: str) -> subprocess.CompletedProcess[str]:
    return exec_caller_identity(profile, {**sso.env, **env})


def test_pkce_sign_in_then_the_cli_uses_the_role(sso: SsoWorld) -> None:
    result = caller_identity(sso)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == DEV_ROLE
    assert sso.fake.authorizations_started == 1
    [opened] = sso.opened()
    [redirect, authorize, callback] = read_visits(sso.browser_log, at_least=3)
    assert (redirect["url"], redirect["status"], redirect["location"]) == (opened, 303, authorize["url"])
    assert "/authorize?" in authorize["url"] and "code_challenge_method=S256" in authorize["url"]
    assert (authorize["status"], authorize["location"]) == (302, callback["url"])
    assert callback["status"] == 200
    [register] = sso.fake.calls("RegisterClient")
    assert register.params["grantTypes"] == ["authorization_code", "refresh_token"]
    assert register.params["scopes"] == ["sso:account:access"]
    [exchange] = sso.oidc_calls(CODE_GRANT)
    assert exchange.outcome == "ok" and exchange.pkce_verified is True
    assert pkce_challenge(exchange.params["codeVerifier"]) in str(authorize["url"])
    assert exchange.params["redirectUri"].startswith("http://127.0.0.1:")
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert (fetch.params["account_id"], fetch.params["role_name"]) == ("111111111111", "Admin")
    assert "visit:" in result.stderr and "CreateToken" not in result.stderr


def test_the_browser_argv_holds_only_a_one_time_url(sso: SsoWorld) -> None:
    """Regression: state and challenge in the browser's argv let a local process inject its own code."""
    result = caller_identity(sso)
    assert result.returncode == 0, result.stderr
    [opened] = sso.opened()  # the browser command's whole argument
    parts = urllib.parse.urlsplit(opened)
    assert (parts.scheme, parts.hostname, parts.query) == ("http", "127.0.0.1", "")
    assert re.fullmatch(r"/[A-Za-z0-9_-]{43}", parts.path)  # 256 random bits
    authorize = read_visits(sso.browser_log, at_least=2)[1]["url"]
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(str(authorize)).query))
    for secret in ("state", "code_challenge", params["state"], params["code_challenge"], "authorize"):
        assert secret not in opened
    assert refuses(parts.port or 0)  # used once, and the listener is gone with the sign-in


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_device_code_flow_polls_through_pending_and_slow_down(sso: SsoWorld) -> None:
    sso.fake.pending_polls = 1
    sso.fake.slow_down_polls = 1
    started = time.monotonic()
    result = run_awsafe("sso", "login", "--device-code", "--sso-session", "corp", env=sso.env)
    assert result.returncode == 0, result.stderr
    assert "Signed in to sso-session 'corp'" in result.stderr
    outcomes = [c.outcome for c in sso.oidc_calls(DEVICE_GRANT)]
    assert outcomes == ["AuthorizationPendingException", "SlowDownException", "ok"]
    assert time.monotonic() - started >= 1 + 6  # the interval grew by 5 s after SlowDown
    assert sso.fake.authorizations_started == 1
    [device] = sso.fake.calls("StartDeviceAuthorization")
    assert device.params["startUrl"] == "https://corp.awsapps.com/start"
    [opened] = sso.opened()
    assert "/device?user_code=" in opened
    user_code = opened.rsplit("=", 1)[1]
    assert user_code in result.stderr  # the user is shown the code to compare
    exported = run_awsafe("export", "--format", "json", "sso-dev", env=sso.env)
    assert exported.returncode == 0, exported.stderr
    assert sso.fake.authorizations_started == 1  # the device login's token served export


def test_a_second_run_makes_no_oidc_call_and_an_expiring_token_is_refreshed(sso: SsoWorld) -> None:
    sso.fake.token_lifetime = 600  # under the 15-minute refresh window from the start
    sso.fake.role_credentials_lifetime = 900
    assert caller_identity(sso).returncode == 0
    sso.fake.reset_calls()

    again = caller_identity(sso)
    assert again.returncode == 0, again.stderr
    assert sso.fake.calls() == []  # role credentials from the cache: no OIDC, no portal

    after_min_ttl = caller_identity(sso, AWS_MIN_TTL="3600s")  # the role credentials are now too old
    assert after_min_ttl.returncode == 0, after_min_ttl.stderr
    [refresh] = sso.oidc_calls()
    assert (refresh.grant_type, refresh.outcome) == (REFRESH_GRANT, "ok")
    assert sso.fake.authorizations_started == 0 and sso.opened()[1:] == []
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert sso.fake.is_access_token_valid(fetch.params["accessToken"])


def test_an_expired_token_is_refreshed_without_a_browser(sso: SsoWorld) -> None:
    sso.fake.token_lifetime = 2
    assert caller_identity(sso).returncode == 0
    time.sleep(2.5)
    sso.fake.reset_calls()
    result = caller_identity(sso, AWS_MIN_TTL="3600s")
    assert result.returncode == 0, result.stderr
    assert [(c.grant_type, c.outcome) for c in sso.oidc_calls()] == [(REFRESH_GRANT, "ok")]
    assert sso.fake.authorizations_started == 0 and len(sso.opened()) == 1


def test_with_token_and_refresh_token_unusable_exactly_one_new_sign_in(sso: SsoWorld) -> None:
    sso.fake.token_lifetime = 2
    assert caller_identity(sso).returncode == 0
    time.sleep(2.5)
    sso.fake.revoke_refresh_tokens()
    sso.fake.reset_calls()
    result = caller_identity(sso, AWS_MIN_TTL="3600s")
    assert result.returncode == 0, result.stderr
    grants = [(c.grant_type, c.outcome) for c in sso.oidc_calls() if c.operation == "CreateToken"]
    assert grants == [(REFRESH_GRANT, "InvalidGrantException"), (CODE_GRANT, "ok")]
    assert sso.fake.authorizations_started == 1
    assert sso.fake.calls("RegisterClient") == []  # the registration is reused


def test_ten_parallel_exports_start_one_sign_in(sso: SsoWorld) -> None:
    def export(_: int) -> subprocess.CompletedProcess[str]:
        return run_awsafe("export", "--format", "json", "sso-dev", env=sso.env, timeout=120)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(export, range(10)))
    assert [r.returncode for r in results] == [0] * 10, [r.stderr for r in results if r.returncode]
    keys = {json.loads(r.stdout)["AccessKeyId"] for r in results}
    assert len(keys) == 1
    assert sso.fake.authorizations_started == 1
    assert len(sso.fake.calls("RegisterClient")) == 1
    assert len(sso.fake.calls("GetRoleCredentials")) == 1
    assert len(sso.opened()) == 1


def test_role_on_top_of_sso_with_sso_default_is_assumed_with_devs_credentials(sso: SsoWorld) -> None:
    """aws-vault #1195 with SSO: [default] and dev are SSO profiles of different accounts."""
    role_arn = sso.moto.create_role("seed-role", "arn:aws:iam::111111111111:root", external_id="ext-1195")
    sso.config.write_text(
        sso.config.read_text()
        + "\n[default]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = ReadOnly\n"
        "region = us-east-1\n\n[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n"
        "sso_role_name = Admin\n\n"
        f"[profile test]\nexternal_id = ext-1195\nrole_arn = {role_arn}\nrole_session_name = test\n"
        "source_profile = dev\nregion = ap-northeast-2\n"
    )
    result = caller_identity(sso, "test")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == "arn:aws:sts::123456789012:assumed-role/seed-role/test"
    [(account, role, dev_key)] = sso.fake.issued
    assert (account, role) == ("111111111111", "Admin")
    [assume] = [c for c in sso.moto.calls("AssumeRole") if c.access_key_id != ADMIN_ACCESS_KEY_ID]
    assert assume.access_key_id == dev_key
    assert assume.params["ExternalId"] == "ext-1195" and assume.params["RoleArn"] == role_arn
    assert assume.params["RoleSessionName"] == "test"


def test_populate_writes_profiles_once_and_leaves_existing_ones(sso: SsoWorld) -> None:
    before = sso.config.read_bytes()
    printed = run_awsafe("sso", "populate", "--sso-session", "corp", env=sso.env)
    assert printed.returncode == 0, printed.stderr
    assert "[profile dev-ReadOnly]" in printed.stdout and "[profile prod-ReadOnly]" in printed.stdout
    assert "dev-Admin" not in printed.stdout  # sso-dev already has that account and role
    assert sso.config.read_bytes() == before
    assert {c.operation for c in sso.fake.calls()} >= {"ListAccounts", "ListAccountRoles"}
    assert len(sso.fake.calls("ListAccounts")) == 2  # page size 1: the pages were followed

    written = run_awsafe("sso", "populate", "--sso-session", "corp", "--write", env=sso.env)
    assert written.returncode == 0, written.stderr
    after = sso.config.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode() == "\n" + printed.stdout
    again = run_awsafe("sso", "populate", "--sso-session", "corp", "--write", env=sso.env)
    assert again.returncode == 0, again.stderr
    assert sso.config.read_bytes() == after
    assert "nothing to add" in again.stderr
    used = caller_identity(sso, "prod-ReadOnly")
    assert used.returncode == 0, used.stderr
    assert ":assumed-role/ReadOnly/" in json.loads(used.stdout)["Arn"]
    assert sso.fake.authorizations_started == 1


def _files_containing(root: Path, secrets: set[str]) -> set[Path]:
    found = set()
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(secret.encode() in data for secret in secrets):
                found.add(path)
    return found


def test_no_token_or_client_secret_on_disk_unless_the_cli_cache_is_asked_for(sso: SsoWorld) -> None:
    assert caller_identity(sso).returncode == 0
    secrets = sso.fake.secrets()
    assert len(secrets) >= 3  # a client secret, an access token, a refresh token
    assert _files_containing(sso.home.parent, secrets) == set()
    assert not (sso.home / ".aws" / "sso").exists()

    run_awsafe("clear", env=sso.env)
    shared = caller_identity(sso, AWSAFE_SSO_CLI_CACHE="write")
    assert shared.returncode == 0, shared.stderr
    [cache_file] = _files_containing(sso.home.parent, sso.fake.secrets())
    assert cache_file.parent == sso.home / ".aws" / "sso" / "cache"
    assert oct(cache_file.stat().st_mode & 0o777) == "0o600"
    assert json.loads(cache_file.read_text())["startUrl"] == "https://corp.awsapps.com/start"


def test_list_shows_the_sign_in_and_clear_forgets_it(sso: SsoWorld) -> None:
    assert caller_identity(sso).returncode == 0
    listed = run_awsafe("list", "--sessions", env=sso.env)
    assert listed.returncode == 0, listed.stderr
    assert "sso-dev\tsso 59m left" in listed.stdout or "sso-dev\tsso 1h" in listed.stdout
    assert "sso-session corp\tsso-token 59m left" in listed.stdout
    cleared = run_awsafe("clear", "sso-dev", env=sso.env)
    assert cleared.returncode == 0, cleared.stderr
    assert "Forgot 1 IAM Identity Center token" in cleared.stderr
    assert "sso-token" not in run_awsafe("list", "--sessions", env=sso.env).stdout
    again = caller_identity(sso)
    assert again.returncode == 0, again.stderr
    assert sso.fake.authorizations_started == 2


def test_device_code_flow_under_exec_serves_the_cli(sso: SsoWorld) -> None:
    result = caller_identity(sso, AWSAFE_SSO_DEVICE_CODE="true")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == DEV_ROLE
    assert [c.outcome for c in sso.oidc_calls(DEVICE_GRANT)][-1] == "ok"
    assert sso.oidc_calls(CODE_GRANT) == []
    assert "with the code" in result.stderr


def test_login_stdout_prints_the_url_and_opens_no_browser(sso: SsoWorld) -> None:
    """`sso login --stdout`: the user opens the printed URL; here a GET that follows it."""
    result = sso.sign_in_at_printed_url(["sso", "login", "--stdout"], url_on="stdout")
    assert result.returncode == 0, result.stderr
    stderr = result.stderr
    assert "Signed in to sso-session 'corp'" in stderr
    assert sso.opened() == []
    assert sso.fake.authorizations_started == 1


def test_a_terminal_sees_a_spinner_while_the_sign_in_waits(sso: SsoWorld) -> None:
    import os

    from tests.support.tty import run_in_pty

    sso.fake.pending_polls = 2
    code, screen = run_in_pty(
        [str(BIN / "awsafe"), "sso", "login", "--device-code"], {**os.environ, **sso.env}, []
    )
    assert code == 0, screen
    assert "\r|" in screen and "\r/" in screen
    assert "Signed in to sso-session 'corp'" in screen


def test_the_pkce_registration_names_a_portless_loopback_redirect(sso: SsoWorld) -> None:
    """RFC 8252 §7.3: one registration serves every sign-in, whatever port its listener got."""
    assert caller_identity(sso).returncode == 0
    [register] = sso.fake.calls("RegisterClient")
    assert register.params["redirectUris"] == ["http://127.0.0.1/oauth/callback"]
    run_awsafe("clear", env=sso.env)
    run_awsafe("sso", "logout", env=sso.env)
    assert caller_identity(sso).returncode == 0
    assert sso.fake.authorizations_started == 2


def test_a_role_on_top_of_sso_is_capped_at_one_hour_as_a_chained_role(sso: SsoWorld) -> None:
    role_arn = sso.moto.create_role("long-role", "arn:aws:iam::111111111111:root")
    sso.config.write_text(
        sso.config.read_text() + f"\n[profile long]\nrole_arn = {role_arn}\nsource_profile = sso-dev\n"
        "duration_seconds = 7200\nregion = us-east-1\n"
    )
    result = caller_identity(sso, "long")
    assert result.returncode == 0, result.stderr
    [assume] = [c for c in sso.moto.calls("AssumeRole") if c.params["RoleArn"] == role_arn]
    assert assume.params["DurationSeconds"] == "3600"

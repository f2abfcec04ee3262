"""`exec`/`export --stdout` and AWS_VAULT_STDOUT: an IAM Identity Center sign-in prints its URL
(on stderr: stdout carries the credentials) and opens no browser; the user (here a GET) follows it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.support.worlds import BIN, SsoWorld


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["export", "--stdout", "--format", "json", "sso-dev"], {}),
        (["exec", "--stdout", "--json", "sso-dev"], {}),
        (["export", "--format", "json", "sso-dev"], {"AWS_VAULT_STDOUT": "true"}),
        (["exec", "-j", "sso-dev"], {"AWSAFE_STDOUT": "1", "AWS_VAULT_STDOUT": "0"}),
    ],
)
def test_stdout_prints_the_sign_in_url_and_opens_no_browser(
    sso: SsoWorld, argv: list[str], env: dict[str, str]
) -> None:
    result = sso.sign_in_at_printed_url(argv, env, url_on="stderr")
    assert result.returncode == 0, result.stderr
    stdout = result.stdout
    document = json.loads(stdout)  # the URL did not go into the credentials
    assert document["Version"] == 1
    assert document["AccountId"] == "111111111111"  # an SSO profile's account is its sso_account_id
    assert sso.opened() == []
    [fetch] = sso.fake.calls("GetRoleCredentials")
    assert (fetch.params["account_id"], fetch.params["role_name"]) == ("111111111111", "Admin")


def test_without_stdout_the_browser_opens(sso: SsoWorld) -> None:
    result = subprocess.run(
        [str(BIN / "awsafe"), "export", "--format", "json", "sso-dev"],
        env={**os.environ, **sso.env, "AWS_VAULT_STDOUT": "false"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(sso.opened()) == 1


def test_a_stdout_variable_that_is_not_a_switch_is_refused(sso: SsoWorld) -> None:
    result = subprocess.run(
        [str(BIN / "awsafe"), "export", "sso-dev"],
        env={**os.environ, **sso.env, "AWS_VAULT_STDOUT": "maybe"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "AWS_VAULT_STDOUT must be true or false" in result.stderr
    assert sso.fake.calls("GetRoleCredentials") == [] and sso.opened() == []

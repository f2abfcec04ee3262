"""No program awsafe starts receives the file vault passphrase: each kind of child records the
environment it got (tests/support/env_dump.py), and the passphrase is in none of them."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.env_dump import command, read_dumps
from tests.support.fake_federation import FakeFederation
from tests.support.worlds import Seed, SsoWorld

PASSPHRASE = "test-passphrase"  # what conftest unlocks the test vault with
BOTH = {"AWSAFE_FILE_PASSPHRASE": PASSPHRASE, "AWS_VAULT_FILE_PASSPHRASE": PASSPHRASE}


def assert_no_passphrase(out: Path) -> None:
    dumps = read_dumps(out)
    assert dumps, "the child never ran: nothing was checked"
    for dump in dumps:
        environ = dump["environ"]
        assert isinstance(environ, dict)
        assert not set(BOTH) & set(environ), sorted(set(BOTH) & set(environ))
        assert [name for name, value in environ.items() if PASSPHRASE in value] == []


def browser(out: Path) -> str:
    """A ``BROWSER`` that records its environment and then visits the loopback URL."""
    return shlex.join(command(out, "--browser")) + " %s"


@pytest.fixture
def federation(seed: Seed) -> Iterator[FakeFederation]:
    with FakeFederation(seed.moto.url, moto_calls=seed.moto.calls) as fake:
        yield fake


def test_the_console_login_browser_gets_no_passphrase(
    seed: Seed, federation: FakeFederation, tmp_path: Path
) -> None:
    out = tmp_path / "browser.jsonl"
    result = run_awsafe(
        "login", "test", env={**seed.env, **federation.env(), **BOTH, "BROWSER": browser(out)}
    )
    assert result.returncode == 0, result.stderr
    assert_no_passphrase(out)


def test_the_sso_sign_in_browser_gets_no_passphrase(sso: SsoWorld, tmp_path: Path) -> None:
    out = tmp_path / "browser.jsonl"
    result = run_awsafe(
        "export", "--format", "json", "sso-dev", env={**sso.env, **BOTH, "BROWSER": browser(out)}
    )
    assert result.returncode == 0, result.stderr  # the sign-in went through that browser
    assert sso.fake.authorizations_started == 1
    assert_no_passphrase(out)


def test_credential_process_gets_no_passphrase(seed: Seed, tmp_path: Path) -> None:
    out = tmp_path / "process.jsonl"
    seed.append_config(f"\n[profile ext]\ncredential_process = {shlex.join(command(out, '--credentials'))}\n")
    result = run_awsafe("export", "--format", "json", "ext", env={**seed.env, **BOTH})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIAENVDUMPENVDUMP01"
    assert_no_passphrase(out)


def test_mfa_process_gets_no_passphrase(mfa_world: Seed, tmp_path: Path) -> None:
    out = tmp_path / "mfa.jsonl"
    mfa_world.append_config(f"mfa_process = {shlex.join(command(out, '--code', '246810'))}\n")
    result = run_awsafe("export", "--format", "json", "mfauser", env={**mfa_world.env, **BOTH})
    assert result.returncode == 0, result.stderr
    [call] = mfa_world.moto.calls("GetSessionToken")
    assert call.params["TokenCode"] == "246810"
    assert_no_passphrase(out)


@pytest.mark.parametrize("server", [[], ["--ecs-server"], ["--ec2-server"]], ids=["plain", "ecs", "ec2"])
def test_the_child_of_exec_gets_no_passphrase(seed: Seed, tmp_path: Path, server: list[str]) -> None:
    out = tmp_path / "child.jsonl"
    result = run_awsafe("exec", *server, "test", "--", *command(out), env={**seed.env, **BOTH})
    assert result.returncode == 0, result.stderr
    assert_no_passphrase(out)

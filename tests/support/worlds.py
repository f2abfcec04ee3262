"""The shared test worlds on a local moto: the seed (user `demo` with keys in the vault, role
profile `test`), its MFA variant, and IAM Identity Center (a fake SSO issuing moto credentials).

Registered as a pytest plugin by tests/conftest.py, so every tier can ask for `seed`, `mfa_world`
or `sso`; the types and constants are imported from here."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import browser_command
from tests.support.cli import run_main
from tests.support.fake_sso import FakeSso, SsoCall
from tests.support.moto_server import MotoServer
from tests.support.seed import EXTERNAL_ID, seed_config

__all__ = ["BIN", "EXTERNAL_ID", "SERIAL", "SSO_ACCOUNTS", "SSO_CONFIG", "Seed", "SsoWorld", "seed_config"]

SERIAL = "arn:aws:iam::123456789012:mfa/demo"
BIN = Path(sys.executable).parent


@dataclasses.dataclass
class Seed:
    moto: MotoServer
    home: Path
    config: Path
    access_key_id: str
    secret_access_key: str
    role_arn: str

    @property
    def env(self) -> dict[str, str]:
        return self.moto.endpoint_env()

    def write_config(self, text: str) -> None:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)

    def append_config(self, text: str) -> None:
        with self.config.open("a") as handle:
            handle.write(text)


def make_seed_account(moto: MotoServer) -> tuple[str, str, str]:
    """The seed's IAM user `demo` with a key, the role trusting it with the external id, and the
    seed's config written to AWS_CONFIG_FILE; nothing stored in a vault. (key id, secret, role ARN)"""
    key_id, secret = moto.create_user_with_key("demo")
    role_arn = moto.create_role("seed-role", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(seed_config(role_arn))
    return key_id, secret, role_arn


@pytest.fixture
def seed(moto: MotoServer, isolated_env: Path) -> Seed:
    key_id, secret, role_arn = make_seed_account(moto)
    world = Seed(moto, isolated_env, Path(os.environ["AWS_CONFIG_FILE"]), key_id, secret, role_arn)
    added = run_main(
        "add",
        "demo",
        "--env",
        env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
    )
    assert added.returncode == 0, added.stderr
    return world


@pytest.fixture
def mfa_world(seed: Seed) -> Seed:
    moto = seed.moto
    # MFA-only, as their profiles' mfa_serial says: assumed without MFA, they are refused.
    admin = moto.create_role("admin", moto.user_arn("demo"), require_mfa=True)
    admin2 = moto.create_role("admin2", moto.user_arn("demo"), require_mfa=True)
    key_id, secret = moto.create_user_with_key("mfauser")
    seed.append_config(
        f"\n[profile admin]\nrole_arn = {admin}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        "region = us-east-1\n"
        f"[profile admin2]\nrole_arn = {admin2}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        f"[profile admin-long]\nrole_arn = {admin}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        "duration_seconds = 7200\n"
        f"[profile mfauser]\nmfa_serial = arn:aws:iam::123456789012:mfa/mfauser\n"
    )
    added = run_main(
        "add", "mfauser", "--env", env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    )
    assert added.returncode == 0, added.stderr
    return seed


SSO_CONFIG = (
    "[sso-session corp]\n"
    "sso_start_url = https://corp.awsapps.com/start\n"
    "sso_region = us-east-1\n"
    "sso_registration_scopes = sso:account:access\n\n"
    "[profile sso-dev]\n"
    "sso_session = corp\n"
    "sso_account_id = 111111111111\n"
    "sso_role_name = Admin\n"
    "region = us-east-1\n"
)
SSO_ACCOUNTS = {"111111111111": ("dev", ["Admin", "ReadOnly"]), "222222222222": ("prod", ["ReadOnly"])}


@dataclasses.dataclass
class SsoWorld:
    """A fake IAM Identity Center issuing real moto credentials, a browser double, and a config."""

    moto: MotoServer
    fake: FakeSso
    home: Path
    config: Path
    browser_log: Path

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.moto.endpoint_env(),
            **self.fake.env(),
            "BROWSER": browser_command(),
            "FAKE_BROWSER_LOG": str(self.browser_log),
        }

    def opened(self) -> list[str]:
        """The URLs the browser double was given."""
        return self.browser_log.read_text().split() if self.browser_log.exists() else []

    def sign_in_at_printed_url(
        self, argv: list[str], env: dict[str, str] | None = None, *, url_on: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `awsafe *argv`, which prints an IAM Identity Center sign-in URL on ``url_on``
        ("stdout" or "stderr") instead of opening a browser; follow that URL as its user would
        (a GET following the redirect to awsafe's listener) and return the finished run, the
        output read before the URL left out."""
        import urllib.request

        process = subprocess.Popen(
            [str(BIN / "awsafe"), *argv],
            env={**os.environ, **self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        stream = process.stdout if url_on == "stdout" else process.stderr
        assert stream is not None
        url = next((line.split()[-1] for line in stream if "/authorize?" in line), "")
        assert url.startswith(self.fake.url + "/authorize?"), url
        with urllib.request.urlopen(url, timeout=10) as page:  # follows the redirect to the listener
            assert page.status == 200
        stdout, stderr = process.communicate(timeout=30)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def oidc_calls(self, grant: str | None = None) -> list[SsoCall]:
        calls = [c for c in self.fake.calls() if c.operation in OIDC_OPERATIONS]
        return [c for c in calls if grant is None or c.grant_type == grant]


OIDC_OPERATIONS = frozenset(
    {"RegisterClient", "StartDeviceAuthorization", "CreateToken", "Authorize", "DeviceVerify"}
)


@pytest.fixture
def sso(moto: MotoServer, isolated_env: Path) -> Iterator[SsoWorld]:
    with FakeSso(moto.url, SSO_ACCOUNTS) as fake:
        config = Path(os.environ["AWS_CONFIG_FILE"])
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(SSO_CONFIG)
        yield SsoWorld(moto, fake, isolated_env, config, isolated_env / "browser.log")

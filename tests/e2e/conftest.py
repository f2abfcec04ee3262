"""The seed's world on a local moto: user `demo` with keys in the vault, role profile `test`."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest

from tests.support.env import run_awsafe
from tests.support.moto_server import MotoServer

SERIAL = "arn:aws:iam::123456789012:mfa/demo"
EXTERNAL_ID = "35e413a2-b7d2-45a3-9126-6fdf4563863d"
BIN = Path(sys.executable).parent


def seed_config(role_arn: str, external_id: str = EXTERNAL_ID) -> str:
    """The seed README's profile, byte for byte apart from the role ARN."""
    return (
        "[profile demo]\n"
        "region=ap-northeast-2\n\n"
        "[profile test]\n"
        f"external_id={external_id}\n"
        f"role_arn={role_arn}\n"
        "role_session_name=test\n"
        "source_profile=demo\n"
        "region=ap-northeast-2\n"
    )


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


@pytest.fixture
def seed(moto: MotoServer, isolated_env: Path) -> Seed:
    key_id, secret = moto.create_user_with_key("demo")
    role_arn = moto.create_role("seed-role", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    world = Seed(moto, isolated_env, Path(os.environ["AWS_CONFIG_FILE"]), key_id, secret, role_arn)
    world.write_config(seed_config(role_arn))
    added = run_awsafe(
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
    admin = moto.create_role("admin", moto.user_arn("demo"))
    admin2 = moto.create_role("admin2", moto.user_arn("demo"))
    key_id, secret = moto.create_user_with_key("mfauser")
    seed.append_config(
        f"\n[profile admin]\nrole_arn = {admin}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        "region = us-east-1\n"
        f"[profile admin2]\nrole_arn = {admin2}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        f"[profile admin-long]\nrole_arn = {admin}\nsource_profile = demo\nmfa_serial = {SERIAL}\n"
        "duration_seconds = 7200\n"
        f"[profile mfauser]\nmfa_serial = arn:aws:iam::123456789012:mfa/mfauser\n"
    )
    added = run_awsafe(
        "add", "mfauser", "--env", env={"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}
    )
    assert added.returncode == 0, added.stderr
    return seed

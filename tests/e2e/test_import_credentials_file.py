"""`awsafe import credentials-file` on the seed's example: the keys leave every file under HOME,
every other line of the credentials file stays, and the AWS CLI and boto3 still reach the role
through awsafe (the `credential_process` pattern of docs/leaving-plaintext.md)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.moto_server import MotoServer
from tests.support.worlds import BIN, EXTERNAL_ID, seed_config

ARN = "arn:aws:sts::123456789012:assumed-role/seed-role/"


@dataclasses.dataclass
class Plaintext:
    moto: MotoServer
    home: Path
    credentials: Path
    config: Path
    keys: dict[str, tuple[str, str]]  # profile -> (key id, secret)
    original: bytes

    def secret_lines(self) -> set[bytes]:
        return {
            line
            for line in self.original.splitlines(keepends=True)
            if any(
                key_id.encode() in line or secret.encode() in line for key_id, secret in self.keys.values()
            )
        }


@pytest.fixture
def plaintext(moto: MotoServer, isolated_env: Path) -> Plaintext:
    """The seed's config with demo's keys (and a CI user's) in a plaintext credentials file
    written as people do: comments, CRLF lines, other keys around the secrets."""
    keys = {"demo": moto.create_user_with_key("demo"), "ci": moto.create_user_with_key("ci")}
    role_arn = moto.create_role("seed-role", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True)
    config.write_text(seed_config(role_arn))
    (demo_id, demo_secret), (ci_id, ci_secret) = keys["demo"], keys["ci"]
    original = (
        "# keys of account A; do not share\r\n"
        "[demo]\r\n"
        f"aws_access_key_id = {demo_id}\r\n"
        f"aws_secret_access_key = {demo_secret}\r\n"
        "region=ap-northeast-2\r\n"
        "\n"
        "; the CI user, rotated by hand\n"
        "[ci]\n"
        f"  aws_access_key_id = {ci_id}\n"
        f"AWS_Secret_Access_Key:{ci_secret}\n"
        "output = json\n"
        "# end\n"
    ).encode()
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_bytes(original)
    credentials.chmod(0o600)
    return Plaintext(moto, isolated_env, credentials, config, keys, original)


def _files_holding(home: Path, needles: list[bytes]) -> list[str]:
    """Every file under ``home`` (the vault, the config, state, anything) holding a needle."""
    found = []
    for folder, _, names in os.walk(home):
        for name in names:
            data = (Path(folder) / name).read_bytes()
            found += [f"{folder}/{name}" for needle in needles if needle in data]
    return found


def test_import_leaves_no_secret_under_home_and_keeps_every_other_line(plaintext: Plaintext) -> None:
    result = run_main("import", "credentials-file")
    assert result.returncode == 0, result.stderr
    assert "Moved: [demo] ****************" in result.stderr
    assert "Added [profile ci] to" in result.stderr

    needles = [part.encode() for pair in plaintext.keys.values() for part in pair]
    assert _files_holding(plaintext.home, needles) == []
    assert all(part not in result.stderr + result.stdout for pair in plaintext.keys.values() for part in pair)
    kept = [
        line for line in plaintext.original.splitlines(keepends=True) if line not in plaintext.secret_lines()
    ]
    assert len(plaintext.secret_lines()) == 4
    assert plaintext.credentials.read_bytes() == b"".join(kept)
    assert plaintext.credentials.stat().st_mode & 0o777 == 0o600
    # no backup, no temporary file left
    assert sorted(p.name for p in plaintext.credentials.parent.iterdir()) == ["config", "credentials"]
    assert plaintext.config.read_text().endswith("\n[profile ci]\n")

    listed = run_main("list", "--credentials")
    assert listed.stdout.split() == ["ci", "demo"]
    # run again: nothing left to move, nothing changes
    again = run_main("import", "credentials-file")
    assert again.returncode == 0 and "No long-term keys to move" in again.stderr
    assert plaintext.credentials.read_bytes() == b"".join(kept)


def test_aws_cli_and_boto3_reach_the_role_through_awsafe(
    plaintext: Plaintext, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_main("import", "credentials-file").returncode == 0
    # the documented pattern: the profile tools name gets its keys from awsafe
    text = plaintext.config.read_text().replace(
        "[profile demo]\n",
        f"[profile demo]\ncredential_process = {BIN / 'awsafe'} export --format json demo\n",
    )
    plaintext.config.write_text(text)
    for name, value in plaintext.moto.endpoint_env().items():
        monkeypatch.setenv(name, value)
    demo_id = plaintext.keys["demo"][0]

    import subprocess

    cli = subprocess.run(
        [str(BIN / "aws"), "sts", "get-caller-identity", "--profile", "test", "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["Arn"].startswith(ARN)

    import boto3

    sts = boto3.Session(profile_name="test").client("sts")
    assert sts.get_caller_identity()["Arn"].startswith(ARN)

    # awsafe signed with the moved key; the tools assumed the role with awsafe's session
    sessions = plaintext.moto.calls("GetSessionToken")
    assert sessions and {call.access_key_id for call in sessions} == {demo_id}
    assumed = plaintext.moto.calls("AssumeRole")
    assert len(assumed) == 2 and all(call.params["ExternalId"] == EXTERNAL_ID for call in assumed)
    # with the session awsafe handed out (moto issues one fixed key id for GetSessionToken)
    assert all(call.access_key_id != demo_id and call.session_token for call in assumed)


@pytest.mark.signature_rejections
def test_verify_moves_only_the_keys_sts_accepts(plaintext: Plaintext) -> None:
    ci_id = plaintext.keys["ci"][0]
    plaintext.moto.admin_client("iam").delete_access_key(UserName="ci", AccessKeyId=ci_id)
    result = run_main("import", "credentials-file", "--verify", env=plaintext.moto.endpoint_env())
    assert result.returncode == 0, result.stderr
    assert "Checked: [demo]" in result.stderr and "Not moved: [ci]" in result.stderr
    assert "InvalidClientTokenId" in result.stderr
    assert {c.access_key_id for c in plaintext.moto.calls("GetCallerIdentity")} == {
        plaintext.keys["demo"][0],
        ci_id,
    }
    left = plaintext.credentials.read_bytes()
    assert plaintext.keys["ci"][1].encode() in left and plaintext.keys["demo"][1].encode() not in left
    assert run_main("list", "--credentials").stdout.split() == ["demo"]


def test_dry_run_changes_nothing(plaintext: Plaintext) -> None:
    result = run_main("import", "credentials-file", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Would move: [demo]" in result.stderr and "Would add [profile ci]" in result.stderr
    assert plaintext.credentials.read_bytes() == plaintext.original
    assert run_main("list", "--credentials").stdout.split() == []
    assert "[profile ci]" not in plaintext.config.read_text()

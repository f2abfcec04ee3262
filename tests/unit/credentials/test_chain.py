"""ChainBuilder: which STS calls a profile chain makes, with exact parameters (botocore Stubber)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from awsafe.aws import client as aws
from awsafe.config.parse import parse_config
from awsafe.config.resolve import resolve_chain
from awsafe.credentials.chain import ChainBuilder
from awsafe.credentials.outer import OuterSources
from awsafe.credentials.rules import SessionOptions, endpoint_for_profile
from awsafe.credentials.stored import StoredKeys
from awsafe.errors import AwsError, ConfigError, NoCredentialsError
from awsafe.model import Credentials
from awsafe.vault.memory import MemoryStore
from tests.support.seed import EXTERNAL_ID, seed_config

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
ROLE = "arn:aws:iam::123456789012:role/seed-role"
DEMO = Credentials("AKIADEMODEMODEMO0001", "demo-secret")


def sts_response(key: str) -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": "s" * 40,
            "SessionToken": "token-" + key,
            "Expiration": NOW + dt.timedelta(hours=1),
        }
    }


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, list[tuple[str, str]]]]:
    client = botocore.session.get_session().create_client(
        "sts", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    used: list[tuple[str, str]] = []  # (access key that would sign, region)

    def fake_client(service: str, credentials: Credentials, endpoint: aws.Endpoint) -> Any:
        used.append((credentials.access_key_id, endpoint.region))
        return client

    monkeypatch.setattr(aws, "make_client", fake_client)
    with Stubber(client) as stubber:
        yield stubber, used
        stubber.assert_no_pending_responses()


def build(text: str, profile: str, options: SessionOptions | None = None) -> Credentials:
    keys = StoredKeys(MemoryStore())
    keys.set("demo", DEMO)
    chain = resolve_chain(parse_config(text, "cfg"), profile, {})
    builder = ChainBuilder(keys, options or SessionOptions(), endpoint_for_profile({}), lambda: NOW)
    return builder.build(chain).retrieve()


SEED = seed_config(ROLE)


def test_seed_role_assumes_with_external_id(stub: Any) -> None:
    stubber, used = stub
    stubber.add_response(
        "assume_role",
        sts_response("ASIAROLEROLEROLE0001"),
        {
            "RoleArn": ROLE,
            "RoleSessionName": "test",
            "DurationSeconds": 3600,
            "ExternalId": EXTERNAL_ID,
        },
    )
    credentials = build(SEED, "test")
    assert credentials.access_key_id == "ASIAROLEROLEROLE0001"
    assert used == [(DEMO.access_key_id, "ap-northeast-2")]


def test_iam_user_gets_session_token_with_ttl(stub: Any) -> None:
    stubber, used = stub
    stubber.add_response("get_session_token", sts_response("ASIASESSIONSESSION01"), {"DurationSeconds": 900})
    options = SessionOptions(session_token_ttl=dt.timedelta(minutes=15))
    assert build(SEED, "demo", options).access_key_id == "ASIASESSIONSESSION01"


def test_no_session_returns_long_term_keys_without_a_call(stub: Any) -> None:
    assert build(SEED, "demo", SessionOptions(no_session=True)) == DEMO


def test_role_extras_are_sent(stub: Any) -> None:
    stubber, _ = stub
    text = SEED + (
        "[profile tagged]\nsource_profile = demo\n"
        f"role_arn = {ROLE}\nsession_tags = team=a, env=dev\ntransitive_session_tags = team\n"
        "source_identity = alice\nduration_seconds = 7200\n"
    )
    stubber.add_response(
        "assume_role",
        sts_response("ASIATAGGEDTAGGED0001"),
        {
            "RoleArn": ROLE,
            "RoleSessionName": f"awsafe-{int(NOW.timestamp())}",
            "DurationSeconds": 7200,
            "SourceIdentity": "alice",
            "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
            "TransitiveTagKeys": ["team"],
        },
    )
    assert build(text, "tagged").access_key_id == "ASIATAGGEDTAGGED0001"


def test_access_denied_names_role_profile_and_hint(stub: Any) -> None:
    stubber, _ = stub
    stubber.add_client_error("assume_role", "AccessDenied", "not authorized", 403)
    with pytest.raises(AwsError) as caught:
        build(SEED, "test")
    assert str(caught.value) == (
        f"AssumeRole of {ROLE} for profile 'test' failed: AccessDenied: not authorized"
    )
    assert caught.value.hint is not None and "external_id" in caught.value.hint


def test_profile_with_no_source_lists_what_was_tried(stub: Any) -> None:
    with pytest.raises(NoCredentialsError, match="tried keys in the memory vault, source_profile"):
        build(SEED + "[profile empty]\nregion = x\n", "empty")


def test_assume_role_ttl_env_beats_duration_seconds_and_flag_beats_both(stub: Any) -> None:
    stubber, _ = stub
    text = SEED.replace("region=ap-northeast-2\n", "region=ap-northeast-2\nduration_seconds = 7200\n")
    expected = {
        "RoleArn": ROLE,
        "RoleSessionName": "test",
        "ExternalId": EXTERNAL_ID,
    }
    stubber.add_response(
        "assume_role", sts_response("ASIAROLEROLEROLE0001"), {**expected, "DurationSeconds": 7200}
    )
    build(text, "test")
    stubber.add_response(
        "assume_role", sts_response("ASIAROLEROLEROLE0001"), {**expected, "DurationSeconds": 1800}
    )
    build(text, "test", SessionOptions(assume_role_ttl=dt.timedelta(minutes=30)))
    stubber.add_response(
        "assume_role", sts_response("ASIAROLEROLEROLE0001"), {**expected, "DurationSeconds": 900}
    )
    build(
        text,
        "test",
        SessionOptions(duration=dt.timedelta(minutes=15), assume_role_ttl=dt.timedelta(minutes=30)),
    )


def test_iam_user_with_mfa_sends_serial_and_code(stub: Any) -> None:
    stubber, _ = stub
    text = SEED.replace("[profile demo]\n", "[profile demo]\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n")
    stubber.add_response(
        "get_session_token",
        sts_response("ASIASESSIONSESSION01"),
        {"DurationSeconds": 3600, "SerialNumber": "arn:aws:iam::123456789012:mfa/u", "TokenCode": "123456"},
    )
    asked: list[tuple[str, str, str | None]] = []

    def codes(profile: str, serial: str, process: str | None) -> str:
        asked.append((profile, serial, process))
        return "123456"

    keys = StoredKeys(MemoryStore())
    keys.set("demo", DEMO)
    chain = resolve_chain(parse_config(text, "cfg"), "demo", {})
    builder = ChainBuilder(keys, SessionOptions(), endpoint_for_profile({}), lambda: NOW, mfa=codes)
    assert builder.build(chain).retrieve().access_key_id == "ASIASESSIONSESSION01"
    assert asked == [("demo", "arn:aws:iam::123456789012:mfa/u", None)]


def test_credential_source_needs_a_role_arn_and_a_known_kind(stub: Any) -> None:
    with pytest.raises(ConfigError, match="credential_source and no role_arn"):
        build(SEED + "[profile ec2]\ncredential_source = Ec2InstanceMetadata\n", "ec2")
    with pytest.raises(ConfigError, match="is not one of Environment, Ec2InstanceMetadata, EcsContainer"):
        build(SEED + f"[profile ec2]\nrole_arn = {ROLE}\ncredential_source = environment\n", "ec2")


def test_credential_source_environment_assumes_the_role_with_the_outer_keys(stub: Any) -> None:
    stubber, used = stub
    stubber.add_response("assume_role", sts_response("ASIAROLEROLEROLE0001"))
    outer = Credentials("AKIAOUTEROUTEROUTER1", "outer-secret")
    chain = resolve_chain(
        parse_config(SEED + f"[profile env]\nrole_arn = {ROLE}\ncredential_source = Environment\n", "cfg"),
        "env",
        {},
    )
    builder = ChainBuilder(
        StoredKeys(MemoryStore()),
        SessionOptions(),
        endpoint_for_profile({}),
        lambda: NOW,
        outer=OuterSources({}, outer),
    )
    assert builder.build(chain).retrieve().access_key_id == "ASIAROLEROLEROLE0001"
    assert used == [("AKIAOUTEROUTEROUTER1", "us-east-1")]


class _SsoRole:
    """Stands in for GetRoleCredentials: records which profiles asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, profile: Any) -> Any:
        asked = self.asked

        class Provider:
            def retrieve(self) -> Credentials:
                asked.append(profile.name)
                return Credentials("ASIASSOSSOSSOSSO0001", "s", "t", NOW + dt.timedelta(hours=1))

            def describe(self) -> str:
                return "sso"

        return Provider()


def test_sso_comes_before_credential_process_and_signs_a_role_on_top(stub: Any) -> None:
    """Source order (#1183/#1196): SSO before credential_process; a role on top uses SSO credentials."""
    stubber, used = stub
    text = (
        "[sso-session corp]\nsso_start_url = https://corp/start\nsso_region = eu-west-1\n"
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
        "credential_process = /bin/false\n"
        f"[profile test]\nrole_arn = {ROLE}\nexternal_id = x-1\nsource_profile = dev\n"
    )
    stubber.add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAROLEROLEROLE0001",
                "SecretAccessKey": "r",
                "SessionToken": "t",
                "Expiration": NOW + dt.timedelta(hours=1),
            }
        },
        {
            "RoleArn": ROLE,
            "RoleSessionName": f"awsafe-{int(NOW.timestamp())}",
            "DurationSeconds": 3600,
            "ExternalId": "x-1",
        },
    )
    sso = _SsoRole()
    keys = StoredKeys(MemoryStore())
    chain = resolve_chain(parse_config(text, "cfg"), "test", {})
    builder = ChainBuilder(keys, SessionOptions(), endpoint_for_profile({}), lambda: NOW, sso=sso)
    assert builder.build(chain).retrieve().access_key_id == "ASIAROLEROLEROLE0001"
    assert sso.asked == ["dev"]
    assert used == [("ASIASSOSSOSSOSSO0001", "us-east-1")]


@pytest.mark.parametrize(
    ("text", "chained"),
    [
        (SEED, False),  # test <- demo (a user)
        (SEED + f"[profile r2]\nrole_arn = {ROLE}\nsource_profile = test\n", True),
        (
            SEED
            + f"[profile mid]\nsource_profile = r0\n[profile r0]\nrole_arn = {ROLE}\nsource_profile = demo\n"
            f"[profile r2]\nrole_arn = {ROLE}\nsource_profile = mid\n",
            True,
        ),  # through a pass-through profile
        (
            "[sso-session s]\nsso_start_url = https://x/start\nsso_region = us-east-1\n"
            "[profile dev]\nsso_session = s\nsso_account_id = 111111111111\nsso_role_name = A\n"
            f"[profile r2]\nrole_arn = {ROLE}\nsource_profile = dev\n",
            True,
        ),
        (f"[profile r2]\nrole_arn = {ROLE}\nweb_identity_token_file = /t\n", True),  # its own source
    ],
)
def test_which_roles_are_assumed_with_role_credentials(text: str, chained: bool) -> None:
    from awsafe.credentials.rules import assumed_with_role_credentials

    name = "r2" if "[profile r2]" in text else "test"
    chain = resolve_chain(parse_config(text, "cfg"), name, {})
    assert assumed_with_role_credentials(chain, 0) is chained

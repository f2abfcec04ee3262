"""The moto recorder itself: what it records, the faults it injects, auth mode, reset."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.moto_server import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, MotoServer


def _sts_for(moto: MotoServer, key: tuple[str, str], **kwargs: Any) -> Any:
    return moto.admin_client("sts", aws_access_key_id=key[0], aws_secret_access_key=key[1], **kwargs)


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response: Any = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_assume_role_is_recorded_with_exact_params_and_signing_key(moto: MotoServer) -> None:
    key = moto.create_user_with_key("alice")
    role_arn = moto.create_role("deploy", moto.user_arn("alice"), external_id="ext-123")
    assert moto.calls() == [], "setup helpers must not show up as recorded calls"

    sts = _sts_for(moto, key, region_name="eu-west-1")
    response = sts.assume_role(
        RoleArn=role_arn, RoleSessionName="awsafe-test", ExternalId="ext-123", DurationSeconds=900
    )

    # moto saw the body: the session name made it into the answer.
    assert response["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deploy/awsafe-test")
    (call,) = moto.calls()
    assert call.service == "sts"
    assert call.region == "eu-west-1"
    assert call.action == "AssumeRole"
    assert call.params == {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": "awsafe-test",
        "ExternalId": "ext-123",
        "DurationSeconds": "900",
    }
    assert call.access_key_id == key[0] != ADMIN_ACCESS_KEY_ID
    assert call.session_token is None
    assert call.host == moto.url.removeprefix("http://")
    assert call.injected is False
    assert moto.calls(action="AssumeRole", service="sts") == [call]
    assert moto.calls(action="GetSessionToken") == []
    assert moto.calls(service="iam") == []


def test_calls_signed_with_session_credentials_record_the_token(moto: MotoServer) -> None:
    creds = moto.admin_client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    moto.admin_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()

    gst, gci = moto.calls()
    assert (gst.action, gst.access_key_id, gst.session_token) == (
        "GetSessionToken",
        ADMIN_ACCESS_KEY_ID,
        None,
    )
    assert gci.action == "GetCallerIdentity"
    assert gci.access_key_id == creds["AccessKeyId"]
    assert gci.session_token == creds["SessionToken"]


def test_iam_calls_are_recorded_as_iam(moto: MotoServer) -> None:
    moto.admin_client("iam").create_user(UserName="bob")
    (call,) = moto.calls(service="iam")
    assert call.action == "CreateUser"
    assert call.params["UserName"] == "bob"
    assert call.region == "us-east-1"


def test_query_string_parameters_are_recorded(moto: MotoServer) -> None:
    url = f"{moto.url}/?Action=GetCallerIdentity&Version=2011-06-15"
    signed = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY), "sts", "us-west-2").add_auth(signed)
    request = urllib.request.Request(url, headers=dict(signed.headers.items()))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.status == 200
        assert b"GetCallerIdentityResponse" in response.read()
    (call,) = moto.calls()
    assert (call.service, call.region, call.action) == ("sts", "us-west-2", "GetCallerIdentity")
    assert call.params == {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    assert call.access_key_id == ADMIN_ACCESS_KEY_ID
    assert call.rejected is None


def test_fail_next_fails_the_next_call_then_lets_the_following_one_through(
    moto: MotoServer,
) -> None:
    sts = moto.admin_client("sts")
    moto.fail_next("GetCallerIdentity", code="ExpiredToken", message="The token has expired")

    sts.get_session_token()  # another action is not affected
    with pytest.raises(ClientError) as excinfo:
        sts.get_caller_identity()
    assert _error(excinfo) == ("ExpiredToken", 400, "The token has expired")
    assert sts.get_caller_identity()["Account"] == "123456789012"

    assert [c.injected for c in moto.calls(action="GetCallerIdentity")] == [True, False]
    assert [c.injected for c in moto.calls(action="GetSessionToken")] == [False]


def test_fail_next_defaults_to_throttling_and_counts_times(moto: MotoServer) -> None:
    sts = moto.admin_client("sts")
    moto.fail_next("GetCallerIdentity", times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            sts.get_caller_identity()
        assert _error(excinfo) == ("Throttling", 400, "Rate exceeded")
    sts.get_caller_identity()
    assert [c.injected for c in moto.calls()] == [True, True, False]


def test_fail_next_with_a_5xx(moto: MotoServer) -> None:
    moto.fail_next("AssumeRole", code="InternalFailure", status=503, message="down")
    with pytest.raises(ClientError) as excinfo:
        moto.admin_client("sts").assume_role(RoleArn=moto.role_arn("any"), RoleSessionName="session")
    assert _error(excinfo) == ("InternalFailure", 503, "down")
    assert len(moto.calls(action="AssumeRole")) == 1, "retries must be off in admin clients"


def test_delay_next_slows_one_answer(moto: MotoServer) -> None:
    moto.delay_next("GetCallerIdentity", 0.3)
    sts = moto.admin_client("sts")
    start = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - start >= 0.3


def test_parallel_callers_are_all_recorded(moto: MotoServer) -> None:
    def call(i: int) -> str:
        arn: str = moto.admin_client("sts").assume_role(
            RoleArn=moto.role_arn("r"), RoleSessionName=f"session-{i}"
        )["AssumedRoleUser"]["Arn"]
        return arn

    with ThreadPoolExecutor(max_workers=8) as pool:
        arns = list(pool.map(call, range(8)))
    assert len(set(arns)) == 8
    names = sorted(c.params["RoleSessionName"] for c in moto.calls(action="AssumeRole"))
    assert names == sorted(f"session-{i}" for i in range(8))


@pytest.mark.signature_rejections
def test_auth_mode_rejects_an_unknown_key(moto: MotoServer) -> None:
    unknown = moto.admin_client("sts", aws_access_key_id="AKIAUNKNOWNKEY000000")
    with pytest.raises(ClientError) as excinfo:
        unknown.get_caller_identity()  # auth off, but the signature check never saw this key
    assert _error(excinfo)[:2] == ("InvalidClientTokenId", 403)
    assert moto.calls()[-1].rejected == "InvalidClientTokenId"

    # moto's own auth mode, behind the signature check: a key the check was told about but
    # moto never issued is refused by moto itself.
    moto.register_credentials("AKIAUNKNOWNKEY000000", ADMIN_SECRET_ACCESS_KEY)
    assert unknown.get_caller_identity()["Account"] == "123456789012"  # auth off: moto takes it
    moto.enable_auth()
    with pytest.raises(ClientError) as excinfo:
        unknown.get_caller_identity()
    assert _error(excinfo)[:2] == ("InvalidClientTokenId", 403)
    assert moto.calls()[-1].rejected is None, "refused by moto, not by the signature check"

    key = moto.create_user_with_key("carol")  # helpers work while auth is on
    assert moto.auth_enabled
    identity = _sts_for(moto, key).get_caller_identity()
    assert identity["Arn"] == moto.user_arn("carol")
    with pytest.raises(ClientError) as excinfo:
        _sts_for(moto, (key[0], "x" * 40)).get_caller_identity()
    assert _error(excinfo)[:2] == ("SignatureDoesNotMatch", 403)


def test_auth_mode_enforces_the_external_id_of_the_trust_policy(moto: MotoServer) -> None:
    key = moto.create_user_with_key("alice")
    role_arn = moto.create_role("deploy", moto.user_arn("alice"), external_id="right-id")
    moto.enable_auth()
    sts = _sts_for(moto, key)

    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="wrong-id")
    assert _error(excinfo)[:2] == ("AccessDenied", 403)

    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s2", ExternalId="right-id")["Credentials"]
    assumed = moto.admin_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert assumed.get_caller_identity()["Arn"] == ("arn:aws:sts::123456789012:assumed-role/deploy/s2")
    # Denied calls are recorded too, as sent.
    assert [c.params["ExternalId"] for c in moto.calls(action="AssumeRole")] == [
        "wrong-id",
        "right-id",
    ]


def test_auth_mode_trust_policy_names_the_principal(moto: MotoServer) -> None:
    alice = moto.create_user_with_key("alice")
    mallory = moto.create_user_with_key("mallory")
    role_arn = moto.create_role("deploy", moto.user_arn("alice"))
    moto.enable_auth()
    _sts_for(moto, alice).assume_role(RoleArn=role_arn, RoleSessionName="ok")
    with pytest.raises(ClientError) as excinfo:
        _sts_for(moto, mallory).assume_role(RoleArn=role_arn, RoleSessionName="no")
    assert _error(excinfo)[:2] == ("AccessDenied", 403)


def test_reset_clears_calls_faults_state_and_auth(moto: MotoServer) -> None:
    moto.create_user_with_key("alice")
    moto.admin_client("sts").get_caller_identity()
    moto.fail_next("GetCallerIdentity", times=5)
    moto.enable_auth()
    assert moto.calls()

    moto.reset()

    assert moto.calls() == []
    assert not moto.auth_enabled
    iam = moto.admin_client("iam")  # the dummy admin key works again: auth is off
    assert iam.list_users()["Users"] == []
    moto.admin_client("sts").get_caller_identity()  # the pending fault is gone
    assert [c.injected for c in moto.calls()] == [False, False]


def test_endpoint_env_points_plain_boto3_at_the_server(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in moto.endpoint_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVONLY000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    moto.register_credentials("AKIAENVONLY000000000", "secret")
    session = boto3.session.Session(region_name="us-east-1")
    config = Config(retries={"total_max_attempts": 1})
    session.client("sts", config=config).get_caller_identity()
    session.client("iam", config=config).list_users()
    assert [(c.service, c.action, c.access_key_id) for c in moto.calls()] == [
        ("sts", "GetCallerIdentity", "AKIAENVONLY000000000"),
        ("iam", "ListUsers", "AKIAENVONLY000000000"),
    ]

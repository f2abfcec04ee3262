"""The SigV4 check in front of moto: the right secret passes, anything else is refused as AWS would."""

from __future__ import annotations

import gzip
import hashlib
import http.client
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.moto_server import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, MotoServer
from tests.support.sigv4_verifier import Issued, SigV4Verifier, WireRequest, parse_issued

pytestmark = pytest.mark.signature_rejections


def _client(moto: MotoServer, creds: dict[str, Any] | tuple[str, str], service: str = "sts") -> Any:
    if isinstance(creds, tuple):
        return moto.admin_client(service, aws_access_key_id=creds[0], aws_secret_access_key=creds[1])
    return moto.admin_client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: Any = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _role_session(moto: MotoServer, key: tuple[str, str], name: str) -> dict[str, Any]:
    arn = moto.role_arn("deploy")
    creds: dict[str, Any] = _client(moto, key).assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
    return creds


@pytest.fixture
def alice(moto: MotoServer) -> tuple[str, str]:
    key = moto.create_user_with_key("alice")
    moto.create_role("deploy", moto.user_arn("alice"))
    return key


def test_the_right_secrets_pass_long_term_role_and_session_token(
    moto: MotoServer, alice: tuple[str, str]
) -> None:
    assert _client(moto, alice).get_caller_identity()["Arn"] == moto.user_arn("alice")
    role = _role_session(moto, alice, "s1")
    assert ":assumed-role/deploy/s1" in _client(moto, role).get_caller_identity()["Arn"]
    session = _client(moto, alice).get_session_token()["Credentials"]  # moto's fixed pair
    _client(moto, session).get_caller_identity()
    federated = _client(moto, alice).get_federation_token(Name="fed")["Credentials"]
    _client(moto, federated).get_caller_identity()
    _client(moto, role, "iam").list_users()
    assert moto.rejected_calls() == []
    assert len(moto.calls()) == 8


def test_a_wrong_secret_is_signature_does_not_match_and_never_reaches_moto(
    moto: MotoServer, alice: tuple[str, str]
) -> None:
    wrong = (alice[0], alice[1][:-1] + ("A" if alice[1][-1] != "A" else "B"))
    with pytest.raises(ClientError) as excinfo:
        _client(moto, wrong).assume_role(RoleArn=moto.role_arn("deploy"), RoleSessionName="never")
    assert _code(excinfo) == ("SignatureDoesNotMatch", 403)
    (call,) = moto.calls()
    assert (call.action, call.access_key_id, call.rejected) == (
        "AssumeRole",
        alice[0],
        "SignatureDoesNotMatch",
    )
    assert call.params["RoleSessionName"] == "never"  # recorded as sent
    # The admin key id is also moto's GetSessionToken key id: each secret only with its own token.
    session = _client(moto, alice).get_session_token()["Credentials"]
    assert session["AccessKeyId"] == ADMIN_ACCESS_KEY_ID
    mixed = {**session, "SecretAccessKey": ADMIN_SECRET_ACCESS_KEY}
    with pytest.raises(ClientError) as excinfo:
        _client(moto, mixed).get_caller_identity()
    assert _code(excinfo) == ("SignatureDoesNotMatch", 403)


def test_an_unknown_key_is_invalid_client_token_id(moto: MotoServer) -> None:
    with pytest.raises(ClientError) as excinfo:
        _client(moto, ("AKIANEVERISSUED00000", "whatever")).get_caller_identity()
    assert _code(excinfo) == ("InvalidClientTokenId", 403)
    assert [c.rejected for c in moto.calls()] == ["InvalidClientTokenId"]


def test_a_session_token_swapped_between_two_sessions_is_refused(
    moto: MotoServer, alice: tuple[str, str]
) -> None:
    one, two = _role_session(moto, alice, "one"), _role_session(moto, alice, "two")
    assert one["AccessKeyId"] != two["AccessKeyId"]
    swapped = {**one, "SessionToken": two["SessionToken"]}
    with pytest.raises(ClientError) as excinfo:
        _client(moto, swapped).get_caller_identity()
    assert _code(excinfo) == ("InvalidClientTokenId", 403)
    without = {k: v for k, v in one.items() if k != "SessionToken"}
    with pytest.raises(ClientError) as excinfo:
        _client(moto, without).get_caller_identity()
    assert _code(excinfo) == ("InvalidClientTokenId", 403)
    other_secret = {**one, "SecretAccessKey": two["SecretAccessKey"]}
    with pytest.raises(ClientError) as excinfo:
        _client(moto, other_secret).get_caller_identity()
    assert _code(excinfo) == ("SignatureDoesNotMatch", 403)
    assert [c.rejected for c in moto.calls("GetCallerIdentity")] == [
        "InvalidClientTokenId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
    ]


def _signed(
    moto: MotoServer,
    key: tuple[str, str],
    body: bytes,
    headers: dict[str, str] | None = None,
    region: str = "us-east-1",
) -> dict[str, str]:
    request = AWSRequest(method="POST", url=moto.url + "/", data=body, headers=headers or {})
    request.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    SigV4Auth(Credentials(*key), "sts", region).add_auth(request)
    return dict(request.headers.items())


def _send(moto: MotoServer, headers: dict[str, str], body: bytes | list[bytes]) -> tuple[int, bytes]:
    netloc = urlsplit(moto.url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=10)
    try:
        connection.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        if "host" not in {name.lower() for name in headers}:
            connection.putheader("Host", netloc)  # what the signer signed (it takes it from the URL)
        for name, value in headers.items():
            connection.putheader(name, value)
        if isinstance(body, list):  # Transfer-Encoding: chunked, no Content-Length
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            for chunk in body:
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        else:
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


ASSUME = urlencode(
    {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": "arn:aws:iam::123456789012:role/deploy",
        "RoleSessionName": "signed",
    }
).encode()


def test_a_modified_body_is_refused(moto: MotoServer, alice: tuple[str, str]) -> None:
    headers = _signed(moto, alice, ASSUME)
    status, answer = _send(moto, headers, ASSUME.replace(b"signed", b"forged"))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    status, answer = _send(moto, headers, ASSUME)
    assert status == 200 and b"assumed-role/deploy/signed" in answer
    assert [c.rejected for c in moto.calls()] == ["SignatureDoesNotMatch", None]


def test_header_case_host_with_port_chunked_and_gzip_bodies_pass(
    moto: MotoServer, alice: tuple[str, str]
) -> None:
    headers = _signed(moto, alice, ASSUME)
    shouting = {name.upper(): value for name, value in headers.items()}
    shouting["HOST"] = urlsplit(moto.url).netloc
    status, answer = _send(moto, shouting, ASSUME)
    assert status == 200, answer
    status, answer = _send(moto, shouting, [ASSUME[:17], ASSUME[17:]])
    assert status == 200, answer
    zipped = gzip.compress(ASSUME)
    gz = _signed(moto, alice, zipped, {"Content-Encoding": "gzip"})
    status, answer = _send(moto, gz, zipped)
    assert status == 200, answer
    calls = moto.calls()
    assert [c.rejected for c in calls] == [None, None, None]
    assert all(c.params["RoleSessionName"] == "signed" for c in calls)


def test_a_deleted_key_is_refused_afterwards(moto: MotoServer, alice: tuple[str, str]) -> None:
    role = _role_session(moto, alice, "before")
    _client(moto, alice, "iam").delete_access_key(UserName="alice", AccessKeyId=alice[0])
    with pytest.raises(ClientError) as excinfo:
        _client(moto, alice).get_caller_identity()
    assert _code(excinfo) == ("InvalidClientTokenId", 403)
    _client(moto, role).get_caller_identity()  # sessions made before stay valid, as at AWS


def test_an_expired_session_is_refused(moto: MotoServer, alice: tuple[str, str]) -> None:
    creds = _client(moto, alice).assume_role(
        RoleArn=moto.role_arn("deploy"), RoleSessionName="short", DurationSeconds=900
    )["Credentials"]
    _client(moto, creds).get_caller_identity()
    later = datetime.now(timezone.utc) + timedelta(seconds=901)
    moto.verifier.clock = lambda: later
    with pytest.raises(ClientError) as excinfo:
        _client(moto, creds).get_caller_identity()
    assert _code(excinfo) == ("ExpiredToken", 403)
    _client(moto, alice).get_caller_identity()  # long-term keys do not expire


def test_unsigned_requests_are_refused_but_web_identity() -> None:
    verifier = SigV4Verifier()
    unsigned = WireRequest("POST", "/", {"host": "h"}, b"Action=GetCallerIdentity", "GetCallerIdentity")
    rejection = verifier.check(unsigned)
    assert rejection is not None and rejection.code == "MissingAuthenticationToken"
    web = WireRequest("POST", "/", {"host": "h"}, b"", "AssumeRoleWithWebIdentity")
    assert verifier.check(web) is None


def test_issued_credentials_are_read_from_iam_and_sts_answers() -> None:
    iam = (
        b'<CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateAccessKeyResult>'
        b"<AccessKey><UserName>u</UserName><AccessKeyId>AKIA1</AccessKeyId><Status>Active</Status>"
        b"<SecretAccessKey>s1</SecretAccessKey></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>"
    )
    sts = (
        b'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
        b"<Credentials><AccessKeyId>ASIA2</AccessKeyId><SecretAccessKey>s2</SecretAccessKey>"
        b"<SessionToken>t2</SessionToken><Expiration>2030-01-01T00:00:00.123456Z</Expiration></Credentials>"
        b"</AssumeRoleResult></AssumeRoleResponse>"
    )
    (key,) = parse_issued("CreateAccessKey", iam)
    assert (key.access_key_id, key.secret_access_key, key.session_token, key.expires_at) == (
        "AKIA1",
        "s1",
        None,
        None,
    )
    (session,) = parse_issued("AssumeRole", sts)
    assert (session.access_key_id, session.session_token) == ("ASIA2", "t2")
    assert session.expires_at is not None and session.expires_at.year == 2030
    assert "s2" not in repr(session) and "t2" not in repr(session)


def test_an_mfa_only_role_needs_a_token_code_or_an_mfa_session(
    moto: MotoServer, alice: tuple[str, str]
) -> None:
    arn = moto.create_role("guarded", moto.user_arn("alice"), require_mfa=True)
    sts = _client(moto, alice)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=arn, RoleSessionName="plain")
    assert _code(excinfo) == ("AccessDenied", 403)
    mfa = {"SerialNumber": "arn:aws:iam::123456789012:mfa/alice", "TokenCode": "123456"}
    direct = sts.assume_role(RoleArn=arn, RoleSessionName="direct", **mfa)["Credentials"]
    session = sts.get_session_token(**mfa)["Credentials"]
    _client(moto, session).assume_role(RoleArn=arn, RoleSessionName="via-session")
    # A role session made with MFA carries it on: it may assume the role again.
    _client(moto, direct).assume_role(RoleArn=arn, RoleSessionName="chained")
    plain_role = _role_session(moto, alice, "no-mfa")
    with pytest.raises(ClientError) as excinfo:
        _client(moto, plain_role).assume_role(RoleArn=arn, RoleSessionName="chained-plain")
    assert _code(excinfo) == ("AccessDenied", 403)
    assert [c.rejected for c in moto.calls("AssumeRole")] == [
        "AccessDenied",
        None,
        None,
        None,
        None,
        "AccessDenied",
    ]


def test_a_body_that_differs_from_its_signed_content_hash_is_refused() -> None:
    verifier = SigV4Verifier()
    verifier.register(Issued("AKIAHASHHASHHASH0000", "hash-secret"))
    request = AWSRequest(method="PUT", url="http://127.0.0.1:9/bucket/key", data=b"signed bytes")
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(b"signed bytes").hexdigest()
    request.headers["Host"] = "127.0.0.1:9"
    SigV4Auth(Credentials("AKIAHASHHASHHASH0000", "hash-secret"), "s3", "us-east-1").add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}

    assert verifier.check(WireRequest("PUT", "/bucket/key", headers, b"signed bytes")) is None
    rejection = verifier.check(WireRequest("PUT", "/bucket/key", headers, b"other bytes!"))
    assert rejection is not None and rejection.code == "XAmzContentSHA256Mismatch"

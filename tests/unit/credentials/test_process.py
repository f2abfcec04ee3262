"""credential_process output read as the AWS SDKs read it: what is accepted, what is refused and
how it is said (one line naming the profile and program, never the output)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from awsafe.credentials.process import ProcessProvider
from awsafe.errors import NoCredentialsError
from tests.support.malformed import GOOD, SECRET


def _provider(tmp_path: Path, output: bytes) -> ProcessProvider:
    body = tmp_path / "output"
    body.write_bytes(output)
    script = tmp_path / "creds"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.buffer.write(open({str(body)!r}, 'rb').read())\n"
    )
    script.chmod(0o755)
    return ProcessProvider(f"{script} --arg", profile="ext")


ACCEPTED = {
    # the SDKs (botocore, Go v2, JS v3) take these; awsafe must too
    "temporary": (GOOD, dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)),
    "long-lived": ({k: v for k, v in GOOD.items() if k not in ("SessionToken", "Expiration")}, None),
    "null token and expiration": ({**GOOD, "SessionToken": None, "Expiration": None}, None),
    "AccountId and unknown fields": ({**GOOD, "AccountId": "123456789012", "Extra": {"a": 1}}, ...),
    "fractional seconds": (
        {**GOOD, "Expiration": "2099-01-01T00:00:00.123456Z"},
        dt.datetime(2099, 1, 1, 0, 0, 0, 123456, tzinfo=dt.timezone.utc),
    ),
    "nanoseconds": ({**GOOD, "Expiration": "2099-01-01T00:00:00.123456789Z"}, ...),
    "offset": (
        {**GOOD, "Expiration": "2099-01-01T02:00:00+02:00"},
        dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
    ),
}


@pytest.mark.parametrize(("document", "expires"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_what_the_sdks_accept_is_accepted(
    tmp_path: Path, document: dict[str, object], expires: object
) -> None:
    credentials = _provider(tmp_path, json.dumps(document).encode()).retrieve()
    assert credentials.access_key_id == document["AccessKeyId"]
    assert credentials.secret_access_key == SECRET
    assert credentials.session_token == document.get("SessionToken")
    if expires is not ...:
        assert credentials.expires_at == expires


REFUSED = {
    "no Version": ({k: v for k, v in GOOD.items() if k != "Version"}, "without a Version"),
    "Version 2": ({**GOOD, "Version": 2}, "Version is not 1"),
    "Version string": ({**GOOD, "Version": "1"}, "Version is not 1"),
    "Version 1.0": ({**GOOD, "Version": 1.0}, "Version is not 1"),
    "Version true": ({**GOOD, "Version": True}, "Version is not 1"),
    "no AccessKeyId": ({k: v for k, v in GOOD.items() if k != "AccessKeyId"}, "without a AccessKeyId"),
    "no SecretAccessKey": ({k: v for k, v in GOOD.items() if k != "SecretAccessKey"}, "SecretAccessKey"),
    "blank key id": ({**GOOD, "AccessKeyId": "  "}, "AccessKeyId"),
    "numeric token": ({**GOOD, "SessionToken": 7}, "SessionToken that is not a string"),
    "Expiration words": ({**GOOD, "Expiration": "tomorrow"}, "Expiration that is not an RFC 3339 time"),
    "Expiration without zone": ({**GOOD, "Expiration": "2099-01-01T00:00:00"}, "RFC 3339"),
    "Expiration a date only": ({**GOOD, "Expiration": "2099-01-01"}, "RFC 3339"),
    "Expiration year 9999": ({**GOOD, "Expiration": "9999-12-31T00:00:00Z"}, "RFC 3339"),
}


@pytest.mark.parametrize(("document", "why"), list(REFUSED.values()), ids=list(REFUSED))
def test_what_the_sdks_refuse_is_refused_clearly(tmp_path: Path, document: object, why: str) -> None:
    with pytest.raises(NoCredentialsError) as caught:
        _provider(tmp_path, json.dumps(document).encode()).retrieve()
    message = str(caught.value)
    assert message.startswith("credential_process of profile 'ext' (") and why in message
    assert SECRET not in message and "\n" not in message


@pytest.mark.parametrize(
    "output",
    [b"", b"not json", b'{"Version": 1,', b"\xff\xfe\x00garbage", json.dumps(GOOD).encode() + b" trailing"],
    ids=["empty", "words", "truncated", "not utf-8", "trailing"],
)
def test_output_that_is_not_one_json_document_is_refused(tmp_path: Path, output: bytes) -> None:
    with pytest.raises(NoCredentialsError, match="not credential_process JSON"):
        _provider(tmp_path, output).retrieve()

"""Golden tests for the export formats: the bytes users pipe into shells and files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from awsafe.model import Credentials
from awsafe.render import render

GOLDEN = Path(__file__).parent / "golden"
TEMPORARY = Credentials(
    access_key_id="ASIAEXAMPLEEXAMPLE01",
    secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    session_token="FQoGZXIvYXdzEXAMPLETOKEN==",
    expires_at=dt.datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc),
)
LONG_LIVED = Credentials(access_key_id="AKIAEXAMPLEEXAMPLE02", secret_access_key="secret/2+x")


@pytest.mark.parametrize("format_name", ["env", "export-env", "ini", "json"])
def test_temporary_credentials_golden(format_name: str) -> None:
    expected = (GOLDEN / f"temporary.{format_name}").read_text()
    assert render(format_name, TEMPORARY, "ap-northeast-2", "test") == expected


@pytest.mark.parametrize("format_name", ["env", "export-env", "ini", "json"])
def test_long_lived_credentials_golden(format_name: str) -> None:
    expected = (GOLDEN / f"long-lived.{format_name}").read_text()
    assert render(format_name, LONG_LIVED, None, "demo") == expected


def test_json_is_credential_process_version_1() -> None:
    document = json.loads(render("json", TEMPORARY, None, "test"))
    assert document["Version"] == 1 and isinstance(document["Version"], int)
    assert document["Expiration"] == "2026-01-01T12:00:00Z"
    assert "Expiration" not in json.loads(render("json", LONG_LIVED, None, "demo"))


def test_credentials_repr_hides_secrets() -> None:
    text = repr(TEMPORARY)
    assert "wJalr" not in text and "FQoG" not in text and "EXAMPLE01" not in text
    assert text.endswith(
        "expires_at=datetime.datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc))"
    )

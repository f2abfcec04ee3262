"""Malformed answers from a credential_process or from STS: one line and a clear exit code, nothing cached.

A credential_process is read as the AWS SDKs read it (``Version`` 1, non-empty
string keys, an optional string token, a real ``Expiration``), with its
output capped. STS is played by a small local endpoint that answers with a
given XML document, so the answer can be anything a broken or hostile
endpoint could send.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.background import ServedInThread, quiet_http_server
from tests.support.env import run_awsafe
from tests.support.malformed import GOOD, SECRET


def _config(text: str) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _process(tmp_path: Path, output: str) -> tuple[Path, Path]:
    """A credential_process that counts its runs and prints ``output`` exactly."""
    counter = tmp_path / "calls"
    body = tmp_path / "output"
    body.write_text(output)
    script = tmp_path / "creds"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(counter)!r}, 'a').write('x')\n"
        f"sys.stdout.write(open({str(body)!r}).read())\n"
    )
    script.chmod(0o755)
    _config(f"[profile ext]\ncredential_process = {script}\n")
    return script, counter


def _sessions() -> str:
    listed = run_awsafe("list", "--sessions")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


def _clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert len(result.stderr.splitlines()) <= 2, result.stderr
    assert SECRET not in result.stderr


PROCESS_CASES = {
    "null key id": {**GOOD, "AccessKeyId": None},
    "null secret": {**GOOD, "SecretAccessKey": None},
    "numeric key id": {**GOOD, "AccessKeyId": 12345},
    "empty key id": {**GOOD, "AccessKeyId": ""},
    "list secret": {**GOOD, "SecretAccessKey": [SECRET]},
    "numeric token": {**GOOD, "SessionToken": 7},
    "version true": {**GOOD, "Version": True},
    "numeric expiration": {**GOOD, "Expiration": 4102444800},
    "year 1 expiration": {**GOOD, "Expiration": "0001-01-01T00:00:00Z"},
    "expired yesterday": {**GOOD, "Expiration": "2001-01-01T00:00:00Z"},
    "not an object": [GOOD],
}


@pytest.mark.parametrize("document", list(PROCESS_CASES.values()), ids=list(PROCESS_CASES))
def test_a_malformed_credential_process_answer_is_refused_and_never_cached(
    tmp_path: Path, document: object
) -> None:
    _, counter = _process(tmp_path, json.dumps(document))
    for _ in range(2):
        result = run_awsafe("export", "ext")
        _clean_failure(result, 5)
        assert "credential_process of " in result.stderr and "'ext'" in result.stderr
    assert counter.read_text() == "xx"  # asked again: nothing was cached
    assert _sessions() == ""


def test_deeply_nested_credential_process_output_is_refused(tmp_path: Path) -> None:
    _process(tmp_path, "[" * 200_000)
    _clean_failure(run_awsafe("export", "ext"), 5)


def test_credential_process_output_is_capped(tmp_path: Path) -> None:
    """8 MiB of blanks before a valid document: valid JSON, but no credential source prints that."""
    _process(tmp_path, " " * (8 << 20) + json.dumps(GOOD))
    result = run_awsafe("export", "ext")
    _clean_failure(result, 5)
    assert "more than 1024 KiB" in result.stderr


def test_credential_process_that_never_stops_printing_is_stopped(tmp_path: Path) -> None:
    script = tmp_path / "endless"
    script.write_text(
        f"#!{sys.executable}\nimport sys, time\n"
        "while True:\n    sys.stdout.write(' ' * 65536)\n    sys.stdout.flush()\n    time.sleep(0.01)\n"
    )
    script.chmod(0o755)
    _config(f"[profile ext]\ncredential_process = {script}\n")
    result = run_awsafe("export", "ext", timeout=30)
    _clean_failure(result, 5)
    assert "more than 1024 KiB" in result.stderr


# -- STS -------------------------------------------------------------------------------------


@dataclass
class _Answer:
    body: bytes
    status: int = 200
    content_type: str = "text/xml"
    headers: list[tuple[str, str]] = field(default_factory=list)


class FakeSts(ServedInThread):
    """Answers every STS call with ``self.body`` (a GetSessionTokenResult's inner XML)."""

    def __init__(self) -> None:
        self.result = ""
        self.calls = 0
        self._server = quiet_http_server(self._dispatch)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._serve_in_thread("fake-sts")

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Answer:
        self.calls += 1
        xml = (
            '<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<GetSessionTokenResult>{self.result}</GetSessionTokenResult>"
            "<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>"
            "</GetSessionTokenResponse>"
        )
        return _Answer(xml.encode())


@pytest.fixture
def fake_sts() -> Iterator[FakeSts]:
    with FakeSts() as sts:
        yield sts


def _credentials_xml(**fields: str | None) -> str:
    values = {
        "AccessKeyId": "ASIAFAKESTSFAKESTS01",
        "SecretAccessKey": SECRET,
        "SessionToken": "fake-session-token",
        "Expiration": f"{dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
        **fields,
    }
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None)
    return f"<Credentials>{inner}</Credentials>"


STS_CASES = {
    "no credentials": "",
    "no session token": _credentials_xml(SessionToken=None),
    "no secret": _credentials_xml(SecretAccessKey=None),
    "no expiration": _credentials_xml(Expiration=None),
    "year 1 expiry": _credentials_xml(Expiration="0001-01-01T00:00:00Z"),
    "expired long ago": _credentials_xml(Expiration="2001-01-01T00:00:00Z"),
    "garbage expiry": _credentials_xml(Expiration="soon"),
    "expiry in a century": _credentials_xml(Expiration="2126-01-01T00:00:00Z"),
}


@pytest.mark.parametrize("result_xml", list(STS_CASES.values()), ids=list(STS_CASES))
def test_a_malformed_sts_answer_is_an_aws_error_and_never_cached(fake_sts: FakeSts, result_xml: str) -> None:
    _config("[profile demo]\nregion = us-east-1\n")
    added = run_awsafe(
        "add",
        "demo",
        "--env",
        env={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "long-term-secret"},
    )
    assert added.returncode == 0, added.stderr
    fake_sts.result = result_xml
    env = {"AWS_ENDPOINT_URL": fake_sts.url}
    for _ in range(2):
        result = run_awsafe("export", "demo", env=env)
        _clean_failure(result, 7)
        assert "GetSessionToken for profile 'demo' failed" in result.stderr
    assert fake_sts.calls == 2  # nothing served from a cache
    assert _sessions() == ""
    fake_sts.result = _credentials_xml()
    healthy = run_awsafe("export", "demo", env=env)
    assert healthy.returncode == 0 and "ASIAFAKESTSFAKESTS01" in healthy.stdout, healthy.stderr

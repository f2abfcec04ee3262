"""An endpoint that is not AWS (a web server answering HTML) is named in one line, with a hint at
AWS_ENDPOINT_URL*, instead of `failed: ResponseParserError`."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.background import quiet_http_server
from tests.support.cli import run_main
from tests.support.seed import seed_config

PAGE = b"<!DOCTYPE html><html><body><h1>It works!</h1> secret-looking-text-AKIAXXXX</body></html>"


@dataclasses.dataclass
class _Page:
    status: int
    body: bytes = PAGE
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A web server on 127.0.0.1 answering every request with a page: 200, then 404, ..."""
    served: list[str] = []
    statuses = iter([200, 404] * 20)

    def answer(method: str, target: str, headers: dict[str, str], body: bytes) -> _Page:
        served.append(f"{method} {target}")
        return _Page(next(statuses))

    server = quiet_http_server(answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", served
    finally:
        server.shutdown()
        server.server_close()


def test_a_web_page_instead_of_sts_names_the_endpoint_and_the_variable(
    web_server: tuple[str, list[str]], isolated_env: Path
) -> None:
    url, served = web_server
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(parents=True)
    config.write_text(seed_config())
    keys = {"AWS_ACCESS_KEY_ID": "AKIAWEBPAGEWEBPAGE01", "AWS_SECRET_ACCESS_KEY": "s" * 40}
    assert run_main("add", "demo", "--env", env=keys).returncode == 0

    for status in (200, 404):
        result = run_main("exec", "test", "--", "true", env={"AWS_ENDPOINT_URL": url})
        assert result.returncode == 7, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("awsafe: ") and "AssumeRole" in line, line
        assert f"{url} answered (HTTP {status}, text/html), but not as AWS sts does" in line
        assert "AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or endpoint_url" in line
        assert "ResponseParserError" not in line and "It works" not in line and "AKIAXXXX" not in line
    assert served and all(s.startswith("POST /") for s in served)

"""The pure parts of the sign-in loopback server: request parsing, answers, one-time redirects."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from awsafe.loopback.onetime import OneTimeRedirect
from awsafe.loopback.server import Reply, Request, answer, names_port, parse_request, render_reply

TARGET = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=TOKEN-CANARY"


def once(port: int = 8000) -> OneTimeRedirect:
    return OneTimeRedirect(TARGET, port)


def get(target: str, host: str | None = "127.0.0.1:8000") -> Request:
    return Request("GET", target, host)


def test_the_one_time_url_is_a_random_loopback_path_and_nothing_else() -> None:
    first, second = once(), once()
    parts = urllib.parse.urlsplit(first.url)
    assert (parts.scheme, parts.hostname, parts.port, parts.query) == ("http", "127.0.0.1", 8000, "")
    assert len(base64.urlsafe_b64decode(parts.path[1:] + "=")) == 32
    assert first.url != second.url
    assert "TOKEN-CANARY" not in first.url and "SigninToken" not in first.url
    assert "TOKEN-CANARY" not in repr(first.route(get(parts.path)))


def test_the_first_get_is_redirected_and_every_later_one_is_not_found() -> None:
    redirect = once()
    path = urllib.parse.urlsplit(redirect.url).path
    assert not redirect.used
    reply = redirect.route(get(path))
    assert redirect.used
    assert reply is not None and (reply.status, reply.location) == (303, TARGET)
    later = [redirect.route(get(path)), redirect.route(get(path, "localhost:8000"))]
    assert [(r.status, r.location) for r in later if r is not None] == [(404, None), (404, None)]


@pytest.mark.parametrize(
    "host", [None, "evil.example:8000", "127.0.0.1:9999", "127.0.0.1", "rebind.example.com"]
)
def test_a_foreign_host_is_refused_and_does_not_use_the_url_up(host: str | None) -> None:
    redirect = once()
    path = urllib.parse.urlsplit(redirect.url).path
    refused = redirect.route(get(path, host))
    assert refused is not None and (refused.status, refused.location) == (400, None)
    assert not redirect.used
    reply = redirect.route(get(path, "LOCALHOST:8000"))
    assert reply is not None and reply.status == 303


def test_other_targets_are_not_this_routes_business() -> None:
    redirect = once()
    path = urllib.parse.urlsplit(redirect.url).path
    for target in ("/", path + "?x=1", path + "/", path[:-1], path.upper(), "/oauth/callback?state=s"):
        assert redirect.route(get(target)) is None
    assert not redirect.used


@pytest.mark.parametrize("target", ["https://x/ y", "https://x/\r\nSet-Cookie: a=b", "https://x/é"])
def test_a_target_that_could_split_the_header_is_refused(target: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        OneTimeRedirect(target, 1)


def test_the_answer_is_never_cached_nor_passed_on_as_a_referrer() -> None:
    raw = render_reply(Reply(303, "<p>x</p>", location=TARGET))
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 303 See Other"
    assert {"Cache-Control: no-store", "Referrer-Policy: no-referrer", "Connection: close"} <= set(lines)
    assert f"Location: {TARGET}" in lines
    assert f"Content-Length: {len(body)}" in lines and body == b"<p>x</p>"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:1", Request("GET", "/a", "127.0.0.1:1")),
        (b"GET /a HTTP/1.0\r\nhost:  localhost:1 \r\nAccept: */*", Request("GET", "/a", "localhost:1")),
        (b"GET /a HTTP/1.1\r\nHost: a:1\r\nHost: 127.0.0.1:1", Request("GET", "/a", None)),
        (b"GET /a HTTP/1.1", Request("GET", "/a", None)),
        (b"GET /a HTTP/2\r\nHost: a", None),
        (b"GET  /a HTTP/1.1\r\nHost: a", None),
        (b"GET /a HTTP/1.1\r\nHost : a", None),
        (b"GET /a HTTP/1.1\r\nno colon", None),
        (b"\xff\xfe", None),
    ],
)
def test_parse_request(head: bytes, expected: Request | None) -> None:
    assert parse_request(head) == expected


def test_answer_refuses_what_is_not_a_well_formed_get() -> None:
    def route(request: Request) -> Reply:
        return Reply(200, "routed")

    assert answer(route, b"GET / HTTP/1.1\r\nHost: h").status == 200
    assert answer(route, b"POST / HTTP/1.1\r\nHost: h").status == 405
    assert answer(route, b"HEAD / HTTP/1.1\r\nHost: h").status == 405  # a HEAD never uses a URL up
    assert answer(route, b"nonsense").status == 400


def test_names_port() -> None:
    assert names_port("127.0.0.1:5", 5) and names_port("LocalHost:5", 5)
    assert not any(names_port(h, 5) for h in (None, "", "127.0.0.1", "127.0.0.1:6", "[::1]:5", "a:5"))

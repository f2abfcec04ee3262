"""LocalServer on a real loopback socket: headers on the wire, the debug line, bind errors, floods."""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from awsafe.errors import ServerError
from awsafe.server.listener import LocalServer, render_request_line
from awsafe.server.routes import EcsRoutes, Request, Response

SECRET = "canary-token-0123456789"


def test_content_type_and_extra_headers_reach_the_client(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response.text("hello", headers=(("X-Extra", "1"),))

    server = LocalServer(handle).start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        with caplog.at_level(logging.DEBUG, logger="awsafe"):
            connection.request("PUT", f"/latest/api/token?key={SECRET}", headers={"X-Token": SECRET})
            response = connection.getresponse()
            body = response.read()
        connection.close()
    finally:
        server.stop()
    assert (response.status, body) == (200, b"hello")
    assert response.getheader("Content-Type") == "text/plain" and response.getheader("X-Extra") == "1"
    assert seen[0].headers["x-token"] == SECRET
    assert "endpoint: PUT /latest/api/token -> 200" in caplog.text
    assert SECRET not in caplog.text


def test_request_line_masks_unprintable_characters_and_drops_the_query() -> None:
    line = render_request_line("GET", "/a\x1b[31mb?token=x", 404)
    assert line == "endpoint: GET /a?[31mb -> 404"


def test_an_address_not_on_this_machine_is_a_server_error_with_a_hint() -> None:
    with pytest.raises(ServerError) as raised:
        LocalServer(lambda request: Response.text(""), host="192.0.2.1")  # TEST-NET-1: never assigned
    assert "192.0.2.1" in raised.value.message and "not assigned" in (raised.value.hint or "")


def test_stopping_a_server_that_never_started_returns() -> None:
    LocalServer(lambda request: Response.text("")).stop()


# -- floods: idle, slow and out-of-descriptor clients --------------------------------------------

TOKEN = "t" * 43
CREDS_JSON = b'"AccessKeyId": "ASIAFLOODEXAMPLE0001"'

# The endpoint in a process of its own, with RLIMIT_NOFILE lowered as a user's may be (or the
# limit exhausted on purpose): commands on stdin, one answer line each on stdout.
ENDPOINT = r"""
import datetime as dt, os, resource, sys, time
soft = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from awsafe.model import Credentials
from awsafe.server.listener import LocalServer
from awsafe.server.routes import EcsRoutes
expires_at = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
creds = Credentials("ASIAFLOODEXAMPLE0001", "secret", "session", expires_at)
server = LocalServer(lambda request: routes.handle(request))
routes = EcsRoutes(sys.argv[2], lambda: creds, frozenset({f"127.0.0.1:{server.port}"}))
server.start()
print(server.port, flush=True)
spare = []
for line in sys.stdin:
    command = line.split()
    if command[0] == "cpu":  # CPU seconds this process used so far
        print(time.process_time(), flush=True)
    elif command[0] == "fill":  # take every descriptor left: accept() now fails with EMFILE
        try:
            while True:
                spare.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            print(len(spare), flush=True)
    elif command[0] == "free":
        for _ in range(int(command[1])):
            os.close(spare.pop())
        print("freed", flush=True)
"""


class EndpointProcess:
    def __init__(self, soft_descriptors: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", ENDPOINT, str(soft_descriptors), TOKEN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._line())

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._line()

    def cpu_seconds(self) -> float:
        return float(self.ask("cpu"))

    def stop(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=10)


def idle_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never send a byte (non-blocking connects: no waiting here)."""
    opened = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(("127.0.0.1", port))
        opened.append(sock)
    return opened


def fetch_with_token(port: int, timeout: float = 10) -> tuple[int, bytes, float]:
    """One token-holding request on a new connection: status, body, seconds it took."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Authorization": TOKEN})
        response = connection.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        connection.close()


@pytest.fixture
def endpoint_process(request: pytest.FixtureRequest) -> Iterator[EndpointProcess]:
    endpoint = EndpointProcess(request.param)
    yield endpoint
    endpoint.stop()


@pytest.mark.parametrize("endpoint_process", [256], indirect=True)
def test_idle_flood_past_the_descriptor_limit_does_not_lock_out_the_token_holder(
    endpoint_process: EndpointProcess,
) -> None:
    flood = idle_connections(endpoint_process.port, 400)  # more than 256 descriptors allow
    try:
        time.sleep(0.3)  # the endpoint meets the flood first
        cpu_before, wall_before = endpoint_process.cpu_seconds(), time.monotonic()
        status, body, seconds = fetch_with_token(endpoint_process.port)
        time.sleep(0.7)
        cpu = endpoint_process.cpu_seconds() - cpu_before
        wall = time.monotonic() - wall_before
    finally:
        for sock in flood:
            sock.close()
    assert status == 200 and CREDS_JSON in body
    assert seconds < 2.0, f"served after {seconds:.2f} s"  # was about 5 s: until the flood timed out
    assert cpu < 0.5 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s"  # was a core spinning on EMFILE


@pytest.mark.parametrize("endpoint_process", [64], indirect=True)
def test_accept_out_of_descriptors_does_not_spin_and_recovers(endpoint_process: EndpointProcess) -> None:
    assert int(endpoint_process.ask("fill")) > 0
    waiting = idle_connections(endpoint_process.port, 20)  # each accept() now fails with EMFILE
    try:
        time.sleep(0.2)
        cpu_before, wall_before = endpoint_process.cpu_seconds(), time.monotonic()
        time.sleep(1.5)
        cpu = endpoint_process.cpu_seconds() - cpu_before
        wall = time.monotonic() - wall_before
        assert cpu < 0.25 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s: the loop spins on EMFILE"
        assert endpoint_process.ask("free 1") == "freed"  # one descriptor: idle ones give way to us
        status, body, seconds = fetch_with_token(endpoint_process.port)
    finally:
        for sock in waiting:
            sock.close()
    assert status == 200 and CREDS_JSON in body
    assert seconds < 3.0, f"served after {seconds:.2f} s"


def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout() -> None:
    server = LocalServer(lambda request: Response.text("ok")).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            started = time.monotonic()
            assert sock.recv(100) == b""  # closed by the endpoint, without an answer
            seconds = time.monotonic() - started
    finally:
        server.stop()
    assert 1.5 <= seconds < 4.0, seconds  # IDLE_SECONDS is 2 s; it was 5 to 6 s


def test_slow_loris_is_dropped_at_its_head_deadline_while_others_are_served() -> None:
    server = LocalServer(lambda request: Response.text("ok"), idle_seconds=0.5, head_seconds=1.5).start()
    dribbling = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(70)]
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    answers: dict[socket.socket, bytes] = {}
    served_at = None
    try:
        started = time.monotonic()
        for byte in head:  # one byte every 0.1 s on each: the deadline is for the whole head
            waiting = [sock for sock in dribbling if sock not in answers]
            if not waiting or time.monotonic() - started > 4.0:
                break
            for sock in select.select(waiting, [], [], 0)[0]:
                answers[sock] = sock.recv(200)  # the endpoint answered and closes: stop sending
            for sock in waiting:
                if sock not in answers:
                    sock.send(bytes([byte]))
            if served_at is None and time.monotonic() - started > 0.7:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
                connection.request("GET", "/")  # more slow clients than workers: still served
                assert connection.getresponse().read() == b"ok"
                connection.close()
                served_at = time.monotonic() - started
            time.sleep(0.1)
        seconds = time.monotonic() - started
    finally:
        for sock in dribbling:
            sock.close()
        server.stop()
    assert served_at is not None and served_at < 1.5  # before the dribblers' deadline
    assert len(answers) == len(dribbling), f"{len(answers)} of {len(dribbling)} dropped"
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values())
    assert 1.3 < seconds < 4.0  # at the 1.5 s deadline (sweeps every 0.25 s), not at each byte


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Host: a\r\nHost: b\r\n", 400),
        (b"Host: a\r\nhost: a\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n", 400),
        (b"Host: a\r\nContent-Length: 0, 0\r\n", 400),
        (b"Host: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n", 400),
        (b"Host: a\r\nAuthorization: x\r\nAuthorization: y\r\n", 400),
        (b"Host: a\r\nContent-Length: 5\r\n", 413),
        (b"Host: a\r\nContent-Length: 0\r\n", 200),
    ],
)
def test_ambiguous_framing_is_refused_and_closes_the_connection(headers: bytes, status: int) -> None:
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response.text("ok")

    server = LocalServer(handle).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\n" + headers + b"\r\n")
            answer = _read_answer(sock)
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer
    if status != 200:
        assert seen == [] and b"connection: close" in answer.lower()


def test_a_refused_token_closes_the_connection() -> None:
    server = LocalServer(lambda request: routes.handle(request))
    routes = EcsRoutes(TOKEN, lambda: pytest.fail("no credentials for a refused request"), frozenset({"a"}))
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: wrong\r\n\r\n")
            answer = _read_answer(sock)
            closed = sock.recv(100) == b""  # was: kept open for the next guess
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 403 ") and closed


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    length = int(re.search(rb"content-length: *(\d+)", data, re.IGNORECASE).group(1))  # type: ignore[union-attr]
    while len(data) - data.index(b"\r\n\r\n") - 4 < length:
        data += sock.recv(4096)
    return data


def test_one_peer_at_its_bound_loses_its_own_oldest_idle_connections() -> None:
    server = LocalServer(lambda request: Response.text("ok"), max_connections=40, local_peers_only=False)
    assert (server.max_connections, server.max_per_peer) == (40, 10)
    server.start()
    flood = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(25)]
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/")  # the 26th of this peer: an idle one makes room
        assert connection.getresponse().read() == b"ok"
        connection.close()
        time.sleep(0.2)  # well within the idle timeout: only evictions have closed any
        readable, _, _ = select.select(flood, [], [], 0)
        closed = [sock in readable and sock.recv(1) == b"" for sock in flood]
    finally:
        for sock in flood:
            sock.close()
        server.stop()
    assert closed == [True] * 16 + [False] * 9  # 10 per peer: the oldest went, one for each newcomer


def test_local_only_endpoints_give_one_peer_every_connection() -> None:
    loopback = LocalServer(lambda request: Response.text("ok"), max_connections=40)
    imds_alias = LocalServer(lambda request: Response.text("ok"), max_connections=40, local_peers_only=True)
    try:
        assert loopback.max_per_peer == imds_alias.max_per_peer == 40
    finally:
        loopback.stop()
        imds_alias.stop()

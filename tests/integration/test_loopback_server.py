"""The sign-in loopback server on a real 127.0.0.1 socket: one-time redirects, slow and hostile clients."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from awsafe.cli import login as login_command
from awsafe.errors import ExitCode, LoginError, UsageError
from awsafe.loopback import server as loopback
from awsafe.loopback.onetime import RedirectServer
from awsafe.loopback.server import LoopbackServer, Reply, Request
from tests.support.slow_client import Dripper

TARGET = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=TOKEN-CANARY"


def fetch(url: str, host: str | None = None) -> tuple[int, dict[str, str]]:
    """One GET without following redirects: (status, lower-cased headers); (0, {}) if refused."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.putrequest("GET", parts.path or "/", skip_host=True)
        connection.putheader("Host", host or parts.netloc)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    except OSError:
        return 0, {}
    finally:
        connection.close()


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def port_of(url: str) -> int:
    return urllib.parse.urlsplit(url).port or 0


def test_the_one_time_url_redirects_once_and_only_once() -> None:
    with RedirectServer(TARGET) as once:
        assert fetch(once.url, host="evil.example")[0] == 400  # does not use it up
        status, headers = fetch(once.url)
        assert (status, headers["location"]) == (303, TARGET)
        assert (headers["cache-control"], headers["referrer-policy"]) == ("no-store", "no-referrer")
        assert fetch(once.url)[0] == 404
        assert fetch(once.url.rsplit("/", 1)[0] + "/other")[0] == 404
        assert once.wait_until_used(0.1)
    assert refuses(port_of(once.url))


def test_the_wait_ends_at_its_deadline_whatever_a_client_drips() -> None:
    with RedirectServer(TARGET) as once:
        dripper = Dripper(port_of(once.url), seconds=10)
        try:
            started = time.monotonic()
            assert once.wait_until_used(1.0) is False
            assert 1.0 <= time.monotonic() - started < 2.0
        finally:
            dripper.close()


def test_a_dripping_client_neither_holds_up_others_nor_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loopback, "CLIENT_SECONDS", 1.5)
    with RedirectServer(TARGET) as once:
        dripper = Dripper(port_of(once.url), seconds=30)
        time.sleep(0.3)
        started = time.monotonic()
        assert fetch(once.url)[0] == 303
        assert time.monotonic() - started < 1
        dripper.thread.join(6)  # its sends fail once the server has cut it off
        assert not dripper.thread.is_alive()


def test_a_flood_of_idle_connections_does_not_lock_out_the_browser() -> None:
    with RedirectServer(TARGET) as once:
        idle = [socket.create_connection(("127.0.0.1", port_of(once.url))) for _ in range(200)]
        try:
            started = time.monotonic()
            assert fetch(once.url)[0] == 303
            assert time.monotonic() - started < 2
        finally:
            for sock in idle:
                sock.close()


def test_a_request_head_too_large_is_dropped() -> None:
    with RedirectServer(TARGET) as once, socket.create_connection(("127.0.0.1", port_of(once.url))) as sock:
        sock.settimeout(5)  # a timeout fails the test: the server must hang up, not wait
        try:
            sock.sendall(b"GET /" + b"a" * (loopback.MAX_REQUEST_HEAD + 4096))
            answer = sock.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            answer = b""
        assert answer == b""
        assert not once.wait_until_used(0)


def test_a_bug_in_the_route_is_raised_in_the_waiting_thread() -> None:
    def route(request: Request) -> Reply:
        raise RuntimeError("route bug")

    with LoopbackServer(route) as server:
        server.start()
        fetch(f"http://127.0.0.1:{server.port}/")
        with pytest.raises(RuntimeError, match="route bug"):
            server.wait(5)


def test_login_waits_for_the_browser_and_then_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []

    def browser(url: str) -> bool:
        seen.append((url, fetch(url)[0]))
        return True

    monkeypatch.setattr("awsafe.browser.open_in_browser", browser)
    login_command._open_once(TARGET)
    [(url, status)] = seen
    assert status == 303 and "TOKEN-CANARY" not in url
    assert refuses(port_of(url))


def test_login_gives_up_when_the_browser_never_comes(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("awsafe.browser.open_in_browser", lambda url: opened.append(url) or True)
    monkeypatch.setattr(login_command, "BROWSER_WAIT", dt.timedelta(seconds=1))
    started = time.monotonic()
    with pytest.raises(LoginError, match="the browser did not ask for the sign-in page within 1 s") as caught:
        login_command._open_once(TARGET)
    assert caught.value.exit_code == ExitCode.LOGIN
    assert 1 <= time.monotonic() - started < 3
    assert "TOKEN-CANARY" not in str(caught.value) and "TOKEN-CANARY" not in (caught.value.hint or "")
    assert refuses(port_of(opened[0]))


def test_login_without_a_browser_closes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("awsafe.browser.open_in_browser", lambda url: opened.append(url) or False)
    with pytest.raises(UsageError, match="no browser could be opened"):
        login_command._open_once(TARGET)
    assert refuses(port_of(opened[0]))


# A child that serves a one-time redirect, then uses up its descriptors on command ("fill")
# and gives one back ("free"); it answers each command on stdout.
_STARVED_SERVER = """
import os, resource, sys
from awsafe.loopback.onetime import RedirectServer
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, soft), hard))
held = []
with RedirectServer(sys.argv[1]) as once:
    print(once.url, flush=True)
    for line in sys.stdin:
        if line.strip() == "fill":
            try:
                while True:
                    held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                print(len(held), flush=True)
        elif line.strip() == "free":
            for fd in held[-4:]:
                os.close(fd)
            del held[-4:]
            print("freed", flush=True)
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/stat")
def test_out_of_descriptors_the_sign_in_listener_does_not_spin_and_serves_the_browser() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _STARVED_SERVER, TARGET],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    waiting: list[socket.socket] = []
    try:
        url = child.stdout.readline().strip()
        child.stdin.write("fill\n")
        child.stdin.flush()
        assert int(child.stdout.readline()) > 0
        # Each of these now makes accept() fail with EMFILE while it waits in the backlog.
        waiting = [socket.create_connection(("127.0.0.1", port_of(url)), timeout=5) for _ in range(20)]
        time.sleep(0.2)
        cpu_before, wall_before = _cpu_seconds(child.pid), time.monotonic()
        time.sleep(1.5)
        cpu = _cpu_seconds(child.pid) - cpu_before
        wall = time.monotonic() - wall_before
        assert cpu < 0.25 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s: the listener spins on EMFILE"
        child.stdin.write("free\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "freed"
        for sock in waiting:
            sock.close()
        assert fetch(url)[0] == 303  # the browser still gets its redirect
    finally:
        for sock in waiting:
            sock.close()
        child.kill()
        child.wait()

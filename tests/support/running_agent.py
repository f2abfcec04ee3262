"""A real `awsafe agent` for e2e tests, on a short private socket path, and a recording relay.

``agent_place`` (a fixture) points AWSAFE_AGENT_SOCK at a fresh 0700 directory under /tmp (a
pytest tmp_path can be too long for a Unix socket address) and stops whatever agent runs there
at teardown. ``RecordingRelay`` is a Unix-socket proxy between clients and the agent that keeps
every byte crossing it, both ways, for the boundary checks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.env import run_awsafe


class AgentPlace:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "agent.sock"
        self.pid_file = directory / "agent.pid"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`awsafe agent start`, the passphrase given to this command only."""
        passphrase = {"AWSAFE_FILE_PASSPHRASE": "test-passphrase"}
        result = run_awsafe("agent", "start", env={**passphrase, **(env or {})})
        assert result.returncode == 0, result.stderr
        assert self.socket.exists()
        return result

    def stop(self) -> subprocess.CompletedProcess[str]:
        return run_awsafe("agent", "stop")


@pytest.fixture
def agent_place(monkeypatch: pytest.MonkeyPatch) -> Iterator[AgentPlace]:
    directory = Path(tempfile.mkdtemp(prefix="awsafe-agent-", dir="/tmp"))
    directory.chmod(0o700)
    place = AgentPlace(directory)
    monkeypatch.setenv("AWSAFE_AGENT_SOCK", str(place.socket))
    try:
        yield place
    finally:
        pid = place.pid()
        run_awsafe("agent", "stop", env={"AWSAFE_AGENT_SOCK": str(place.socket)}, timeout=20)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGCONT)  # a test may have stopped it
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)


class RecordingRelay:
    """Listens on ``listen`` and forwards each connection to ``target``, recording all bytes."""

    def __init__(self, listen: Path, target: Path) -> None:
        self.listen = listen
        self.target = target
        self._lock = threading.Lock()
        self._recorded = bytearray()
        self.connections = 0
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(listen))
        self._server.listen(64)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def recorded(self) -> bytes:
        with self._lock:
            return bytes(self._recorded)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(str(self.target))
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                with self._lock:
                    self._recorded += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._server.close()
        with contextlib.suppress(OSError):
            self.listen.unlink()


def wait_for(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.05)
    return False

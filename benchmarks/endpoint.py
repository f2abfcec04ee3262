"""`awsafe server` as its own process, as SDK clients see it, and one request to it by hand.

Only 127.0.0.1 is ever targeted: an endpoint announced anywhere else stops the benchmark.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.measuring import BenchError
from benchmarks.worlds import AWSAFE


class EndpointProcess:
    """`awsafe server test` (plus ``args``, e.g. --imds) as its own process; its URI (and, for ECS,
    the token) from its stdout."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = (), prefix: tuple[str, ...] = ()) -> None:
        self.cmd = [*prefix, str(AWSAFE), "server", *args, "test"]  # prefix: e.g. prlimit, which execs
        self.process = subprocess.Popen(
            self.cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # no terminal: an MFA prompt would fail fast
        )
        self.stderr = ""
        self.variables = self._announced(timeout=60)
        self.uri = self.variables.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or self.variables.get(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT", ""
        )
        self.token_file = self.variables.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
        if not self.uri or ("--imds" not in args and not self.token_file):
            self.stop()
            raise BenchError(f"`{' '.join(self.cmd)}` did not announce its endpoint: {self.stderr[-2000:]}")
        if urlsplit(self.uri).hostname != "127.0.0.1":
            self.stop()
            raise BenchError(f"the endpoint is not on 127.0.0.1: {self.uri}")
        self.token = Path(self.token_file).read_text().strip() if self.token_file else ""

    def _announced(self, timeout: float) -> dict[str, str]:
        lines: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None

        def read() -> None:
            for _ in range(2):
                lines.append(stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        return dict(line.strip().split("=", 1) for line in lines if "=" in line)

    def stop(self) -> int:
        """Ctrl-C, as a user would; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, self.stderr = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
        return self.process.returncode


def fetch_once(uri: str, token: str) -> dict[str, Any]:
    """One request by hand: 200 and a container-credential document, or the set-up failed."""
    request = urllib.request.Request(uri, headers={"Authorization": token})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            document: dict[str, Any] = json.loads(response.read())
    except OSError as e:
        raise BenchError(f"GET {uri} failed: {e}") from None
    if not all(k in document for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")):
        raise BenchError(f"GET {uri}: not a container-credential document: {sorted(document)}")
    return document

"""`awsafe server`: a client in another process uses the URI and token file; Ctrl-C cleans up."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import start_awsafe
from tests.support.worlds import Seed

CLIENT = "import boto3; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'])"


def test_server_serves_another_process_and_stops_cleanly(seed: Seed) -> None:
    server = start_awsafe("server", "test", env=seed.env)
    try:
        assert server.stdout is not None
        variables = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        uri = variables["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        token_file = Path(variables["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"])
        assert uri.startswith("http://127.0.0.1:")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
        client_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        client_env.update(seed.env, **variables)
        client = subprocess.run(
            [sys.executable, "-c", CLIENT],
            env=client_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout.strip() == "arn:aws:sts::123456789012:assumed-role/seed-role/test"
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=20)
    assert server.returncode == 0, stderr
    assert "server stopped" in stderr and "Traceback" not in stderr
    assert not token_file.exists() and not token_file.parent.exists()
    assert len(seed.moto.calls("AssumeRole")) == 1


# Start `awsafe server` with a low soft RLIMIT_NOFILE, as many machines have (1024, or 256 on macOS).
LOW_LIMIT = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096)); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc/PID/limits")
def test_server_raises_its_soft_descriptor_limit_for_floods(seed: Seed) -> None:
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096:
        pytest.skip("the hard RLIMIT_NOFILE here is below 4096")
    server = start_awsafe("server", "test", env=seed.env, prefix=(sys.executable, "-c", LOW_LIMIT))
    try:
        assert server.stdout is not None
        server.stdout.readline()  # serving: the limit was raised before the endpoint started
        limits = Path(f"/proc/{server.pid}/limits").read_text().splitlines()
        soft, hard = next(line for line in limits if line.startswith("Max open files")).split()[3:5]
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=20)
    assert (soft, hard) == ("4096", "4096"), stderr  # was 256: a few hundred idle clients filled it

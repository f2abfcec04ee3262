"""`awsafe server`: a client in another process uses the URI and token file; Ctrl-C cleans up."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import Seed
from tests.support.env import awsafe_executable

CLIENT = "import boto3; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'])"


def test_server_serves_another_process_and_stops_cleanly(seed: Seed) -> None:
    server = subprocess.Popen(
        [str(awsafe_executable()), "server", "test"],
        env={**os.environ, **seed.env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
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

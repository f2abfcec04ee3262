"""`exec --ec2-server` and `server --imds`: SDKs get credentials from a local IMDSv2 endpoint.

(`server --imds` refusing addresses other hosts reach, in-process:
tests/integration/cli/test_bad_values.py.)
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import run_awsafe, start_awsafe
from tests.support.worlds import Seed

ROLE_IDENTITY = "arn:aws:sts::123456789012:assumed-role/seed-role/test"
CREDENTIALS = "/latest/meta-data/iam/security-credentials/"
REQUEST_LINE = re.compile(r"^awsafe: endpoint: (\S+) (\S+) -> (\d+)$", re.MULTILINE)

# boto3 first (its requests open the log), then requests made by hand.
PROBE = r"""
import json, os, urllib.request, urllib.error
import boto3
session = boto3.Session()
arn = session.client("sts").get_caller_identity()["Arn"]
credentials = session.get_credentials()
base = os.environ["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
def call(method, path, headers):
    request = urllib.request.Request(base + path.lstrip("/"), method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
token = call("PUT", "/latest/api/token", ttl)[1]
auth = {"X-aws-ec2-metadata-token": token}
role = "/latest/meta-data/iam/security-credentials/"
port = int(base.rsplit(":", 1)[1].strip("/"))
listening = []
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.rsplit(":", 1)
        if state == "0A" and int(hex_port, 16) == port:
            listening.append(address)
print(json.dumps({
    "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    "arn": arn,
    "method": credentials.method,
    "secret": credentials.get_frozen_credentials().secret_key,
    "token": token,
    "no_token": call("GET", role, {}),
    "wrong_token": call("GET", role, {"X-aws-ec2-metadata-token": "x" * 43})[0],
    "proxied_put": call("PUT", "/latest/api/token", {**ttl, "X-Forwarded-For": "192.0.2.1"})[0],
    "foreign_host": call("GET", role, {**auth, "Host": "evil.example"})[0],
    "identity": json.loads(call("GET", "/latest/dynamic/instance-identity/document", auth)[1]),
    "listening": listening,
}))
"""


def run_probe(seed: Seed, tmp_path: Path, *flags: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"  # the child must not inherit it
    result = run_awsafe(
        "--debug", "exec", "--ec2-server", *flags, "test", "--", sys.executable, str(probe), env=seed.env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_boto3_resolves_credentials_through_imdsv2(seed: Seed, tmp_path: Path) -> None:
    report, stderr = run_probe(seed, tmp_path)
    assert report["arn"] == ROLE_IDENTITY and report["method"] == "iam-role"
    env = report["env"]
    assert env["AWS_EC2_METADATA_SERVICE_ENDPOINT"].startswith("http://127.0.0.1:")
    assert env["AWS_EC2_METADATA_V1_DISABLED"] == "true"
    for absent in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert absent not in env
    assert "AWS_EC2_METADATA_DISABLED" not in env  # set in awsafe's environment, not inherited
    assert not any(name.startswith("AWS_CONTAINER_") for name in env)
    assert env["AWS_VAULT"] == "test" and env["AWS_REGION"] == "ap-northeast-2"
    # The recorded requests: boto3's token PUT, then its token-carrying GETs (v1 is off, so a
    # GET answered 200 carried a valid token), then the probe's own GET without one: 401.
    requests = REQUEST_LINE.findall(stderr)
    assert requests[:3] == [
        ("PUT", "/latest/api/token", "200"),
        ("GET", CREDENTIALS, "200"),
        ("GET", CREDENTIALS + "seed-role", "200"),
    ]
    assert ("GET", CREDENTIALS, "401") in requests[3:]
    assert report["no_token"][0] == 401 and json.loads(report["no_token"][1])["code"] == "Unauthorized"
    assert report["wrong_token"] == 401
    assert report["proxied_put"] == 403
    assert report["foreign_host"] == 403
    identity = report["identity"]
    assert identity["region"] == "ap-northeast-2" and identity["availabilityZone"] == "ap-northeast-2a"
    assert identity["accountId"] == "123456789012" and identity["instanceId"].startswith("i-")
    assert report["listening"] == ["0100007F"]  # 127.0.0.1 only
    # The debug log names requests, never a token or a key.
    assert report["secret"] not in stderr and report["token"] not in stderr
    assert len(seed.moto.calls("AssumeRole")) == 1


def test_imds_v1_is_answered_only_when_asked_for(seed: Seed, tmp_path: Path) -> None:
    report, _ = run_probe(seed, tmp_path, "--imds-v1")
    assert report["arn"] == ROLE_IDENTITY
    assert report["env"]["AWS_EC2_METADATA_V1_DISABLED"] == "false"
    assert report["no_token"] == [200, "seed-role"]
    assert report["wrong_token"] == 401  # a token, if sent, must still be valid


def test_invalid_ec2_server_combinations_are_refused_before_any_work(seed: Seed) -> None:
    for args in (
        ["--ec2-server", "--ecs-server"],
        ["--ec2-server", "--no-session"],
        ["--ec2-server", "--prompt", "terminal"],
        ["--imds-v1"],
        ["--ecs-server", "--imds-v1"],
    ):
        result = run_awsafe("exec", *args, "test", "--", "true", env=seed.env)
        assert result.returncode == 2, (args, result.stderr)
    assert seed.moto.calls() == []


def test_lazy_ec2_server_fetches_on_first_request_only(seed: Seed) -> None:
    result = run_awsafe("exec", "--ec2-server", "--lazy", "test", "--", "true", env=seed.env)
    assert result.returncode == 0, result.stderr
    assert seed.moto.calls() == []


CLIENT = "import boto3; print(boto3.client('sts', region_name='us-east-1').get_caller_identity()['Arn'])"


def test_standalone_imds_server_serves_another_process(seed: Seed) -> None:
    server = start_awsafe("server", "--imds", "test", env=seed.env)
    try:
        assert server.stdout is not None
        variables = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        assert variables["AWS_EC2_METADATA_SERVICE_ENDPOINT"].startswith("http://127.0.0.1:")
        assert variables["AWS_EC2_METADATA_V1_DISABLED"] == "true"
        client_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        client_env.update(seed.env, **variables)
        client = subprocess.run(
            [sys.executable, "-c", CLIENT], env=client_env, capture_output=True, text=True, timeout=60
        )
        assert client.returncode == 0, client.stderr
        assert client.stdout.strip() == ROLE_IDENTITY
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=20)
    assert server.returncode == 0, stderr
    assert "server stopped" in stderr and "Traceback" not in stderr
    assert len(seed.moto.calls("AssumeRole")) == 1


def _is_local_address(address: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            return False
        return True


def test_classic_address_without_its_alias_is_a_clear_usage_error(seed: Seed) -> None:
    if _is_local_address("169.254.169.254"):
        pytest.skip("this machine has the 169.254.169.254 alias: the server would really start")
    result = run_awsafe("server", "--imds", "--address", "169.254.169.254", "test", env=seed.env, timeout=20)
    assert result.returncode == 2, result.stderr
    assert "ip addr add 169.254.169.254/32 dev lo" in result.stderr
    assert seed.moto.calls() == []  # it failed before fetching anything

"""`exec --ecs-server`: the child refreshes credentials from a local, token-guarded ECS endpoint.

(`server` refusing a wildcard address, in-process: tests/integration/cli/test_bad_values.py.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.worlds import BIN, Seed

ROLE_IDENTITY = "arn:aws:sts::123456789012:assumed-role/seed-role/test"

PROBE = r"""
import json, os, socket, sys, urllib.request, urllib.error
import boto3
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def status(headers, url=uri):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
port = int(uri.rsplit(":", 1)[1].strip("/"))
listening = []  # (local address in /proc hex form) of every LISTEN socket on the port
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(table).read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.rsplit(":", 1)
        if state == "0A" and int(hex_port, 16) == port:
            listening.append(address)
report = {
    "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    "no_token": status({}),
    "wrong_token": status({"Authorization": "x" * len(token)}),
    "foreign_host": status({"Authorization": token, "Host": "evil.example:80"}),
    "ok": status({"Authorization": token}),
    "bad_role": status({"Authorization": token}, uri + "role-arn/not-an-arn"),
    "listening": listening,
    "arn": boto3.client("sts").get_caller_identity()["Arn"],
}
print(json.dumps(report))
"""


def test_child_uses_the_endpoint_and_it_is_guarded(seed: Seed, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    result = run_awsafe("exec", "--ecs-server", "test", "--", sys.executable, str(probe), env=seed.env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    env = report["env"]
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    assert len(env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) >= 43  # 256 bits, url-safe base64
    for absent in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert absent not in env
    assert env["AWS_VAULT"] == "test" and env["AWS_REGION"] == "ap-northeast-2"
    assert report["arn"] == ROLE_IDENTITY
    assert report["no_token"][0] == 401 and report["no_token"][1]["code"] == "Unauthorized"
    assert report["wrong_token"][0] == 403
    assert report["foreign_host"][0] == 403 and report["foreign_host"][1]["code"] == "InvalidHost"
    status, document = report["ok"]
    assert status == 200 and set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert report["bad_role"][0] == 400 and "not an IAM role ARN" in report["bad_role"][1]["message"]
    assert report["listening"] == ["0100007F"]  # 127.0.0.1 only: nothing on another address
    assert len(seed.moto.calls("AssumeRole")) == 1  # fetched once, served from memory


def test_aws_cli_and_exit_code_through_the_server(seed: Seed) -> None:
    result = run_awsafe(
        "exec",
        "-s",
        "test",
        "--",
        str(BIN / "aws"),
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
        env=seed.env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ROLE_IDENTITY
    failing = run_awsafe("exec", "--ecs-server", "test", "--", "sh", "-c", "exit 7", env=seed.env)
    assert failing.returncode == 7


def test_invalid_server_combinations_are_refused_before_any_work(seed: Seed) -> None:
    for args in (["--ecs-server", "--no-session"], ["--lazy"], ["--ecs-server", "--prompt", "terminal"]):
        result = run_awsafe("exec", *args, "test", "--", "true", env=seed.env)
        assert result.returncode == 2, (args, result.stderr)
    assert seed.moto.calls() == []


def test_lazy_fetches_on_first_request_only(seed: Seed) -> None:
    result = run_awsafe("exec", "--ecs-server", "--lazy", "test", "--", "true", env=seed.env)
    assert result.returncode == 0
    assert seed.moto.calls() == []


def test_signals_reach_the_child_and_its_exit_code_comes_back(seed: Seed) -> None:
    import os
    import signal
    import subprocess

    from tests.support.env import awsafe_executable

    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('got TERM', flush=True), sys.exit(5)))\n"
        "print('ready', flush=True)\ntime.sleep(30)\n"
    )
    process = subprocess.Popen(
        [str(awsafe_executable()), "exec", "--ecs-server", "test", "--", sys.executable, "-c", script],
        env={**os.environ, **seed.env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)  # to awsafe only; it must pass it on
    out, _ = process.communicate(timeout=20)
    assert out.strip() == "got TERM"
    assert process.returncode == 5


def test_lazy_server_asks_for_the_vault_passphrase_before_the_command_gets_the_terminal(seed: Seed) -> None:
    """--lazy defers the STS call, not the passphrase: the child must never share the terminal with it."""
    import os

    from tests.support.tty import run_in_pty

    env = {k: v for k, v in {**os.environ, **seed.env}.items() if k != "AWSAFE_FILE_PASSPHRASE"}
    code, screen = run_in_pty(
        [str(BIN / "awsafe"), "exec", "--ecs-server", "--lazy", "test", "--", "/bin/echo", "child-started"],
        env,
        [("passphrase", "test-passphrase")],
    )
    assert code == 0, screen
    assert "passphrase" in screen and "child-started" in screen
    assert screen.index("passphrase") < screen.index("child-started")
    assert seed.moto.calls("AssumeRole") == []  # lazy: nothing fetched, the child asked for nothing

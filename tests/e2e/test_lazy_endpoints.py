"""`exec --ecs-server/--ec2-server --lazy`: nothing is fetched until the child's first request, which
fetches exactly once; later requests are served from memory.

The child waits on its stdin between steps, so the test reads moto's recorder before the first
request, after it, and after a second one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.env import start_awsafe
from tests.support.worlds import Seed

ROLE_IDENTITY = "arn:aws:sts::123456789012:assumed-role/seed-role/test"

CHILD = r"""
import sys
import boto3
print("ready", flush=True)
sys.stdin.readline()
session = boto3.Session()
first = session.get_credentials().get_frozen_credentials()  # the first request to the endpoint
print(first.access_key, flush=True)
sys.stdin.readline()
again = boto3.Session().get_credentials().get_frozen_credentials()  # a second, fresh resolver
print(again.access_key, flush=True)
print(boto3.Session().client("sts").get_caller_identity()["Arn"], flush=True)
"""


@pytest.mark.parametrize("flag", ["--ecs-server", "--ec2-server"])
def test_lazy_server_fetches_on_the_first_request_exactly_once(seed: Seed, tmp_path: Path, flag: str) -> None:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    process = start_awsafe(
        "exec", flag, "--lazy", "test", "--", sys.executable, str(child), env=seed.env, stdin=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        assert seed.moto.calls() == [], "--lazy fetched before the child asked"

        process.stdin.write("go\n")
        process.stdin.flush()
        first = process.stdout.readline().strip()
        assert first.startswith("ASIA"), first
        (assumed,) = seed.moto.calls("AssumeRole")  # the first request made exactly one fetch
        assert assumed.params["RoleArn"] == seed.role_arn
        assert assumed.access_key_id == seed.access_key_id
        assert [c.action for c in seed.moto.calls()] == ["AssumeRole"]

        process.stdin.write("go\n")
        process.stdin.flush()
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    again, arn = out.split()
    assert again == first and arn == ROLE_IDENTITY
    assert [c.action for c in seed.moto.calls()] == ["AssumeRole", "GetCallerIdentity"]  # no second fetch
    assert seed.moto.calls("GetCallerIdentity")[0].access_key_id == first

"""`scripts/demo`: the seed example end to end against its own moto, in a throwaway HOME, in
under a minute; and Ctrl-C leaves neither the HOME nor moto behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.seed import EXTERNAL_ID

DEMO = Path(__file__).resolve().parents[2] / "scripts" / "demo"
ROLE_ARN = "arn:aws:iam::123456789012:role/partner-access"


def _demo_env() -> dict[str, str]:
    # This test's virtualenv has awsafe, moto_server and aws: no .venv-demo, no download.
    return {**os.environ, "AWSAFE_DEMO_VENV": sys.prefix, "PYTHONUNBUFFERED": "1"}


def _home_of(output: str) -> Path:
    match = re.search(r"HOME=(\S+) \(removed at the end\)", output)
    assert match, output
    return Path(match.group(1))


def test_the_demo_shows_the_assume_role_that_reached_sts_and_the_refusal() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(DEMO)], env=_demo_env(), capture_output=True, text=True, timeout=120
    )
    took = time.monotonic() - started
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert took < 60, f"the demo took {took:.1f} s"

    added = out[out.index("$ awsafe add demo") :]
    assert re.search(r"Added credentials \*{16}\w{4} to profile 'demo' in the file vault", added)
    caller = out[out.index("$ awsafe exec test -- aws sts get-caller-identity") :]
    assert '"Arn": "arn:aws:sts::123456789012:assumed-role/partner-access/test"' in caller
    key_id = re.search(r"IAM user demo \(key (AKIA\w+)\)", out)
    assert key_id, out
    reached = out[out.index("5. The AssumeRole that reached STS") :]
    assert f"RoleArn: {ROLE_ARN}\n" in reached
    assert f"ExternalId: {EXTERNAL_ID}\n" in reached
    assert "RoleSessionName: test\n" in reached
    assert f"SignedWith: {key_id.group(1)}\n" in reached  # demo's long-term key from the vault
    refusal = out[out.index("$ awsafe exec wrong-id -- true") :]
    assert "failed: AccessDenied" in refusal and "refused (exit 7)" in refusal
    assert "ExternalId: 00000000-0000-0000-0000-000000000000" in refusal
    assert "Traceback" not in out + result.stderr
    assert not _home_of(out).exists()


def test_ctrl_c_removes_the_home_and_stops_moto() -> None:
    demo = subprocess.Popen(
        [sys.executable, str(DEMO)],
        env=_demo_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    seen = ""
    for line in demo.stdout:
        seen += line
        if "on http://127.0.0.1:" in line:
            break
    home = _home_of(seen)
    port = re.search(r"127\.0\.0\.1:(\d+)", seen)
    assert home.exists() and port
    os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground group
    rest, _ = demo.communicate(timeout=30)
    assert demo.returncode == 130, seen + rest
    assert f"removed {home}" in rest
    assert not home.exists()
    import socket

    with socket.socket() as probe:  # moto is gone: its port refuses connections
        assert probe.connect_ex(("127.0.0.1", int(port.group(1)))) != 0

"""MFA end to end: one code, one STS call, many processes; prompts that never touch stdout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.test_sessions import sent
from tests.support.env import awsafe_executable, run_awsafe
from tests.support.tty import run_in_pty
from tests.support.worlds import BIN, SERIAL, Seed

AWS_CLI = [str(BIN / "aws"), "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]


def test_exec_admin_with_token_then_cached_then_cleared(mfa_world: Seed) -> None:
    first = run_awsafe("exec", "admin", "--mfa-token", "123456", "--", *AWS_CLI, env=mfa_world.env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith("arn:aws:sts::123456789012:assumed-role/admin/")
    with_code = [c for c in sent(mfa_world.moto.calls()) if c[2] is not None]
    assert with_code == [("GetSessionToken", SERIAL, "123456", "28800")]

    # stdin closed, no terminal: succeeds from the cache without asking or sending a code
    second = run_awsafe("exec", "admin", "--", *AWS_CLI, env=mfa_world.env)
    assert second.returncode == 0, second.stderr
    assert [c for c in sent(mfa_world.moto.calls()) if c[0] != "GetCallerIdentity"] == [
        ("GetSessionToken", SERIAL, "123456", "28800"),
        ("AssumeRole", None, None, "3600"),
    ]

    cleared = run_awsafe("clear", "admin", env=mfa_world.env)
    assert cleared.returncode == 0 and "Cleared 2 cached sessions" in cleared.stderr
    started = time.monotonic()
    third = run_awsafe("exec", "admin", "--", *AWS_CLI, env={**mfa_world.env, "PATH": "/usr/bin:/bin"})
    assert time.monotonic() - started < 10
    assert third.returncode == 6, third.stderr
    assert "MFA code" in third.stderr and "--mfa-token" in third.stderr
    assert "Traceback" not in third.stderr


def _counting_mfa_process(tmp_path: Path, delay: float = 0.0) -> tuple[str, Path]:
    counter = tmp_path / "mfa-calls"
    script = tmp_path / "mfa-code"
    script.write_text(
        f"#!{sys.executable}\nimport time\n"
        f"open({str(counter)!r}, 'a').write('x')\ntime.sleep({delay})\nprint('246810')\n"
    )
    script.chmod(0o755)
    return str(script), counter


def test_twenty_parallel_exports_make_one_session_token_call(mfa_world: Seed, tmp_path: Path) -> None:
    process, counter = _counting_mfa_process(tmp_path, delay=0.5)
    mfa_world.append_config(f"mfa_process = {process}\n")  # appended to [profile mfauser]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(
                lambda _: run_awsafe("export", "--format", "json", "mfauser", env=mfa_world.env, timeout=120),
                range(20),
            )
        )
    assert [r.returncode for r in results] == [0] * 20, [r.stderr for r in results if r.returncode]
    documents = [json.loads(r.stdout) for r in results]
    assert len({d["AccessKeyId"] for d in documents}) == 1  # all got the one session
    assert all(d["Version"] == 1 and d["SessionToken"] for d in documents)
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", "arn:aws:iam::123456789012:mfa/mfauser", "246810", "3600")
    ]
    assert counter.read_text() == "x"  # one prompt for twenty processes


def test_a_lock_left_by_a_killed_process_does_not_block(mfa_world: Seed, tmp_path: Path) -> None:
    process, counter = _counting_mfa_process(tmp_path, delay=60)
    mfa_world.append_config(f"mfa_process = {process}\n")
    env = {**os.environ, **mfa_world.env}
    stuck = subprocess.Popen(
        [str(awsafe_executable()), "export", "mfauser"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not counter.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counter.exists(), "the first process never reached its MFA prompt"
    os.kill(stuck.pid, signal.SIGKILL)  # dies holding the lock, mid-prompt
    stuck.wait()
    started = time.monotonic()
    result = run_awsafe("export", "mfauser", "-t", "135790", env=mfa_world.env, timeout=30)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 10
    os.killpg(stuck.pid, signal.SIGKILL)  # the orphaned mfa_process
    assert sent(mfa_world.moto.calls()) == [
        ("GetSessionToken", "arn:aws:iam::123456789012:mfa/mfauser", "135790", "3600")
    ]


def test_terminal_prompt_goes_to_the_tty_and_json_stays_clean(mfa_world: Seed, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    command = f"exec {awsafe_executable()} export --format json admin > {out}"
    code, screen = run_in_pty(
        ["/bin/sh", "-c", command],
        {**os.environ, **mfa_world.env},
        [(f"Enter MFA code for {SERIAL}", "987654")],
    )
    assert code == 0, screen
    assert f"Enter MFA code for {SERIAL}" in screen
    document = json.loads(out.read_text())  # stdout holds the JSON and nothing else
    assert document["Version"] == 1 and "Enter MFA" not in out.read_text()
    assert ("GetSessionToken", SERIAL, "987654", "28800") in sent(mfa_world.moto.calls())


def test_failing_mfa_process_is_a_clear_error(mfa_world: Seed, tmp_path: Path) -> None:
    failing = tmp_path / "no-code"
    failing.write_text("#!/bin/sh\necho 'token device not found' >&2\nexit 3\n")
    failing.chmod(0o755)
    mfa_world.append_config(f"mfa_process = {failing}\n")
    result = run_awsafe("export", "mfauser", env=mfa_world.env)
    assert result.returncode == 6, result.stderr
    assert "mfauser" in result.stderr and "no-code" in result.stderr and "3" in result.stderr
    assert "Traceback" not in result.stderr
    assert mfa_world.moto.calls() == []


def test_invalid_code_is_refused_before_sending(mfa_world: Seed) -> None:
    result = run_awsafe("export", "mfauser", "-t", "12345", env=mfa_world.env)
    assert result.returncode == 6 and "6-digit" in result.stderr
    assert mfa_world.moto.calls() == []

"""`awsafe use` through main() in this process: what reaches stdout (the shell evaluates it) and
the former --refresh endpoint it stops. The real shells and STS: tests/e2e/test_shell_use.py."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from awsafe.cli import use
from awsafe.cli.shellendpoint import read_start_time
from awsafe.model import Credentials
from tests.support.cli import run_main
from tests.support.env import one_error_line


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(["sleep", "30"])
    yield process
    process.kill()
    process.wait()


def _ended(process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 5
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return process.poll() is not None


def test_use_run_directly_prints_a_hint_and_nothing_on_stdout() -> None:
    result = run_main("use", "test")
    line = one_error_line(result, 2)
    assert line == (
        'awsafe: use changes your shell and needs its function: first run eval "$(awsafe init bash)" '
        "(or zsh, fish, pwsh, nu; see awsafe init --help)"
    )
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_use_help_goes_to_stderr_since_the_function_evaluates_stdout() -> None:
    result = run_main("use", "--shell", "bash", "--help")
    assert result.returncode == 0
    assert result.stdout == ""
    assert "--refresh" in result.stderr and "--unset" in result.stderr


def test_unset_stops_the_shells_former_endpoint(sleeper: subprocess.Popen[bytes]) -> None:
    endpoint = f"{sleeper.pid}:{read_start_time(sleeper.pid)}"
    result = run_main("use", "--shell", "bash", "--unset", env={"AWSAFE_USE_ENDPOINT": endpoint})
    assert result.returncode == 0, result.stderr
    assert "unset AWS_CONTAINER_AUTHORIZATION_TOKEN\n" in result.stdout
    assert _ended(sleeper)


@pytest.mark.parametrize("endpoint", ["{pid}:1", "{pid}", "x:y", "1:{start}"])
def test_a_process_that_is_not_the_endpoint_is_left_alone(
    endpoint: str, sleeper: subprocess.Popen[bytes]
) -> None:
    # another start time: the PID was reused by another process since; PID 1 is never signalled
    value = endpoint.format(pid=sleeper.pid, start=read_start_time(sleeper.pid))
    result = run_main("use", "--shell", "fish", "--unset", env={"AWSAFE_USE_ENDPOINT": value})
    assert result.returncode == 0, result.stderr
    time.sleep(0.1)
    assert sleeper.poll() is None


class _Answer:
    credentials = Credentials("ASIAEXAMPLE", "secret'$(x)", "token", None)
    region = "eu-west-1"
    account_id = None


class _Engine:
    def __init__(self, *_: object) -> None:
        pass

    def credentials(self, request: object) -> _Answer:
        return _Answer()


def test_switching_from_refresh_to_keys_drops_the_former_endpoints_variables(
    monkeypatch: pytest.MonkeyPatch, sleeper: subprocess.Popen[bytes]
) -> None:
    monkeypatch.setattr(use, "Engine", _Engine)
    endpoint = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t",
        "AWSAFE_USE_ENDPOINT": f"{sleeper.pid}:{read_start_time(sleeper.pid)}",
        "AWS_VAULT": "test",
        "AWSAFE_USE": "test",
    }
    result = run_main("use", "--shell", "bash", "other", env=endpoint)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWSAFE_USE_ENDPOINT",
    ):
        assert f"unset {name}" in lines
    assert "export AWS_VAULT='other'" in lines and "export AWSAFE_USE='other'" in lines
    assert "export AWS_SECRET_ACCESS_KEY='secret'\\''$(x)'" in lines
    assert _ended(sleeper)
    # a container's own endpoint variables (no former use --refresh) stay, as exec leaves them
    own = {k: v for k, v in endpoint.items() if k.startswith("AWS_CONTAINER_")}
    kept = run_main("use", "--shell", "bash", "other", env=own)
    assert not [line for line in kept.stdout.splitlines() if "AWS_CONTAINER_" in line]

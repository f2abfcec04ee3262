"""Run the installed `awsafe` console script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def awsafe_executable() -> Path:
    """The `awsafe` script installed next to this interpreter; fails the test if absent."""
    path = Path(sys.executable).parent / "awsafe"
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"the awsafe console script is not installed at {path}; "
            "run `python -m pip install -e '.[test]'` in this interpreter first",
            pytrace=False,
        )
    return path


def run_awsafe(
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `awsafe *args` with os.environ (already scrubbed by conftest) updated by `env`.

    stdin is closed unless ``input`` is given, and there is no terminal: a prompt fails fast.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [str(awsafe_executable()), *args],
        env=full_env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot be opened, as under CI
    )


def start_awsafe(
    *args: str,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    stdin: int = subprocess.DEVNULL,
    **popen: Any,
) -> subprocess.Popen[str]:
    """Start `awsafe *args` in the background as :func:`run_awsafe` runs it: os.environ updated
    by `env`, text pipes for stdout and stderr, no controlling terminal. ``prefix`` goes before
    the executable (e.g. a wrapper that changes a limit first); ``popen`` overrides the rest."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    options: dict[str, Any] = {
        "env": full_env,
        "stdin": stdin,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "start_new_session": True,
    }
    options.update(popen)
    return subprocess.Popen([*prefix, str(awsafe_executable()), *args], **options)


def caller_identity(profile: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`awsafe exec PROFILE -- aws sts get-caller-identity`: the AWS CLI as the consumer."""
    aws = Path(sys.executable).parent / "aws"
    return run_awsafe(
        "exec", profile, "--", str(aws), "sts", "get-caller-identity", "--output", "json", env=env
    )


def write_config(text: str) -> None:
    """Write the AWS config file the isolated environment points at."""
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def one_error_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """Assert exit ``code`` with one or two stderr lines and no traceback; return the first line."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    return lines[0]

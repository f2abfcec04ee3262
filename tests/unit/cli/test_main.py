"""The one error boundary (`awsafe.cli.main.main`): an AwsafeError is its exit code and a short
message, an unexpected exception is a bug (70, no traceback unless --debug), Ctrl-C is 130.

The failures are injected where every command ends up: the stream it writes its answer to.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from awsafe.cli.main import main
from awsafe.clock import utc_now
from awsafe.environment import Environment
from awsafe.errors import (
    AwsafeError,
    AwsError,
    CommandError,
    ConfigError,
    ExitCode,
    LoginError,
    MfaError,
    NoCredentialsError,
    PromptError,
    ServerError,
    StoreError,
    UsageError,
)

CANARY = "canary-secret-in-exception-text-0123456789"


class Failing(io.StringIO):
    """A stdout whose first write raises ``error``, as a broken command would."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


@pytest.fixture(autouse=True)
def config(isolated_env: Path) -> Path:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[profile demo]\nregion = us-east-1\n")
    return path


@pytest.fixture(autouse=True)
def _restore_logger() -> Iterator[None]:
    """main() adds a handler on its stderr to the `awsafe` logger: remove it after each test."""
    logger = logging.getLogger("awsafe")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def run(stdout: io.StringIO, *argv: str) -> tuple[int, str]:
    """`awsafe *argv` through main() with ``stdout``; the exit code and what went to stderr."""
    stderr = io.StringIO()
    env = Environment(
        environ=dict(os.environ),
        stdin=io.StringIO(),
        stdout=stdout,
        stderr=stderr,
        home=Path(os.environ["HOME"]),
        clock=utc_now,
    )
    return main(list(argv), env), stderr.getvalue()


def test_the_injection_point_is_reached() -> None:
    out = io.StringIO()
    assert run(out, "list", "--profiles") == (0, "")
    assert out.getvalue() == "demo\n"


ERRORS = [
    (UsageError("bad flag"), ExitCode.USAGE),
    (ConfigError("cfg:3: broken"), ExitCode.CONFIG),
    (StoreError("the vault is gone"), ExitCode.STORE),
    (NoCredentialsError("no keys"), ExitCode.NO_CREDENTIALS),
    (MfaError("no code"), ExitCode.MFA),
    (AwsError("AccessDenied", code="AccessDenied", status=403), ExitCode.AWS),
    (ServerError("port taken"), ExitCode.SERVER),
    (PromptError("no terminal"), ExitCode.PROMPT),
    (LoginError("denied"), ExitCode.LOGIN),
    (CommandError("not found", exit_code=ExitCode.COMMAND_NOT_FOUND), ExitCode.COMMAND_NOT_FOUND),
]


@pytest.mark.parametrize(("error", "code"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_an_awsafe_error_is_its_exit_code_and_one_line(error: AwsafeError, code: ExitCode) -> None:
    returned, stderr = run(Failing(error), "list", "--profiles")
    assert returned == code
    assert stderr == f"awsafe: {error.message}\n"


def test_an_awsafe_error_with_a_hint_is_two_lines() -> None:
    returned, stderr = run(Failing(StoreError("the vault is locked", hint="unlock it")), "list", "--profiles")
    assert returned == ExitCode.STORE
    assert stderr == "awsafe: the vault is locked\nawsafe: unlock it\n"


def test_an_awsafe_error_shows_a_traceback_only_with_debug() -> None:
    returned, stderr = run(Failing(StoreError("the vault is gone")), "--debug", "list", "--profiles")
    assert returned == ExitCode.STORE
    assert "Traceback" in stderr and "StoreError" in stderr
    assert stderr.endswith("awsafe: the vault is gone\n")


@pytest.mark.parametrize("error", [RuntimeError(CANARY), KeyError(CANARY), AssertionError(CANARY)])
def test_an_unexpected_exception_is_a_bug_with_no_traceback_and_no_text(error: Exception) -> None:
    returned, stderr = run(Failing(error), "list", "--profiles")
    assert returned == ExitCode.BUG == 70
    assert stderr == (
        f"awsafe: unexpected {type(error).__name__} (this is a bug; run again with --debug "
        "for details and report it)\n"
    )
    assert CANARY not in stderr  # an exception's text may hold anything, a secret included


def test_an_unexpected_exception_shows_its_traceback_with_debug() -> None:
    returned, stderr = run(Failing(RuntimeError("boom")), "list", "--profiles", "--debug")
    assert returned == ExitCode.BUG
    assert "Traceback (most recent call last)" in stderr and "RuntimeError: boom" in stderr
    assert stderr.splitlines()[-1].startswith("awsafe: unexpected RuntimeError (this is a bug")


def test_debug_after_double_dash_belongs_to_the_command_and_shows_no_traceback() -> None:
    returned, stderr = run(Failing(RuntimeError("boom")), "list", "--profiles", "--", "--debug")
    assert returned == ExitCode.USAGE  # list takes no command: refused before anything is written
    assert "Traceback" not in stderr
    assert stderr == "awsafe: list takes no command\n"


def test_ctrl_c_is_130_and_one_line() -> None:
    returned, stderr = run(Failing(KeyboardInterrupt()), "list", "--profiles")
    assert returned == ExitCode.INTERRUPTED == 130
    assert stderr == "\nawsafe: interrupted\n"


def test_a_real_config_error_is_short(config: Path) -> None:
    config.write_text("[profile demo\n")
    returned, stderr = run(io.StringIO(), "list", "--profiles")
    assert returned == ExitCode.CONFIG
    assert stderr.startswith(f"awsafe: {config}:1: broken section header")
    assert len(stderr.splitlines()) <= 2 and "Traceback" not in stderr


def test_a_usage_error_names_the_help_and_never_echoes_the_word() -> None:
    returned, stderr = run(io.StringIO(), "list", "--no-such-flag", CANARY)
    assert returned == ExitCode.USAGE
    assert stderr == (
        "awsafe: 2 unexpected argument(s) (not shown, in case one is a secret)\n"
        "awsafe: see: awsafe list --help\n"
    )

"""The options of aws-vault's newer flags and variables (issue 13), built from argv and the
environment: --stdout and AWS_VAULT_STDOUT, --duration's variables, exec --json."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from awsafe.cli.execute import ExecOptions
from awsafe.cli.export import ExportOptions
from awsafe.cli.login import LoginOptions
from awsafe.cli.main import build_parser
from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.wiring.options import parse_switch

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def _env(environ: dict[str, str]) -> Environment:
    return Environment(
        environ, io.StringIO(), io.StringIO(), io.StringIO(), Path("/nonexistent"), lambda: NOW
    )


def _options(cls: type, environ: dict[str, str], *argv: str) -> object:
    args, extra = build_parser().parse_known_args(list(argv))
    assert extra == []
    return cls.from_args(args, [], _env(environ))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environ", "argv", "expected"),
    [
        ({}, ["--stdout"], True),
        ({}, [], False),
        ({"AWS_VAULT_STDOUT": "true"}, [], True),
        ({"AWS_VAULT_STDOUT": "0"}, [], False),
        ({"AWSAFE_STDOUT": "no", "AWS_VAULT_STDOUT": "1"}, [], False),
        ({"AWS_VAULT_STDOUT": "off"}, ["--stdout"], True),
    ],
)
def test_stdout_flag_and_variables_ask_for_no_browser(
    environ: dict[str, str], argv: list[str], expected: bool
) -> None:
    exported = _options(ExportOptions, environ, "export", *argv, "p")
    executed = _options(ExecOptions, environ, "exec", *argv, "p")
    login = _options(LoginOptions, environ, "login", *argv, "p")
    assert exported.request.sso_no_browser is expected  # type: ignore[attr-defined]
    assert executed.request.sso_no_browser is expected  # type: ignore[attr-defined]
    # login's --stdout is its console URL (aws-vault reads AWS_VAULT_STDOUT for it too)
    assert login.to_stdout is expected  # type: ignore[attr-defined]
    assert login.request.sso_no_browser is False  # type: ignore[attr-defined]


@pytest.mark.parametrize("word", ["maybe", "2", "y e s"])
def test_a_stdout_variable_is_a_switch_or_refused(word: str) -> None:
    with pytest.raises(UsageError, match="AWS_VAULT_STDOUT must be true or false"):
        parse_switch(word, "AWS_VAULT_STDOUT")


@pytest.mark.parametrize(
    ("environ", "argv", "expected"),
    [
        ({"AWS_VAULT_DURATION": "2h"}, [], "2h"),
        ({"AWSAFE_DURATION": "20m", "AWS_VAULT_DURATION": "2h"}, [], "20m"),
        ({"AWS_VAULT_DURATION": "2h"}, ["-d", "1h"], "1h"),
        ({}, [], None),
    ],
)
def test_duration_variables_default_the_flag(
    environ: dict[str, str], argv: list[str], expected: str | None
) -> None:
    for command, cls in (("exec", ExecOptions), ("export", ExportOptions), ("login", LoginOptions)):
        options = _options(cls, environ, command, *argv, "p")
        assert options.request.duration == expected  # type: ignore[attr-defined]


def test_exec_json_from_argv() -> None:
    assert _options(ExecOptions, {}, "exec", "-j", "p").json is True  # type: ignore[attr-defined]
    assert _options(ExecOptions, {}, "exec", "--json", "p").json is True  # type: ignore[attr-defined]
    assert _options(ExecOptions, {}, "exec", "p").json is False  # type: ignore[attr-defined]

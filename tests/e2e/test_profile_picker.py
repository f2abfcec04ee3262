"""The profile picker (issue 13, the fork's): at a real terminal with no profile named, `exec`,
`export` and `login` offer the configured profiles; elsewhere the `default` profile, unasked.

Driven through a pty (tests/support/tty.py) as a person would: arrow keys and Enter. What the
user chose is checked at moto: the STS call the chosen profile makes, and only that one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.test_sessions import sent
from tests.support.cli import run_main
from tests.support.env import awsafe_executable, run_awsafe
from tests.support.tty import run_in_pty
from tests.support.worlds import Seed

QUESTION = "Choose AWS profile:"
UP = "\x1b[A"


@pytest.fixture
def with_default(seed: Seed) -> Seed:
    """The seed's profiles (demo, test) after a [default] whose keys are the demo user's."""
    seed.append_config("\n[default]\nregion=eu-west-1\n")
    added = run_main(
        "add",
        "default",
        "--env",
        env={"AWS_ACCESS_KEY_ID": seed.access_key_id, "AWS_SECRET_ACCESS_KEY": seed.secret_access_key},
    )
    assert added.returncode == 0, added.stderr
    return seed


def _pty(seed: Seed, command: str, answers: list[tuple[str, str]], **env: str) -> tuple[int, str]:
    return run_in_pty(["/bin/sh", "-c", command], {**os.environ, **seed.env, **env}, answers, timeout=60)


def test_exec_at_a_terminal_offers_the_profiles_and_runs_as_the_chosen_one(with_default: Seed) -> None:
    command = f"exec {awsafe_executable()} exec -- sh -c 'echo chosen=$AWS_VAULT'"
    code, screen = _pty(with_default, command, [(QUESTION, UP)])
    assert code == 0, screen
    # file order, the cursor on `default` (Enter keeps today's choice); one step up is `test`
    assert screen.index("demo") < screen.index("test") < screen.index("default")
    assert "chosen=test" in screen
    calls = with_default.moto.calls()
    assert sent(calls) == [("AssumeRole", None, None, "3600")]
    assert calls[0].params["RoleArn"] == with_default.role_arn


def test_enter_keeps_the_default_profile(with_default: Seed, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code, screen = _pty(with_default, f"{awsafe_executable()} export --format json > {out}", [(QUESTION, "")])
    assert code == 0, screen
    assert QUESTION in screen
    assert json.loads(out.read_text())["Version"] == 1  # the menu went to stderr, not into the JSON
    calls = with_default.moto.calls()
    assert sent(calls) == [("GetSessionToken", None, None, "3600")]
    assert calls[0].access_key_id == with_default.access_key_id


def test_login_offers_the_picker_too(with_default: Seed) -> None:
    code, screen = _pty(
        with_default,
        f"{awsafe_executable()} login --stdout",
        [(QUESTION, "\x03")],
        AWSAFE_FEDERATION_ENDPOINT="http://127.0.0.1:9/federation",  # never the real one, even if broken
    )
    assert QUESTION in screen
    assert code == 130, screen  # Ctrl-C at the menu: interrupted, nothing asked of AWS
    assert with_default.moto.calls() == []


@pytest.mark.parametrize("env", [{"AWS_PROFILE": "demo"}, {}])
def test_no_picker_with_a_profile_named(with_default: Seed, env: dict[str, str]) -> None:
    profile = "" if env else "demo"
    code, screen = _pty(with_default, f"{awsafe_executable()} exec {profile} -- true", [], **env)
    assert code == 0, screen
    assert QUESTION not in screen
    assert sent(with_default.moto.calls()) == [("GetSessionToken", None, None, "3600")]


def test_without_a_terminal_the_default_profile_is_used_unasked(with_default: Seed) -> None:
    result = run_awsafe("export", "--format", "json", env=with_default.env)
    assert result.returncode == 0, result.stderr
    assert QUESTION not in result.stderr + result.stdout
    assert sent(with_default.moto.calls()) == [("GetSessionToken", None, None, "3600")]


def test_the_fast_path_leaves_a_terminal_call_without_a_profile_to_the_picker(with_default: Seed) -> None:
    """A cached session of `default` (and its fast path record) must not skip the question."""
    primed = run_awsafe("exec", "--", "true", env=with_default.env)  # no terminal: default
    assert primed.returncode == 0, primed.stderr
    command = f"exec {awsafe_executable()} exec -- sh -c 'echo chosen=$AWS_VAULT'"
    code, screen = _pty(with_default, command, [(QUESTION, "")])
    assert code == 0, screen
    assert QUESTION in screen and "chosen=default" in screen
    assert len(with_default.moto.calls()) == 1  # the second run was the cache's

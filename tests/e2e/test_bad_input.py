"""Hostile or careless input: a broken vault header, a stray word after `exec PROFILE`,
section injection through `sso populate`. Each ends in one clear line and the right exit code,
never a recursion crash, a misleading message or an echo. (Profile names that would break
~/.aws/config: tests/unit/cli/test_add_names.py; endless profile chains, in-process:
tests/unit/cli/test_config_and_usage_errors.py and tests/integration/cli/test_bad_values.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.env import one_error_line, run_awsafe
from tests.support.worlds import Seed, SsoWorld

SECRET = "stray-secret-value/0123456789+abcdefghij"


# -- a broken vault header -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [b"{}", b"null", b'{"format": "awsafe-file-vault"}', b"[" * 100_000],
    ids=["empty object", "null", "no version", "deep nesting"],
)
@pytest.mark.parametrize("command", [["export", "demo"], ["export", "test"], ["list"]])
def test_a_corrupt_vault_header_is_named_and_nothing_else(
    seed: Seed, header: bytes, command: list[str]
) -> None:
    assert run_awsafe("export", "test", env=seed.env).returncode == 0  # a fast-path record
    vault_json = Path(os.environ["AWSAFE_FILE_DIR"]) / "vault.json"
    vault_json.write_bytes(header)
    result = run_awsafe(*command, env=seed.env)
    line = one_error_line(result, 4)
    assert line.startswith(f"awsafe: the file vault header {vault_json} is corrupt"), result.stderr
    assert "cached session" not in result.stderr
    assert vault_json.read_bytes() == header  # never rewritten


# -- exec PROFILE <stray word> ------------------------------------------------------------------


@pytest.mark.parametrize("flags", [[], ["--debug"], ["--ecs-server"]], ids=["plain", "debug", "server"])
def test_a_stray_word_after_the_profile_is_never_echoed(seed: Seed, flags: list[str]) -> None:
    result = run_awsafe("exec", *flags, "test", SECRET, env=seed.env)
    assert result.returncode == 127, result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout
    assert "Traceback" not in result.stderr or flags == ["--debug"]
    assert f"command not found: the word after the profile ({len(SECRET)} characters" in result.stderr
    assert "awsafe exec PROFILE -- COMMAND" in result.stderr


def test_a_command_after_double_dash_is_still_named(seed: Seed) -> None:
    result = run_awsafe("exec", "test", "--", "no-such-program-xyz", env=seed.env)
    assert result.returncode == 127
    assert "command not found: no-such-program-xyz" in result.stderr


@pytest.mark.parametrize(
    "flags",
    [
        ["--prefix", "x]\n[profile evil]\ncredential_process = /tmp/evil\n#"],
        ["--region", "eu-west-1\ncredential_process = /tmp/evil"],
    ],
    ids=["prefix", "region"],
)
def test_sso_populate_refuses_to_write_what_would_inject_sections(sso: SsoWorld, flags: list[str]) -> None:
    before = sso.config.read_bytes()
    result = run_awsafe("sso", "populate", "--sso-session", "corp", "--write", *flags, env=sso.env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "evil" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("awsafe: "), result.stderr  # after the sign-in
    assert "cannot" in result.stderr.splitlines()[-1]
    assert sso.config.read_bytes() == before

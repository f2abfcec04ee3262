"""`add` and `remove` asking on a terminal, through the console script (the checks that need no
terminal: tests/integration/cli/test_vault_commands.py and tests/unit/cli/test_add_names.py)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.env import awsafe_executable, run_awsafe
from tests.support.tty import run_in_pty
from tests.support.worlds import Seed

KEY_ID = "AKIAPROMPTPROMPT0001"
SECRET = "prompted/Secret+Value0123456789abcdefghij"


def test_add_prompts_on_the_terminal_and_hides_the_secret(isolated_env: Path) -> None:
    code, screen = run_in_pty(
        [str(awsafe_executable()), "add", "newbie"],
        dict(os.environ),
        [("Enter Access Key ID: ", KEY_ID), ("Enter Secret Access Key: ", SECRET)],
    )
    assert code == 0, screen
    assert KEY_ID in screen  # the key id is echoed, as aws-vault does
    assert SECRET not in screen  # the secret is not
    assert "Added credentials ****************0001 to profile 'newbie'" in screen
    config = Path(os.environ["AWS_CONFIG_FILE"]).read_text()
    assert "[profile newbie]" in config
    listed = run_awsafe("list", "--credentials")
    assert listed.stdout.splitlines() == ["newbie"]
    exported = run_awsafe("export", "newbie", "--no-session")
    assert f"AWS_SECRET_ACCESS_KEY={SECRET}" in exported.stdout


def test_remove_asks_and_respects_no(seed: Seed) -> None:
    code, screen = run_in_pty(
        [str(awsafe_executable()), "remove", "demo"],
        dict(os.environ),
        [('Delete credentials for profile "demo"? (y/N) ', "n")],
    )
    assert code == 0, screen
    assert run_awsafe("list", "--credentials").stdout.splitlines() == ["demo"]
    code, screen = run_in_pty(
        [str(awsafe_executable()), "rm", "demo"],
        dict(os.environ),
        [('Delete credentials for profile "demo"? (y/N) ', "y")],
    )
    assert code == 0, screen
    assert run_awsafe("list", "--credentials").stdout.splitlines() == []

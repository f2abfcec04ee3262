"""A new user's first prompts, on a real terminal: the new file vault's passphrase asked twice,
an existing one unlocked with one prompt, and `add` refusing a malformed key id before it asks
for the secret."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.env import awsafe_executable, run_awsafe
from tests.support.tty import run_in_pty

KEY_ID = "AKIAFIRSTFIVEMIN0001"
SECRET = "first/Five+Minutes0123456789abcdefghijkl"
KEY_PROMPT = "Enter Access Key ID: "
SECRET_PROMPT = "Enter Secret Access Key: "
NEW_PROMPT = "Enter a passphrase for the new vault: "
AGAIN_PROMPT = "Enter the same passphrase again: "
UNLOCK_PROMPT = "Enter passphrase to unlock the awsafe file vault: "


def _typed_passphrase_env() -> dict[str, str]:
    env = dict(os.environ)
    del env["AWSAFE_FILE_PASSPHRASE"]  # the passphrase is typed, as a person starting out does
    return env


def _add(answers: list[tuple[str, str]], timeout: float = 30) -> tuple[int, str]:
    return run_in_pty(
        [str(awsafe_executable()), "add", "demo"], _typed_passphrase_env(), answers, timeout=timeout
    )


def test_a_new_file_vault_asks_twice_and_refuses_a_mismatch(isolated_env: Path) -> None:
    vault = Path(os.environ["AWSAFE_FILE_DIR"])
    keys = [(KEY_PROMPT, KEY_ID), (SECRET_PROMPT, SECRET)]
    code, screen = _add([*keys, (NEW_PROMPT, "first-try"), (AGAIN_PROMPT, "first-trz")])
    assert code == 9, screen
    assert f"Creating a new awsafe file vault in {vault}" in screen
    assert "the passphrases do not match; no vault was created" in screen
    assert "Traceback" not in screen
    assert not vault.exists()  # nothing written: no header, no item

    code, screen = _add([*keys, (NEW_PROMPT, "right-one"), (AGAIN_PROMPT, "right-one")])
    assert code == 0, screen
    assert UNLOCK_PROMPT not in screen
    listed = run_awsafe("list", "--credentials", env={"AWSAFE_FILE_PASSPHRASE": "right-one"})
    assert listed.returncode == 0 and listed.stdout.splitlines() == ["demo"], listed.stderr

    # The vault exists now: one prompt, worded "unlock", no "new vault".
    code, screen = _add([*keys, (UNLOCK_PROMPT, "right-one")])
    assert code == 0, screen
    assert screen.count(UNLOCK_PROMPT) == 1
    assert NEW_PROMPT not in screen and AGAIN_PROMPT not in screen and "Creating" not in screen


def test_add_refuses_a_malformed_key_id_before_asking_the_secret(isolated_env: Path) -> None:
    # The secret prompt is answered if it comes, so a late check fails here rather than hanging.
    code, screen = _add([(KEY_PROMPT, "akia-not-a-key"), (SECRET_PROMPT, SECRET)], timeout=15)
    assert code == 2, screen
    assert "akia... is not an access key id" in screen
    assert SECRET_PROMPT not in screen
    assert not Path(os.environ["AWSAFE_FILE_DIR"]).exists()

"""`add` (terminal prompt or --env), `list` and `remove` through the console script."""

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


def test_add_never_takes_a_secret_from_argv(isolated_env: Path) -> None:
    result = run_awsafe("add", "x", SECRET)
    assert result.returncode == 2
    assert SECRET not in result.stderr


def test_add_refuses_a_profile_with_source_profile(seed: Seed) -> None:
    result = run_awsafe(
        "add", "test", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert result.returncode == 3
    assert "source_profile 'demo'" in result.stderr
    assert run_awsafe("list", "--credentials").stdout.splitlines() == ["demo"]


def test_add_no_add_config_leaves_config_alone(seed: Seed) -> None:
    before = seed.config.read_text()
    result = run_awsafe(
        "add",
        "other",
        "--env",
        "--no-add-config",
        env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    assert result.returncode == 0, result.stderr
    assert seed.config.read_text() == before
    result = run_awsafe(
        "add", "third", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert seed.config.read_text() == before + "\n[profile third]\n"


def test_list_table(seed: Seed) -> None:
    run_awsafe(
        "add",
        "orphan",
        "--env",
        "--no-add-config",
        env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    result = run_awsafe("list")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["Profile", "Credentials", "Sessions"]
    assert ["demo", "demo", "-"] in rows
    assert ["test", "demo", "-"] in rows
    assert ["-", "orphan", "-"] in rows
    assert run_awsafe("list", "--profiles").stdout.splitlines() == ["demo", "test"]


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


def test_remove_force_and_missing(seed: Seed) -> None:
    assert run_awsafe("remove", "-f", "demo").returncode == 0
    missing = run_awsafe("remove", "-f", "demo")
    assert missing.returncode == 5 and "no credentials stored for profile 'demo'" in missing.stderr


def test_list_credentials_column_follows_the_chain(seed: Seed) -> None:
    seed.append_config(
        "\n[profile r1]\nrole_arn = arn:aws:iam::123456789012:role/r1\nsource_profile = test\n"
        "[profile own]\nrole_arn = arn:aws:iam::123456789012:role/o\nsource_profile = own\n"
    )
    run_awsafe("add", "own", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET})
    rows = [line.split() for line in run_awsafe("list").stdout.splitlines()]
    assert ["r1", "demo", "-"] in rows
    assert ["own", "own", "-"] in rows


def test_add_refuses_source_profile_from_include(seed: Seed) -> None:
    seed.append_config("\n[profile inc]\ninclude_profile = test\n")
    result = run_awsafe(
        "add", "inc", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert result.returncode == 3 and "source_profile 'demo'" in result.stderr

"""`add --env`, `list` and `remove -f` on the seed's world, through main() in-process: what is
stored, listed and written to ~/.aws/config (asking on a terminal: tests/e2e/test_add_list_remove.py)."""

from __future__ import annotations

from tests.support.cli import run_main
from tests.support.worlds import Seed

KEY_ID = "AKIAPROMPTPROMPT0001"
SECRET = "prompted/Secret+Value0123456789abcdefghij"


def test_add_refuses_a_profile_with_source_profile(seed: Seed) -> None:
    result = run_main(
        "add", "test", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert result.returncode == 3
    assert "source_profile 'demo'" in result.stderr
    assert run_main("list", "--credentials").stdout.splitlines() == ["demo"]


def test_add_no_add_config_leaves_config_alone(seed: Seed) -> None:
    before = seed.config.read_text()
    result = run_main(
        "add",
        "other",
        "--env",
        "--no-add-config",
        env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    assert result.returncode == 0, result.stderr
    assert seed.config.read_text() == before
    result = run_main(
        "add", "third", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert seed.config.read_text() == before + "\n[profile third]\n"


def test_list_table(seed: Seed) -> None:
    run_main(
        "add",
        "orphan",
        "--env",
        "--no-add-config",
        env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
    )
    result = run_main("list")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["Profile", "Credentials", "Sessions"]
    assert ["demo", "demo", "-"] in rows
    assert ["test", "demo", "-"] in rows
    assert ["-", "orphan", "-"] in rows
    assert run_main("list", "--profiles").stdout.splitlines() == ["demo", "test"]


def test_remove_force_and_missing(seed: Seed) -> None:
    assert run_main("remove", "-f", "demo").returncode == 0
    missing = run_main("remove", "-f", "demo")
    assert missing.returncode == 5 and "no credentials stored for profile 'demo'" in missing.stderr


def test_list_credentials_column_follows_the_chain(seed: Seed) -> None:
    seed.append_config(
        "\n[profile r1]\nrole_arn = arn:aws:iam::123456789012:role/r1\nsource_profile = test\n"
        "[profile own]\nrole_arn = arn:aws:iam::123456789012:role/o\nsource_profile = own\n"
    )
    run_main("add", "own", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET})
    rows = [line.split() for line in run_main("list").stdout.splitlines()]
    assert ["r1", "demo", "-"] in rows
    assert ["own", "own", "-"] in rows


def test_add_refuses_source_profile_from_include(seed: Seed) -> None:
    seed.append_config("\n[profile inc]\ninclude_profile = test\n")
    result = run_main(
        "add", "inc", "--env", env={"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert result.returncode == 3 and "source_profile 'demo'" in result.stderr

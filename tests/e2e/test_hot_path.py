"""The cache-hit fast path: same answers as the full CLI, without argparse, config parsing or botocore."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.env import run_awsafe
from tests.support.worlds import Seed

HEAVY = ("argparse", "botocore", "awsafe.config.resolve", "awsafe.credentials.chain", "awsafe.cli.main")
# Not needed on a hit either: the pre-rendered help text (only --help and --version read it).
NOT_ON_A_HIT = (*HEAVY, "awsafe.cli.helptext")


def run_traced(
    seed: Seed, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m awsafe ARGS`; also return the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "awsafe", *args],
        env={**os.environ, **seed.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    modules = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    return result, modules


def test_second_export_is_served_without_heavy_imports(seed: Seed) -> None:
    first, first_modules = run_traced(seed, "export", "--format", "json", "test")
    assert first.returncode == 0, first.stderr
    assert "argparse" in first_modules  # a miss goes through the full CLI
    second, modules = run_traced(seed, "export", "--format", "json", "test")
    assert second.returncode == 0, second.stderr
    assert modules.isdisjoint(NOT_ON_A_HIT), sorted(modules & set(NOT_ON_A_HIT))
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert len(seed.moto.calls()) == 1


def test_every_format_matches_the_full_path(seed: Seed) -> None:
    run_awsafe("export", "--format", "json", "test", env=seed.env)
    for format_name in ("env", "export-env", "ini", "json"):
        hot, modules = run_traced(seed, "export", f"--format={format_name}", "test")
        assert modules.isdisjoint(HEAVY)
        full = run_awsafe(
            "--debug", "export", "--format", format_name, "test", env=seed.env
        )  # --debug: full path
        assert hot.stdout == full.stdout
        assert "123456789012" in hot.stdout  # the role's account (AWS_ACCOUNT_ID), from the record


def test_exec_hit_gives_the_child_the_same_environment(seed: Seed) -> None:
    printer = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]
    first = run_awsafe("exec", "test", "--", *printer, env=seed.env)
    second, modules = run_traced(seed, "exec", "test", "--", *printer)
    assert modules.isdisjoint(HEAVY)
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_VAULT",
        "AWS_ACCOUNT_ID",
    ):
        assert one[name] == two[name]
    assert two["AWS_ACCOUNT_ID"] == "123456789012"
    assert "AWSAFE_FILE_PASSPHRASE" not in two and "AWS_PROFILE" not in two


def test_changed_environment_or_flags_go_to_the_full_path(seed: Seed) -> None:
    run_awsafe("export", "test", env=seed.env)
    _, modules = run_traced(seed, "export", "test", env={"AWS_REGION": "eu-west-1"})
    assert "argparse" in modules
    _, modules = run_traced(seed, "export", "--region", "eu-west-1", "test")
    assert "argparse" in modules
    nested, modules = run_traced(seed, "export", "test", env={"AWS_VAULT": "x"})
    assert nested.returncode == 2 and "argparse" in modules


def test_touching_the_config_goes_to_the_full_path_and_still_hits_the_cache(seed: Seed) -> None:
    run_awsafe("export", "test", env=seed.env)
    seed.append_config("\n# a comment\n")
    result, modules = run_traced(seed, "export", "test")
    assert result.returncode == 0 and "argparse" in modules
    assert len(seed.moto.calls()) == 1  # same effective configuration: the cached session


def test_memo_holds_no_secret_and_is_private(seed: Seed) -> None:
    exported = run_awsafe("export", "--format", "json", "test", env=seed.env)
    document = json.loads(exported.stdout)
    memo_dir = seed.home / ".awsafe" / "memo"
    (memo,) = list(memo_dir.iterdir())
    assert stat.S_IMODE(memo_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600
    text = memo.read_text()
    for secret in (
        document["SecretAccessKey"],
        document["SessionToken"],
        seed.secret_access_key,
        os.environ["AWSAFE_FILE_PASSPHRASE"],
        '"test"',  # not even the profile name
    ):
        assert secret not in text
    record = json.loads(text)
    assert set(record) == {"item", "digest", "region", "account_id", "backend", "file_dir", "seal"}
    assert record["account_id"] == "123456789012"  # the role's account: not a secret, sealed with the rest


def test_without_a_passphrase_in_the_environment_the_full_path_decides(seed: Seed, tmp_path: Path) -> None:
    run_awsafe("export", "test", env=seed.env)
    result, modules = run_traced(seed, "export", "test", env={"AWSAFE_FILE_PASSPHRASE": ""})
    assert "argparse" in modules  # the full path, which would prompt; here there is no terminal
    assert result.returncode == 9

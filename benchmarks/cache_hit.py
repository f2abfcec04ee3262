"""Cache-hit cost of `awsafe export --format json test`, against the floor and the AWS CLI.

Run it through ``scripts/bench`` (which starts a private D-Bus session with a
throwaway, unlocked gnome-keyring, so the OS-keychain figures come from a real
Secret Service that is not yours). In one run it times whole processes,
interleaved round-robin so that machine noise hits every command alike, and
prints medians and ratios:

    floor        python -c pass (the venv's interpreter)
    keychain     awsafe export --format json test, AWSAFE_BACKEND=secret-service
    file         the same with the encrypted file vault (default scrypt cost, 2^17)
    KDF          the file vault's key derivation alone, in process, with the
                 vault's own header parameters (awsafe.vault.fileformat.derive_keys)
    aws-cli      aws configure list --profile test: the AWS CLI resolving the same
                 role from plaintext keys and its own warm ~/.aws/cli/cache
    file 200k    the file-vault hit with a generated 200,000-profile config
    list 200k    awsafe list --profiles on that config (a few runs)

The world: a moto server on 127.0.0.1 (in this process) with user `demo` and a
role that trusts it with an external id; the seed's `demo`/`test` profiles. Each
awsafe world is warmed (the first run fetches the role from moto, a second one
is served from the cache and writes the fast path's record), then moto is STOPPED
and its socket closed: a timed run that missed the cache would fail. Every timed
run must exit 0, and every awsafe run must print credential_process JSON with the
very access key the warm-up cached.

Benchmarks report: the exit status is 0 even when a goal is missed, and non-zero
only when a command fails. Every HOME, vault and config lives in a temporary
directory; the keychain part refuses to run outside scripts/bench.

    scripts/bench [--runs 31] [--profiles 200000] [--list-runs 3] [--keep] [--importtime]

The parts live beside this file: benchmarks/worlds.py (moto, HOMEs, vaults, warm-up),
benchmarks/measuring.py (timing), benchmarks/reporting.py (the table).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `benchmarks.*` when run as a file

from benchmarks.checks import cli_uses_cache, credential_json, same_key  # noqa: E402
from benchmarks.configs import config_text  # noqa: E402
from benchmarks.measuring import (  # noqa: E402
    BenchError,
    Timed,
    must_succeed,
    parse_import_times,
    repeated,
    round_robin,
    run,
    say,
)
from benchmarks.reporting import HitFigures, print_hit_report, print_import_times  # noqa: E402
from benchmarks.worlds import (  # noqa: E402
    AWS,
    AWS_CLI_COMMAND,
    AWSAFE,
    EXPORT,
    PASSPHRASE,
    PYTHON,
    THROWAWAY_KEYRING,
    Moto,
    add_demo,
    aws_cli_home,
    awsafe_home,
    base_environment,
    file_vault_home,
    read_aws_cli_version,
    read_awsafe_version,
    run_with_moto,
    venv_ready,
    warm_aws_cli,
    warm_awsafe,
)

GOALS = {
    "keychain": 3.0,  # keychain hit <= 3x the floor
    "file_rest": 2.0,  # file hit minus the KDF <= 2x the floor
    "cli": 4.0,  # AWS CLI / awsafe file hit >= 4
    "scale": 3.0,  # 200k-profile hit / 5-profile hit <= 3
}


@dataclass
class HitWorlds:
    """The warmed worlds and the access key each one cached; moto is stopped after set-up."""

    base: dict[str, str]
    file_env: dict[str, str]
    big_env: dict[str, str]
    keychain_env: dict[str, str] | None
    cli_env: dict[str, str]
    file_key: str
    keychain_key: str
    cli_key: str
    big_config: Path
    calls_at_stop: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=31, help="timed rounds, median of these (>= 9)")
    parser.add_argument("--profiles", type=int, default=200_000, help="profiles in the large config")
    parser.add_argument("--list-runs", type=int, default=3, help="runs of `list --profiles` on it")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--importtime",
        action="store_true",
        help="also show the slowest top-level imports of one keychain and one file hit (-X importtime)",
    )
    args = parser.parse_args()
    if args.runs < 9:
        parser.error("--runs must be at least 9")
    return args


def main() -> int:
    args = parse_args()
    if not venv_ready(AWSAFE, AWS):
        return 2
    if not THROWAWAY_KEYRING:
        print(
            "cache_hit.py: not inside scripts/bench's throwaway keyring: the OS keychain part is "
            "SKIPPED (it would write to your own keyring). Run scripts/bench.",
            file=sys.stderr,
        )

    return run_with_moto("awsafe-bench-", args.keep, lambda root, moto: bench(args, root, moto))


def set_up_worlds(args: argparse.Namespace, root: Path, moto: Moto) -> HitWorlds:
    """The file-vault, large-config, keychain and AWS CLI worlds, each warmed; then moto stops."""
    key_id, secret, role_arn = moto.create_world()
    base = base_environment(moto.url)
    small_config = root / "config-5"
    small_config.write_text(config_text(role_arn, 2))
    big_config = root / f"config-{args.profiles}"
    say(f"writing a {args.profiles:,}-profile config")
    big_config.write_text(config_text(role_arn, args.profiles))

    file_env = file_vault_home(root, "home-file", base, small_config)
    big_env = {**file_env, "AWS_CONFIG_FILE": str(big_config)}
    file_key = warm_file_vault(args, file_env, big_env, moto, (key_id, secret))
    keychain_env, keychain_key = None, ""
    if THROWAWAY_KEYRING:
        # awsafe, OS keychain: a real Secret Service (scripts/bench's throwaway gnome-keyring).
        keychain_env = awsafe_home(root, "home-keychain", base, small_config, AWSAFE_BACKEND="secret-service")
        say("keychain (secret-service): add demo, warm the cache")
        add_demo(keychain_env, key_id, secret)
        keychain_key = warm_awsafe("keychain", keychain_env, moto, expect_calls=1)
    cli_env = aws_cli_home(root, base, small_config.read_text(), key_id, secret)
    say("AWS CLI: warm ~/.aws/cli/cache")
    cli_key = warm_aws_cli(cli_env, moto)
    cli_uses_cache(cli_key[-4:])(AWS_CLI_COMMAND, must_succeed(AWS_CLI_COMMAND, cli_env))

    # From here on a cache miss anywhere fails: nothing answers on moto's port any more.
    calls_at_stop = moto.assume_role_calls()
    moto.stop()
    say(f"moto stopped after {calls_at_stop} AssumeRole calls; timed runs must not need it")
    envs = (base, file_env, big_env, keychain_env, cli_env)
    return HitWorlds(*envs, file_key, keychain_key, cli_key, big_config, calls_at_stop)


def warm_file_vault(
    args: argparse.Namespace,
    file_env: dict[str, str],
    big_env: dict[str, str],
    moto: Moto,
    demo: tuple[str, str],
) -> str:
    """Add demo to the file vault and warm it with the small config, then with the large one."""
    say("file vault: add demo, warm the cache")
    add_demo(file_env, *demo)
    file_key = warm_awsafe("file vault", file_env, moto, expect_calls=1)
    # Same vault, same resolved profile: the session cache entry is shared, so no STS call.
    big_key = warm_awsafe(f"file vault, {args.profiles:,} profiles", big_env, moto, expect_calls=0)
    if big_key != file_key:
        raise BenchError("the large config's warm-up got other credentials than the small one's")
    return file_key


def read_vault_kdf(file_env: dict[str, str]) -> Any:
    """The KDF parameters of the file vault's own header, checked with the bench passphrase
    (awsafe's own functions, not a re-implementation)."""
    from awsafe.vault import fileformat

    vault_dir = Path(file_env["AWSAFE_FILE_DIR"])
    header = fileformat.parse_header((vault_dir / fileformat.HEADER_NAME).read_bytes())
    if not fileformat.check_passphrase(header, fileformat.derive_keys(PASSPHRASE, header.kdf)):
        raise BenchError("derive_keys with the bench passphrase does not open the vault")
    return header.kdf


def timed_items(w: HitWorlds, kdf: Any) -> dict[str, Timed]:
    """What the interleaved rounds time, by name; the keychain only when its world exists."""
    from awsafe.vault import fileformat

    items = {
        "floor": Timed("floor", [PYTHON, "-c", "pass"], w.base),
        "keychain": Timed("keychain", EXPORT, w.keychain_env, same_key(w.keychain_key)),
        "file": Timed("file", EXPORT, w.file_env, same_key(w.file_key)),
        "kdf": Timed("kdf", function=lambda: fileformat.derive_keys(PASSPHRASE, kdf)),
        "cli": Timed("cli", AWS_CLI_COMMAND, w.cli_env, cli_uses_cache(w.cli_key[-4:])),
        "big": Timed("big", EXPORT, w.big_env, same_key(w.file_key)),
    }
    if w.keychain_env is None:
        del items["keychain"]
    return items


def time_list(args: argparse.Namespace, big_env: dict[str, str]) -> list[float]:
    """Wall seconds of `awsafe list --profiles` on the large config; it must list them all."""
    say(f"timing `awsafe list --profiles` on the {args.profiles:,}-profile config, {args.list_runs} runs")
    seconds, last = repeated([str(AWSAFE), "list", "--profiles"], big_env, args.list_runs)
    listed = len(last.stdout.splitlines())
    if listed < args.profiles:
        raise BenchError(f"list --profiles printed {listed} names for {args.profiles:,} profiles")
    return seconds


def bench(args: argparse.Namespace, root: Path, moto: Moto) -> int:
    worlds = set_up_worlds(args, root, moto)
    kdf = read_vault_kdf(worlds.file_env)
    items = timed_items(worlds, kdf)
    say(f"timing {len(items)} things round-robin, {args.runs} rounds (+1 untimed warm-up round)")
    round_robin(list(items.values()), args.runs)
    list_seconds = time_list(args, worlds.big_env)
    if moto.assume_role_calls() != worlds.calls_at_stop:
        raise BenchError("STS was called during the timed runs")  # cannot happen: moto is down

    figures = HitFigures(
        runs=args.runs,
        profiles=args.profiles,
        list_runs=args.list_runs,
        items=list(items.values()),
        floor=items["floor"],
        keychain=items.get("keychain"),
        file_hit=items["file"],
        kdf_only=items["kdf"],
        cli=items["cli"],
        big_hit=items["big"],
        list_seconds=list_seconds,
        kdf=kdf,
        size_mb=worlds.big_config.stat().st_size / 1e6,
        calls_at_stop=worlds.calls_at_stop,
        versions=f"awsafe {read_awsafe_version()}; AWS CLI {read_aws_cli_version(worlds.cli_env)}",
    )
    print_hit_report(figures, GOALS)
    if args.importtime:
        hits = [("keychain", worlds.keychain_env)] if worlds.keychain_env else []
        for label, env in [*hits, ("file", worlds.file_env)]:
            show_imports(label, env)
    return 0


def show_imports(label: str, env: dict[str, str]) -> None:
    """The slowest top-level imports of one cache hit, from `python -X importtime`."""
    cmd = [PYTHON, "-X", "importtime", *EXPORT]
    _, result = run(cmd, env)
    credential_json(cmd, result)
    print_import_times(label, parse_import_times(result.stderr))


if __name__ == "__main__":
    raise SystemExit(main())

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
is served from the cache and records the fast path's memo), then moto is STOPPED
and its socket closed: a timed run that missed the cache would fail. Every timed
run must exit 0, and every awsafe run must print credential_process JSON with the
very access key the warm-up cached.

Benchmarks report: the exit status is 0 even when a goal is missed, and non-zero
only when a command fails. Every HOME, vault and config lives in a temporary
directory; the keychain part refuses to run outside scripts/bench.

    scripts/bench [--runs 31] [--profiles 200000] [--list-runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the venv's interpreter: scripts/bench runs us with .venv/bin/python
BIN = Path(PYTHON).parent
AWSAFE = BIN / "awsafe"
AWS = BIN / "aws"

# scripts/bench sets this inside its private D-Bus session with a throwaway keyring.
THROWAWAY_MARKER = "AWSAFE_BENCH_SECRET_SERVICE"
THROWAWAY_KEYRING = os.environ.get(THROWAWAY_MARKER) == "throwaway" and bool(
    os.environ.get("DBUS_SESSION_BUS_ADDRESS")
)

EXTERNAL_ID = "35e413a2-b7d2-45a3-9126-6fdf4563863d"
PASSPHRASE = "awsafe-bench-passphrase"
ADMIN_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
SSO_SESSIONS = 5
COMMAND = ["export", "--format", "json", "test"]

GOAL_KEYCHAIN = 3.0  # keychain hit <= 3x the floor
GOAL_FILE_REST = 2.0  # file hit minus the KDF <= 2x the floor
GOAL_CLI = 4.0  # AWS CLI / awsafe file hit >= 4
GOAL_SCALE = 3.0  # 200k-profile hit / 5-profile hit <= 3


class BenchError(Exception):
    """A command failed or printed something wrong: the benchmark's only failure."""


# -- configs ------------------------------------------------------------------------------------


def seed_profiles(role_arn: str) -> str:
    """The seed README's demo and test profiles, apart from the role ARN."""
    return (
        "[profile demo]\n"
        "region=ap-northeast-2\n\n"
        "[profile test]\n"
        f"external_id={EXTERNAL_ID}\n"
        f"role_arn={role_arn}\n"
        "role_session_name=test\n"
        "source_profile=demo\n"
        "region=ap-northeast-2\n\n"
    )


def generated_profile(i: int) -> str:
    """Even i: an SSO profile through an [sso-session]; odd i: a credential_process profile."""
    if i % 2 == 0:
        return (
            f"[profile sso-{i:06d}]\nsso_session = corp{i % SSO_SESSIONS}\n"
            f"sso_account_id = {100_000_000_000 + i}\nsso_role_name = Role{i % 7}\n"
            "region = eu-west-1\n\n"
        )
    return (
        f"[profile proc-{i:06d}]\ncredential_process = /usr/local/bin/get-creds "
        f"--account {100_000_000_000 + i} --role Role{i % 7}\nregion = us-west-2\n\n"
    )


def config_text(role_arn: str, generated: int) -> str:
    """[default], the [sso-session]s, `generated` profiles with demo and test in the middle.

    generated=2 gives the five-profile config: default, one SSO, demo, test, one process.
    """
    head = "[default]\nregion = us-east-1\noutput = json\n\n" + "".join(
        f"[sso-session corp{s}]\nsso_start_url = https://corp{s}.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n"
        for s in range(SSO_SESSIONS)
    )
    middle = generated // 2
    return (
        head
        + "".join(generated_profile(i) for i in range(middle))
        + seed_profiles(role_arn)
        + "".join(generated_profile(i) for i in range(middle, generated))
    )


# -- moto -----------------------------------------------------------------------------------------


class Moto:
    """moto's ThreadedMotoServer on 127.0.0.1:<ephemeral>, with demo's keys and the role."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.running = True

    def client(self, service: str, key: tuple[str, str] = ADMIN_KEY) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session(
            aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name="us-east-1"
        ).client(service, endpoint_url=self.url, config=Config(retries={"total_max_attempts": 1}))

    def create_world(self) -> tuple[str, str, str]:
        """(access key id, secret, role ARN): user demo and a role trusting it with an external id."""
        allow_all = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        )
        iam = self.client("iam")
        user_arn = iam.create_user(UserName="demo")["User"]["Arn"]
        iam.put_user_policy(UserName="demo", PolicyName="allow-all", PolicyDocument=allow_all)
        key = iam.create_access_key(UserName="demo")["AccessKey"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": user_arn},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
                }
            ],
        }
        role_arn = iam.create_role(RoleName="partner-access", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
        return key["AccessKeyId"], key["SecretAccessKey"], role_arn

    def assume_role_calls(self) -> int:
        """AssumeRole calls moto has answered so far (its STS backends run in this process)."""
        from moto.sts.models import sts_backends

        return sum(
            len(backend.assumed_roles) for account in sts_backends.values() for backend in account.values()
        )

    def stop(self) -> None:
        """Stop serving AND close the listening socket, so a cache miss fails at once
        (ThreadedMotoServer.stop leaves the socket open: a client would hang in the backlog)."""
        if not self.running:
            return
        self.server.stop()
        if self.server._server is not None:  # noqa: SLF001 - moto offers no public close
            self.server._server.server_close()  # noqa: SLF001
        self.running = False


# -- running and timing ---------------------------------------------------------------------------


def run(
    cmd: list[str], env: dict[str, str], timeout: float = 300
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """(wall seconds, result) of one whole process; no stdin, no controlling terminal."""
    started = time.perf_counter()
    try:
        result = subprocess.run(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            start_new_session=True,  # no /dev/tty: a prompt would fail fast instead of waiting
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{' '.join(cmd)}` did not finish within {timeout:g} s") from None
    return time.perf_counter() - started, result


def describe(cmd: list[str], result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"`{' '.join(cmd)}` exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-2000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    )


def must_succeed(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    _, result = run(cmd, env)
    if result.returncode != 0:
        raise BenchError(describe(cmd, result))
    return result


def credential_json(cmd: list[str], result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The credential_process document awsafe printed, checked."""
    if result.returncode != 0:
        raise BenchError(describe(cmd, result))
    try:
        doc: dict[str, Any] = json.loads(result.stdout)
    except ValueError as e:
        raise BenchError(f"not JSON ({e}): {describe(cmd, result)}") from None
    missing = [
        k for k in ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration") if k not in doc
    ]
    if doc.get("Version") != 1 or missing:
        raise BenchError(f"not a credential_process document (missing {missing}): {describe(cmd, result)}")
    return doc


@dataclass
class Timed:
    """One timed thing: a command (with a check of each run) or an in-process function."""

    name: str
    cmd: list[str] | None = None
    env: dict[str, str] | None = None
    check: Callable[[list[str], subprocess.CompletedProcess[str]], None] | None = None
    function: Callable[[], object] | None = None
    seconds: list[float] = field(default_factory=list)

    def once(self) -> float:
        if self.function is not None:
            started = time.perf_counter()
            self.function()
            return time.perf_counter() - started
        assert self.cmd is not None and self.env is not None
        elapsed, result = run(self.cmd, self.env)
        if self.check is not None:
            self.check(self.cmd, result)
        elif result.returncode != 0:
            raise BenchError(describe(self.cmd, result))
        return elapsed

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def round_robin(items: list[Timed], runs: int) -> None:
    """One untimed warm-up round, then `runs` rounds of one run each, the order rotated
    every round so that no command always follows the same one."""
    for item in items:
        item.once()
    for r in range(runs):
        shift = r % len(items)
        for item in items[shift:] + items[:shift]:
            item.seconds.append(item.once())
        print(f"\r  round {r + 1}/{runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


# -- the worlds -------------------------------------------------------------------------------------


def base_environment(endpoint: str) -> dict[str, str]:
    """This process's environment without AWS_/AWSAFE_/BOTO_ variables, pointed at moto."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("AWS_", "AWSAFE_", "BOTO_"))}
    env.update(
        {
            # Kept in the timed runs too: the fast path's memo is keyed on AWS_* variables, and
            # a miss then tries the (stopped) moto and fails instead of reaching AWS.
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


def awsafe_home(root: Path, name: str, base: dict[str, str], config: Path, **extra: str) -> dict[str, str]:
    home = root / name
    (home / ".aws").mkdir(parents=True)
    return {
        **base,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),  # never created
        **extra,
    }


def add_demo(env: dict[str, str], key_id: str, secret: str) -> None:
    must_succeed(
        [str(AWSAFE), "add", "demo", "--env"],
        {**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
    )


def warm_awsafe(label: str, env: dict[str, str], moto: Moto, expect_calls: int) -> str:
    """Fetch and cache the role, then hit the cache once (which records the fast path's memo).

    Returns the cached access key id; checks that exactly `expect_calls` AssumeRole calls
    reached moto."""
    cmd = [str(AWSAFE), *COMMAND]
    before = moto.assume_role_calls()
    first = credential_json(cmd, run(cmd, env)[1])
    second = credential_json(cmd, run(cmd, env)[1])
    third = credential_json(cmd, run(cmd, env)[1])
    calls = moto.assume_role_calls() - before
    if calls != expect_calls:
        raise BenchError(f"{label}: warming made {calls} AssumeRole calls, expected {expect_calls}")
    if not first["AccessKeyId"] == second["AccessKeyId"] == third["AccessKeyId"]:
        raise BenchError(f"{label}: the warm-up runs printed different keys: the cache is not used")
    return str(first["AccessKeyId"])


def same_key(expected: str) -> Callable[[list[str], subprocess.CompletedProcess[str]], None]:
    def check(cmd: list[str], result: subprocess.CompletedProcess[str]) -> None:
        doc = credential_json(cmd, result)
        if doc["AccessKeyId"] != expected:
            raise BenchError(f"printed {doc['AccessKeyId']}, not the cached {expected}: {' '.join(cmd)}")

    return check


def cli_uses_cache(expected_last4: str) -> Callable[[list[str], subprocess.CompletedProcess[str]], None]:
    """`aws configure list` must show the assumed role's key (its last 4 characters)."""

    def check(cmd: list[str], result: subprocess.CompletedProcess[str]) -> None:
        if result.returncode != 0:
            raise BenchError(describe(cmd, result))
        lines = [line.split() for line in result.stdout.splitlines()]
        access = next((words for words in lines if words[:1] == ["access_key"]), None)
        if not access or not access[1].endswith(expected_last4) or "assume-role" not in access:
            raise BenchError(f"the AWS CLI did not show the cached role's key: {describe(cmd, result)}")

    return check


# -- report -----------------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "NOT MET")


def print_table(rows: list[tuple[str, float | None, float | None, str, str]]) -> None:
    header = ("name", "median ms", "x floor", "goal", "verdict")
    widths = [max(len(str(r[0])) for r in rows) + 1, 10, 8, 34, 7]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 3, 4) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for name, ms, ratio, goal, met in rows:
        print(
            line(
                (
                    name,
                    "" if ms is None else f"{ms:.1f}",
                    "" if ratio is None else f"{ratio:.2f}",
                    goal,
                    met,
                )
            )
        )


def main() -> int:
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
    for exe in (AWSAFE, AWS):
        if not os.access(exe, os.X_OK):
            print(f"cache_hit.py: {exe} is missing; run scripts/test once to set up .venv", file=sys.stderr)
            return 2
    if not THROWAWAY_KEYRING:
        print(
            "cache_hit.py: not inside scripts/bench's throwaway keyring: the OS keychain part is "
            "SKIPPED (it would write to your own keyring). Run scripts/bench.",
            file=sys.stderr,
        )

    root = Path(tempfile.mkdtemp(prefix="awsafe-bench-"))
    moto: Moto | None = None
    try:
        moto = Moto()
        return bench(args, root, moto)
    except BenchError as e:
        print(f"\ncache_hit.py: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if moto is not None:
            moto.stop()
        if args.keep:
            print(f"kept {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def say(text: str) -> None:
    print(f"cache_hit.py: {text}", file=sys.stderr, flush=True)


def bench(args: argparse.Namespace, root: Path, moto: Moto) -> int:
    key_id, secret, role_arn = moto.create_world()
    base = base_environment(moto.url)

    small_config = root / "config-5"
    small_config.write_text(config_text(role_arn, 2))
    big_config = root / f"config-{args.profiles}"
    say(f"writing a {args.profiles:,}-profile config")
    big_config.write_text(config_text(role_arn, args.profiles))

    # awsafe, encrypted file vault, default scrypt cost (AWSAFE_FILE_SCRYPT_LOG2N unset: scrubbed).
    file_env = awsafe_home(
        root,
        "home-file",
        base,
        small_config,
        AWSAFE_BACKEND="file",
        AWSAFE_FILE_DIR=str(root / "home-file" / ".awsafe" / "vault"),
        AWSAFE_FILE_PASSPHRASE=PASSPHRASE,
    )
    big_env = {**file_env, "AWS_CONFIG_FILE": str(big_config)}
    say("file vault: add demo, warm the cache")
    add_demo(file_env, key_id, secret)
    file_key = warm_awsafe("file vault", file_env, moto, expect_calls=1)
    # Same vault, same resolved profile: the session cache entry is shared, so no STS call.
    big_key = warm_awsafe(f"file vault, {args.profiles:,} profiles", big_env, moto, expect_calls=0)
    if big_key != file_key:
        raise BenchError("the large config's warm-up got other credentials than the small one's")

    # awsafe, OS keychain: a real Secret Service (scripts/bench's throwaway gnome-keyring).
    keychain_env: dict[str, str] | None = None
    if THROWAWAY_KEYRING:
        keychain_env = awsafe_home(root, "home-keychain", base, small_config, AWSAFE_BACKEND="secret-service")
        say("keychain (secret-service): add demo, warm the cache")
        add_demo(keychain_env, key_id, secret)
        keychain_key = warm_awsafe("keychain", keychain_env, moto, expect_calls=1)

    # The AWS CLI: plaintext keys, the same profiles, its own ~/.aws/cli/cache.
    cli_home = root / "home-cli"
    (cli_home / ".aws").mkdir(parents=True)
    (cli_home / ".aws" / "config").write_text(small_config.read_text())
    (cli_home / ".aws" / "credentials").write_text(
        f"[demo]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    )
    cli_env = {
        **base,
        "HOME": str(cli_home),
        "AWS_CONFIG_FILE": str(cli_home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cli_home / ".aws" / "credentials"),
    }
    cli_cmd = [str(AWS), "configure", "list", "--profile", "test"]
    say("AWS CLI: warm ~/.aws/cli/cache")
    before = moto.assume_role_calls()
    must_succeed(cli_cmd, cli_env)
    if moto.assume_role_calls() - before != 1:
        raise BenchError(
            f"the AWS CLI's warm-up made {moto.assume_role_calls() - before} AssumeRole calls, not 1"
        )
    cache_files = list((cli_home / ".aws" / "cli" / "cache").glob("*.json"))
    if len(cache_files) != 1:
        raise BenchError(f"expected one file in the AWS CLI's cache, found {cache_files}")
    cli_key = json.loads(cache_files[0].read_text())["Credentials"]["AccessKeyId"]
    cli_uses_cache(cli_key[-4:])(cli_cmd, must_succeed(cli_cmd, cli_env))

    # From here on a cache miss anywhere fails: nothing answers on moto's port any more.
    calls_at_stop = moto.assume_role_calls()
    moto.stop()
    say(f"moto stopped after {calls_at_stop} AssumeRole calls; timed runs must not need it")

    # The KDF alone, with the vault's own header (awsafe's own functions, not a re-implementation).
    from awsafe.vault import fileformat

    vault_dir = Path(file_env["AWSAFE_FILE_DIR"])
    header = fileformat.parse_header((vault_dir / fileformat.HEADER_NAME).read_bytes())
    if not fileformat.check_passphrase(header, fileformat.derive_keys(PASSPHRASE, header.kdf)):
        raise BenchError("derive_keys with the bench passphrase does not open the vault")
    kdf = header.kdf

    floor = Timed("floor", [PYTHON, "-c", "pass"], base)
    keychain = (
        Timed("keychain", [str(AWSAFE), *COMMAND], keychain_env, same_key(keychain_key))
        if keychain_env is not None
        else None
    )
    file_hit = Timed("file", [str(AWSAFE), *COMMAND], file_env, same_key(file_key))
    kdf_only = Timed("kdf", function=lambda: fileformat.derive_keys(PASSPHRASE, kdf))
    cli = Timed("cli", cli_cmd, cli_env, cli_uses_cache(cli_key[-4:]))
    big_hit = Timed("big", [str(AWSAFE), *COMMAND], big_env, same_key(file_key))
    items = [t for t in (floor, keychain, file_hit, kdf_only, cli, big_hit) if t is not None]
    say(f"timing {len(items)} things round-robin, {args.runs} rounds (+1 untimed warm-up round)")
    round_robin(items, args.runs)

    say(f"timing `awsafe list --profiles` on the {args.profiles:,}-profile config, {args.list_runs} runs")
    list_cmd = [str(AWSAFE), "list", "--profiles"]
    list_seconds = []
    listed = 0
    for _ in range(args.list_runs):
        elapsed, result = run(list_cmd, big_env)
        if result.returncode != 0:
            raise BenchError(describe(list_cmd, result))
        listed = len(result.stdout.splitlines())
        list_seconds.append(elapsed)
    if listed < args.profiles:
        raise BenchError(f"list --profiles printed {listed} names for {args.profiles:,} profiles")

    if moto.assume_role_calls() != calls_at_stop:
        raise BenchError("STS was called during the timed runs")  # cannot happen: moto is down

    # -- the report ---------------------------------------------------------------------------
    f = floor.median_ms
    file_ms, kdf_ms, cli_ms, big_ms = file_hit.median_ms, kdf_only.median_ms, cli.median_ms, big_hit.median_ms
    rest_ms = file_ms - kdf_ms
    list_ms = statistics.median(list_seconds) * 1000
    size_mb = big_config.stat().st_size / 1e6
    n = f"{args.profiles:,}"

    print()
    print("awsafe cache-hit benchmark: whole-process wall time, medians")
    print(
        f"  {args.runs} interleaved rounds (+1 untimed); python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; {platform.machine()}"
    )
    print(f"  awsafe {_version()}; AWS CLI {_aws_version(cli_env)}")
    print(f"  file vault scrypt: N=2^{kdf.log2n}, r={kdf.r}, p={kdf.p} (from vault.json)")
    print(f"  large config: {n} generated profiles + demo/test in the middle, {size_mb:.1f} MB")
    print(
        f"  STS: {calls_at_stop} AssumeRole calls, all during warm-up; moto stopped before timing; "
        "every timed run exited 0 and printed the cached key"
    )
    print()
    Row = tuple[str, float | None, float | None, str, str]
    kc_name = "awsafe export, keychain (secret-service)"
    kc_goal = f"<= {GOAL_KEYCHAIN:g}x floor"
    rows: list[Row] = [("floor: python -c pass", f, 1.0, "", "")]
    if keychain is not None:
        k = keychain.median_ms
        rows.append((kc_name, k, k / f, kc_goal, verdict(k / f <= GOAL_KEYCHAIN)))
    else:
        rows.append((kc_name, None, None, kc_goal, "SKIPPED (not in scripts/bench)"))
    cli_ratio, scale_ratio = cli_ms / file_ms, big_ms / file_ms
    rows += [
        ("awsafe export, file vault total", file_ms, file_ms / f, "", ""),
        (f"  KDF (scrypt 2^{kdf.log2n}, in process)", kdf_ms, kdf_ms / f, "deliberate cost, reported", ""),
        (
            "  everything else = total - KDF",
            rest_ms,
            rest_ms / f,
            f"<= {GOAL_FILE_REST:g}x floor",
            verdict(rest_ms / f <= GOAL_FILE_REST),
        ),
        (
            "aws configure list (AWS CLI, warm cache)",
            cli_ms,
            cli_ms / f,
            f"CLI / awsafe-file >= {GOAL_CLI:g}: {cli_ratio:.2f}",
            verdict(cli_ratio >= GOAL_CLI),
        ),
        (
            f"awsafe export, file vault, {n} profiles",
            big_ms,
            big_ms / f,
            f"{n} / 5 profiles <= {GOAL_SCALE:g}: {scale_ratio:.2f}",
            verdict(scale_ratio <= GOAL_SCALE),
        ),
        (f"awsafe list --profiles, {n} ({args.list_runs} runs)", list_ms, list_ms / f, "reported", ""),
    ]
    print_table(rows)
    print()
    print("ratios")
    if keychain is not None:
        kc_ratio = keychain.median_ms / f
        print(f"  awsafe keychain / floor          {kc_ratio:6.2f}   (goal <= {GOAL_KEYCHAIN:g})")
    print(f"  awsafe file / floor              {file_ms / f:6.2f}")
    print(f"  file everything else / floor     {rest_ms / f:6.2f}   (goal <= {GOAL_FILE_REST:g})")
    print(f"  KDF share of the file hit        {kdf_ms / file_ms:6.0%}")
    print(f"  AWS CLI / awsafe file            {cli_ms / file_ms:6.2f}   (goal >= {GOAL_CLI:g})")
    if keychain is not None:
        print(f"  AWS CLI / awsafe keychain        {cli_ms / keychain.median_ms:6.2f}")
    print(f"  {n + ' / 5 profiles (file hit)':<32} {big_ms / file_ms:6.2f}   (goal <= {GOAL_SCALE:g})")
    print()
    print("spread (ms): min / median / max of each")
    for item in items:
        ms = sorted(s * 1000 for s in item.seconds)
        print(f"  {item.name:<9} {ms[0]:8.1f} {item.median_ms:8.1f} {ms[-1]:8.1f}   n={len(ms)}")
    ms = sorted(s * 1000 for s in list_seconds)
    print(f"  {'list':<9} {ms[0]:8.1f} {list_ms:8.1f} {ms[-1]:8.1f}   n={len(ms)}")
    if args.importtime:
        hits = [("keychain", keychain_env), ("file", file_env)] if keychain_env else [("file", file_env)]
        for label, env in hits:
            show_imports(label, env)
    return 0


def show_imports(label: str, env: dict[str, str], top: int = 12) -> None:
    """The slowest top-level imports of one cache hit, from `python -X importtime`."""
    cmd = [PYTHON, "-X", "importtime", str(AWSAFE), *COMMAND]
    _, result = run(cmd, env)
    credential_json(cmd, result)
    imports = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):  # top level only
            imports.append((int(cumulative), name.strip()))
    total = sum(us for us, _ in imports)
    print()
    print(f"top-level imports of one {label} hit ({total / 1000:.1f} ms in all, -X importtime, cumulative)")
    for us, name in sorted(imports, reverse=True)[:top]:
        print(f"  {us / 1000:7.1f} ms  {name}")


def _version() -> str:
    try:
        git = ["git", "-C", str(ROOT)]
        rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True
        ).stdout
        rev, dirty = rev.strip(), dirty.strip()
    except OSError:
        return "(no git)"
    return f"{rev}{' + uncommitted changes in src/' if dirty else ''}" if rev else "(no git)"


def _aws_version(env: dict[str, str]) -> str:
    out = subprocess.run([str(AWS), "--version"], env=env, capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).split(" ")[0].removeprefix("aws-cli/")


if __name__ == "__main__":
    raise SystemExit(main())

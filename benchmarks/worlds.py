"""The benchmarks' worlds: temporary HOMEs and vaults, moto on 127.0.0.1, the AWS CLI's HOME, warm caches.

Everything it writes lives under a root the caller made (a temporary directory); no
AWS_*/AWSAFE_*/BOTO_ variable of the caller's environment reaches a command it builds.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.checks import credential_json
from benchmarks.configs import EXTERNAL_ID, seed_profiles
from benchmarks.measuring import BenchError, must_succeed, run, say, say_failed

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the venv's interpreter: the scripts are run with .venv/bin/python
AWSAFE = Path(PYTHON).parent / "awsafe"
AWS = Path(PYTHON).parent / "aws"

PASSPHRASE = "awsafe-bench-passphrase"
# scripts/bench sets this inside its private D-Bus session with a throwaway keyring: only then
# do the benchmarks write to a Secret Service.
THROWAWAY_KEYRING = os.environ.get("AWSAFE_BENCH_SECRET_SERVICE") == "throwaway" and bool(
    os.environ.get("DBUS_SESSION_BUS_ADDRESS")
)
ADMIN_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
EXPORT = [str(AWSAFE), "export", "--format", "json", "test"]
AWS_CLI_COMMAND = [str(AWS), "configure", "list", "--profile", "test"]


# -- environments and HOMEs ---------------------------------------------------------------------


@contextmanager
def temporary_root(prefix: str, keep: bool) -> Iterator[Path]:
    """A fresh temporary directory for every HOME, vault and config; removed at the end
    unless `keep` (then its path is printed)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        if keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def base_environment(endpoint: str) -> dict[str, str]:
    """This process's environment without AWS_/AWSAFE_/BOTO_ variables, pointed at moto."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("AWS_", "AWSAFE_", "BOTO_"))}
    # Installed programs start from compiled bytecode: a shell that forbids writing it would
    # time compiling every module instead (the warm-up runs write what is missing).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            # Kept in timed runs too: the fast path's record is keyed on AWS_* variables, and a
            # miss then tries the (stopped) moto and fails instead of reaching AWS.
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


def awsafe_home(root: Path, name: str, base: dict[str, str], config: Path, **extra: str) -> dict[str, str]:
    """A fresh HOME root/name (with ~/.aws) using `config`; `extra` variables on top."""
    home = root / name
    (home / ".aws").mkdir(parents=True)
    return {
        **base,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),  # never created
        **extra,
    }


def file_vault_home(root: Path, name: str, base: dict[str, str], config: Path) -> dict[str, str]:
    """awsafe_home with the encrypted file vault in it, at its default scrypt cost
    (AWSAFE_FILE_SCRYPT_LOG2N is scrubbed with the other AWSAFE_ variables)."""
    return awsafe_home(
        root,
        name,
        base,
        config,
        AWSAFE_BACKEND="file",
        AWSAFE_FILE_DIR=str(root / name / ".awsafe" / "vault"),
        AWSAFE_FILE_PASSPHRASE=PASSPHRASE,
    )


def add_demo(env: dict[str, str], key_id: str, secret: str, timeout: float = 300) -> None:
    """`awsafe add demo --env` with demo's keys, into the vault `env` names."""
    must_succeed(
        [str(AWSAFE), "add", "demo", "--env"],
        {**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
        timeout,
    )


def aws_cli_home(root: Path, base: dict[str, str], config: str, key_id: str, secret: str) -> dict[str, str]:
    """The AWS CLI's world: its own HOME, the same profiles, demo's keys in plaintext."""
    home = root / "home-cli"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config)
    (home / ".aws" / "credentials").write_text(
        f"[demo]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    )
    return {
        **base,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
    }


def endpoint_world(root: Path, moto: Any) -> dict[str, str]:
    """server_load/server_flood's world on the recording moto of tests/support: user demo,
    the role, the seed's profiles, `awsafe add demo --env` into a file vault."""
    key_id, secret = moto.create_user_with_key("demo")
    role_arn = moto.create_role("partner-access", moto.user_arn("demo"), external_id=EXTERNAL_ID)
    config = root / "home" / ".aws" / "config"
    env = file_vault_home(root, "home", base_environment(moto.url), config)
    config.write_text(seed_profiles(role_arn))
    add_demo(env, key_id, secret, timeout=60)
    return env


# -- moto, in this process -----------------------------------------------------------------------


def venv_ready(*executables: Path) -> bool:
    """Whether the venv's commands exist; says which is missing (the scripts then exit 2)."""
    for exe in executables:
        if not os.access(exe, os.X_OK):
            say(f"{exe} is missing; run scripts/test once to set up .venv")
            return False
    return True


@contextmanager
def recording_moto() -> Iterator[Any]:
    """The tests' recording moto server (tests/support/moto_server.py), stopped at the end."""
    from tests.support.moto_server import MotoServer

    moto = MotoServer().start()
    try:
        yield moto
    finally:
        moto.stop()


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

    def __enter__(self) -> Moto:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
        role = iam.create_role(RoleName="partner-access", AssumeRolePolicyDocument=json.dumps(trust))
        return key["AccessKeyId"], key["SecretAccessKey"], role["Role"]["Arn"]

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


def run_with_moto(prefix: str, keep: bool, bench: Callable[[Path, Moto], int]) -> int:
    """``bench(root, moto)`` in a temporary root with moto running; a BenchError is reported
    and exit 1 (a benchmark fails only when a command does, never for a missed goal)."""
    with temporary_root(prefix, keep) as root, Moto() as moto:
        try:
            return bench(root, moto)
        except BenchError as e:
            say_failed(e)
            return 1


# -- warming the caches --------------------------------------------------------------------------


def warm_awsafe(label: str, env: dict[str, str], moto: Moto, expect_calls: int) -> str:
    """Fetch and cache the role, then hit the cache twice (the first hit records the fast
    path's record). Returns the cached access key id; exactly `expect_calls` AssumeRole calls
    must have reached moto."""
    before = moto.assume_role_calls()
    keys = [credential_json(EXPORT, run(EXPORT, env)[1])["AccessKeyId"] for _ in range(3)]
    calls = moto.assume_role_calls() - before
    if calls != expect_calls:
        raise BenchError(f"{label}: warming made {calls} AssumeRole calls, expected {expect_calls}")
    if len(set(keys)) != 1:
        raise BenchError(f"{label}: the warm-up runs printed different keys: the cache is not used")
    return str(keys[0])


def warm_aws_cli(env: dict[str, str], moto: Moto) -> str:
    """Run the AWS CLI once to fill ~/.aws/cli/cache (one AssumeRole); the cached access key id."""
    before = moto.assume_role_calls()
    must_succeed(AWS_CLI_COMMAND, env)
    if moto.assume_role_calls() - before != 1:
        raise BenchError(
            f"the AWS CLI's warm-up made {moto.assume_role_calls() - before} AssumeRole calls, not 1"
        )
    cache_files = list((Path(env["HOME"]) / ".aws" / "cli" / "cache").glob("*.json"))
    if len(cache_files) != 1:
        raise BenchError(f"expected one file in the AWS CLI's cache, found {cache_files}")
    return str(json.loads(cache_files[0].read_text())["Credentials"]["AccessKeyId"])


# -- versions ---------------------------------------------------------------------------------------


def read_awsafe_version() -> str:
    """The checkout's short revision, and whether src/ has uncommitted changes."""
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


def read_aws_cli_version(env: dict[str, str]) -> str:
    out = subprocess.run([str(AWS), "--version"], env=env, capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).split(" ")[0].removeprefix("aws-cli/")

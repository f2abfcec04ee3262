"""`awsafe import aws-vault` from aws-vault's file store, written by an independent JOSE library.

tests/js/awsvault-file-item.mjs writes the items exactly as aws-vault does (Node's `jose`;
awsafe reads with jwcrypto): a profile's long-term keys, cached sessions (an STS session and
IAM Identity Center role credentials), an `oidc:` token, a profile whose name needs escaping,
and one file under a second passphrase. The first test has the seed's world (user `demo`, role profile `test`)
on moto, with demo's keys only in aws-vault's store until the import moves them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from awsafe.credentials.stored import StoredKeys
from awsafe.model import Credentials
from awsafe.vault.file import FileStore
from tests.support.cli import run_main
from tests.support.env import caller_identity, one_error_line, run_awsafe
from tests.support.moto_server import MotoServer
from tests.support.worlds import EXTERNAL_ID, make_seed_account

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "tests" / "js" / "awsvault-file-item.mjs"
JOSE = ROOT / "tests" / "js" / "node_modules" / "jose" / "package.json"
REQUIRED = os.environ.get("AWSAFE_TEST_JS") == "required"  # read before the scrub

FIRST = "first aws-vault passphrase"
SECOND = "another passphrase, from an older aws-vault add"
EXPIRY = int(time.time()) + 3600
SESSION = f"sts.GetSessionToken,ZGVtbw,,{EXPIRY}"  # base64url("demo"), no MFA serial
SSO_ROLE = f"sso.GetRoleCredentials,c3NvLWRldg,,{EXPIRY}"  # base64url("sso-dev")
OIDC = "oidc:https://corp.awsapps.com/start"
ESCAPED = "team/ops%1"  # its file is team%2Fops%251
OPS_KEY = Credentials("AKIAOPSOPSOPSOPS0001", "ops/secret+key0000000000000000000000000")
OTHER_KEY = Credentials("AKIAOTHEROTHEROTH001", "other/secret+key00000000000000000000000")


def _long_term(key: Credentials) -> dict[str, object]:
    # aws-sdk-go-v2's aws.Credentials, as aws-vault marshals it
    return {
        "AccessKeyID": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "SessionToken": "",
        "Source": "",
        "CanExpire": False,
        "Expires": "0001-01-01T00:00:00Z",
    }


def _sts_session(token: str) -> dict[str, object]:
    # sts types.Credentials, as aws-vault's session keyring marshals it
    return {
        "AccessKeyId": "ASIASESSIONSESSION01",
        "Expiration": "2030-01-01T00:00:00Z",
        "SecretAccessKey": "session/secret",
        "SessionToken": token,
    }


def _write_items(directory: Path, passphrase: str, items: list[dict[str, object]]) -> list[str]:
    node = shutil.which("node")
    if node is None or not JOSE.is_file():
        reason = "node or tests/js/node_modules/jose is missing (run scripts/test, which runs npm ci)"
        if REQUIRED:
            pytest.fail(f"AWSAFE_TEST_JS=required but {reason}", pytrace=False)
        pytest.skip(reason)
    request = {"passphrase": passphrase, "dir": str(directory), "items": items}
    done = subprocess.run(
        [node, str(WRITER)], input=json.dumps(request), capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


class Store:
    """aws-vault's file store under this test's HOME, holding ``demo``'s keys and the rest."""

    def __init__(self, home: Path, demo: Credentials) -> None:
        self.keys_dir = home / ".awsvault" / "keys"  # aws-vault's default --file-dir
        self.vault_dir = Path(os.environ["AWSAFE_FILE_DIR"])
        self.demo = demo
        self.files = _write_items(
            self.keys_dir,
            FIRST,
            [
                {"key": "demo", "label": "aws-vault (demo)", "data": _long_term(demo)},
                {"key": ESCAPED, "label": f"aws-vault ({ESCAPED})", "data": _long_term(OPS_KEY)},
                {"key": SESSION, "label": "aws-vault session for demo", "data": _sts_session("tok")},
                {"key": SSO_ROLE, "label": "aws-vault session for sso-dev", "data": _sts_session("sso")},
                {"key": OIDC, "label": "aws-vault oidc token", "data": {"Token": {"AccessToken": "x"}}},
                {
                    "key": "other",
                    "label": "aws-vault (other)",
                    "data": _long_term(OTHER_KEY),
                    "passphrase": SECOND,
                },
            ],
        )
        self.env = {"AWS_VAULT_BACKEND": "file", "AWS_VAULT_FILE_PASSPHRASE": FIRST}

    def vault_keys(self) -> dict[str, Credentials | None]:
        keys = StoredKeys(FileStore(self.vault_dir, lambda: "test-passphrase", scrypt_log2n=14))
        return {profile: keys.get(profile) for profile in keys.profiles()}


@pytest.fixture
def store(isolated_env: Path) -> Store:
    """The store with made-up keys, for checks that call no AWS."""
    return Store(
        isolated_env, Credentials("AKIADEMODEMODEMO0001", "demo/secret+key0000000000000000000000000")
    )


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error after the line naming the store read."""
    assert result.stderr.startswith("Reading aws-vault's file store "), result.stderr
    head, _, rest = result.stderr.partition("\n")
    return one_error_line(subprocess.CompletedProcess(result.args, result.returncode, result.stdout, rest), 4)


def _lines(stdout: str) -> dict[str, str]:
    """name -> the rest of its report line."""
    return {line.split("  ", 1)[0]: line.split("  ", 1)[1].strip() for line in stdout.splitlines()}


def test_import_moves_exactly_the_long_term_keys_and_exec_signs_with_them(
    moto: MotoServer, isolated_env: Path
) -> None:
    key_id, secret, role_arn = make_seed_account(moto)
    store = Store(isolated_env, Credentials(key_id, secret))
    assert sorted(store.files) == sorted(
        ["demo", "team%2Fops%251", SESSION, SSO_ROLE, "oidc:https:%2F%2Fcorp.awsapps.com%2Fstart", "other"]
    )
    result = run_main("import", "aws-vault", env={**moto.endpoint_env(), **store.env})
    # `other` is under another passphrase: reported, the rest moved, exit 4 says something was left
    assert result.returncode == 4, result.stderr
    assert "Reading aws-vault's file store " + str(store.keys_dir) in result.stderr
    assert "(AWS_VAULT_BACKEND)" in result.stderr
    lines = _lines(result.stdout)
    assert sorted(lines) == sorted(["demo", ESCAPED, SESSION, SSO_ROLE, OIDC, "other"])
    assert lines["demo"].startswith("moved ") and lines["demo"].endswith(str(store.keys_dir / "demo"))
    assert lines[ESCAPED].startswith("moved ") and lines[ESCAPED].endswith("team%2Fops%251")
    assert lines[SESSION].startswith("skipped: cached an STS session")
    assert lines[SSO_ROLE].startswith("skipped: cached IAM Identity Center role credentials")
    assert lines[OIDC].startswith("skipped: an IAM Identity Center token")
    assert lines["other"].startswith("not opened: could not be opened")
    for text in (secret, OPS_KEY.secret_access_key, OTHER_KEY.secret_access_key, FIRST, SECOND):
        assert text not in result.stdout + result.stderr

    assert store.vault_keys() == {"demo": store.demo, ESCAPED: OPS_KEY}
    for path in isolated_env.parent.rglob("*"):  # no key in plaintext anywhere: aws-vault's or awsafe's
        if path.is_file():
            assert (
                secret.encode() not in path.read_bytes()
                and OPS_KEY.secret_access_key.encode() not in path.read_bytes()
            )
    assert sorted(p.name for p in store.keys_dir.iterdir()) == sorted(store.files)  # nothing deleted

    identity = caller_identity("test", moto.endpoint_env())
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Arn"].endswith(":assumed-role/seed-role/test")
    (assume,) = moto.calls("AssumeRole")  # signature-checked by the SigV4 verifier
    assert assume.access_key_id == key_id and assume.params["ExternalId"] == EXTERNAL_ID


def test_a_wrong_passphrase_writes_nothing(store: Store) -> None:
    wrong = {**store.env, "AWS_VAULT_FILE_PASSPHRASE": "wrong passphrase 7f3a"}
    result = run_main("import", "aws-vault", env=wrong)
    line = _error_line(result)
    assert "could not be opened with this passphrase; nothing was imported" in line
    assert "'demo'" in line and "'other'" in line
    assert result.stdout == ""
    assert not store.vault_dir.exists()
    debug = run_main("--debug", "import", "aws-vault", env=wrong)  # a traceback, and still no secret
    assert debug.returncode == 4 and "Traceback" in debug.stderr
    assert "7f3a" not in debug.stderr and FIRST not in debug.stderr
    assert not store.vault_dir.exists()


def test_a_named_profile_that_will_not_open_stops_the_import(store: Store) -> None:
    result = run_main("import", "aws-vault", "--profile", "demo", "--profile", "other", env=store.env)
    line = _error_line(result)
    assert "'other' could not be opened" in line and "'demo'" not in line
    assert not store.vault_dir.exists()
    # with its own passphrase, that one moves alone
    moved = run_main(
        "import", "aws-vault", "--profile", "other", env={**store.env, "AWS_VAULT_FILE_PASSPHRASE": SECOND}
    )
    assert moved.returncode == 0, moved.stderr
    assert store.vault_keys() == {"other": OTHER_KEY}


def test_dry_run_lists_and_writes_nothing(store: Store) -> None:
    result = run_main(
        "import", "aws-vault", "--dry-run", "--delete-source", "--profile", "demo", env=store.env
    )
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout)["demo"].startswith("would move, then removed from aws-vault ")
    assert "nothing written" in result.stderr
    assert not store.vault_dir.exists()
    assert (store.keys_dir / "demo").exists()


def test_an_existing_profile_is_kept_unless_overwrite(store: Store) -> None:
    old = Credentials("AKIAOLDOLDOLDOLD0001", "old/secret0000000000000000000000000000000")
    added = run_main(
        "add",
        "demo",
        "--env",
        env={"AWS_ACCESS_KEY_ID": old.access_key_id, "AWS_SECRET_ACCESS_KEY": old.secret_access_key},
    )
    assert added.returncode == 0, added.stderr
    kept = run_main("import", "aws-vault", "--profile", "demo", env=store.env)
    assert kept.returncode == 0, kept.stderr
    assert "kept the key already in the vault" in _lines(kept.stdout)["demo"]
    assert store.vault_keys() == {"demo": old}

    replaced = run_main("import", "aws-vault", "--profile", "demo", "--overwrite", env=store.env)
    assert replaced.returncode == 0, replaced.stderr
    assert _lines(replaced.stdout)["demo"].startswith("moved ")
    assert store.vault_keys() == {"demo": store.demo}


def test_delete_source_removes_the_file_only_once_the_vault_holds_the_key(store: Store) -> None:
    # awsafe's vault exists under another passphrase: the key cannot go in, so it stays in aws-vault
    run_main(
        "add",
        "ops",
        "--env",
        env={"AWS_ACCESS_KEY_ID": OPS_KEY.access_key_id, "AWS_SECRET_ACCESS_KEY": OPS_KEY.secret_access_key},
    )
    locked = run_main(
        "import",
        "aws-vault",
        "--profile",
        "demo",
        "--delete-source",
        env={**store.env, "AWSAFE_FILE_PASSPHRASE": "not the vault's passphrase"},
    )
    assert locked.returncode == 4, locked.stderr
    assert "passphrase" in locked.stderr and "awsafe" in locked.stderr
    assert (store.keys_dir / "demo").exists()
    assert store.vault_keys() == {"ops": OPS_KEY}

    moved = run_main("import", "aws-vault", "--profile", "demo", "--delete-source", env=store.env)
    assert moved.returncode == 0, moved.stderr
    assert _lines(moved.stdout)["demo"].startswith("moved, removed from aws-vault ")
    assert not (store.keys_dir / "demo").exists()
    assert (store.keys_dir / "team%2Fops%251").exists()  # only the one named
    assert store.vault_keys()["demo"] == store.demo


def test_an_empty_or_missing_store_says_so(isolated_env: Path) -> None:
    result = run_main("import", "aws-vault", "--from-backend", "file")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    keys_dir = isolated_env / ".awsvault" / "keys"
    assert f"aws-vault's file store {keys_dir} holds no items: nothing to import" in result.stderr
    assert "(--from-backend)" in result.stderr


def test_awsafes_own_vault_in_aws_vaults_directory_is_not_read_as_items(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS_VAULT_FILE_DIR alone names both: awsafe's vault files land next to aws-vault's items
    monkeypatch.delenv("AWSAFE_FILE_DIR")
    env = {**store.env, "AWS_VAULT_FILE_DIR": str(store.keys_dir)}
    first = run_main("import", "aws-vault", "--profile", "demo", env=env)
    assert first.returncode == 0, first.stderr
    assert (store.keys_dir / "vault.json").exists()
    assert any(path.suffix == ".item" for path in store.keys_dir.iterdir())
    again = run_main("import", "aws-vault", "--dry-run", env=env)
    lines = _lines(again.stdout)
    assert sorted(lines) == sorted(["demo", ESCAPED, SESSION, SSO_ROLE, OIDC, "other"])  # only aws-vault's
    assert lines["demo"].startswith("already in the vault")
    assert lines[ESCAPED].startswith("would move")
    assert again.returncode == 4  # 'other', under the second passphrase


def test_without_its_passphrase_or_a_terminal_nothing_is_written(store: Store) -> None:
    # a real process in its own session: no terminal to ask on, as under cron or CI
    result = run_awsafe("import", "aws-vault", env={"AWS_VAULT_BACKEND": "file"})
    assert result.returncode == 9, result.stderr
    assert "aws-vault's file store needs its passphrase and there is no terminal" in result.stderr
    assert "set AWS_VAULT_FILE_PASSPHRASE" in result.stderr
    assert not store.vault_dir.exists()

"""The seed's example end to end on the pass, keyctl and keepassxc backends: `add demo`, then
`exec test -- aws sts get-caller-identity`, with the key read back by each store's own program."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.env import caller_identity, run_awsafe
from tests.support.gpg import GpgKey, run_pass
from tests.support.keepass import KeePassTemplate, keepassxc_cli
from tests.support.moto_server import MotoServer
from tests.support.worlds import EXTERNAL_ID, make_seed_account

# (the environment awsafe runs with, a reader of the stored demo item by the store's own program)
Backend = tuple[dict[str, str], Callable[[], bytes]]


def _pass(gpg_key: GpgKey, tmp_path: Path) -> Backend:
    store = gpg_key.init_pass_store(tmp_path / "password-store")
    env = {**gpg_key.env, "AWS_VAULT_PASS_PASSWORD_STORE_DIR": str(store), "AWS_VAULT_PASS_PREFIX": "team"}
    return env, lambda: base64.b64decode(run_pass(store, gpg_key, "show", "team/credentials%2Fdemo").stdout)


def _keyctl(keyring: str) -> Backend:
    def read() -> bytes:
        found = subprocess.run(["keyctl", "search", "@u", "keyring", keyring], capture_output=True, text=True)
        key = subprocess.run(
            ["keyctl", "search", found.stdout.strip(), "user", "credentials/demo"],
            capture_output=True,
            text=True,
        )
        return subprocess.run(["keyctl", "pipe", key.stdout.strip()], capture_output=True).stdout[1:]

    return {"AWSAFE_KEYCTL_KEYRING": keyring}, read


def _keepassxc(template: KeePassTemplate, tmp_path: Path) -> Backend:
    database = template.copy_to(tmp_path / "keepass")
    env = {"AWSAFE_KEEPASSXC_DB": str(database), "AWSAFE_KEEPASSXC_PASSPHRASE": template.passphrase}

    def read() -> bytes:
        shown = keepassxc_cli("show", "-q", "-s", "-a", "Password", str(database), "awsafe/credentials/demo")
        return base64.b64decode(shown.stdout.strip())

    return env, read


@pytest.fixture(params=["pass", "keyctl", "keepassxc"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Backend]]:
    name = request.param
    if name == "pass":
        yield name, _pass(request.getfixturevalue("gpg_key"), tmp_path)
    elif name == "keyctl":
        if shutil.which("keyctl") is None:
            pytest.skip("needs the keyctl program (scripts/test installs keyutils)")
        keyring = f"awsafe-test-{uuid.uuid4().hex[:12]}"  # never the user's real "awsafe" keyring
        yield name, _keyctl(keyring)
        found = subprocess.run(["keyctl", "search", "@u", "keyring", keyring], capture_output=True, text=True)
        if found.returncode == 0:
            subprocess.run(["keyctl", "unlink", found.stdout.strip(), "@u"], check=True)
    else:
        yield name, _keepassxc(request.getfixturevalue("keepass_template"), tmp_path)


def test_seed_flow_on_each_new_backend(
    backend: tuple[str, Backend], moto: MotoServer, isolated_env: Path
) -> None:
    name, (store_env, read_stored) = backend
    key_id, secret, role_arn = make_seed_account(moto)
    env = {**moto.endpoint_env(), **store_env, "AWSAFE_BACKEND": "", "AWSAFE_FILE_PASSPHRASE": ""}

    added = run_awsafe(
        "--backend",
        name,
        "add",
        "demo",
        "--env",
        env={**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
    )
    assert added.returncode == 0, added.stderr
    assert f"{name} vault" in added.stderr
    # the store's own program finds the key awsafe wrote: the secret key is in there
    assert secret.encode() in read_stored()

    result = caller_identity("test", {**env, "AWS_VAULT_BACKEND": name})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].endswith(":assumed-role/seed-role/test")
    (assume,) = moto.calls("AssumeRole")
    assert assume.access_key_id == key_id  # signed with demo's long-term key from the store
    assert assume.params["ExternalId"] == EXTERNAL_ID and assume.params["RoleArn"] == role_arn

    # again: the session cached in the store serves it (the fast path declines for these
    # backends and the full path reads the store), with no second call to STS
    again = run_awsafe("export", "--format", "json", "test", env={**env, "AWS_VAULT_BACKEND": name})
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["AccessKeyId"] == moto.calls("GetCallerIdentity")[0].access_key_id
    assert len(moto.calls("AssumeRole")) == 1

    listed = run_awsafe("list", "--credentials", "--backend", name, env=env)
    assert listed.stdout.splitlines() == ["demo"], listed.stderr
    assert not (isolated_env / ".awsafe" / "vault").exists()  # nothing went to the file vault
    assert secret not in "".join(
        p.read_text(errors="replace") for p in isolated_env.rglob("*") if p.is_file()
    )

"""The seed's flow with the keys in the OS keychain (a real gnome-keyring Secret Service).

It writes items under the real service name "awsafe", so it runs only inside the
throwaway keyring that scripts/test starts, never against a developer's own keyring.
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

from tests.support.env import caller_identity, run_awsafe
from tests.support.keyring import THROWAWAY_KEYRING_ONLY
from tests.support.moto_server import MotoServer
from tests.support.worlds import EXTERNAL_ID, make_seed_account

pytestmark = THROWAWAY_KEYRING_ONLY


def _awsafe_items() -> list[dict[str, str]]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        return [item.get_attributes() for item in collection.search_items({"service": "awsafe"})]


def test_seed_flow_with_secret_service_backend(moto: MotoServer, isolated_env: Path) -> None:
    key_id, secret, role_arn = make_seed_account(moto)
    env = {**moto.endpoint_env(), "AWSAFE_BACKEND": "", "AWS_VAULT_BACKEND": "secret-service"}
    added = run_awsafe(
        "add",
        "demo",
        "--env",
        env={**env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
    )
    assert added.returncode == 0, added.stderr
    assert "secret-service vault" in added.stderr
    try:
        result = caller_identity("test", env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["Arn"].endswith(":assumed-role/seed-role/test")
        (assume,) = moto.calls("AssumeRole")
        assert assume.access_key_id == key_id and assume.params["ExternalId"] == EXTERNAL_ID
        # nothing of the file vault was created, and the keyring holds the item
        assert not (isolated_env / ".awsafe" / "vault").exists()
        assert _awsafe_items()
        listed = run_awsafe("list", "--credentials", env=env)
        assert listed.stdout.splitlines() == ["demo"]
    finally:
        run_awsafe("remove", "-f", "demo", env=env)
    assert run_awsafe("list", "--credentials", env=env).stdout.splitlines() == []

"""KeyctlStore against the real Linux kernel keyring, checked with the `keyctl` program."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from awsafe.vault.keyctl import MAX_VALUE_BYTES, KeyctlStore
from tests.support.store_contract import StoreContract, StoreFactory

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("keyctl") is None,
    reason="needs Linux and the keyctl program (scripts/test installs keyutils)",
)


def keyctl(*args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(["keyctl", *args], input=stdin, capture_output=True, check=False, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def remove_keyring(name: str) -> None:
    found = subprocess.run(["keyctl", "search", "@u", "keyring", name], capture_output=True, text=True)
    if found.returncode == 0:
        keyctl("unlink", found.stdout.strip(), "@u")


@pytest.fixture
def keyring_name() -> Iterator[str]:
    """A keyring of this test's own in @u (never the real ``awsafe`` one), removed afterwards."""
    name = f"awsafe-test-{uuid.uuid4().hex[:12]}"
    yield name
    remove_keyring(name)


class TestKeyctlStore(StoreContract):
    max_value_bytes = MAX_VALUE_BYTES

    @pytest.fixture
    def store_factory(self, keyring_name: str) -> StoreFactory:
        return lambda: KeyctlStore(keyring_name)


def test_keys_live_in_a_named_keyring_of_the_user_keyring(keyring_name: str) -> None:
    KeyctlStore(keyring_name).set("credentials/demo", b"\x00secret")
    ring = keyctl("search", "@u", "keyring", keyring_name).decode().strip()
    key = keyctl("search", ring, "user", "credentials/demo").decode().strip()
    assert keyctl("pipe", key) == b"\x01\x00secret"  # the mark byte, then the value
    # readable by the user, not only by a possessor: the permission mask is set on purpose
    for serial in (ring, key):
        assert keyctl("rdescribe", serial).decode().split(";")[3] == "3f3f0000"
    # a key another program added to the keyring is listed and read like ours
    keyctl("padd", "user", "other", ring, stdin=b"\x01v")
    assert KeyctlStore(keyring_name).keys() == ["credentials/demo", "other"]
    assert KeyctlStore(keyring_name).get("other") == b"v"


def test_reading_never_creates_the_keyring(keyring_name: str) -> None:
    store = KeyctlStore(keyring_name)
    assert store.get("k") is None and store.keys() == [] and store.delete("k") is False
    found = subprocess.run(["keyctl", "search", "@u", "keyring", keyring_name], capture_output=True)
    assert found.returncode != 0


def test_another_process_with_its_own_session_keyring_sees_the_keys(keyring_name: str) -> None:
    """The scope is @u: a new session keyring (a new login) still finds the keys."""
    KeyctlStore(keyring_name).set("credentials/demo", b"shared")
    code = (
        "from awsafe.vault.keyctl import KeyctlStore;"
        f"print(KeyctlStore({keyring_name!r}).get('credentials/demo'))"
    )
    done = subprocess.run(
        ["keyctl", "session", "-", sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "b'shared'"

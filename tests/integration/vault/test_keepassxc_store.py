"""KeePassStore on databases made by keepassxc-cli, and keepassxc-cli reading what awsafe wrote."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from awsafe.errors import StoreLockedError, StoreUnavailableError
from awsafe.vault.keepassxc import KeePassStore, compute_aes_kdf
from tests.support.keepass import KeePassTemplate, keepassxc_cli
from tests.support.store_contract import StoreContract, StoreFactory


def _store(path: Path, passphrase: str | None, tmp_path: Path) -> KeePassStore:
    return KeePassStore(path, passphrase=lambda: passphrase, lock_path=tmp_path / "state" / "kp.lock")


class TestKeePassStore(StoreContract):
    @pytest.fixture
    def store_factory(self, keepass_template: KeePassTemplate, tmp_path: Path) -> StoreFactory:
        path = keepass_template.copy_to(tmp_path / "db")
        return lambda: _store(path, keepass_template.passphrase, tmp_path)


@pytest.mark.parametrize("version", ["4", "3.1"])
def test_keepassxc_reads_what_awsafe_wrote(
    keepass_templates: dict[str, KeePassTemplate], version: str, tmp_path: Path
) -> None:
    keepass_template = keepass_templates[version]
    path = keepass_template.copy_to(tmp_path / "db")
    path.chmod(0o640)
    store = _store(path, keepass_template.passphrase, tmp_path)
    store.set("credentials/demo", b"\x00secret\xff")
    store.set("sessions/x", b"later")
    store.delete("sessions/x")
    shown = keepassxc_cli(
        "show",
        "--quiet",
        "--show-protected",
        "--attributes",
        "Password",
        str(path),
        "awsafe/credentials/demo",
    )
    assert base64.b64decode(shown.stdout.strip()) == b"\x00secret\xff"
    listed = keepassxc_cli("ls", "--quiet", str(path), "awsafe")
    assert int.from_bytes(path.read_bytes()[10:12], "little") == int(version[0])  # the format is kept
    assert listed.stdout.split() == ["credentials/demo"]
    assert b"secret" not in path.read_bytes()
    assert (path.stat().st_mode & 0o777) == 0o600  # tightened, never widened
    assert sorted(p.name for p in path.parent.iterdir()) == ["awsafe.kdbx"]  # no temp file left


def test_awsafe_reads_an_entry_keepassxc_wrote(keepass_template: KeePassTemplate, tmp_path: Path) -> None:
    path = keepass_template.copy_to(tmp_path / "db")
    keepassxc_cli("mkdir", "--quiet", str(path), "awsafe")
    encoded = base64.b64encode(b"from keepassxc").decode()
    keepassxc_cli(
        "add",
        "--quiet",
        "--password-prompt",
        str(path),
        "awsafe/demo-key",
        passphrase=f"{keepass_template.passphrase}\n{encoded}",
    )
    store = _store(path, keepass_template.passphrase, tmp_path)
    assert store.keys() == ["demo-key"]  # keepassxc-cli reads "/" as a group separator
    assert store.get("demo-key") == b"from keepassxc"


def test_a_wrong_passphrase_is_locked_and_asked_once(
    keepass_template: KeePassTemplate, tmp_path: Path
) -> None:
    path = keepass_template.copy_to(tmp_path / "db")
    before = path.read_bytes()
    asked: list[int] = []

    def wrong() -> str:
        asked.append(1)
        return "not-the-passphrase"

    store = KeePassStore(path, passphrase=wrong, lock_path=tmp_path / "kp.lock")
    for _ in range(2):
        with pytest.raises(StoreLockedError, match="wrong passphrase"):
            store.set("k", b"v")
    assert asked == [1] and path.read_bytes() == before


def test_a_missing_database_says_how_to_make_one(tmp_path: Path) -> None:
    store = _store(tmp_path / "none.kdbx", "x", tmp_path)
    with pytest.raises(StoreUnavailableError, match="does not exist"):
        store.keys()


def test_the_fast_aes_kdf_equals_keepass_definition() -> None:
    from Cryptodome.Cipher import AES

    key, composite = os.urandom(32), os.urandom(32)
    cipher, blocks = AES.new(key, AES.MODE_ECB), composite
    for _ in range(1000):
        blocks = cipher.encrypt(blocks)
    assert compute_aes_kdf(key, 1000, composite) == hashlib.sha256(blocks).digest()
    assert compute_aes_kdf(key, 0, composite) == hashlib.sha256(composite).digest()


def test_a_database_opened_by_its_key_file_alone(tmp_path: Path) -> None:
    if shutil.which("keepassxc-cli") is None:
        pytest.skip("keepassxc-cli is needed")
    database, keyfile = tmp_path / "db.kdbx", tmp_path / "key.keyx"
    made = subprocess.run(
        ["keepassxc-cli", "db-create", "-q", "--set-key-file", str(keyfile), str(database)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0 and keyfile.exists(), made.stderr
    store = KeePassStore(database, passphrase=lambda: None, keyfile=keyfile, lock_path=tmp_path / "kp.lock")
    store.set("credentials/demo", b"by key file")
    shown = subprocess.run(
        [
            "keepassxc-cli",
            "show",
            "-q",
            "-s",
            "-a",
            "Password",
            "--no-password",
            "-k",
            str(keyfile),
            str(database),
            "awsafe/credentials/demo",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert base64.b64decode(shown.stdout.strip()) == b"by key file", shown.stderr
    without = KeePassStore(database, passphrase=lambda: None, lock_path=tmp_path / "kp.lock")
    with pytest.raises(StoreLockedError):
        without.keys()


WORKERS, KEYS_PER_WORKER = 3, 3


def _add_keys(database: str, lock_path: str, passphrase: str, worker: int, start: object) -> None:
    store = KeePassStore(Path(database), passphrase=lambda: passphrase, lock_path=Path(lock_path))
    store.keys()  # opened (and cached) before the others write: each write must read the file again
    start.wait()  # type: ignore[attr-defined]  # a multiprocessing Barrier
    for i in range(KEYS_PER_WORKER):
        store.set(f"worker{worker}/key{i}", f"{worker}:{i}".encode())


def test_concurrent_writers_lose_nothing(keepass_template: KeePassTemplate, tmp_path: Path) -> None:
    import multiprocessing

    path = keepass_template.copy_to(tmp_path / "db")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    args = (str(path), str(tmp_path / "kp.lock"), keepass_template.passphrase)
    procs = [ctx.Process(target=_add_keys, args=(*args, w, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    expected = {
        f"worker{w}/key{i}": f"{w}:{i}".encode() for w in range(WORKERS) for i in range(KEYS_PER_WORKER)
    }
    store = _store(path, keepass_template.passphrase, tmp_path)
    assert store.keys() == sorted(expected)
    assert all(store.get(name) == value for name, value in expected.items())

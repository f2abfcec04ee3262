"""open_store picks the backend by its aws-vault name, and the keychain probe is honest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from awsafe.errors import StoreUnavailableError, UsageError
from awsafe.vault import keychain
from awsafe.vault.file import FileStore
from awsafe.vault.keychain import KeychainStore
from awsafe.vault.select import backend_names, open_store


def never_asked() -> str:
    raise AssertionError("opening a store must not ask for the passphrase")


def open_named(backend: str | None, tmp_path: Path) -> object:
    return open_store(
        backend,
        file_dir=tmp_path / "vault",
        passphrase=never_asked,
        state_dir=tmp_path / "state",
        scrypt_log2n=14,
    )


def test_file_backend(tmp_path: Path) -> None:
    store = open_named("file", tmp_path)
    assert isinstance(store, FileStore)
    assert store.directory == tmp_path / "vault"
    assert store.keys() == []


@pytest.mark.parametrize("name", ["secret-service", "keychain", "wincred", "kwallet"])
def test_keychain_backends(tmp_path: Path, name: str) -> None:
    store = open_named(name, tmp_path)
    assert isinstance(store, KeychainStore)
    assert (store.name, store.service) == (name, "awsafe")


@pytest.mark.parametrize("spelling", [None, ""])
def test_default_is_the_os_keychain_when_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str | None
) -> None:
    monkeypatch.setattr(keychain, "usable_keychain_backend", lambda: "secret-service")
    store = open_named(spelling, tmp_path)
    assert isinstance(store, KeychainStore)
    assert store.name == "secret-service"


def test_default_falls_back_to_the_file_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keychain, "usable_keychain_backend", lambda: None)
    assert isinstance(open_named(None, tmp_path), FileStore)


def test_names_are_case_and_space_insensitive(tmp_path: Path) -> None:
    assert isinstance(open_named(" File ", tmp_path), FileStore)
    assert isinstance(open_named("WINCRED", tmp_path), KeychainStore)


def test_unknown_backend_lists_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        open_named("plaintext", tmp_path)
    assert "'plaintext'" in caught.value.message
    names = ["secret-service", "keychain", "wincred", "kwallet", "file", "pass", "keyctl", "keepassxc"]
    for name in names:
        assert name in caught.value.message
    assert backend_names() == names


def test_the_new_backends_open_with_their_settings(tmp_path: Path) -> None:
    from awsafe.vault.keepassxc import KeePassStore
    from awsafe.vault.keyctl import KeyctlStore
    from awsafe.vault.passstore import PassStore

    def never() -> str:
        raise AssertionError("opening asks nothing")

    def opened(name: str, settings: dict[str, str]) -> object:
        return open_store(
            name,
            file_dir=tmp_path / "v",
            passphrase=never,
            state_dir=tmp_path / "s",
            settings=settings,
            environ={"HOME": str(tmp_path)},
        )

    store = opened("pass", {})
    assert isinstance(store, PassStore)
    assert (store.directory, store.prefix, store.command) == (tmp_path / ".password-store", "awsafe", "pass")
    store = opened("pass", {"pass-dir": "/ps", "pass-prefix": "aws-vault/", "pass-cmd": "gopass"})
    assert isinstance(store, PassStore)
    assert (store.folder, store.command) == (Path("/ps/aws-vault"), "gopass")
    store = opened("keyctl", {"keyctl-keyring": "mine"})
    assert isinstance(store, KeyctlStore) and store.keyring_name == "mine"
    store = opened("keepassxc", {"keepassxc-db": "/db.kdbx", "keepassxc-keyfile": "/k"})
    assert isinstance(store, KeePassStore) and store.database == Path("/db.kdbx")
    assert store.keyfile == Path("/k")
    with pytest.raises(UsageError, match="needs the database's path") as caught:
        opened("keepassxc", {})
    assert "--keepassxc-db" in (caught.value.hint or "")


def test_importing_the_vault_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, awsafe.vault.select, awsafe.vault.file, awsafe.vault.keychain,"
        " awsafe.vault.passstore, awsafe.vault.keepassxc;"
        "heavy = ('keyring', 'cryptography', 'secretstorage', 'jeepney', 'pykeepass', 'ctypes');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- usable_keychain_backend ----------------------------------------------------------------


class ViableRing:
    priority = 5


class NotViableRing:
    @property
    def priority(self) -> float:  # keyring raises from a class property; close enough
        raise RuntimeError("no daemon")


def probe(monkeypatch: pytest.MonkeyPatch, classes: dict[str, type], running: bool = True) -> str | None:
    def backend_class(name: str) -> type:
        if name not in classes:
            raise StoreUnavailableError(f"{name} cannot be loaded")
        return classes[name]

    monkeypatch.setattr(keychain, "_platform_candidates", lambda: ("secret-service", "kwallet"))
    monkeypatch.setattr(keychain, "_backend_class", backend_class)
    monkeypatch.setattr(keychain, "_why_not_viable", lambda cls: None if cls is ViableRing else "x")
    monkeypatch.setattr(keychain, "_secret_service_running", lambda: running)
    return keychain.usable_keychain_backend()


def test_probe_takes_the_first_viable_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    assert probe(monkeypatch, {"secret-service": ViableRing}) == "secret-service"
    assert probe(monkeypatch, {"secret-service": NotViableRing, "kwallet": ViableRing}) == "kwallet"
    assert probe(monkeypatch, {"kwallet": ViableRing}) == "kwallet"
    assert probe(monkeypatch, {"secret-service": NotViableRing}) is None


def test_probe_wants_a_running_secret_service_not_an_activatable_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert probe(monkeypatch, {"secret-service": ViableRing}, running=False) is None


def test_backends_are_only_real_os_keychains() -> None:
    assert keychain.BACKENDS == {
        "secret-service": ("keyring.backends.SecretService", "Keyring"),
        "keychain": ("keyring.backends.macOS", "Keyring"),
        "wincred": ("keyring.backends.Windows", "WinVaultKeyring"),
        "kwallet": ("keyring.backends.kwallet", "DBusKeyring"),
    }


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the Linux candidates")
def test_no_session_bus_means_no_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real probe, real keyring: without D-Bus nothing qualifies, and nothing falls back
    # to keyring's fail/null/plaintext backends.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert keychain.usable_keychain_backend() is None

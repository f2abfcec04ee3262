"""Chooses and opens the vault backend by its aws-vault name; it must stay import-light
(no keyring, cryptography or pykeepass at import time) and never read the environment itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from awsafe.errors import UsageError
from awsafe.vault import keychain
from awsafe.vault.base import Store
from awsafe.vault.file import FileStore

KEYCHAIN_SERVICE = "awsafe"
FILE_BACKEND = "file"
PASS_BACKEND = "pass"
KEYCTL_BACKEND = "keyctl"
KEEPASSXC_BACKEND = "keepassxc"


def backend_names() -> list[str]:
    """Every backend name ``open_store`` accepts, in the order the docs list them."""
    return [*keychain.BACKENDS, FILE_BACKEND, PASS_BACKEND, KEYCTL_BACKEND, KEEPASSXC_BACKEND]


def _no_passphrase() -> str | None:
    return None


def open_store(
    backend: str | None,
    *,
    file_dir: Path,
    passphrase: Callable[[], str],
    state_dir: Path,
    scrypt_log2n: int = 17,
    new_passphrase: Callable[[], str] | None = None,
    settings: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    keepassxc_passphrase: Callable[[], str | None] = _no_passphrase,
) -> Store:
    """The Store for ``backend``; None or "" picks the OS keychain when one is usable, else the file vault.

    ``settings``: the backends' own (``pass-dir``, ``keepassxc-db`` ...; see
    ``awsafe.agentlink.request.VAULT_SETTINGS``), paths absolute. ``environ``: what the pass
    program runs with. Opening is cheap: no passphrase is asked and no keychain, program or
    database is touched until the store is first used (except the keychain probe when
    ``backend`` is None).
    """
    settings = settings or {}
    name = (backend or "").strip().lower() or None
    if name is None:
        name = keychain.usable_keychain_backend() or FILE_BACKEND
    if name == FILE_BACKEND:
        return FileStore(file_dir, passphrase, scrypt_log2n=scrypt_log2n, new_passphrase=new_passphrase)
    if name in keychain.BACKENDS:
        return keychain.KeychainStore(
            KEYCHAIN_SERVICE,
            name,
            lock_path=state_dir / f"keychain-{KEYCHAIN_SERVICE}.lock",
            collection=settings.get("secret-service-collection"),
            keychain_name=settings.get("keychain"),
        )
    if name == PASS_BACKEND:
        from awsafe.vault.passstore import DEFAULT_COMMAND, DEFAULT_PREFIX, PassStore

        home = (environ or {}).get("HOME") or str(Path.home())
        return PassStore(
            Path(settings.get("pass-dir") or Path(home) / ".password-store"),
            prefix=settings.get("pass-prefix", DEFAULT_PREFIX),
            command=settings.get("pass-cmd", DEFAULT_COMMAND),
            environ=environ or {},
        )
    if name == KEYCTL_BACKEND:
        from awsafe.vault.keyctl import KEYRING_NAME, KeyctlStore

        return KeyctlStore(settings.get("keyctl-keyring", KEYRING_NAME))
    if name == KEEPASSXC_BACKEND:
        from awsafe.vault.keepassxc import KeePassStore

        database = settings.get("keepassxc-db")
        if not database:
            raise UsageError(
                "the keepassxc backend needs the database's path",
                hint="give --keepassxc-db PATH or set AWSAFE_KEEPASSXC_DB",
            )
        keyfile = settings.get("keepassxc-keyfile")
        return KeePassStore(
            Path(database),
            passphrase=keepassxc_passphrase,
            keyfile=Path(keyfile) if keyfile else None,
            lock_path=state_dir / "keepassxc.lock",
        )
    raise UsageError(f"unknown vault backend {backend!r}; valid backends: {', '.join(backend_names())}")

"""Chooses and opens the vault backend by its aws-vault name; it must stay import-light
(no keyring or cryptography at import time) and never read the environment itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from awsafe.errors import UsageError
from awsafe.vault import keychain
from awsafe.vault.base import Store
from awsafe.vault.file import FileStore

KEYCHAIN_SERVICE = "awsafe"
FILE_BACKEND = "file"
NOT_YET_IMPLEMENTED = ("pass", "keyctl")


def backend_names() -> list[str]:
    """Every backend name ``open_store`` accepts, in the order the docs list them."""
    return [*keychain.BACKENDS, FILE_BACKEND]


def open_store(
    backend: str | None,
    *,
    file_dir: Path,
    passphrase: Callable[[], str],
    state_dir: Path,
    scrypt_log2n: int = 17,
    new_passphrase: Callable[[], str] | None = None,
) -> Store:
    """The Store for ``backend``; None or "" picks the OS keychain when one is usable, else the file vault.

    Opening is cheap: no passphrase is asked and no keychain is touched until
    the store is first used (except the keychain probe when ``backend`` is None).
    """
    name = (backend or "").strip().lower() or None
    if name is None:
        name = keychain.usable_keychain_backend() or FILE_BACKEND
    if name == FILE_BACKEND:
        return FileStore(file_dir, passphrase, scrypt_log2n=scrypt_log2n, new_passphrase=new_passphrase)
    if name in keychain.BACKENDS:
        return keychain.KeychainStore(
            KEYCHAIN_SERVICE, name, lock_path=state_dir / f"keychain-{KEYCHAIN_SERVICE}.lock"
        )
    if name in NOT_YET_IMPLEMENTED:
        raise UsageError(
            f"the {name!r} backend is not implemented in awsafe yet",
            hint=f"use one of: {', '.join(backend_names())}",
        )
    raise UsageError(f"unknown vault backend {backend!r}; valid backends: {', '.join(backend_names())}")

"""aws-vault's Windows Credential Manager store (99designs/keyring's wincred backend): generic
credentials named ``aws-vault:aws-vault:KEY`` whose blob is the credential JSON itself. Read
through pywin32-ctypes' ``win32cred`` (installed with keyring on Windows), imported only here;
it never writes a credential."""

from __future__ import annotations

from typing import Any

from awsafe.errors import StoreError, StoreUnavailableError

CRED_TYPE_GENERIC = 1
_NOT_FOUND = 1168  # ERROR_NOT_FOUND


def _load_win32cred() -> Any:
    try:
        from win32ctypes.pywin32 import win32cred  # type: ignore[import-not-found,unused-ignore]
    except ImportError as e:
        raise StoreUnavailableError(
            "the Windows Credential Manager cannot be read here (pywin32-ctypes is missing)"
        ) from e
    return win32cred


class AwsVaultWincredSource:
    """aws-vault's credentials in the Windows Credential Manager: target ``PREFIX:SERVICE:KEY``
    (aws-vault: prefix and service both ``aws-vault``). ``api`` is a ``win32cred``-like module
    (CredEnumerate, CredRead, CredDelete), loaded on first use unless given."""

    name = "wincred"

    def __init__(self, prefix: str = "aws-vault", service: str = "aws-vault", api: Any = None) -> None:
        self.target_prefix = f"{prefix}:{service}:"
        self._api = api

    def keys(self) -> list[str]:
        api = self._win32cred()
        try:
            found = api.CredEnumerate(self.target_prefix + "*", 0) or []
        except Exception as e:  # noqa: BLE001 - pywin32's error for "none match", or any other
            if getattr(e, "winerror", None) == _NOT_FOUND:
                return []
            raise StoreError(f"the Windows Credential Manager could not be listed: {_reason(e)}") from e
        names = [str(cred.get("TargetName", "")) for cred in found]
        return sorted(n[len(self.target_prefix) :] for n in names if n.startswith(self.target_prefix))

    def read(self, key: str) -> bytes:
        api = self._win32cred()
        try:
            cred = api.CredRead(self.target_prefix + key, CRED_TYPE_GENERIC)
        except Exception as e:  # noqa: BLE001
            raise StoreError(f"{self.describe(key)} could not be read: {_reason(e)}") from e
        blob = cred.get("CredentialBlob") or b""
        return blob if isinstance(blob, bytes) else str(blob).encode("utf-8")

    def remove(self, key: str) -> None:
        api = self._win32cred()
        try:
            api.CredDelete(self.target_prefix + key, CRED_TYPE_GENERIC)
        except Exception as e:  # noqa: BLE001
            if getattr(e, "winerror", None) == _NOT_FOUND:
                return
            raise StoreError(f"{self.describe(key)} could not be removed: {_reason(e)}") from e

    def describe(self, key: str) -> str:
        return f"Windows credential {self.target_prefix + key!r}"

    def _win32cred(self) -> Any:
        if self._api is None:
            self._api = _load_win32cred()
        return self._api


def _reason(error: Exception) -> str:
    # pywin32's error carries (winerror, funcname, strerror); never a blob.
    return str(getattr(error, "strerror", "") or type(error).__name__)

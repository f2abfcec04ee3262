"""What every aws-vault store reader offers `import aws-vault`: the item names, an item's
credential JSON, and forgetting an item once awsafe holds it."""

from __future__ import annotations

from typing import Protocol


class AwsVaultSource(Protocol):
    """One aws-vault store (file, secret-service, keychain, pass, wincred), read-only but for
    ``remove``. Every method raises only ``awsafe.errors`` exceptions, never quoting a secret."""

    name: str  # aws-vault's backend name: "file", "secret-service", "keychain", "pass", "wincred"

    def keys(self) -> list[str]:
        """Every item name in the store as aws-vault names them (a profile name for long-term
        keys; ``session,...`` or ``oidc:...`` for the items aws-vault renews itself), sorted."""
        ...

    def read(self, key: str) -> bytes:
        """The item's credential JSON as aws-vault wrote it (``{"AccessKeyID":..., ...}``)."""
        ...

    def remove(self, key: str) -> None:
        """Delete the item from the aws-vault store (``--delete-source``, after the move)."""
        ...

    def describe(self, key: str) -> str:
        """Where the item lives, for messages: a path or a store and item name, never the secret."""
        ...

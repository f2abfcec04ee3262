"""aws-vault's `pass` store, read as aws-vault writes it (99designs/keyring's pass backend): one
gpg file per item at ``<dir>/<prefix>/<key>.gpg``, its content the keyring item as JSON with the
credential JSON base64 in ``Data``; read through the ``pass`` program, never decrypted here.

aws-vault's settings, not awsafe's: AWS_VAULT_PASS_PASSWORD_STORE_DIR (default
~/.password-store; aws-vault ignores pass's own PASSWORD_STORE_DIR), AWS_VAULT_PASS_CMD
(default ``pass``) and AWS_VAULT_PASS_PREFIX (default none: the store's top folder).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from awsafe.errors import StoreCorruptError, StoreError
from awsafe.vault.passstore import SUFFIX, resolve_prefix
from awsafe.vault.program import Ran, run_store_program


class PassSettings(Protocol):
    """What the pass reader needs of aws-vault's settings (``stores.AwsVaultSettings`` has it)."""

    @property
    def pass_dir(self) -> Path | None: ...
    @property
    def pass_cmd(self) -> str: ...
    @property
    def pass_prefix(self) -> str: ...
    @property
    def environ(self) -> Mapping[str, str]: ...


def open_pass_source(settings: PassSettings) -> AwsVaultPassSource:
    """The pass store these settings name (``pass_dir`` None: ~/.password-store under HOME)."""
    home = Path(settings.environ.get("HOME") or Path.home())
    return AwsVaultPassSource(
        settings.pass_dir or home / ".password-store",
        prefix=settings.pass_prefix,
        command=settings.pass_cmd,
        environ=settings.environ,
    )


class AwsVaultPassSource:
    """The items of aws-vault's pass store in ``directory`` under ``prefix``."""

    name = "pass"

    def __init__(
        self, directory: Path, *, prefix: str = "", command: str = "pass", environ: Mapping[str, str]
    ) -> None:
        self.directory = Path(directory)
        self.prefix = resolve_prefix(prefix)
        self.command = command or "pass"
        self._environ = {**environ, "PASSWORD_STORE_DIR": str(self.directory)}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], home: Path) -> AwsVaultPassSource:
        """The store aws-vault would open with these variables (its defaults otherwise)."""
        directory = environ.get("AWS_VAULT_PASS_PASSWORD_STORE_DIR") or str(home / ".password-store")
        if directory == "~" or directory.startswith("~/"):
            directory = str(home) + directory[1:]
        return cls(
            Path(directory),
            prefix=environ.get("AWS_VAULT_PASS_PREFIX", ""),
            command=environ.get("AWS_VAULT_PASS_CMD", "pass"),
            environ=environ,
        )

    @property
    def folder(self) -> Path:
        return self.directory / self.prefix if self.prefix else self.directory

    def keys(self) -> list[str]:
        """Every ``.gpg`` file below the prefix folder, as aws-vault lists them (sub-folders
        joined with ``/``); pass's own hidden files and folders (``.git``) are not items."""
        found = []
        for root, folders, files in os.walk(self.folder):
            folders[:] = [f for f in folders if not f.startswith(".")]
            relative = os.path.relpath(root, self.folder)
            for file in files:
                if file.endswith(SUFFIX) and not file.startswith("."):
                    name = file[: -len(SUFFIX)]
                    found.append(name if relative == "." else f"{relative}/{name}".replace(os.sep, "/"))
        return sorted(found)

    def read(self, key: str) -> bytes:
        """The credential JSON in the item's ``Data``."""
        ran = self._pass("show", self._item(key))
        if ran.returncode != 0:
            said = f": {ran.stderr_line}" if ran.stderr_line else ""
            raise StoreError(f"cannot read {self.describe(key)} (pass exit {ran.returncode}){said}")
        try:
            item = json.loads(ran.stdout)
            data = base64.b64decode(item["Data"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error) as e:
            raise StoreCorruptError(f"{self.describe(key)} is not an aws-vault item") from e
        return data

    def remove(self, key: str) -> None:
        ran = self._pass("rm", "--force", self._item(key))
        if ran.returncode != 0:
            raise StoreError(f"cannot remove {self.describe(key)} (pass exit {ran.returncode})")

    def describe(self, key: str) -> str:
        return f"aws-vault's pass item {self._item(key)!r} in {self.directory}"

    def _item(self, key: str) -> str:
        segments = key.split("/")
        if not key or any(s in ("", ".", "..") for s in segments) or "\0" in key:
            raise StoreError(f"{key!r} is not an item name of aws-vault's pass store")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _pass(self, *args: str) -> Ran:
        return run_store_program(
            [self.command, *args], environ=self._environ, what=f"aws-vault's pass store {self.directory}"
        )

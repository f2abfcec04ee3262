"""Every aws-vault store awsafe can read, by aws-vault's backend name, and the one aws-vault
would pick by default. It reads no environment: the settings come from wiring."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path

from awsafe.errors import UsageError
from awsafe.migration.awsvault.source import AwsVaultSource


@dataclasses.dataclass(frozen=True)
class AwsVaultSettings:
    """aws-vault's store settings (its flags' defaults and ``AWS_VAULT_*`` variables)."""

    file_dir: Path
    passphrase: Callable[[], str] = dataclasses.field(repr=False, compare=False)
    secret_service_collection: str = "awsvault"
    keychain: str = "aws-vault"
    pass_dir: Path | None = None
    pass_cmd: str = "pass"
    pass_prefix: str = ""
    environ: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)


Opener = Callable[[AwsVaultSettings], AwsVaultSource]


def _file(settings: AwsVaultSettings) -> AwsVaultSource:
    from awsafe.migration.awsvault.filestore import AwsVaultFileSource

    return AwsVaultFileSource(settings.file_dir, settings.passphrase)


def _secret_service(settings: AwsVaultSettings) -> AwsVaultSource:
    from awsafe.migration.awsvault.secretservice import AwsVaultSecretServiceSource

    return AwsVaultSecretServiceSource(settings.secret_service_collection)


def _keychain(settings: AwsVaultSettings) -> AwsVaultSource:
    from awsafe.migration.awsvault.keychain import AwsVaultKeychainSource

    return AwsVaultKeychainSource(settings.keychain, settings.environ)


def _wincred(settings: AwsVaultSettings) -> AwsVaultSource:
    from awsafe.migration.awsvault.wincred import AwsVaultWincredSource

    return AwsVaultWincredSource()


def _pass(settings: AwsVaultSettings) -> AwsVaultSource:
    from awsafe.migration.awsvault.pass_source import open_pass_source

    return open_pass_source(settings)


OPENERS: dict[str, Opener] = {
    "file": _file,
    "secret-service": _secret_service,
    "keychain": _keychain,
    "wincred": _wincred,
    "pass": _pass,
}

# aws-vault's own order (99designs/keyring backendOrder): the first one available here is its
# default. kwallet and keyctl are aws-vault stores awsafe does not read.
AWS_VAULT_ORDER = ("wincred", "keychain", "secret-service", "kwallet", "keyctl", "pass", "file")


def backend_names() -> list[str]:
    """The aws-vault stores awsafe reads, in aws-vault's order."""
    return [name for name in AWS_VAULT_ORDER if name in OPENERS]


def resolve_default_backend(platform: str, *, session_bus: bool, has_pass: bool) -> str:
    """The store aws-vault uses on ``platform`` when neither ``--backend`` nor
    ``AWS_VAULT_BACKEND`` names one: its first available backend (keyring registers wincred only
    on Windows, keychain only on macOS, secret-service and kwallet only with a D-Bus session bus,
    keyctl on every Linux, pass where the pass program is)."""
    if platform == "win32":
        return "wincred"
    if platform == "darwin":
        return "keychain"
    if platform.startswith("linux"):
        return "secret-service" if session_bus else "keyctl"
    return "pass" if has_pass else "file"


def open_source(name: str, settings: AwsVaultSettings) -> AwsVaultSource:
    """The reader of aws-vault's store ``name``; UsageError for a store awsafe cannot read."""
    opener = OPENERS.get(name)
    if opener is None:
        known = ", ".join(backend_names())
        if name in AWS_VAULT_ORDER:
            raise UsageError(f"awsafe cannot read aws-vault's {name} store", hint=f"readable stores: {known}")
        raise UsageError(f"unknown aws-vault store {name!r}", hint=f"readable stores: {known}")
    return opener(settings)

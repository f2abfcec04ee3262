"""Wiring of `import aws-vault`: which aws-vault store (as aws-vault itself would choose it),
its settings from aws-vault's variables, its passphrase, and awsafe's own vault as the target."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import sys
from pathlib import Path

from awsafe.environment import Environment
from awsafe.errors import PromptError, UsageError
from awsafe.migration.awsvault.importer import Found, import_found, read_items
from awsafe.migration.awsvault.source import AwsVaultSource
from awsafe.migration.awsvault.stores import (
    AwsVaultSettings,
    backend_names,
    open_source,
    resolve_default_backend,
)
from awsafe.migration.transfer import Result
from awsafe.wiring.options import GlobalOptions
from awsafe.wiring.vault import open_vault

log = logging.getLogger(__name__)

DEFAULT_FILE_DIR = "~/.awsvault/keys/"  # aws-vault's --file-dir default


@dataclasses.dataclass(frozen=True)
class ChosenStore:
    """The aws-vault store to read, why it was chosen, and where it is (for the first line)."""

    name: str
    why: str
    where: str


@dataclasses.dataclass(frozen=True)
class ImportRequest:
    """What `import aws-vault` was asked, as plain values."""

    from_backend: str | None = None
    profiles: tuple[str, ...] = ()
    dry_run: bool = False
    overwrite: bool = False
    delete_source: bool = False


@dataclasses.dataclass(frozen=True)
class ImportReport:
    """What happened: the store read, the vault written, the moved keys and the items left."""

    store: ChosenStore
    target: str
    found: Found
    results: list[Result]


def _expand(path: str, env: Environment) -> Path:
    # aws-vault's ExpandTilde: only a leading "~/" (or "~" alone) is the home directory.
    if path == "~" or path.startswith("~/"):
        return env.home / path[2:]
    return Path(path)


def _has_session_bus(env: Environment) -> bool:
    """Whether aws-vault's D-Bus client would reach a session bus (keyring registers the
    secret-service backend only then): the bus address variable, or the usual socket."""
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = env.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "bus").exists()


def choose_store(from_backend: str | None, env: Environment) -> tuple[str, str]:
    """The aws-vault backend name to read and why: --from-backend, else AWS_VAULT_BACKEND, else
    aws-vault's own default on this system."""
    if from_backend:
        return from_backend.strip().lower(), "--from-backend"
    named = env.get("AWS_VAULT_BACKEND")
    if named:
        return named.strip().lower(), "AWS_VAULT_BACKEND"
    default = resolve_default_backend(
        sys.platform,
        session_bus=_has_session_bus(env),
        has_pass=shutil.which("pass", path=env.get("PATH")) is not None,
    )
    return default, "aws-vault's default here"


def aws_vault_settings(env: Environment) -> AwsVaultSettings:
    """aws-vault's store settings from its variables, with its defaults."""
    file_dir = _expand(env.get("AWS_VAULT_FILE_DIR") or DEFAULT_FILE_DIR, env)
    pass_dir = env.get("AWS_VAULT_PASS_PASSWORD_STORE_DIR") or env.get("PASSWORD_STORE_DIR")

    def passphrase() -> str:
        given = env.get("AWS_VAULT_FILE_PASSPHRASE")
        if given is not None:
            return given
        from awsafe.prompts.terminal import ask_secret

        try:
            return ask_secret(f"Enter passphrase to unlock aws-vault's file store {file_dir}: ")
        except PromptError as e:
            raise PromptError(
                "aws-vault's file store needs its passphrase and there is no terminal to ask on",
                hint="set AWS_VAULT_FILE_PASSPHRASE",
            ) from e

    return AwsVaultSettings(
        file_dir=file_dir,
        passphrase=passphrase,
        secret_service_collection=env.get("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME") or "awsvault",
        keychain=env.get("AWS_VAULT_KEYCHAIN_NAME") or "aws-vault",
        pass_dir=_expand(pass_dir, env) if pass_dir else env.home / ".password-store",
        pass_cmd=env.get("AWS_VAULT_PASS_CMD") or "pass",
        pass_prefix=env.get("AWS_VAULT_PASS_PREFIX") or "",
        environ=env.environ,
    )


def _where(name: str, settings: AwsVaultSettings) -> str:
    return {
        "file": f"file store {settings.file_dir}",
        "secret-service": f"Secret Service collection {settings.secret_service_collection!r}",
        "keychain": f"keychain {settings.keychain}",
        "pass": f"pass store {settings.pass_dir}",
        "wincred": "Windows Credential Manager",
    }.get(name, f"{name} store")


def open_aws_vault_store(from_backend: str | None, env: Environment) -> tuple[ChosenStore, AwsVaultSource]:
    """The reader of the aws-vault store to import from; nothing is read or asked yet."""
    name, why = choose_store(from_backend, env)
    settings = aws_vault_settings(env)
    if why == "aws-vault's default here" and name not in backend_names():
        raise UsageError(
            f"aws-vault's default store here is {name}, which awsafe does not read",
            hint=f"name the store aws-vault used: --from-backend {' | '.join(backend_names())}",
        )
    source = open_source(name, settings)
    log.debug("aws-vault store: %s (%s)", name, why)
    return ChosenStore(name, why, _where(name, settings)), source


def import_from_aws_vault(
    request: ImportRequest,
    chosen: ChosenStore,
    source: AwsVaultSource,
    options: GlobalOptions,
    env: Environment,
) -> ImportReport:
    """Read the chosen aws-vault store and move its long-term keys into awsafe's vault."""
    found = read_items(source, request.profiles)
    target = open_vault(options, env)
    results = import_found(
        found,
        source,
        target,
        named=bool(request.profiles),
        overwrite=request.overwrite,
        dry_run=request.dry_run,
        delete_source=request.delete_source,
    )
    return ImportReport(chosen, target.name, found, results)
